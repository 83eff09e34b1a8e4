"""The X-Ray extension's life cycle: the UDP daemon served on the lab's scheduler, and its address.

New execution environments get the variables Lambda defines for X-Ray
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html) through the Lambda
runtime's ``RUNTIME_VARIABLES``; they are removed again when the lab stops.
"""

from __future__ import annotations

from courselab.lab.awslambda import runtime
from courselab.lab.registry import LabContext
from courselab.lab.xray import daemon

#: What start() adds to ``RUNTIME_VARIABLES`` and stop() takes away.
_VARIABLES = (
    "AWS_XRAY_DAEMON_ADDRESS",
    "_AWS_XRAY_DAEMON_ADDRESS",
    "_AWS_XRAY_DAEMON_PORT",
    "AWS_XRAY_CONTEXT_MISSING",
)


def start(context: LabContext) -> None:
    """Open the daemon's socket, serve it, tell every new execution environment where it is."""
    assert context.scheduler is not None
    listener: daemon.XRayDaemon
    if context.in_process:
        listener = daemon.InProcessXRayDaemon(region=context.region)
    else:
        listener = daemon.XRayDaemon(region=context.region)
        try:
            listener.job = context.scheduler.serve("xray-daemon", listener.serve_forever, listener.shutdown)
        except Exception:
            listener.close()
            raise
    daemon.use(listener)
    host, port = listener.address.split(":")
    runtime.RUNTIME_VARIABLES.update(
        {
            "AWS_XRAY_DAEMON_ADDRESS": listener.address,
            "_AWS_XRAY_DAEMON_ADDRESS": host,
            "_AWS_XRAY_DAEMON_PORT": port,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
    )


def reset() -> None:
    """Forget the rejected datagrams; moto's reset empties the X-Ray backend; the daemon keeps listening."""
    listener = daemon.running()
    if listener is not None:
        listener.rejected.clear()


def stop() -> None:
    """Stop the daemon (its socket is closed when its loop ends) and withdraw its address."""
    listener = daemon.running()
    daemon.use(None)
    for name in _VARIABLES:
        runtime.RUNTIME_VARIABLES.pop(name, None)
    if isinstance(listener, daemon.InProcessXRayDaemon):
        listener.shutdown()
    elif listener is not None and listener.job is not None:
        job, listener.job = listener.job, None
        job.cancel()
        job.scheduler.wait(job, 2.0)
