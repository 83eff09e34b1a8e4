"""The AWS SAM CLI works against `python -m courselab serve`: build, deploy, list, invoke, logs, delete.

The app is the course's own (chapters/serverless/sam): an S3 upload becomes a note in a table, and
GET /notes lists them. The SAM CLI runs from ``.venv-sam`` (``make cli-tools``), with nothing but the
lab's ``AWS_ENDPOINT_URL`` and fake credentials, as a learner's terminal has them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request

import pytest

from courselab import paths
from tests.conftest import clean_env

SAM = paths.REPO_ROOT / ".venv-sam" / "bin" / "sam"
APP = paths.CHAPTERS / "serverless" / "sam"
STACK = "notes-from-the-sam-cli"


@pytest.fixture
def sam(served, tmp_path):
    """Run ``sam ...`` in a copy of the app, against the served lab; returns stdout (fails on an error)."""
    if not SAM.exists():
        pytest.fail(f"the SAM CLI is not installed at {SAM}: run `make cli-tools` (make test does it)")
    _, endpoint = served
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    env = clean_env(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
        HOME=str(tmp_path),
    )

    def run(*args: str, timeout: float = 300) -> str:
        result = subprocess.run([str(SAM), *args], cwd=app, env=env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"sam {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def tail(*args: str, until: str, timeout: float = 60) -> str:
        """``sam logs --tail`` streams until stopped: read until ``until`` shows, then stop it."""
        process = subprocess.Popen(
            [str(SAM), *args], cwd=app, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        seen = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                seen.append(line)
                if until in line:
                    return "".join(seen)
        finally:
            process.terminate()
            process.wait(timeout)
        raise AssertionError(f"sam {' '.join(args)} ended without showing {until!r}:\n{''.join(seen)[-3000:]}")

    run.endpoint = endpoint  # type: ignore[attr-defined]
    run.app = app  # type: ignore[attr-defined]
    run.tail = tail  # type: ignore[attr-defined]
    return run


def test_build_deploy_use_and_delete_the_course_app(sam):
    sam("build")
    assert (sam.app / ".aws-sam" / "build" / "template.yaml").is_file()
    sam("deploy", "--resolve-s3", "--no-confirm-changeset", "--stack-name", STACK, "--capabilities", "CAPABILITY_IAM")

    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in json.loads(sam("list", "stack-outputs", "--stack-name", STACK, "--output", "json"))
    }
    assert set(outputs) == {"NotesApiUrl", "UploadsBucketName", "NotesFunctionAlias"}
    endpoints = json.loads(sam("list", "endpoints", "--stack-name", STACK, "--output", "json"))
    assert any(e.get("LogicalResourceId") == "NotesFunction" for e in endpoints)

    invoked = sam(
        "remote", "invoke", "NotesFunction", "--stack-name", STACK, "--event", '{"httpMethod": "GET", "path": "/notes"}'
    )
    assert '"statusCode": 200' in invoked or '"statusCode":200' in invoked

    logs = sam("logs", "--stack-name", STACK, "--name", "NotesFunction")
    assert "REPORT RequestId" in logs
    assert "REPORT RequestId" in sam.tail(
        "logs", "--stack-name", STACK, "--name", "NotesFunction", "--tail", until="REPORT"
    )

    api_id = outputs["NotesApiUrl"].split("//")[1].split(".")[0]
    with urllib.request.urlopen(f"{sam.endpoint}/restapis/{api_id}/Prod/_user_request_/notes", timeout=30) as reply:
        assert json.load(reply)["notes"] == []

    sam("delete", "--stack-name", STACK, "--no-prompts")
