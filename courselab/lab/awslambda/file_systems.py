"""Lambda file systems (``FileSystemConfigs``): refused, since the lab mounts none.

On AWS a function can mount an Amazon EFS access point or, since 2026, an Amazon S3 Files access
point at a ``LocalMountPath`` under ``/mnt`` (one file system per function;
https://docs.aws.amazon.com/lambda/latest/dg/configuration-filesystem.html,
https://docs.aws.amazon.com/lambda/latest/api/API_FileSystemConfig.html). Stock moto stores the
setting and mounts nothing, so a handler would fail later on a missing ``/mnt`` path. The lab
refuses ``CreateFunction`` and ``UpdateFunctionConfiguration`` (and so an ``AWS::Lambda::Function``
or ``AWS::Serverless::Function`` with ``FileSystemConfigs``, whose stack fails with the reason) with
``InvalidParameterValueException`` naming the access point; an empty list (no file system) is accepted.
"""

from __future__ import annotations

from typing import Any


def refuse(function_name: str, configs: Any) -> None:
    """Raise AWS's ``InvalidParameterValueException`` if ``configs`` (``FileSystemConfigs``) names a file system."""
    if not configs:
        return
    from moto.awslambda.exceptions import InvalidParameterValueException

    arn = configs[0].get("Arn") if isinstance(configs[0], dict) else configs[0]
    raise InvalidParameterValueException(
        f"The local lab cannot mount EFS or S3 Files file systems, so function {function_name} cannot use the "
        f"access point {arn} in FileSystemConfigs; remove FileSystemConfigs to run the function here."
    )
