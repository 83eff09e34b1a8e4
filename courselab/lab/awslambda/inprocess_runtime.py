"""The lab's Lambda runtime without processes (a browser): execution environments in this interpreter.

:class:`InProcessRuntime` is the process runtime with another kind of environment: an
:class:`InProcessEnvironment` imports the handler into module namespaces of its own (the modules
of its code folder and layers live in its own table, swapped into ``sys.modules`` while it runs),
and every request runs with the environment's variables in ``os.environ``, its output and
``logging`` captured for CloudWatch Logs, the same context object as the process runtime's, and a
deadline instead of a killed process (:mod:`courselab.lab.inprocess.clock`). Warm reuse, scale-out,
concurrency, throttling and the START/END/REPORT lines are the process runtime's.

While a handler runs, the lab's background work (async invokes, pollers) waits
(:meth:`courselab.lab.scheduler.CooperativeScheduler.hold`): it runs after the handler returns, as
on AWS it runs beside it, never inside it. A nested environment (a handler that invokes another
function synchronously) sees none of the outer one's modules, and each environment keeps its own
root logger level and handler (a module-level ``logger.setLevel(logging.INFO)`` lasts, as in a
Lambda process).

Differences from AWS (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)
and from the local lab: requests run one at a time in the notebook's thread (a handler that
invokes a function synchronously gets a second environment, as on AWS, where an environment serves
one request at a time); a timeout is noticed at the handler's next ``time.sleep`` or Python call,
not in a tight loop, and the environment is then discarded, as Lambda resets it after a timeout;
``sys.exit`` ends the environment, not the interpreter; ``Max Memory Used`` is the whole
WebAssembly memory.
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
from courselab.lab import scheduler
from courselab.lab.awslambda import bootstrap
from courselab.lab.awslambda.environments import ExecutionEnvironment, Launcher, layer_paths
from courselab.lab.awslambda.process_runtime import ProcessRuntime, exit_reply, timeout_reply
from courselab.lab.awslambda.runtime import INIT_TIMEOUT_S, MAX_LOG_BYTES, FunctionSpec, request_message, settle_reply
from courselab.lab.inprocess import clock

#: Variables that name the process runtime's interpreter set-up, meaningless in one interpreter.
_PROCESS_ONLY = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PATH", "LAMBDA_RUNTIME_DIR")
#: The environments running now, outermost first (a handler's synchronous invoke nests one).
_running: list[InProcessEnvironment] = []


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
        # the root logger as the environment's runtime sets it up; a handler may change both
        self.log_handlers: list[logging.Handler] = [bootstrap.log_handler(self.output, self.request_filter)]
        self.log_level = logging.WARNING

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
        """This environment's modules, variables, search path, output and root logger, for one run.

        Background jobs wait meanwhile; the modules of an environment already running (this one
        is nested in it) are set aside, so that a module name both use is each one's own.
        """
        saved_environ = dict(os.environ)
        saved_path = list(sys.path)
        displaced = {
            name: sys.modules.pop(name)
            for name, module in list(sys.modules.items())
            if name in self.modules or any(env._has(name, module) for env in _running)
        }
        before = set(sys.modules)
        os.environ.clear()
        os.environ.update(self.variables)
        sys.path[:0] = self.search_path
        sys.modules.update(self.modules)
        importlib.invalidate_caches()
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        root.handlers[:] = self.log_handlers
        root.setLevel(self.log_level)
        _running.append(self)
        try:
            with (
                scheduler.hold(),
                contextlib.redirect_stdout(self.output),
                contextlib.redirect_stderr(self.output),
            ):
                yield
        finally:
            _running.remove(self)
            self.log_handlers, self.log_level = root.handlers[:], root.level
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
            for name in list(sys.modules):
                if name in self.modules or (name not in before and self._owns(sys.modules[name])):
                    self.modules[name] = sys.modules.pop(name)
            sys.modules.update(displaced)
            sys.path[:] = saved_path
            os.environ.clear()
            os.environ.update(saved_environ)
            importlib.invalidate_caches()

    def _has(self, name: str, module: Any) -> bool:
        """Is ``module`` (imported as ``name``) one of this environment's?"""
        return name in self.modules or self._owns(module)

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
        request = request_message(spec, request_id, event, client_context, trace_id, started)
        try:
            with env._active(), clock.deadline(spec.timeout):
                reply = bootstrap.serve(env.handler, request, env.request_filter)
        except clock.DeadlineExceeded:
            env.kill()  # Lambda resets the environment after a timeout (see the docstring)
            return timeout_reply(spec, request_id, env.read_new_output(), lines)
        except SystemExit as exc:  # sys.exit in the handler ends its environment
            env.ended = f"exit status {exc.code if exc.code is not None else 0}"
            reason = f"Runtime exited with error: {env.ended}"
            return exit_reply(request_id, reason, started, env.read_new_output(), lines)
        return settle_reply(env, spec, reply, lines)
