"""ECR image digests as a registry computes them: the SHA-256 of the manifest's bytes.

An image's digest in ECR (and in any OCI registry) is ``sha256:`` followed by the SHA-256 of the
exact bytes of its manifest, so the same manifest always gets the same digest and anyone can check
it (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests). Moto 5.2.5
hashes the concatenated layer digests instead (a digest no client can reproduce), accepts an
``imageDigest`` that does not match, never checks an uploaded layer against the digest the client
announced, and reports the config blob's size as the image size. This module makes the lab do what
ECR does (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html,
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CompleteLayerUpload.html):

* ``Image.image_digest`` is ``sha256:<hex of sha256(manifest bytes)>``;
* ``PutImage`` with an ``imageDigest`` that differs answers ``ImageDigestDoesNotMatchException``;
* ``PutImage`` that would move a tag in a repository with immutable tags answers
  ``ImageTagAlreadyExistsException`` (moto answers ``ImageAlreadyExistsException``, which ECR
  keeps for pushing the same image with the same tag again);
* ``CompleteLayerUpload`` answers ``InvalidLayerException`` when the bytes uploaded do not hash to
  the digest given in ``layerDigests``;
* ``imageSizeInBytes`` is the sum of the layer sizes the manifest lists;
* ``imagePushedAt`` keeps fractions of a second (moto truncates to whole seconds), so of two images
  pushed in the same second the later one is the newer, as lifecycle rules expect.

It does not check that a pushed manifest's layers were uploaded first (ECR's
``LayersNotFoundException``), so chapters may still put small hand-written manifests.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from moto.core.exceptions import ServiceException

_installed = False
_originals: dict[str, Any] = {}


class ImageDigestDoesNotMatchException(ServiceException):
    code = "ImageDigestDoesNotMatchException"


class InvalidLayerException(ServiceException):
    code = "InvalidLayerException"


class ImageTagAlreadyExistsException(ServiceException):
    code = "ImageTagAlreadyExistsException"


def manifest_digest(manifest: str) -> str:
    """The digest a registry gives a manifest: SHA-256 of its UTF-8 bytes, as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def _create_digest(image: Any) -> None:
    image._image_digest = manifest_digest(image.image_manifest)


def _init_image(image: Any, *args: Any, **kwargs: Any) -> None:
    _originals["image_init"](image, *args, **kwargs)
    image.image_pushed_at = time.time()


def _image_size(image: Any) -> int | None:
    try:
        layers = json.loads(image.image_manifest).get("layers")
    except (ValueError, AttributeError):
        return None
    if not isinstance(layers, list):
        return None
    return sum(int(layer.get("size", 0)) for layer in layers if isinstance(layer, dict))


def _put_image(
    backend: Any,
    repository_name: str,
    image_manifest: str,
    image_tag: str,
    image_manifest_mediatype: str | None = None,
    digest: str | None = None,
) -> Any:
    if digest and image_manifest is not None and digest != manifest_digest(image_manifest):
        raise ImageDigestDoesNotMatchException(
            f"Invalid parameter at 'imageDigest' failed to satisfy constraint: the digest '{digest}' "
            f"does not match the digest of the manifest, '{manifest_digest(image_manifest)}'"
        )
    from moto.ecr.exceptions import ImageAlreadyExistsException

    try:
        return _originals["put_image"](
            backend, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest
        )
    except ImageAlreadyExistsException:
        repository = backend.repositories[repository_name]
        tagged = [i for i in repository.images if image_tag and image_tag in i.image_tags]
        if tagged and all(i.image_manifest != image_manifest for i in tagged):
            raise ImageTagAlreadyExistsException(
                f"The image tag '{image_tag}' already exists in the '{repository_name}' repository "
                "and cannot be overwritten because the repository is immutable."
            ) from None
        raise


def _complete_layer_upload(
    backend: Any,
    repository_name: str,
    upload_id: str,
    layer_digests: list[str],
    registry_id: str | None = None,
) -> dict[str, Any]:
    repository = backend._get_repository(repository_name, registry_id)
    upload = repository.uploads.get(upload_id)
    if upload is not None and layer_digests:
        actual = "sha256:" + hashlib.sha256(bytes(upload.layer_parts)).hexdigest()
        if actual not in layer_digests:
            raise InvalidLayerException(
                f"The layer digest calculated for upload {upload_id}, '{actual}', does not match "
                f"the digest specified, {', '.join(repr(d) for d in layer_digests)}"
            )
    return _originals["complete_layer_upload"](backend, repository_name, upload_id, layer_digests, registry_id)


def install() -> None:
    """Patch moto's ECR image model and backend (once per process)."""
    global _installed
    if _installed:
        return
    from moto.ecr.models import ECRBackend, Image

    _originals["image_init"] = Image.__init__
    _originals["put_image"] = ECRBackend.put_image
    _originals["complete_layer_upload"] = ECRBackend.complete_layer_upload
    Image.__init__ = _init_image  # type: ignore[method-assign]
    Image._create_digest = _create_digest  # type: ignore[method-assign]
    Image.get_image_size_in_bytes = _image_size  # type: ignore[method-assign]
    ECRBackend.put_image = _put_image  # type: ignore[method-assign]
    ECRBackend.complete_layer_upload = _complete_layer_upload  # type: ignore[method-assign]
    _installed = True


def reset() -> None:
    """Nothing to do: images live in moto's ECR backend, which the lab's reset wipes."""


def stop() -> None:
    """Nothing runs in the background."""
