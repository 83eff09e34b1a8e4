"""The Lambda extension's life cycle: the runtime and the async event queue of the running lab."""

from __future__ import annotations

from typing import Any

from courselab.lab.awslambda import async_invoke, fork_server, function_urls, invoke_api, runtime
from courselab.lab.awslambda.process_runtime import ProcessRuntime
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    assert context.endpoint is not None and context.scheduler is not None
    if context.in_process:
        from courselab.lab.awslambda.inprocess_runtime import InProcessRuntime

        runtime.use(InProcessRuntime(context.endpoint, context.scheduler))
    elif fork_server.available():
        from courselab.lab.awslambda.fork_runtime import ForkServerRuntime

        runtime.use(ForkServerRuntime(context.endpoint, context.scheduler))
    else:
        runtime.use(ProcessRuntime(context.endpoint, context.scheduler))
    function_urls.use(context.endpoint)
    async_invoke.use(async_invoke.AsyncInvoker(context.scheduler))


def middleware(app: Any) -> Any:
    """Function URLs answer HTTP on the lab's own port; Invoke is answered before Flask (see invoke_api)."""
    return function_urls.FunctionUrls(invoke_api.InvokeFastPath(app))


def reset() -> None:
    async_invoke.current().clear()
    runtime.current().reset()


def stop() -> None:
    queue, environments = async_invoke.running(), runtime.running()
    async_invoke.use(None)
    runtime.use(None)
    function_urls.use(None)
    if queue is not None:
        queue.clear()
    if environments is not None:
        environments.close()
