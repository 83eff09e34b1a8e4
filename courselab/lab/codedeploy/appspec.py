"""A Lambda deployment's AppSpec: which function and alias, from which version to which, and its hooks.

For the Lambda compute platform the revision is an AppSpec (YAML or JSON) with one
``AWS::Lambda::Function`` resource naming ``Name``, ``Alias``, ``CurrentVersion`` and
``TargetVersion``, and optional ``Hooks`` ``BeforeAllowTraffic`` and ``AfterAllowTraffic``, each a
Lambda function (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html,
https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html).
``CreateDeployment`` carries it as ``revision`` of type ``AppSpecContent`` or ``String`` (the text
itself) or ``S3`` (an object in a bucket, read from the lab's S3).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

#: The hooks a Lambda deployment may have, in the order they run.
LAMBDA_HOOKS = ("BeforeAllowTraffic", "AfterAllowTraffic")


class InvalidRevision(ValueError):
    """The revision is not an AppSpec the deployment can follow; the message says what is wrong."""


@dataclass(frozen=True)
class LambdaSpec:
    """What a Lambda deployment does: move ``alias`` of ``function`` from one version to the other."""

    resource: str
    function: str
    alias: str
    current_version: str
    target_version: str
    hooks: dict[str, str] = field(default_factory=dict)


def text_of(revision: dict[str, Any] | None, account_id: str) -> str:
    """The AppSpec text a revision carries (S3 revisions are read from the lab's S3)."""
    if not revision:
        raise InvalidRevision("the deployment has no revision: give revision with revisionType AppSpecContent")
    kind = revision.get("revisionType")
    if kind == "AppSpecContent":
        return str((revision.get("appSpecContent") or {}).get("content") or "")
    if kind == "String":
        return str((revision.get("string") or {}).get("content") or "")
    if kind == "S3":
        location = revision.get("s3Location") or {}
        from moto.s3.models import s3_backends

        try:
            obj = s3_backends[account_id]["aws"].get_object(location["bucket"], location["key"])
        except Exception:  # noqa: BLE001 - any miss is the same answer
            obj = None
        if obj is None:
            raise InvalidRevision(f"the AppSpec s3://{location.get('bucket')}/{location.get('key')} does not exist")
        return obj.value.decode("utf-8", "replace")
    raise InvalidRevision(
        f"revisionType {kind!r}: a Lambda deployment's revision is AppSpecContent, String or S3 "
        "(the course lab reads no GitHub)"
    )


def parse_lambda(text: str) -> LambdaSpec:
    """The Lambda AppSpec in ``text``; :class:`InvalidRevision` names what is missing."""
    try:
        spec = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as error:
        raise InvalidRevision(f"the AppSpec is neither YAML nor JSON: {error}") from None
    if not isinstance(spec, dict):
        raise InvalidRevision("the AppSpec must be a map with version, Resources and (optionally) Hooks")
    resources = spec.get("Resources") or spec.get("resources") or []
    entries = [(name, body) for item in resources if isinstance(item, dict) for name, body in item.items()]
    functions = [(n, b) for n, b in entries if isinstance(b, dict) and b.get("Type") == "AWS::Lambda::Function"]
    if len(functions) != 1:
        raise InvalidRevision(f"the AppSpec must list exactly one AWS::Lambda::Function resource, not {len(functions)}")
    name, body = functions[0]
    props = body.get("Properties") or {}
    missing = [key for key in ("Name", "Alias", "CurrentVersion", "TargetVersion") if not props.get(key)]
    if missing:
        raise InvalidRevision(f"the AppSpec's resource {name} has no {', '.join(missing)} in its Properties")
    hooks: dict[str, str] = {}
    for item in spec.get("Hooks") or spec.get("hooks") or []:
        for event, function in (item or {}).items():
            if event not in LAMBDA_HOOKS:
                raise InvalidRevision(f"hook {event!r}: a Lambda deployment's hooks are {' and '.join(LAMBDA_HOOKS)}")
            hooks[event] = str(function)
    return LambdaSpec(
        name, str(props["Name"]), str(props["Alias"]), str(props["CurrentVersion"]), str(props["TargetVersion"]), hooks
    )


def lambda_revision(resource: str, spec: dict[str, str], hooks: dict[str, str]) -> dict[str, Any]:
    """The ``AppSpecContent`` revision CloudFormation hands CodeDeploy for an alias update."""
    content = json.dumps(
        {
            "version": 0.0,
            "Resources": [{resource: {"Type": "AWS::Lambda::Function", "Properties": spec}}],
            "Hooks": [{event: function} for event, function in hooks.items()],
        }
    )
    return {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()},
    }
