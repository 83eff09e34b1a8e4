"""The AWS CLI works against `python -m courselab serve`, as a learner with only the CLI uses it.

tests/cli/scenario.sh follows AWS's CLI tutorials (Lambda, S3 and SQS triggers, HTTP and REST APIs,
CloudFormation, ECS on Fargate, ECR, ELB, EKS). It runs with each CLI that installs here:
- the PyPI ``awscli`` (v1), in ``.venv-cli`` (``make cli-tools``): it honours ``AWS_ENDPOINT_URL``
  except for ``aws sqs`` in us-east-1;
- Debian's ``awscli`` package (v2.9.19): too old to honour ``AWS_ENDPOINT_URL``, so every command gets
  ``--endpoint-url`` (``.ci/run`` installs it with apt-get).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from courselab import paths
from tests.conftest import clean_env

SCENARIO = Path(__file__).with_name("scenario.sh")
CLIS = {
    # name: (executable, needs --endpoint-url on every command, major version, how to get it)
    "awscli-v1-pypi": (paths.REPO_ROOT / ".venv-cli" / "bin" / "aws", "0", "1", "make cli-tools"),
    "awscli-v2-debian": (Path("/usr/bin/aws"), "1", "2", "apt-get install awscli"),
}


@pytest.mark.parametrize("cli", sorted(CLIS))
def test_the_tutorial_scenario_runs_with(cli, served):
    executable, endpoint_flag, major, install = CLIS[cli]
    if not executable.exists():
        pytest.fail(f"{cli} is not installed at {executable}: run `{install}` (make test does the first)")
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True).stdout.strip()
    assert version.startswith(f"aws-cli/{major}."), version
    _, endpoint = served
    env = clean_env(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CLI=str(executable),
        CLI_ENDPOINT_FLAG=endpoint_flag,
        CLI_MAJOR=major,
        AWS_PAGER="",
        HOME=str(paths.REPO_ROOT / ".pytest_cache"),
    )
    env.pop("AWS_CONFIG_FILE", None)
    result = subprocess.run(
        [shutil.which("bash") or "bash", str(SCENARIO)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "SCENARIO OK" in result.stdout, (
        f"{cli} ({version}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
