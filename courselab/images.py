"""The course's image builder: an app's files as an OCI image, pushed to ECR with the registry API.

No Docker engine runs in the course. An **image built for the course** is what ``docker build``
makes of a Dockerfile whose base is the machine's own interpreter: one layer with the app's files
(under ``workdir``), and a config that says what to run (``Cmd``/``Entrypoint``, ``WorkingDir``,
``Env``, ``ExposedPorts``) (https://github.com/opencontainers/image-spec/blob/main/config.md). It
lists no base image's layers: in the lab, the machine supplies the interpreter (``python`` is the
lab's Python) and the read-only system folders, as the ECS extension says
(:mod:`courselab.lab.ecs.images`). The layer is built reproducibly (sorted names, time 0, owner 0),
so the same files always give the same digest.

:func:`push` uploads the config and the layer with ``BatchCheckLayerAvailability``,
``InitiateLayerUpload``, ``UploadLayerPart`` and ``CompleteLayerUpload``, then ``PutImage``
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push.html): the calls
``docker push`` makes, and what the Docker chapter does by hand. A new build pushed with the same
tag moves the tag; a service updated to it (or forced to a new deployment) runs the new files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courselab.lab.ecr.pulls import machine_platform

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class Image:
    """A built image: its config and its one layer (the blobs), and the manifest that names them."""

    config: bytes
    layer: bytes
    manifest: str

    @property
    def digest(self) -> str:
        """The image digest a registry gives it: the SHA-256 of the manifest's bytes."""
        return sha256(self.manifest.encode())


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def layer_tar(files: Mapping[str, bytes], workdir: str = "/app") -> bytes:
    """A tar of ``files`` (relative names) under ``workdir``, with fixed order, time, owner and mode."""
    buffer = io.BytesIO()
    base = workdir.strip("/")
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders = {base} if base else set()
        for name in files:
            parts = f"{base}/{name}".strip("/").split("/")[:-1]
            folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        for folder in sorted(f for f in folders if f):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(f"{base}/{name}".strip("/"))
            info.size, info.mtime = len(data), 0
            info.mode = 0o755 if data.startswith(b"#!") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build(
    files: Mapping[str, bytes | str | Path],
    *,
    cmd: list[str] | None = None,
    entrypoint: list[str] | None = None,
    workdir: str = "/app",
    env: Mapping[str, str] | None = None,
    ports: list[int] | None = None,
) -> Image:
    """An image of ``files`` (name in the image's ``workdir`` → bytes, text or a path to read)."""
    contents = {
        name: data.read_bytes() if isinstance(data, Path) else data.encode() if isinstance(data, str) else data
        for name, data in files.items()
    }
    tar = layer_tar(contents, workdir)
    layer = gzip.compress(tar, mtime=0)
    os_name, architecture = machine_platform().split("/")
    settings: dict[str, Any] = {"WorkingDir": workdir, "Env": [f"{k}={v}" for k, v in (env or {}).items()]}
    if cmd is not None:
        settings["Cmd"] = list(cmd)
    if entrypoint is not None:
        settings["Entrypoint"] = list(entrypoint)
    if ports:
        settings["ExposedPorts"] = {f"{port}/tcp": {} for port in ports}
    history = [{"created_by": f"COPY {' '.join(sorted(contents))} {workdir}/ # courselab.images"}]
    config = _canonical(
        {
            "architecture": architecture,
            "os": os_name,
            "config": settings,
            "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
            "history": history,
        }
    )
    manifest = _canonical(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": sha256(layer), "size": len(layer)}],
        }
    ).decode()
    return Image(config=config, layer=layer, manifest=manifest)


def push(image: Image, repository: str, tag: str, ecr: Any = None) -> str:
    """Push ``image`` to ECR as ``repository:tag`` (the repository is created if missing); returns its URI."""
    if ecr is None:
        import boto3

        ecr = boto3.client("ecr")
    try:
        uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]["repositoryUri"]
    blobs = {sha256(image.config): image.config, sha256(image.layer): image.layer}
    present = ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=list(blobs))["layers"]
    have = {item["layerDigest"] for item in present if item.get("layerAvailability") == "AVAILABLE"}
    for digest, blob in blobs.items():
        if digest in have:
            continue
        upload = ecr.initiate_layer_upload(repositoryName=repository)
        size = int(upload["partSize"])
        for start in range(0, len(blob), size):
            part = blob[start : start + size]
            ecr.upload_layer_part(
                repositoryName=repository,
                uploadId=upload["uploadId"],
                partFirstByte=start,
                partLastByte=start + len(part) - 1,
                layerPartBlob=part,
            )
        ecr.complete_layer_upload(repositoryName=repository, uploadId=upload["uploadId"], layerDigests=[digest])
    try:
        ecr.put_image(
            repositoryName=repository, imageManifest=image.manifest, imageManifestMediaType=MANIFEST_TYPE, imageTag=tag
        )
    except ecr.exceptions.ImageAlreadyExistsException:
        pass  # the same image with the same tag: pushed before
    return f"{uri}:{tag}"


def build_and_push(files: Mapping[str, bytes | str | Path], repository: str, tag: str, **settings: Any) -> str:
    """:func:`build`, then :func:`push` with a default boto3 client; returns the image URI."""
    return push(build(files, **settings), repository, tag)
