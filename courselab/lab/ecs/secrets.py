"""A container's ``secrets``: environment variables read from SSM Parameter Store or Secrets Manager.

A container definition's ``secrets`` entry names an environment variable and, in ``valueFrom``, an
SSM parameter (its name, or ARN) or a Secrets Manager secret (its ARN, optionally followed by
``:json-key:version-stage:version-id``); ECS reads each one when the task starts and sets it in
the container's environment
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
One that cannot be read stops the task with a ``ResourceInitializationError``. The lab reads them
from moto's SSM and Secrets Manager backends of the task's account and Region; the execution role's
permissions are not checked (IAM is not enforced in the lab).
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.ecs.images import ContainerError


def values(definition: dict[str, Any], account_id: str, region: str) -> dict[str, str]:
    """The environment variables of the definition's ``secrets``; raises when one cannot be read."""
    found = {}
    for secret in definition.get("secrets") or []:
        name, source = str(secret.get("name", "")), str(secret.get("valueFrom", ""))
        try:
            found[name] = (
                _secret(source, account_id, region)
                if ":secretsmanager:" in source
                else _ssm(source, account_id, region)
            )
        except Exception as error:  # noqa: BLE001 - any failure to read is the task's stopped reason
            raise ContainerError(
                "ResourceInitializationError: unable to pull secrets or registry auth: "
                f"retrieving {source!r} for {name!r} in container {definition.get('name')!r}: {error}"
            ) from None
    return found


def _ssm(source: str, account_id: str, region: str) -> str:
    from moto.ssm.models import ssm_backends

    if source.startswith("arn:"):
        region = source.split(":")[3] or region
        source = "/" + source.split(":parameter/", 1)[1].lstrip("/") if ":parameter/" in source else source
    parameter = ssm_backends[account_id][region].get_parameter(source)
    if parameter is None:
        raise LookupError(f"parameter {source} not found")
    return str(parameter.decrypt(parameter.value))  # ECS decrypts a SecureString with the execution role


def _secret(source: str, account_id: str, region: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    parts = source.split(":")
    secret_id, key, stage, version = ":".join(parts[:7]), *(parts[7:10] + ["", "", ""])[:3]
    backend = secretsmanager_backends[account_id][parts[3] or region]
    answer = backend.get_secret_value(secret_id, version or None, stage or None)
    text = str(answer.get("SecretString", ""))
    if not key:
        return text
    document = json.loads(text)
    if key not in document:
        raise LookupError(f"the secret has no JSON key {key!r}")
    return str(document[key])
