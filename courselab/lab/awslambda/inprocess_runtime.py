"""The lab's Lambda runtime without processes (a browser): execution environments in this interpreter.

:class:`InProcessRuntime` is the process runtime with another kind of environment: an
:class:`InProcessEnvironment` imports the handler into module namespaces of its own (the modules
of its code folder and layers live in its own table, swapped into ``sys.modules`` while it runs),
and every request runs with the environment's variables in ``os.environ``, its output and
``logging`` captured for CloudWatch Logs, the same context object as the process runtime's, and a
deadline instead of a killed process (:mod:`courselab.lab.inprocess.clock`). Warm reuse, scale-out,
concurrency, throttling and the START/END/REPORT lines are the process runtime's.

Differences from AWS and from the local lab: requests run one at a time in the notebook's thread
(a handler that invokes a function synchronously gets a second environment, as on AWS); a timeout
is noticed at the handler's next ``time.sleep`` or Python call, not in a tight loop; ``sys.exit``
ends the environment, not the interpreter; ``Max Memory Used`` is the whole WebAssembly memory.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from courselab import paths
from courselab.lab.awslambda import bootstrap
from courselab.lab.awslambda.environments import ExecutionEnvironment, Launcher, layer_paths
from courselab.lab.awslambda.process_runtime import ProcessRuntime, exit_reply, timeout_reply
from courselab.lab.awslambda.runtime import INIT_TIMEOUT_S, MAX_LOG_BYTES, FunctionSpec, error_log, trace_header
from courselab.lab.inprocess import clock

#: Variables that name the process runtime's interpreter set-up, meaningless in one interpreter.
_PROCESS_ONLY = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PATH", "LAMBDA_RUNTIME_DIR")


class InProcessEnvironment(ExecutionEnvironment):
    """One execution environment as module namespaces in this interpreter."""

    def _start(self, code_dir: Path, endpoint: str, opt_dir: Path | None, launch: Launcher) -> None:
        """No process to launch (``launch`` is unused): the handler's modules will live in ``self.modules``."""
        self.code_dir = code_dir
        self.search_path = [str(code_dir), *layer_paths(opt_dir, self.spec.runtime)]
        self.variables = {
            k: v for k, v in self._environment(code_dir, endpoint, opt_dir).items() if k not in _PROCESS_ONLY
        }
        self.variables["LAMBDA_RUNTIME_DIR"] = str(paths.SOURCE_ROOT)
        self.modules: dict[str, Any] = {}
        self.output = io.StringIO()
        self.handler: Any = None
        self.ended: str | None = None  # why the environment ended (sys.exit), if it did
        self.request_filter = bootstrap._RequestIdFilter()

    @property
    def pid(self) -> int | None:
        return None

    @property
    def alive(self) -> bool:
        return self.ended is None and self.init_error is None

    def exit_description(self) -> str:
        return self.ended or "exit status 0"

    def kill(self) -> None:
        self.ended = self.ended or "killed"
        self.modules.clear()

    def signal_kill(self) -> None:
        self.kill()

    @contextlib.contextmanager
    def _active(self) -> Any:
        """This environment's modules, variables, search path, output and log handler, for one run."""
        saved_environ = dict(os.environ)
        saved_path = list(sys.path)
        saved_modules = {name: sys.modules[name] for name in self.modules if name in sys.modules}
        before = set(sys.modules)
        os.environ.clear()
        os.environ.update(self.variables)
        sys.path[:0] = self.search_path
        sys.modules.update(self.modules)
        importlib.invalidate_caches()
        handler = bootstrap.log_handler(self.output, self.request_filter)
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        try:
            with contextlib.redirect_stdout(self.output), contextlib.redirect_stderr(self.output):
                yield
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            for name in list(sys.modules):
                if name in self.modules or (name not in before and self._owns(sys.modules[name])):
                    self.modules[name] = sys.modules.pop(name)
            sys.modules.update(saved_modules)
            sys.path[:] = saved_path
            os.environ.clear()
            os.environ.update(saved_environ)
            importlib.invalidate_caches()

    def _owns(self, module: Any) -> bool:
        """Was ``module`` loaded from this environment's code or layers?"""
        origin = getattr(module, "__file__", None) or ""
        return any(origin.startswith(folder + os.sep) for folder in self.search_path)

    def wait_ready(self) -> None:
        """The Init phase: import the handler module, within the Init timeout."""
        started = time.perf_counter()
        try:
            with self._active(), clock.deadline(max(INIT_TIMEOUT_S, self.spec.timeout)):
                self.handler = bootstrap._load_handler(self.variables["_HANDLER"])
        except bootstrap._InitError as exc:
            self.init_error = exc.error
        except clock.DeadlineExceeded:
            self.init_error = bootstrap._error("Runtime.ExitError", "Init phase timed out")
        except Exception as exc:  # the module raised while being imported
            self.init_error = bootstrap._exception_error(exc)
        except SystemExit as exc:
            reason = f"Runtime exited with error: exit status {exc.code}"
            self.init_error = bootstrap._error("Runtime.ExitError", reason)
        self.init_ms = (time.perf_counter() - started) * 1000

    def read_new_output(self) -> str:
        text = self.output.getvalue()
        self.output.seek(0)
        self.output.truncate()
        if len(text.encode()) > MAX_LOG_BYTES:
            text = text.encode()[:MAX_LOG_BYTES].decode("utf-8", "replace")
            text += f"\n[courselab] log output truncated: only the first {MAX_LOG_BYTES} bytes were kept\n"
        return text


class InProcessRuntime(ProcessRuntime):
    """All execution environments of the lab, in this interpreter."""

    environment_class = InProcessEnvironment

    def _request(
        self,
        env: ExecutionEnvironment,
        spec: FunctionSpec,
        request_id: str,
        event: str,
        client_context: str | None,
        trace_id: str | None,
        lines: list[str],
    ) -> dict[str, Any]:
        """Run one request in the environment, up to the function's timeout."""
        assert isinstance(env, InProcessEnvironment)
        started = time.time()
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": started * 1000 + spec.timeout * 1000,
            "invoked_function_arn": spec.function_arn,
            "client_context": client_context,
            "trace_id": trace_id or trace_header(spec),
        }
        try:
            with env._active(), clock.deadline(spec.timeout):
                reply = bootstrap.serve(env.handler, request, env.request_filter)
        except clock.DeadlineExceeded:
            env.kill()  # AWS resets the environment after a timeout
            return timeout_reply(spec, request_id, env.read_new_output(), lines)
        except SystemExit as exc:  # sys.exit in the handler ends its environment
            env.ended = f"exit status {exc.code if exc.code is not None else 0}"
            reason = f"Runtime exited with error: {env.ended}"
            return exit_reply(request_id, reason, started, env.read_new_output(), lines)
        if bootstrap.out_of_memory(reply):
            env.kill()  # Lambda stops an environment that ran out of memory
            reply["max_memory_mb"] = spec.memory_size
        lines.append(env.read_new_output())
        if "error" in reply:
            lines.append(error_log(reply["error"]))
        return reply
