"""What the lab changes in moto's ECR: registry digests and checks, kept layers, lifecycle previews.

Image digests, sizes and push times, and the checks of ``PutImage`` and ``CompleteLayerUpload``,
follow :mod:`courselab.lab.ecr.images` (the SHA-256 of the manifest's bytes, as every OCI registry
computes it); ``CompleteLayerUpload`` keeps the uploaded bytes, so ECS can pull the image
(:mod:`courselab.lab.ecr.pulls`); ``StartLifecyclePolicyPreview`` and ``GetLifecyclePolicyPreview``, which moto lacks,
are added to moto's ECR responses and evaluate the policy with :mod:`courselab.lab.ecr.lifecycle`
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartLifecyclePolicyPreview.html,
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetLifecyclePolicyPreview.html).

The last preview started is kept on moto's repository object, so the lab's reset (which wipes
moto's ECR backend) forgets it with the repository: ECR needs no life cycle of its own.
"""

from __future__ import annotations

import time
from typing import Any

from courselab.lab.ecr import images, lifecycle, pulls
from courselab.lab.patching import Patches

patches = Patches(__name__)
_MODELS = "moto.ecr.models"
_RESPONSES = "moto.ecr.responses:ECRResponse"
#: The attribute of a moto ``Repository`` that holds the policy text of the last preview started.
_PREVIEW = "_courselab_lifecycle_preview"


# -- images ----------------------------------------------------------------------------------------


@patches.wrap(f"{_MODELS}:Image.__init__")
def init_image(original: Any, self: Any, *args: Any, **kwargs: Any) -> None:
    """``imagePushedAt`` keeps fractions of a second (moto truncates to whole seconds)."""
    original(self, *args, **kwargs)
    self.image_pushed_at = time.time()


@patches.replace(f"{_MODELS}:Image._create_digest")
def create_digest(self: Any) -> None:
    self._image_digest = images.manifest_digest(self.image_manifest)


@patches.replace(f"{_MODELS}:Image.get_image_size_in_bytes")
def get_image_size_in_bytes(self: Any) -> int | None:
    return images.image_size(self.image_manifest)


@patches.wrap(f"{_MODELS}:ECRBackend.put_image")
def put_image(
    original: Any,
    self: Any,
    repository_name: str,
    image_manifest: str,
    image_tag: str,
    image_manifest_mediatype: str | None = None,
    digest: str | None = None,
) -> Any:
    """PutImage: the digest must match the manifest; an immutable tag must not move."""
    images.check_digest(digest, image_manifest)
    from moto.ecr.exceptions import ImageAlreadyExistsException

    try:
        return original(self, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest)
    except ImageAlreadyExistsException:
        if images.tag_moves(self.repositories[repository_name].images, image_tag, image_manifest):
            raise images.immutable_tag_error(image_tag, repository_name) from None
        raise


@patches.wrap(f"{_MODELS}:ECRBackend.complete_layer_upload")
def complete_layer_upload(
    original: Any,
    self: Any,
    repository_name: str,
    upload_id: str,
    layer_digests: list[str],
    registry_id: str | None = None,
) -> dict[str, Any]:
    """CompleteLayerUpload: the uploaded bytes must hash to the digest the client announced; kept for pulls."""
    repository = self._get_repository(repository_name, registry_id)
    upload = repository.uploads.get(upload_id)
    data = bytes(upload.layer_parts) if upload is not None else b""
    if upload is not None and layer_digests:
        images.check_layer(upload_id, data, layer_digests)
    result = original(self, repository_name, upload_id, layer_digests, registry_id)
    pulls.keep_blob(repository, result["layerDigest"], data)
    return result


# -- lifecycle policy previews -----------------------------------------------------------------------


def _invalid(message: str) -> Exception:
    from moto.ecr.exceptions import InvalidParameterException

    return InvalidParameterException(
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
        f"'Lifecycle policy validation failure: {message}'"
    )


def start_lifecycle_policy_preview(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.ecr.exceptions import LifecyclePolicyNotFoundException

    name = self._get_param("repositoryName")
    repo = self.ecr_backend._get_repository(name, self._get_param("registryId"))
    text = self._get_param("lifecyclePolicyText") or repo.lifecycle_policy
    if not text:
        raise LifecyclePolicyNotFoundException(name, repo.registry_id)
    try:
        lifecycle.check(text)
    except lifecycle.LifecyclePolicyError as error:
        raise _invalid(str(error)) from error
    setattr(repo, _PREVIEW, text)
    return ActionResult(
        {"registryId": repo.registry_id, "repositoryName": name, "lifecyclePolicyText": text, "status": "IN_PROGRESS"}
    )


def get_lifecycle_policy_preview(self: Any) -> Any:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult

    name = self._get_param("repositoryName")
    repo = self.ecr_backend._get_repository(name, self._get_param("registryId"))
    text = getattr(repo, _PREVIEW, None)
    if text is None:

        class LifecyclePolicyPreviewNotFoundException(ServiceException):
            code = "LifecyclePolicyPreviewNotFoundException"

        raise LifecyclePolicyPreviewNotFoundException(
            f"There is no lifecycle policy preview for the repository with name '{name}' "
            f"in the registry with id '{repo.registry_id}': call StartLifecyclePolicyPreview first"
        )
    results = lifecycle.preview_results(repo, text, (self._get_param("filter") or {}).get("tagStatus"))
    return ActionResult(
        {
            "registryId": repo.registry_id,
            "repositoryName": name,
            "lifecyclePolicyText": text,
            "status": "COMPLETE",
            "previewResults": results,
            "summary": {"expiringImageTotalCount": len(results)},
        }
    )


patches.add(f"{_RESPONSES}.start_lifecycle_policy_preview", start_lifecycle_policy_preview)
patches.add(f"{_RESPONSES}.get_lifecycle_policy_preview", get_lifecycle_policy_preview)
