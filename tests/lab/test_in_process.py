"""The lab's in-process mode (what runs in the reader's browser), on CPython with threads and sockets
made to fail as they fail in Pyodide.

One subprocess (the in-process lab patches this interpreter, and the other tests' lab serves
over a socket) runs ``tests/lab/inprocess/scenarios.py`` (its handlers are in
``tests/lab/inprocess/handlers``) and prints what it saw as JSON. The notebook side of the browser
lab (:mod:`courselab.book.browser_runner`) and the in-process transport run here directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from courselab import paths
from courselab.book import browser_runner
from courselab.book.site.browser import pages
from courselab.lab.inprocess import transport
from courselab.lab.server import isolated_environment

SCENARIOS = Path(__file__).resolve().parent / "inprocess" / "scenarios.py"


@pytest.fixture(scope="module")
def seen() -> dict:
    result = subprocess.run(
        [sys.executable, str(SCENARIOS)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=paths.REPO_ROOT,
        env=isolated_environment(COURSELAB_IN_PROCESS="1", PYTHONPATH=str(paths.SOURCE_ROOT)),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_lab_runs_without_threads_or_sockets(seen: dict) -> None:
    assert seen["in_process"] is True
    assert seen["endpoint"].startswith("http://127.0.0.1:")


def test_invoke_runs_the_handler_with_context_environment_and_logs(seen: dict) -> None:
    assert seen["first"]["colour"] == "blue" and seen["first"]["name"] == "probe"
    assert 0 < seen["first"]["left"] <= 1000
    assert "START RequestId:" in seen["log"] and "END RequestId:" in seen["log"]
    assert "Init Duration:" in seen["log"] and "event {}" in seen["log"]
    assert seen["colour_outside"] is None  # the function's variables stay in its environment


def test_a_log_level_set_at_init_lasts_for_warm_requests(seen: dict) -> None:
    assert "probe info line" in seen["log"]
    assert "probe info line" in seen["warm_log"] and "Init Duration:" not in seen["warm_log"]


def test_environments_are_reused_and_isolated(seen: dict) -> None:
    assert seen["warm_same_env"] is True
    assert seen["other"] == "other"  # another function's module named app is its own


def test_a_nested_environment_gets_its_own_module_of_the_same_name(seen: dict) -> None:
    assert seen["nested"] == {"outer": "outer", "inner": "other"}


def test_timeouts_errors_and_async_retries(seen: dict) -> None:
    assert seen["timeout"] == ["Unhandled", "Sandbox.Timedout"]
    assert seen["new_env_after_timeout"] is True
    assert seen["error"] == "ValueError"
    assert seen["async_attempts"] == 3


def test_an_async_fan_out_from_a_handler_runs_after_it_not_inside_it(seen: dict) -> None:
    # four workers of 0.5 s each: run inside the dispatcher's own invokes, it would take 1.5 s
    assert seen["fan_out"]["statuses"] == [202] * 4
    assert seen["fan_out"]["seconds"] < 1.0
    assert seen["fan_out_workers"] == 4  # in the worker's own log group


def test_http_reaches_the_lab_in_process_and_nothing_else(seen: dict) -> None:
    assert seen["urllib_health"]["lab"] == "courselab"
    assert seen["urllib_outside"] == "refused"
    assert seen["other_loopback"] == [200, 200]  # all of 127/8 and ::1 are the lab's, as for botocore
    assert "browser lab reaches only its own" in seen["requests_outside"]
    assert seen["api"][0] == 200 and "other" in seen["api"][1]
    assert seen["requests_closed_port"] == "refused"


def test_a_urllib_post_sends_its_content_type_once(seen: dict) -> None:
    assert seen["urllib_post_headers"]["content-type"] == "application/json"


def test_an_app_that_raises_answers_in_aws_shape_naming_what_the_browser_lab_lacks() -> None:
    def app(environ: dict, start_response: object) -> list[bytes]:
        raise ModuleNotFoundError("No module named 'moto.cloudformation'", name="moto.cloudformation")

    port = transport.free_port(47000)
    transport.serve(port, app)
    try:
        answer = transport.request("POST", f"http://127.0.0.1:{port}/", [], b"Action=ListStacks")
    finally:
        transport.unserve(port)
    assert answer.status == 501
    assert "moto.cloudformation is not in the browser lab" in json.loads(answer.body)["message"]


def test_a_cell_traceback_starts_at_the_cell_when_courselab_is_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    # the site's courselab has no sources: its module __file__ names the .pyc, its code the .py
    monkeypatch.setattr(browser_runner, "__file__", browser_runner.__file__ + "c")
    browser_runner.open_page(str(Path.cwd()))
    result = browser_runner.run_cell("x = 1\n1 / x - 1 / 0")
    error = result["outputs"][-1]
    assert result["status"] == "error" and error["ename"] == "ZeroDivisionError"
    assert error["traceback"].splitlines()[1].strip().startswith('File "<cell 1>", line 2')


def test_a_cell_can_write_bytes_to_stdout() -> None:
    result = browser_runner.run_cell("import sys\nsys.stdout.buffer.write('é'.encode())\nprint(sys.stdout.encoding)")
    assert result["status"] == "ok", result
    assert result["outputs"] == [{"type": "stream", "name": "stdout", "text": "éutf-8\n"}]


def test_a_folder_zip_left_by_an_earlier_build_is_rewritten(tmp_path: Path) -> None:
    source = paths.CHAPTERS / "serverless" / "lambda.md"
    stale = tmp_path / "files" / "chapters" / "serverless.zip"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old build's zip")
    written = json.loads(pages.write(tmp_path, source).read_text(encoding="utf-8"))
    assert stale.read_bytes() == pages.files_zip("chapters/serverless")
    assert [f["folder"] for f in written["files"]] == ["chapters/serverless"]
    assert len(written["files"][0]["version"]) == 16


def test_a_writefile_cell_writes_its_file_and_other_magics_fail_by_name(tmp_path: Path) -> None:
    browser_runner.open_page(str(tmp_path))
    written = browser_runner.run_cell("%%writefile app.py\ndef handler(event, context):\n    return 1")
    assert (
        written["status"] == "ok"
        and (tmp_path / "app.py").read_text() == "def handler(event, context):\n    return 1\n"
    )
    assert written["outputs"][0]["text"] == "Writing app.py\n"
    other = browser_runner.run_cell("%%bash\nls")
    assert other["status"] == "error" and "%%writefile [-a] FILE only" in other["outputs"][-1]["evalue"]


def test_no_listener_or_health_check_job_runs_in_process(seen: dict) -> None:
    # it would log a traceback into every cell's output: listeners need sockets (the local lab's)
    assert "alb-listeners-and-health-checks" not in seen["jobs"]


def test_an_alb_listener_fails_loudly_in_process_and_keeps_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from courselab.lab.elbv2 import listeners
    from courselab.lab.scheduler import CooperativeScheduler

    closed: list[int] = []
    real_close = listeners.ThreadingHTTPServer.server_close
    monkeypatch.setattr(
        listeners.ThreadingHTTPServer, "server_close", lambda self: closed.append(1) or real_close(self)
    )
    fleet = listeners.Listeners(CooperativeScheduler())
    load_balancer = SimpleNamespace(arn="arn:alb", name="web", dns_name="web.elb")
    with pytest.raises(NotImplementedError, match="ALB, NLB and CLB listeners\\) run only in the local lab"):
        listeners.ListenerServer(fleet, None, load_balancer, SimpleNamespace(port=80, protocol="HTTP"))
    assert closed == [1]
