"""ECR in the lab: digests are the SHA-256 of the manifest bytes, and mismatches are refused like ECR."""

from __future__ import annotations

import gzip
import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_layer(ecr, repo: str, blob: bytes, announced: str | None = None) -> str:  # type: ignore[no-untyped-def]
    upload = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repo, uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1, layerPartBlob=blob
    )
    done = ecr.complete_layer_upload(repositoryName=repo, uploadId=upload, layerDigests=[announced or sha256(blob)])
    return done["layerDigest"]


def manifest_for(config: bytes, layer: bytes) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha256(layer),
                    "size": len(layer),
                }
            ],
        },
        separators=(",", ":"),
    )


def test_pushed_image_digest_is_sha256_of_manifest(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="digests")
    layer = gzip.compress(b"layer bytes", mtime=0)
    config = b'{"architecture":"amd64","os":"linux"}'
    assert push_layer(ecr, "digests", layer) == sha256(layer)
    assert push_layer(ecr, "digests", config) == sha256(config)
    available = ecr.batch_check_layer_availability(repositoryName="digests", layerDigests=[sha256(layer)])
    assert available["layers"][0]["layerAvailability"] == "AVAILABLE"

    manifest = manifest_for(config, layer)
    image = ecr.put_image(repositoryName="digests", imageManifest=manifest, imageTag="v1")["image"]
    assert image["imageId"]["imageDigest"] == sha256(manifest.encode())
    described = ecr.describe_images(repositoryName="digests")["imageDetails"][0]
    assert described["imageDigest"] == sha256(manifest.encode())
    assert described["imageSizeInBytes"] == len(layer)
    got = ecr.batch_get_image(repositoryName="digests", imageIds=[{"imageDigest": sha256(manifest.encode())}])
    assert got["images"][0]["imageManifest"] == manifest
    assert got["images"][0]["imageId"]["imageTag"] == "v1"


def test_put_image_with_the_wrong_digest_is_refused(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="wrong-digest")
    manifest = manifest_for(b"{}", b"x")
    with pytest.raises(ClientError) as caught:
        ecr.put_image(
            repositoryName="wrong-digest", imageManifest=manifest, imageTag="v1", imageDigest=sha256(b"other")
        )
    assert caught.value.response["Error"]["Code"] == "ImageDigestDoesNotMatchException"
    right = ecr.put_image(
        repositoryName="wrong-digest", imageManifest=manifest, imageTag="v1", imageDigest=sha256(manifest.encode())
    )
    assert right["image"]["imageId"]["imageDigest"] == sha256(manifest.encode())


def test_layer_that_does_not_match_its_announced_digest_is_refused(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="bad-layer")
    with pytest.raises(ClientError) as caught:
        push_layer(ecr, "bad-layer", b"actual bytes", announced=sha256(b"something else"))
    assert caught.value.response["Error"]["Code"] == "InvalidLayerException"


def test_different_manifests_get_different_digests(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="two")
    # Manifests without layers (moto would give these a random digest from 101 possible values).
    digests = {
        ecr.put_image(
            repositoryName="two",
            imageManifest=json.dumps({"schemaVersion": 2, "mediaType": m, "n": i}),
            imageTag=f"t{i}",
        )["image"]["imageId"]["imageDigest"]
        for i, m in enumerate(["application/vnd.oci.image.index.v1+json"] * 5)
    }
    assert len(digests) == 5


def test_push_times_keep_fractions_of_a_second(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="times")
    for i in range(3):
        ecr.put_image(repositoryName="times", imageManifest=manifest_for(b"{}", bytes([i])), imageTag=f"t{i}")
    details = ecr.describe_images(repositoryName="times")["imageDetails"]
    pushed = [d["imagePushedAt"] for d in sorted(details, key=lambda d: d["imageTags"][0])]
    assert pushed == sorted(pushed) and len(set(pushed)) == 3, pushed


def test_immutable_tag_cannot_move(lab: courselab.Lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="immutable", imageTagMutability="IMMUTABLE")
    first = manifest_for(b"{}", b"one")
    ecr.put_image(repositoryName="immutable", imageManifest=first, imageTag="v1")
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName="immutable", imageManifest=manifest_for(b"{}", b"two"), imageTag="v1")
    assert caught.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"
    assert "cannot be overwritten" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as again:  # the same image and tag once more: ECR's other error
        ecr.put_image(repositoryName="immutable", imageManifest=first, imageTag="v1")
    assert again.value.response["Error"]["Code"] == "ImageAlreadyExistsException"
