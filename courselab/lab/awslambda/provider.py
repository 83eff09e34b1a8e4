"""The Lambda extension's life cycle: the runtime and the async event queue of the running lab."""

from __future__ import annotations

from courselab.lab.awslambda import async_invoke, runtime
from courselab.lab.awslambda.process_runtime import ProcessRuntime
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    assert context.endpoint is not None and context.scheduler is not None
    runtime.use(ProcessRuntime(context.endpoint))
    async_invoke.use(async_invoke.AsyncInvoker(context.scheduler))


def reset() -> None:
    async_invoke.current().clear()
    runtime.current().reset()


def stop() -> None:
    queue, environments = async_invoke.running(), runtime.running()
    async_invoke.use(None)
    runtime.use(None)
    if queue is not None:
        queue.clear()
    if environments is not None:
        environments.close()
