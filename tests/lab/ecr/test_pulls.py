"""Pulls from the lab's ECR: the blobs a push uploaded come back, for the lab's platform only."""

from __future__ import annotations

import json

import boto3
import pytest

from courselab import images
from courselab.lab.ecr import pulls


def test_a_pushed_image_pulls_back_with_its_config_and_layers(lab) -> None:
    image = images.build({"app.py": "print('hi')"}, cmd=["python", "app.py"])
    uri = images.push(image, "pulls", "v1")
    pulled = pulls.pull(uri)
    assert pulled.digest == image.digest
    assert pulled.config["config"]["Cmd"] == ["python", "app.py"]
    assert pulled.layers == (("gz", image.layer),)
    assert pulls.pull(uri.replace(":v1", f"@{image.digest}")).digest == image.digest  # by digest too


def test_an_index_picks_the_lab_machine_platform(lab) -> None:
    mine = images.build({"app.py": "print('mine')"}, cmd=["python", "app.py"])
    uri = images.push(mine, "multi", "mine")
    other_os, other_arch = "linux", "s390x"
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": images.MANIFEST_TYPE, "digest": "sha256:" + "0" * 64, "size": 1,
                 "platform": {"os": other_os, "architecture": other_arch}},
                {"mediaType": images.MANIFEST_TYPE, "digest": mine.digest, "size": len(mine.manifest),
                 "platform": dict(zip(("os", "architecture"), pulls.machine_platform().split("/"), strict=True))},
            ],
        }
    )  # fmt: skip
    boto3.client("ecr").put_image(repositoryName="multi", imageManifest=index, imageTag="v1")
    pulled = pulls.pull(uri.replace(":mine", ":v1"))
    assert pulled.layers == (("gz", mine.layer),)  # the lab's platform's image
    assert pulled.digest == images.sha256(index.encode())  # named by the index, as a pull by tag is


def test_an_image_for_another_platform_cannot_be_pulled(lab) -> None:
    config = json.dumps({"architecture": "s390x", "os": "linux", "config": {"Cmd": ["true"]}}).encode()
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="other")
    upload = ecr.initiate_layer_upload(repositoryName="other")["uploadId"]
    ecr.upload_layer_part(
        repositoryName="other", uploadId=upload, partFirstByte=0, partLastByte=len(config) - 1, layerPartBlob=config
    )
    ecr.complete_layer_upload(repositoryName="other", uploadId=upload, layerDigests=[images.sha256(config)])
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": images.MANIFEST_TYPE,
            "config": {"mediaType": images.CONFIG_TYPE, "digest": images.sha256(config), "size": len(config)},
            "layers": [],
        }
    )
    ecr.put_image(repositoryName="other", imageManifest=manifest, imageTag="v1")
    with pytest.raises(pulls.PullError, match="s390x"):
        pulls.pull("123456789012.dkr.ecr.us-east-1.amazonaws.com/other:v1")


def test_image_references_are_named_as_the_container_runtime_names_them() -> None:
    assert pulls.docker_reference("python:3.12") == "docker.io/library/python:3.12"
    assert pulls.docker_reference("example/web") == "docker.io/example/web:latest"
    assert pulls.docker_reference("public.ecr.aws/docker/library/httpd:2") == "public.ecr.aws/docker/library/httpd:2"
    assert pulls.parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v2") == {
        "account": "123456789012", "region": "eu-west-1", "repository": "team/app", "tag": "v2",
    }  # fmt: skip
    assert pulls.parse("example/web:1") is None


def test_push_image_builds_a_folder_into_the_lab_ecr(lab, tmp_path, capsys) -> None:
    from courselab.__main__ import main

    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.html").write_text("<p>hi</p>\n")
    assert main(["push-image", str(tmp_path), "cli-app:v1", "--env", "MODE=lab", "--cmd", "python", "app.py"]) == 0
    uri = capsys.readouterr().out.split()[0]
    pulled = pulls.pull(uri)
    assert pulled.config["config"]["Cmd"] == ["python", "app.py"]
    assert pulled.config["config"]["Env"] == ["MODE=lab"]
    assert main(["push-image", str(tmp_path / "missing"), "cli-app:v1", "--cmd", "true"]) == 2
