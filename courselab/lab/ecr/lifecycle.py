"""ECR lifecycle policies, evaluated: which images a policy would expire, and why.

Stock moto stores a repository's lifecycle policy and never applies it, and has no
``StartLifecyclePolicyPreview``/``GetLifecyclePolicyPreview``. :func:`evaluate` applies AWS's
evaluation rules (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html)
to a list of images, and :mod:`courselab.lab.ecr.patches` adds the two preview operations to the
lab's ECR (:func:`preview_results` is what ``GetLifecyclePolicyPreview`` answers):

* rules run in ``rulePriority`` order, lowest first; an image is expired by one rule at most;
* an image selected by a higher-priority rule's tag filter is never expired by a lower-priority
  rule, although it still counts in that rule's ``imageCountMoreThan``;
* ``tagStatus``: ``tagged`` (with ``tagPrefixList`` or ``tagPatternList``: every listed prefix or
  pattern must match one of the image's tags; ``*`` is the wildcard), ``untagged`` or ``any``;
* ``countType``: ``imageCountMoreThan`` keeps the newest ``countNumber`` images the rule selects
  and expires the older ones; ``sinceImagePushed`` expires images pushed more than ``countNumber``
  ``days`` ago; older images always go first.

Lab differences: the preview is computed at once (``StartLifecyclePolicyPreview`` answers
``IN_PROGRESS``, the next ``GetLifecyclePolicyPreview`` ``COMPLETE``, evaluated against the
repository's images at that moment); the policy itself is never applied (AWS expires images within
24 hours of their becoming eligible); rules on ``sinceImagePulled``/archival are not evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ImageInfo:
    """What a lifecycle rule looks at: tags, digest and push time."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: dt.datetime


@dataclass(frozen=True)
class Expiry:
    """One image a policy would expire, and the rule that expires it."""

    image: ImageInfo
    rule_priority: int


class LifecyclePolicyError(ValueError):
    """A policy that AWS would reject, with the rule and field at fault."""


def evaluate(images: Iterable[ImageInfo], policy: str | dict[str, Any], now: dt.datetime | None = None) -> list[Expiry]:
    """The images ``policy`` would expire at ``now`` (default: the current time), oldest first."""
    rules = _rules(policy)
    now = now or dt.datetime.now(dt.timezone.utc)
    newest_first = sorted(images, key=lambda i: i.pushed_at, reverse=True)
    claimed: set[str] = set()
    expired: dict[str, Expiry] = {}
    for rule in rules:
        selection = rule["selection"]
        chosen = [image for image in newest_first if _selects(selection, image)]
        if selection["countType"] == "imageCountMoreThan":
            doomed = chosen[int(selection["countNumber"]) :]
        else:
            cutoff = now - dt.timedelta(days=int(selection["countNumber"]))
            doomed = [image for image in chosen if image.pushed_at < cutoff]
        for image in doomed:
            if image.digest not in claimed and image.digest not in expired:
                expired[image.digest] = Expiry(image, int(rule["rulePriority"]))
        claimed.update(image.digest for image in chosen)
    return sorted(expired.values(), key=lambda e: e.image.pushed_at)


def _rules(policy: str | dict[str, Any]) -> list[dict[str, Any]]:
    """The policy's rules, checked as AWS checks them, sorted by rulePriority."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as error:
            raise LifecyclePolicyError(f"lifecycle policy is not JSON: {error}") from error
    rules = policy.get("rules") if isinstance(policy, dict) else None
    if not isinstance(rules, list) or not rules:
        raise LifecyclePolicyError('lifecycle policy needs a non-empty "rules" list')
    priorities: set[int] = set()
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or priority < 1:
            raise LifecyclePolicyError(f"{where}.rulePriority must be a positive integer")
        if priority in priorities:
            raise LifecyclePolicyError(f"{where}.rulePriority {priority} is used twice: priorities must be unique")
        priorities.add(priority)
        selection = rule.get("selection") or {}
        status = selection.get("tagStatus")
        if status not in ("tagged", "untagged", "any"):
            raise LifecyclePolicyError(f"{where}.selection.tagStatus must be tagged, untagged or any")
        if status == "tagged" and not (selection.get("tagPrefixList") or selection.get("tagPatternList")):
            raise LifecyclePolicyError(f"{where}: a tagged rule needs tagPrefixList or tagPatternList")
        if selection.get("tagPrefixList") and selection.get("tagPatternList"):
            raise LifecyclePolicyError(f"{where}: use tagPrefixList or tagPatternList, not both")
        if selection.get("countType") not in ("imageCountMoreThan", "sinceImagePushed"):
            raise LifecyclePolicyError(
                f"{where}.selection.countType must be imageCountMoreThan or sinceImagePushed "
                "(the lab does not evaluate the other count types)"
            )
        if selection["countType"] == "sinceImagePushed" and selection.get("countUnit") != "days":
            raise LifecyclePolicyError(f'{where}.selection.countUnit must be "days" with sinceImagePushed')
        if not isinstance(selection.get("countNumber"), int) or selection["countNumber"] < 1:
            raise LifecyclePolicyError(f"{where}.selection.countNumber must be a positive integer")
        if (rule.get("action") or {}).get("type") != "expire":
            raise LifecyclePolicyError(f'{where}.action.type must be "expire"')
    ordered = sorted(rules, key=lambda r: r["rulePriority"])
    for rule in ordered[:-1]:
        if rule["selection"]["tagStatus"] == "any":
            raise LifecyclePolicyError(
                f"rule {rule['rulePriority']}: a tagStatus 'any' rule must have the highest rulePriority"
            )
    if sum(1 for r in ordered if r["selection"]["tagStatus"] == "untagged") > 1:
        raise LifecyclePolicyError("only one rule may select untagged images")
    return ordered


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _selects(selection: dict[str, Any], image: ImageInfo) -> bool:
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    if selection.get("tagPrefixList"):
        return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in selection["tagPrefixList"])
    patterns = [_wildcard(p) for p in selection["tagPatternList"]]
    return all(any(p.fullmatch(tag) for tag in image.tags) for p in patterns)


# --- the lab's preview API ----------------------------------------------------------------------


def images_of(repository: Any) -> list[ImageInfo]:
    """A moto repository's images, one per digest, with all their tags."""
    by_digest: dict[str, ImageInfo] = {}
    for image in repository.images:
        digest = image.get_image_digest()
        pushed = dt.datetime.fromtimestamp(image.image_pushed_at, dt.timezone.utc)
        seen = by_digest.get(digest)
        tags = tuple(sorted(set(image.image_tags) | set(seen.tags if seen else ())))
        by_digest[digest] = ImageInfo(digest, tags, min(pushed, seen.pushed_at) if seen else pushed)
    return list(by_digest.values())


def check(policy: str) -> None:
    """Raise :class:`LifecyclePolicyError` for a policy AWS would reject."""
    _rules(policy)


def preview_results(repository: Any, policy: str, tag_status: str | None = None) -> list[dict[str, Any]]:
    """``GetLifecyclePolicyPreview``'s ``previewResults`` for a moto repository, oldest first.

    ``tag_status`` is the request's ``filter.tagStatus``: ``TAGGED``, ``UNTAGGED`` or None (all).
    """
    results = [
        {
            "imageTags": list(expiry.image.tags),
            "imageDigest": expiry.image.digest,
            "imagePushedAt": expiry.image.pushed_at,
            "action": {"type": "EXPIRE"},
            "appliedRulePriority": expiry.rule_priority,
        }
        for expiry in evaluate(images_of(repository), policy)
    ]
    if tag_status == "TAGGED":
        results = [r for r in results if r["imageTags"]]
    elif tag_status == "UNTAGGED":
        results = [r for r in results if not r["imageTags"]]
    return results
