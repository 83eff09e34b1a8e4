"""Where CloudFormation reads a template or a definition from: an S3 object, named as the lab serves it.

Stock moto reads a ``TemplateURL`` (``moto.cloudformation.utils.get_stack_from_s3_url``) path-style
only when the URL contains ``localhost`` or an ``s3...amazonaws.com`` host; any other host is taken
as a virtual-hosted bucket, so the lab's own endpoint ``http://127.0.0.1:PORT/bucket/key`` (what
``aws cloudformation package`` and ``sam deploy`` write when ``AWS_ENDPOINT_URL`` points at the
lab) is read from a bucket named ``127``. It reads no ``BodyS3Location`` or ``DefinitionS3Location``.

The lab reads every form AWS documents for a template URL
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html) and the lab's own:

* ``s3://bucket/key`` (``AWS::Include``, SAM's ``CodeUri`` and ``DefinitionUri``);
* path-style on a loopback host: ``http://127.0.0.1:PORT/bucket/key``, ``http://localhost:PORT/...``;
* path-style on S3: ``https://s3.amazonaws.com/bucket/key``, ``https://s3.us-east-1.amazonaws.com/...``;
* virtual-hosted: ``https://bucket.s3.amazonaws.com/key``, ``https://bucket.s3.us-east-1.amazonaws.com/key``;

with an optional ``?versionId=``. Objects come from moto's S3 of the caller's account. A URL of
any other host, a missing bucket or a missing key is a ``ValidationError`` saying which, where AWS
answers only "TemplateURL must be a supported URL." or "Access Denied".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from courselab.lab.safety import is_loopback


def _error(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def bucket_and_key(url: str) -> tuple[str, str, str | None]:
    """``(bucket, key, version)`` of an S3 object named by ``url`` (see the module's list of forms)."""
    if url.startswith("s3://"):
        bucket, _, key = url[len("s3://") :].partition("/")
        key, _, query = key.partition("?")
        return _checked(url, bucket, key, query)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.lstrip("/")
    if parts.scheme in ("http", "https") and (is_loopback(url) or _is_s3_service_host(host)):
        bucket, _, key = path.partition("/")
        return _checked(url, bucket, unquote(key), parts.query)
    if parts.scheme in ("http", "https") and ".s3." in f".{host}" and host.endswith(".amazonaws.com"):
        bucket = host.split(".s3", 1)[0]
        return _checked(url, bucket, unquote(path), parts.query)
    if parts.scheme in ("http", "https") and ".s3-" in host and host.endswith(".amazonaws.com"):
        bucket = host.split(".s3-", 1)[0]
        return _checked(url, bucket, unquote(path), parts.query)
    raise _error(
        f"TemplateURL must be a supported URL: {url!r} is neither s3://bucket/key, the lab's "
        "http://127.0.0.1:PORT/bucket/key, nor an S3 URL (https://bucket.s3.amazonaws.com/key)"
    )


def _is_s3_service_host(host: str) -> bool:
    """``s3.amazonaws.com``, ``s3.us-east-1.amazonaws.com``, ``s3-us-west-2.amazonaws.com``: path-style hosts."""
    return host.endswith(".amazonaws.com") and (host.startswith("s3.") or host.startswith("s3-"))


def _checked(url: str, bucket: str, key: str, query: str) -> tuple[str, str, str | None]:
    if not bucket or not key:
        raise _error(f"TemplateURL must be a supported URL: {url!r} names no bucket and key")
    version = (parse_qs(query).get("versionId") or [None])[0]
    return bucket, key, version


def read_object(account_id: str, partition: str, bucket: str, key: str, version: str | None = None) -> str:
    """The text of an object in moto's S3, or a ``ValidationError`` naming what is missing."""
    from moto.s3.exceptions import MissingBucket, MissingKey
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id][partition]
    try:
        found = backend.get_object(bucket, key, version_id=version)
    except MissingBucket:
        raise _error(
            f"S3 error: the bucket {bucket!r} does not exist in the lab (reading s3://{bucket}/{key})"
        ) from None
    except MissingKey:
        found = None
    if found is None:
        raise _error(f"S3 error: the key {key!r} does not exist in bucket {bucket!r} (reading s3://{bucket}/{key})")
    return found.value.decode("utf-8")


def get_stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
    """moto's function of this name, reading every URL form the module lists."""
    bucket, key, version = bucket_and_key(template_url)
    return read_object(account_id, partition, bucket, key, version)


def read_location(location: Any, account_id: str, region: str, what: str) -> str:
    """The text a ``BodyS3Location`` / ``DefinitionS3Location`` (``{Bucket, Key, Version}``) names."""
    from moto.utilities.utils import get_partition

    if isinstance(location, str):
        bucket, key, version = bucket_and_key(location)
    elif isinstance(location, dict) and location.get("Bucket") and location.get("Key"):
        bucket, key, version = location["Bucket"], location["Key"], location.get("Version")
    else:
        raise _error(f"{what} must name a Bucket and a Key, not {location!r}")
    return read_object(account_id, get_partition(region), bucket, key, version)


def parse_document(text: str, what: str) -> Any:
    """A JSON or YAML document (an OpenAPI body, a state machine definition)."""
    import json

    import yaml

    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as bad:
        raise _error(f"{what} is neither JSON nor YAML: {bad}") from None


def openapi_body(props: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    """The OpenAPI/Swagger document of an API's ``Body`` (an object, JSON or YAML) or ``BodyS3Location``."""
    body = props.get("Body")
    if body is None and props.get("BodyS3Location"):
        body = read_location(props["BodyS3Location"], account_id, region, "Properties.BodyS3Location")
    if isinstance(body, str):
        body = parse_document(body, "Properties.Body")
    if body is not None and not isinstance(body, dict):
        from courselab.lab.cloudformation.resources import ResourceError

        raise ResourceError("Properties.Body must be an OpenAPI document (a JSON object)")
    return body or {}


def include_snippets(node: Any, account_id: str, region: str) -> Any:
    """The template with each ``Fn::Transform`` of ``AWS::Include`` replaced by the snippet it names.

    CloudFormation runs these before any other transform (so SAM sees an included OpenAPI
    ``DefinitionBody``): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-include.html.
    Another ``Fn::Transform`` (a macro) is a ``ValidationError``: the lab runs no macros.
    """
    if isinstance(node, list):
        return [include_snippets(item, account_id, region) for item in node]
    if not isinstance(node, dict):
        return node
    rest = {key: include_snippets(value, account_id, region) for key, value in node.items() if key != "Fn::Transform"}
    if "Fn::Transform" not in node:
        return rest
    transform = node["Fn::Transform"] if isinstance(node["Fn::Transform"], dict) else {}
    name, location = transform.get("Name"), (transform.get("Parameters") or {}).get("Location")
    if name != "AWS::Include":
        raise _error(f"Fn::Transform {name} is not available in the course lab (it runs AWS::Include only)")
    if not isinstance(location, str):
        raise _error(f"Fn::Transform AWS::Include needs Parameters.Location, an S3 URL, not {location!r}")
    from moto.utilities.utils import get_partition

    bucket, key, version = bucket_and_key(location)
    snippet = include_snippets(
        parse_document(read_object(account_id, get_partition(region), bucket, key, version), location),
        account_id,
        region,
    )
    if rest and isinstance(snippet, dict):
        return {**rest, **snippet}
    return snippet
