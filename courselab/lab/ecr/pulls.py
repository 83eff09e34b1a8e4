"""A pull from the lab's ECR, as the ECS agent makes it: the manifest, the config and every layer.

To start a container, ECS pulls its image: the manifest by tag or digest (``BatchGetImage``),
then the config and each layer by digest (``GetDownloadUrlForLayer``)
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull.html). Stock moto keeps only
the size of an uploaded layer, so :mod:`courselab.lab.ecr.patches` keeps its bytes too, on moto's
repository (:func:`keep_blob`); :func:`pull` then reads an image back as a registry client would.

A pull fails as it fails for ECS, with a ``CannotPullContainerError`` reason
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html):

* an image in no registry the lab serves (Docker Hub, ECR Public, another host): the lab is offline
  and pulls from its own ECR only;
* a repository, tag or digest the lab's ECR does not have ("not found");
* an image whose layers were never uploaded, such as a manifest that lists the layers of a public
  base image (``python:3.12-slim``) the lab cannot fetch;
* an image for another platform than the lab's machine (``linux/amd64`` or ``linux/arm64``).

Manifests may be OCI or Docker schema 2, single images or indexes (the lab's platform is picked).
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass
from typing import Any

#: The attribute of a moto ``Repository`` that holds the uploaded blobs, by digest.
BLOBS = "_courselab_blobs"
_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
_LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": "",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gz",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gz",
    "application/vnd.docker.image.rootfs.diff.tar": "",
}
_RETRIED = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref"


class PullError(Exception):
    """The image cannot be pulled; the message is the task's ``stoppedReason``."""


@dataclass(frozen=True)
class PulledImage:
    """An image as pulled: its digest, its config (OCI ``config``) and its layers, bottom first."""

    reference: str
    digest: str
    config: dict[str, Any]
    #: (compression, bytes) per layer: compression is ``"gz"`` or ``""``.
    layers: tuple[tuple[str, bytes], ...]


def machine_platform() -> str:
    """The lab machine's platform as images name it: ``linux/amd64`` or ``linux/arm64``."""
    machine = platform.machine().lower()
    return "linux/" + {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def keep_blob(repository: Any, digest: str, data: bytes) -> None:
    """Keep an uploaded blob (a layer or a config) on moto's repository."""
    blobs = repository.__dict__.setdefault(BLOBS, {})
    blobs[digest] = data


def parse(image: str) -> dict[str, str] | None:
    """Account, Region, repository, tag and digest of an image URI in an ECR registry (else None)."""
    found = _URI.match(image or "")
    return {k: v for k, v in found.groupdict().items() if v} if found else None


def docker_reference(image: str) -> str:
    """How the container runtime names an image: ``python:3.12`` is ``docker.io/library/python:3.12``."""
    first = image.split("/", 1)[0]
    if "/" not in image or ("." not in first and ":" not in first and first != "localhost"):
        path = image if "/" in image else f"library/{image}"
        image = f"docker.io/{path}"
    return image if (":" in image.rsplit("/", 1)[-1] or "@" in image) else f"{image}:latest"


def pull(image: str) -> PulledImage:
    """Pull ``image`` from the lab's ECR; raises :class:`PullError` with ECS's reason."""
    from moto.ecr.models import ecr_backends

    where = parse(image)
    if where is None:
        raise PullError(
            f"{_RETRIED} {docker_reference(image)}: the course lab is offline and pulls images only from its own "
            "ECR (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>); push the image there "
            "(see the Docker chapter)"
        )
    backend = ecr_backends[where["account"]][where["region"]]
    repository = backend.repositories.get(where["repository"])
    reference = where.get("digest") or where.get("tag") or "latest"
    if repository is None:
        raise PullError(f"{_RETRIED} {image}: not found (the lab's ECR has no repository {where['repository']!r})")
    manifest = _manifest(repository, reference)
    if manifest is None:
        raise PullError(f"{_RETRIED} {image}: not found (no image {reference!r} in {where['repository']!r})")
    digest = manifest.get_image_digest()
    document = json.loads(manifest.image_manifest)
    wanted = machine_platform()
    if document.get("mediaType") in _INDEX_TYPES or "manifests" in document:
        chosen = [
            m
            for m in document.get("manifests") or []
            if f"{(m.get('platform') or {}).get('os')}/{(m.get('platform') or {}).get('architecture')}" == wanted
        ]
        found = _manifest(repository, chosen[0]["digest"]) if chosen else None
        if found is None:
            raise PullError(
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): {image}: "
                f"image Manifest does not contain descriptor matching platform '{wanted}'"
            )
        document = json.loads(found.image_manifest)
    blobs = repository.__dict__.get(BLOBS, {})
    config_digest = (document.get("config") or {}).get("digest")
    if config_digest not in blobs:
        raise PullError(_missing(image, "config", config_digest))
    config = json.loads(blobs[config_digest])
    if f"{config.get('os')}/{config.get('architecture')}" != wanted:
        raise PullError(
            f"CannotPullContainerError: pull image manifest has been retried 5 time(s): {image}: image is for "
            f"'{config.get('os')}/{config.get('architecture')}'; the lab's machine runs '{wanted}' only"
        )
    layers = []
    for layer in document.get("layers") or []:
        kind = _LAYER_TYPES.get(layer.get("mediaType", ""))
        if kind is None:
            raise PullError(
                f"CannotPullContainerError: failed to unpack image {image}: the lab cannot unpack layers of media "
                f"type {layer.get('mediaType')!r} (tar and tar+gzip only)"
            )
        if layer.get("digest") not in blobs:
            raise PullError(_missing(image, "layer", layer.get("digest")))
        layers.append((kind, blobs[layer["digest"]]))
    return PulledImage(image, digest, config, tuple(layers))


def _manifest(repository: Any, reference: str) -> Any:
    for candidate in repository.images:
        if reference.startswith("sha256:"):
            if candidate.get_image_digest() == reference:
                return candidate
        elif reference in candidate.image_tags:
            return candidate
    return None


def _missing(image: str, what: str, digest: str | None) -> str:
    return (
        f"CannotPullContainerError: failed to copy: {what} {digest} of {image} was never uploaded to the lab's ECR. "
        "An image built on a public base image (such as python:3.12-slim) lists that image's layers, which the "
        "offline lab cannot fetch: build the image for the course (the app's files on the lab's interpreter, "
        "see the Docker chapter) and upload every blob with the layer upload calls before PutImage"
    )
