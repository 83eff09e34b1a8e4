"""ECR image digests as a registry computes them: the SHA-256 of the manifest's bytes.

An image's digest in ECR (and in any OCI registry) is ``sha256:`` followed by the SHA-256 of the
exact bytes of its manifest, so the same manifest always gets the same digest and anyone can check
it (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests). Moto 5.2.5
hashes the concatenated layer digests instead (a digest no client can reproduce), accepts an
``imageDigest`` that does not match, never checks an uploaded layer against the digest the client
announced, and reports the config blob's size as the image size. This module computes and checks
as ECR does (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html,
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CompleteLayerUpload.html), and
:mod:`courselab.lab.ecr.patches` applies it to moto:

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
from typing import Any

from moto.core.exceptions import ServiceException


class ImageDigestDoesNotMatchException(ServiceException):
    code = "ImageDigestDoesNotMatchException"


class InvalidLayerException(ServiceException):
    code = "InvalidLayerException"


class ImageTagAlreadyExistsException(ServiceException):
    code = "ImageTagAlreadyExistsException"


def manifest_digest(manifest: str) -> str:
    """The digest a registry gives a manifest: SHA-256 of its UTF-8 bytes, as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def image_size(manifest: str) -> int | None:
    """``imageSizeInBytes``: the sum of the layer sizes the manifest lists (None if it lists none)."""
    try:
        layers = json.loads(manifest).get("layers")
    except (ValueError, AttributeError):
        return None
    if not isinstance(layers, list):
        return None
    return sum(int(layer.get("size", 0)) for layer in layers if isinstance(layer, dict))


def check_digest(digest: str | None, manifest: str | None) -> None:
    """PutImage's check: an ``imageDigest`` given with the manifest must be the manifest's digest."""
    if digest and manifest is not None and digest != manifest_digest(manifest):
        raise ImageDigestDoesNotMatchException(
            f"Invalid parameter at 'imageDigest' failed to satisfy constraint: the digest '{digest}' "
            f"does not match the digest of the manifest, '{manifest_digest(manifest)}'"
        )


def check_layer(upload_id: str, data: bytes, layer_digests: list[str]) -> None:
    """CompleteLayerUpload's check: the uploaded bytes must hash to a digest the client announced."""
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual not in layer_digests:
        raise InvalidLayerException(
            f"The layer digest calculated for upload {upload_id}, '{actual}', does not match "
            f"the digest specified, {', '.join(repr(d) for d in layer_digests)}"
        )


def tag_moves(images: list[Any], image_tag: str | None, manifest: str) -> bool:
    """Whether putting ``manifest`` as ``image_tag`` would move the tag off another image."""
    tagged = [i for i in images if image_tag and image_tag in i.image_tags]
    return bool(tagged) and all(i.image_manifest != manifest for i in tagged)


def immutable_tag_error(image_tag: str, repository_name: str) -> ImageTagAlreadyExistsException:
    return ImageTagAlreadyExistsException(
        f"The image tag '{image_tag}' already exists in the '{repository_name}' repository "
        "and cannot be overwritten because the repository is immutable."
    )
