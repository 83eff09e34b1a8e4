"""The course tag: on real AWS, every resource the notebooks create is tagged ``course=aws-serverless-containers``.

The chapters keep plain boto3. Instead, a botocore event handler on every session adds the tag to
each ``Create*``/``Put*``/``Run*``/``Register*`` call whose input has a tags member, in whichever
shape that service uses: a map (``{"course": ...}``, Lambda, SQS, Logs), a list of ``Key``/``Value``
(DynamoDB, SNS, IAM, EventBridge, ECR) or of lowercase ``key``/``value`` (ECS, Step Functions).
S3 takes tags in a separate call, so a bucket is tagged right after ``CreateBucket``, and
``PutBucketTagging`` keeps the course tag. ``python -m courselab cleanup`` then finds everything
by that tag. ``courselab.start()`` installs this in ``aws`` mode; tests install it explicitly.
"""

from __future__ import annotations

from typing import Any

TAG_KEY = "course"
TAG_VALUE = "aws-serverless-containers"
VERBS = ("Create", "Put", "Run", "Register")
_installed = False


def _tag_list(shape: Any) -> tuple[str, str] | None:
    """(key member, value member) of a list-of-tags shape, or None for any other shape."""
    if shape.type_name != "list" or shape.member.type_name != "structure":
        return None
    names = shape.member.members
    for key, value in (("Key", "Value"), ("key", "value"), ("TagKey", "TagValue")):
        if key in names and value in names:
            return key, value
    return None


def add_tag(container: dict[str, Any], name: str, shape: Any) -> None:
    """Add the course tag to ``container[name]`` of the given botocore shape, keeping the caller's tags."""
    if shape.type_name == "map":
        tags = container.setdefault(name, {})
        tags.setdefault(TAG_KEY, TAG_VALUE)
        return
    members = _tag_list(shape)
    if members is None:
        return
    key, value = members
    tags = container.setdefault(name, [])
    if not any(tag.get(key) == TAG_KEY for tag in tags):
        tags.append({key: TAG_KEY, value: TAG_VALUE})


def _on_provide_params(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
    if not model.name.startswith(VERBS) or model.input_shape is None:
        return
    members = model.input_shape.members
    if model.name == "PutBucketTagging":  # S3: {"Tagging": {"TagSet": [...]}}
        add_tag(params.setdefault("Tagging", {}), "TagSet", members["Tagging"].members["TagSet"])
        return
    for name in ("Tags", "tags"):
        if name in members:
            add_tag(params, name, members[name])


class _TagsNewBuckets:
    """Mixed into S3 clients: tag a bucket right after this client created it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = self.meta.events  # type: ignore[attr-defined]
        events.register("before-parameter-build.s3.CreateBucket", _remember_bucket)
        events.register("after-call.s3.CreateBucket", self._courselab_tag_bucket)

    def _courselab_tag_bucket(self, http_response: Any, context: dict[str, Any], **kwargs: Any) -> None:
        bucket = context.get("courselab_bucket")
        if bucket and http_response.status_code < 300:
            self.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})  # type: ignore[attr-defined]


def _remember_bucket(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    context["courselab_bucket"] = params.get("Bucket")


def _on_creating_s3_client(base_classes: list[type], **kwargs: Any) -> None:
    if _TagsNewBuckets not in base_classes:
        base_classes.insert(0, _TagsNewBuckets)


HANDLERS = (
    ("provide-client-params", _on_provide_params),
    ("creating-client-class.s3", _on_creating_s3_client),
)


def install() -> None:
    """Tag from now on: in every botocore session created later, and in boto3's default session."""
    global _installed
    from botocore import handlers

    if _installed:
        return
    handlers.BUILTIN_HANDLERS.extend(HANDLERS)
    for session in _existing_sessions():
        for event, handler in HANDLERS:
            session.register(event, handler)
    _installed = True


def uninstall() -> None:
    global _installed
    from botocore import handlers

    for entry in HANDLERS:
        while entry in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.remove(entry)
    for session in _existing_sessions():
        for event, handler in HANDLERS:
            session.unregister(event, handler)
    _installed = False


def installed() -> bool:
    return _installed


def _existing_sessions() -> list[Any]:
    try:
        import boto3
    except ImportError:
        return []
    return [boto3.DEFAULT_SESSION._session] if boto3.DEFAULT_SESSION is not None else []


# -- the registry's hooks (courselab.lab.registry: the "course-tag" extension) ---------------------


def start(context: Any) -> None:
    install()


def stop() -> None:
    uninstall()
