"""THE table of the lab's extensions to moto: what each changes, when it is installed, what it needs.

Every change the lab makes to moto, botocore or werkzeug belongs to one extension below, declared
in that extension's ``patches`` module (see :mod:`courselab.lab.patching`); every background job
and server belongs to its ``provider`` module, whose hooks the registry calls:

``start(context)``
    after the patches are applied: register jobs with ``context.scheduler``, open servers;
``reset()``
    ``courselab.reset()``: forget state (moto's backends are wiped after every reset hook ran);
``stop()``
    ``courselab.stop()``: close what ``start`` opened (the patches are undone right after);
``middleware(app)``
    optional, for a data plane that answers HTTP on the lab's own port (API Gateway): wraps the
    lab's WSGI app.

``when`` says when an extension is installed:

``client``
    in every process that uses the local lab, served here or attached to one served elsewhere;
``aws``
    in a process that uses real AWS (``COURSELAB_TARGET=aws``);
``in-process``
    when this process serves the lab without sockets or threads (a browser), before ``start``;
``start``
    when this process starts the lab's server;
``first-request``
    on the first signed request for one of its ``services``: these extend heavy parts of moto
    (``moto.cloudformation`` alone imports about a second of moto), so starting the lab stays fast.

An extension is installed after everything it ``requires`` and uninstalled before it, so the order
of patches on the same target is the order of this table's dependencies (X-Ray wraps Lambda's
``invoke``). Adding an extension is adding a row: see the book's appendix "How the lab is built".
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from courselab.lab.patching import Patches
    from courselab.lab.scheduler import Scheduler

CLIENT, AWS, IN_PROCESS, START, FIRST_REQUEST = "client", "aws", "in-process", "start", "first-request"


@dataclass(frozen=True)
class Extension:
    name: str
    when: str
    doc: str
    patches: str | None = None  # module with a ``patches`` (courselab.lab.patching.Patches)
    provider: str | None = None  # module with start/reset/stop/middleware hooks
    requires: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # SigV4 signing names, for first-request extensions
    #: Lab-only helpers a notebook may call, by name: "module:function". In a process attached to a
    #: lab that another process serves, they run over there (see courselab.lab.server.Lab.call).
    calls: dict[str, str] = field(default_factory=dict)


_L = "courselab.lab"
EXTENSIONS: tuple[Extension, ...] = (
    Extension(
        "safety",
        CLIENT,
        "botocore refuses requests to hosts that are not loopback",
        patches=f"{_L}.safety",
    ),
    Extension(
        "in-process",
        IN_PROCESS,
        "no sockets or threads: HTTP to the lab reaches its WSGI apps in-process; time.sleep runs due jobs",
        patches=f"{_L}.inprocess.patches",
    ),
    Extension(
        "course-tag",
        AWS,
        "every resource created on real AWS carries the course tag",
        provider="courselab.realaws.tags",
    ),
    Extension(
        "iam",
        START,
        "AWS managed policies (arn:aws:iam::aws:policy/...) exist when a call names them",
        patches=f"{_L}.iam.patches",
    ),
    Extension(
        "sqs",
        START,
        "dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask",
        patches=f"{_L}.sqs.patches",
        provider=f"{_L}.sqs.provider",
    ),
    Extension(
        "ec2",
        FIRST_REQUEST,
        "instances put EC2 Instance State-change Notification events on EventBridge",
        patches=f"{_L}.ec2.patches",
        requires=("events",),
        services=("ec2",),  # moto.ec2 alone imports in about 1 s
    ),
    Extension(
        "awslambda",
        START,
        "Invoke runs the handler in execution environments; async queue, retries, destinations",
        patches=f"{_L}.awslambda.patches",
        provider=f"{_L}.awslambda.provider",
    ),
    Extension(
        "event-source-mapping",
        START,
        "SQS and DynamoDB Streams pollers invoke Lambda in batches",
        patches=f"{_L}.awslambda.event_source_mapping.patches",
        provider=f"{_L}.awslambda.event_source_mapping.provider",
        requires=("awslambda",),
    ),
    Extension(
        "s3",
        START,
        "S3 notifications invoke Lambda asynchronously in AWS's shape; bucket policy Conditions are not denials",
        patches=f"{_L}.s3.patches",
        requires=("awslambda",),
    ),
    Extension(
        "sns",
        START,
        "SNS lambda subscriptions invoke asynchronously, with AWS's record shape",
        patches=f"{_L}.sns.patches",
        requires=("awslambda",),
    ),
    Extension(
        "events",
        START,
        "EventBridge rules deliver to every common target type, with retries and DLQs; rate() and cron() rules fire",
        patches=f"{_L}.events.patches",
        provider=f"{_L}.events.provider",
        requires=("awslambda",),
        calls={
            "set_schedule_speedup": f"{_L}.events.schedules:set_speedup",
            "schedule_speedup": f"{_L}.events.schedules:speedup",
            "event_deliveries": f"{_L}.events.outcomes:report",
        },
    ),
    Extension(
        "eventbridge-scheduler",
        START,
        "EventBridge Scheduler schedules run: at(), rate(), cron() in a time zone; retries, DLQs",
        patches=f"{_L}.events.scheduler.patches",
        provider=f"{_L}.events.scheduler.provider",
        requires=("events",),
    ),
    Extension(
        "xray",
        START,
        "a daemon for the SDK's segments, Lambda's own segments, trace filter expressions",
        patches=f"{_L}.xray.patches",
        provider=f"{_L}.xray.provider",
        requires=("awslambda",),
    ),
    Extension(
        "cloudwatch",
        START,
        "Lambda, ALB, ECS and SQS publish their metrics; alarms are evaluated, keep history, notify and scale",
        patches=f"{_L}.cloudwatch.patches",
        provider=f"{_L}.cloudwatch.provider",
    ),
    Extension(
        "apigateway",
        START,
        "REST and HTTP APIs answer HTTP on the lab's port: Lambda, AWS service integrations, keys, throttling, logs",
        patches=f"{_L}.apigateway.patches",
        provider=f"{_L}.apigateway.provider",
        requires=("awslambda",),
    ),
    Extension(
        "cloudformation-responses",
        START,
        "custom resources and wait conditions answer CloudFormation at a URL on the lab's port",
        provider=f"{_L}.cloudformation.provider",
    ),
    Extension(
        "cloudformation",
        FIRST_REQUEST,
        "the SAM transform, every resource type SAM generates, rollback with reasons; no silent skips",
        patches=f"{_L}.cloudformation.patches",
        requires=("awslambda", "cloudformation-responses", "stepfunctions", "codedeploy"),
        services=("cloudformation",),
    ),
    Extension(
        "codedeploy",
        FIRST_REQUEST,
        "Lambda deployments shift alias weights on schedule, run hooks, stop on alarms and roll back",
        patches=f"{_L}.codedeploy.patches",
        provider=f"{_L}.codedeploy.provider",
        requires=("awslambda", "events"),
        services=("codedeploy",),
    ),
    Extension(
        "cloudcontrol",
        START,
        "Cloud Control GetResource for AWS::Lambda::Url (sam list endpoints); other types fail loudly",
        provider=f"{_L}.cloudcontrol.provider",
    ),
    Extension(
        "pipes",
        FIRST_REQUEST,
        "CreatePipe fails loudly: the lab does not run EventBridge Pipes (moto would store them idle)",
        patches=f"{_L}.pipes.patches",
        services=("pipes",),
    ),
    Extension(
        "stepfunctions",
        FIRST_REQUEST,
        "state machines run (moto's ASL interpreter), their tasks call the lab; StartSyncExecution; "
        "SendTaskFailure keeps its cause",
        patches=f"{_L}.stepfunctions.patches",
        provider=f"{_L}.stepfunctions.provider",
        requires=("awslambda",),
        services=("states",),
    ),
    Extension(
        "elbv2",
        FIRST_REQUEST,
        "ALB listeners answer HTTP, NLB TCP listeners relay flows (loopback); HTTP/TCP health checks; Id+Port targets",
        patches=f"{_L}.elbv2.patches",
        provider=f"{_L}.elbv2.provider",
        services=("elasticloadbalancing",),
        calls={"listener_url": f"{_L}.elbv2.listeners:listener_url"},
    ),
    Extension(
        "elb",
        FIRST_REQUEST,
        "Classic Load Balancer TCP and HTTP listeners relay to InService instances (loopback); health checks",
        patches=f"{_L}.elb.patches",
        provider=f"{_L}.elb.provider",
        services=("elasticloadbalancing",),
    ),
    Extension(
        "ecs",
        FIRST_REQUEST,
        "tasks run their ECR images' commands (RunTask and services), deploy, roll back, register targets",
        patches=f"{_L}.ecs.patches",
        provider=f"{_L}.ecs.provider",
        requires=("elbv2", "ecr"),
        services=("ecs",),
    ),
    Extension(
        "eks",
        FIRST_REQUEST,
        "CreateCluster keeps the Auto Mode settings (computeConfig, storageConfig, elasticLoadBalancing)",
        patches=f"{_L}.eks.patches",
        services=("eks",),
    ),
    Extension(
        "cognitoidp",
        FIRST_REQUEST,
        "ID tokens carry the user's attributes (email, name ...) as Cognito's do",
        patches=f"{_L}.cognitoidp.patches",
        services=("cognito-idp",),
    ),
    Extension(
        "applicationautoscaling",
        FIRST_REQUEST,
        "scaling policies (target tracking, step) change an ECS service's desired count when their alarms fire",
        patches=f"{_L}.applicationautoscaling.patches",
        provider=f"{_L}.applicationautoscaling.provider",
        requires=("cloudwatch", "ecs"),
        services=("application-autoscaling",),
    ),
    Extension(
        "ecr",
        FIRST_REQUEST,
        "image digests and immutable tags as ECR computes them; layers kept for pulls; lifecycle previews",
        patches=f"{_L}.ecr.patches",
        services=("ecr",),
    ),
)


@dataclass
class LabContext:
    """What a provider's ``start`` hook is given."""

    mode: str  # "local" or "aws"
    region: str
    endpoint: str | None = None
    scheduler: Scheduler | None = None
    #: The lab runs in this interpreter without sockets, threads or processes (courselab.lab.inprocess).
    in_process: bool = False


@dataclass
class _Installed:
    extension: Extension
    patches: Patches | None
    provider: ModuleType | None


_lock = threading.RLock()
_installed: list[_Installed] = []
_context: LabContext | None = None


def extension(name: str) -> Extension:
    for row in EXTENSIONS:
        if row.name == name:
            return row
    raise KeyError(f"no lab extension named {name!r}; known: {', '.join(e.name for e in EXTENSIONS)}")


def installed() -> list[str]:
    """Names of the installed extensions, in the order they were installed."""
    with _lock:
        return [entry.extension.name for entry in _installed]


def install(when: str, context: LabContext) -> None:
    """Install every extension of kind ``when`` (``client``, ``aws`` or ``start``)."""
    global _context
    with _lock:
        _context = context
        for row in EXTENSIONS:
            if row.when == when:
                _install(row)


def install_for_request(service: str) -> None:
    """Install the first-request extensions of ``service`` (a SigV4 signing name), if not yet."""
    if _context is None:
        return
    pending = [row for row in EXTENSIONS if service in row.services and row.name not in installed()]
    if not pending:
        return
    with _lock:
        for row in pending:
            _install(row)


def _install(row: Extension, chain: tuple[str, ...] = ()) -> None:
    if row.name in installed():
        return
    if row.name in chain:
        raise RuntimeError(f"lab extensions require each other: {' -> '.join((*chain, row.name))}")
    for name in row.requires:
        _install(extension(name), (*chain, row.name))
    patches = importlib.import_module(row.patches).patches if row.patches else None
    provider = importlib.import_module(row.provider) if row.provider else None
    if patches is not None:
        patches.apply()
    entry = _Installed(row, patches, provider)
    _installed.append(entry)
    start = getattr(provider, "start", None)
    if start is not None:
        assert _context is not None
        start(_context)


def middleware(app: Any) -> Any:
    """``app`` wrapped by the data planes of the installed extensions (the first installed outermost)."""
    with _lock:
        wrappers = [getattr(entry.provider, "middleware", None) for entry in _installed]
    for wrap in reversed([w for w in wrappers if w is not None]):
        app = wrap(app)
    return app


def reset() -> None:
    """Every installed extension's reset hook, last installed first."""
    with _lock:
        entries = list(reversed(_installed))
    for entry in entries:
        hook = getattr(entry.provider, "reset", None)
        if hook is not None:
            hook()


def stop() -> None:
    """Stop and uninstall every extension, last installed first: moto is stock moto again."""
    global _context
    with _lock:
        while _installed:
            entry = _installed.pop()
            hook = getattr(entry.provider, "stop", None)
            try:
                if hook is not None:
                    hook()
            finally:
                if entry.patches is not None:
                    entry.patches.undo()
        _context = None


def call(name: str, args: list[Any]) -> Any:
    """Run the lab-only helper ``name`` of an extension (see ``Extension.calls``)."""
    for row in EXTENSIONS:
        if name in row.calls:
            module, _, function = row.calls[name].partition(":")
            return getattr(importlib.import_module(module), function)(*args)
    known = sorted(n for row in EXTENSIONS for n in row.calls)
    raise ValueError(f"unknown lab call {name!r}; known: {', '.join(known)}")
