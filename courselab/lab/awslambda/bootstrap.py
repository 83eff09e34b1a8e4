"""The runtime inside one Lambda execution environment: imports the handler once, then serves invokes.

The lab starts this module as a separate process per execution environment (``python -m
courselab.lab.awslambda.bootstrap REQ_FD RES_FD LIMITS`` in the unzipped code folder), or a fork
server's child calls :func:`main` (:mod:`courselab.lab.awslambda.zygote`), the way AWS's Python
runtime interface client runs inside a Lambda sandbox: the Init phase imports the handler module,
then each request from the lab calls the handler with the event and a context object. The handler's
own output (stdout, stderr, ``logging``) goes to the environment's log, which the lab copies to
CloudWatch Logs.

It imports nothing heavy, so that a cold start costs what a Python start and the handler's own
imports cost. Messages are JSON lines on two pipes, never on stdout.

The environment's limits (``LIMITS``, JSON) are set before the handler is imported: its memory
(``RLIMIT_DATA``: ``MemorySize`` above what the runtime itself holds) and the largest file it may
write (``RLIMIT_FSIZE``: its ``/tmp`` size; a write past it fails with ``OSError``). A handler
that runs out of memory gets AWS's ``Runtime.OutOfMemory`` error and its environment ends, as
Lambda stops an environment that exceeds its memory.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

# https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html: the runtime's log line format
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


class LambdaContext:
    """The context object a Python handler receives (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

    def __init__(self, request: dict[str, Any]) -> None:
        env = os.environ
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = request["invoked_function_arn"]
        self.memory_limit_in_mb = env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request["request_id"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = request.get("client_context")
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(function_name={self.function_name!r}, "
            f"aws_request_id={self.aws_request_id!r}, "
            f"remaining_ms={self.get_remaining_time_in_millis()})"
        )


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _error(error_type: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def _exception_error(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this runtime's own frame
    return _error(type(exc).__name__, str(exc), traceback.format_list(frames))


def _load_handler(spec: str) -> Any:
    """Import ``module.function`` (``dir/module.function`` too), with AWS's error types."""
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}") from None
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        raise _InitError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {exc}",
        ) from None
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error = _error(error_type, message)


def _die_with_parent() -> None:
    """End this process if the lab's process dies, so no environment outlives its kernel.

    Between requests the closed request pipe ends the loop; this watchdog covers a handler that
    never returns. (Linux's PR_SET_PDEATHSIG would fire when the lab's request *thread* ends.)
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _status_mb(field: str) -> int | None:
    """A figure of this process from Linux's /proc/self/status (``VmHWM``, ``VmData``), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _max_memory_mb() -> int:
    """Peak resident memory of this process (Linux's VmHWM: ru_maxrss would count the lab's fork)."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    try:
        import resource
    except ImportError:  # Pyodide: the in-process runtime's environments share one WebAssembly memory
        import pyodide_js  # type: ignore[import-not-found]

        return int(pyodide_js._module.HEAPU8.length) // (1024 * 1024)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // (1024 * 1024) if sys.platform == "darwin" else rss // 1024


def _apply_limits(limits: dict[str, int]) -> None:
    """Memory (``MemorySize`` more than now) and the largest file (the size of ``/tmp``)."""
    import resource  # not in Pyodide, whose in-process runtime sets no limits

    if "memory_mb" in limits and hasattr(resource, "RLIMIT_DATA"):
        data = ((_status_mb("VmData") or 0) + limits["memory_mb"]) * 1024 * 1024
        _lower_limit(resource.RLIMIT_DATA, data)
    if "file_bytes" in limits:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
        _lower_limit(resource.RLIMIT_FSIZE, limits["file_bytes"])


def _lower_limit(kind: int, value: int) -> None:
    """Set a limit to ``value``, or leave the stricter one it already has (a grader's sandbox sets its
    own hard limits, which an unprivileged process may not raise)."""
    import resource

    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))


def _out_of_memory(request_id: str) -> dict[str, Any]:
    return _error("Runtime.OutOfMemory", f"RequestId: {request_id} Error: Runtime exited with error: signal: killed")


def out_of_memory(reply: dict[str, Any]) -> bool:
    """Whether the handler ran out of memory (then Lambda stops its environment)."""
    return bool(reply.get("error", {}).get("errorType") == "Runtime.OutOfMemory")


def serve(handler: Any, request: dict[str, Any], request_filter: _RequestIdFilter) -> dict[str, Any]:
    """One request: the handler called with the event and a context; its result or error as a reply."""
    request_filter.request_id = request["request_id"]
    os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
    context = LambdaContext(request)
    event = json.loads(request["event"])
    began = time.perf_counter()
    reply: dict[str, Any] = {"type": "result"}
    fatal = False
    try:
        result = handler(event, context)
    except MemoryError:
        fatal = True
    except Exception as exc:
        reply["error"] = _exception_error(exc)
    else:
        try:
            reply["payload"] = json.dumps(result)
        except (TypeError, ValueError) as exc:
            reply["error"] = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
    if fatal:  # built once the handler's frames (and what they allocated) are gone
        reply["error"] = _out_of_memory(request["request_id"])
    reply["duration_ms"] = (time.perf_counter() - began) * 1000
    reply["max_memory_mb"] = _max_memory_mb()
    if "error" in reply:
        reply["error"]["requestId"] = request["request_id"]
    return reply


def log_handler(stream: Any, request_filter: _RequestIdFilter) -> logging.Handler:
    """The runtime's logging handler: Lambda's line format, with the request id of the current request."""
    handler = logging.StreamHandler(stream)
    formatter = logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(request_filter)
    return handler


def main(req_fd: int, res_fd: int, limits: dict[str, int], *, forked: bool = False) -> None:
    """Init, then serve requests until the lab closes the request pipe (``forked``: by a fork server)."""
    if not forked:  # a fork server's child ends with its parent by PR_SET_PDEATHSIG instead
        _die_with_parent()
    requests = os.fdopen(req_fd, "r", encoding="utf-8")
    responses = os.fdopen(res_fd, "w", encoding="utf-8")

    def send(message: dict[str, Any]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        responses.write(json.dumps(message) + "\n")
        responses.flush()

    request_filter = _RequestIdFilter()
    logging.getLogger().addHandler(log_handler(sys.stdout, request_filter))
    logging.getLogger().setLevel(logging.WARNING)

    started = time.perf_counter()
    try:
        _apply_limits(limits)
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        send({"type": "init_error", "error": exc.error})
        return
    except MemoryError:
        send({"type": "init_error", "error": _out_of_memory("")})
        return
    except Exception as exc:  # the module raised while being imported
        send({"type": "init_error", "error": _exception_error(exc)})
        return
    send({"type": "ready", "init_ms": (time.perf_counter() - started) * 1000})

    for line in requests:
        reply = serve(handler, json.loads(line), request_filter)
        send(reply)
        if out_of_memory(reply):  # Lambda stops an environment that ran out of memory
            os._exit(137)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
