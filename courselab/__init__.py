"""courselab: the course's local AWS lab, quizzes and exercise checks.

A notebook needs one call, in a hidden set-up cell::

    import courselab
    courselab.start()

after which plain boto3 talks to the lab (or, with ``COURSELAB_TARGET=aws``, to real AWS).
Everything a chapter calls is here:

* :func:`start`, :func:`stop`, :func:`reset`, :func:`current`: the lab itself;
* :func:`listener_url`: where an ALB (or NLB) listener answers in the lab (on AWS, ``http://{DNSName}:{port}``);
* :func:`invoke_url`: where an API Gateway stage answers in the lab;
* :func:`set_schedule_speedup`: lab only, make EventBridge schedules, CloudWatch alarm periods and
  auto scaling cooldowns run faster.

Importing this package is cheap on purpose (it imports no moto): Lambda execution environments
import ``courselab.lab.awslambda.bootstrap`` and must not pay for it. The lab's own layout is
described in the book's appendix "How the lab is built".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from courselab.lab.server import Lab

__all__ = [
    "Lab",
    "current",
    "invoke_url",
    "listener_url",
    "reset",
    "set_schedule_speedup",
    "start",
    "stop",
]


def start(**kwargs: Any) -> Lab:
    """Start the lab in this process, or return the one already running (see :func:`courselab.lab.server.start`)."""
    from courselab.lab import server

    return server.start(**kwargs)


def reset() -> None:
    """Wipe every resource and Lambda execution environment in the lab."""
    from courselab.lab import server

    server.reset()


def stop() -> None:
    """Stop the lab started by this process (it also stops by itself when the process exits)."""
    from courselab.lab import server

    server.stop()


def current() -> Lab | None:
    """The lab this process started or attached to, if any."""
    from courselab.lab import server

    return server.current()


def listener_url(load_balancer: str, port: int = 80) -> str:
    """The lab's URL of an ALB or NLB listener (``load_balancer``: its ARN, name or DNS name).

    An ALB's HTTP listener: ``http://127.0.0.1:{port}``; an NLB's TCP listener: ``tcp://127.0.0.1:{port}``.
    """
    from courselab.lab.elbv2.listeners import listener_url as url

    return url(load_balancer, port)


def invoke_url(endpoint: str, api_id: str, stage: str = "$default") -> str:
    """The lab's URL of an API Gateway stage (on AWS: ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``)."""
    from courselab.lab.apigateway.proxy import invoke_url as url

    return url(endpoint, api_id, stage)


def set_schedule_speedup(factor: float) -> None:
    """Lab only: run the schedule clock (EventBridge schedules, CloudWatch periods) ``factor`` times faster."""
    from courselab.lab.events.schedules import set_speedup

    set_speedup(factor)


def __getattr__(name: str) -> Any:
    if name == "Lab":
        from courselab.lab.server import Lab

        return Lab
    raise AttributeError(name)
