"""ECR lifecycle policies evaluated: the preview API and AWS's evaluation rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from courselab.lab.ecr.lifecycle import ImageInfo, LifecyclePolicyError, evaluate

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)


def image(name: str, days_old: int, *tags: str) -> ImageInfo:
    return ImageInfo(f"sha256:{name}", tuple(tags), NOW - dt.timedelta(days=days_old))


def rule(priority: int, **selection) -> dict:
    return {"rulePriority": priority, "selection": selection, "action": {"type": "expire"}}


def test_count_rules_keep_the_newest_and_expire_older_images_first() -> None:
    images = [image(f"p{i}", i, f"prod-{i}") for i in range(5)] + [image("u1", 1), image("u2", 20)]
    policy = {
        "rules": [
            rule(1, tagStatus="untagged", countType="sinceImagePushed", countUnit="days", countNumber=14),
            rule(2, tagStatus="tagged", tagPrefixList=["prod"], countType="imageCountMoreThan", countNumber=3),
        ]
    }
    expired = evaluate(images, policy, now=NOW)
    assert [(e.image.digest, e.rule_priority) for e in expired] == [
        ("sha256:u2", 1),
        ("sha256:p4", 2),
        ("sha256:p3", 2),
    ]


def test_an_image_selected_by_a_higher_priority_rule_is_never_expired_by_a_lower_one() -> None:
    images = [image("a", 3, "release-1"), image("b", 2, "release-2"), image("c", 1, "dev-1")]
    policy = {
        "rules": [
            rule(1, tagStatus="tagged", tagPatternList=["release-*"], countType="imageCountMoreThan", countNumber=5),
            rule(2, tagStatus="any", countType="imageCountMoreThan", countNumber=1),
        ]
    }
    # rule 2 keeps only the newest image (c); a and b would go, but rule 1 selected them first
    assert evaluate(images, policy, now=NOW) == []


def test_bad_policies_are_rejected_with_the_rule_at_fault() -> None:
    with pytest.raises(LifecyclePolicyError, match=r"rules\[0\]: a tagged rule needs"):
        evaluate([], {"rules": [rule(1, tagStatus="tagged", countType="imageCountMoreThan", countNumber=1)]})
    with pytest.raises(LifecyclePolicyError, match="highest rulePriority"):
        evaluate(
            [],
            {
                "rules": [
                    rule(1, tagStatus="any", countType="imageCountMoreThan", countNumber=1),
                    rule(2, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1),
                ]
            },
        )


def push(ecr, repository: str, tag: str | None) -> None:
    layer = hashlib.sha256(f"{repository}{tag}".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 100,
            "digest": f"sha256:{layer}",
        },
        "layers": [
            {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 10, "digest": f"sha256:{layer}"}
        ],
    }
    args = {"imageTag": tag} if tag else {}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), **args)


def test_preview_api_in_the_lab(lab) -> None:
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="web")
    for tag in ("v1", "v2", "v3", "v4"):
        push(ecr, "web", tag)
    with pytest.raises(ClientError) as error:
        ecr.get_lifecycle_policy_preview(repositoryName="web")
    assert error.value.response["Error"]["Code"] == "LifecyclePolicyPreviewNotFoundException"

    policy = {
        "rules": [rule(1, tagStatus="tagged", tagPrefixList=["v"], countType="imageCountMoreThan", countNumber=2)]
    }
    started = ecr.start_lifecycle_policy_preview(repositoryName="web", lifecyclePolicyText=json.dumps(policy))
    assert started["status"] == "IN_PROGRESS"
    preview = ecr.get_lifecycle_policy_preview(repositoryName="web")
    assert preview["status"] == "COMPLETE"
    assert preview["summary"]["expiringImageTotalCount"] == 2
    assert all(r["action"]["type"] == "EXPIRE" and r["appliedRulePriority"] == 1 for r in preview["previewResults"])

    with pytest.raises(ClientError) as error:
        bad = {"rules": [rule(1, tagStatus="tagged", countType="imageCountMoreThan", countNumber=2)]}
        ecr.start_lifecycle_policy_preview(repositoryName="web", lifecyclePolicyText=json.dumps(bad))
    assert "a tagged rule needs tagPrefixList or tagPatternList" in error.value.response["Error"]["Message"]
