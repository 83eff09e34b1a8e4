"""``courselab.reset()`` in the middle of a burst: every request is answered and no process is left."""

from __future__ import annotations

import json
import threading

import boto3

import courselab
from courselab.lab.awslambda import runtime
from tests.conftest import TRUST_POLICY, wait_until, zip_handler
from tests.soak.conftest import descendants, invoke_many

BURST = 200


def test_reset_during_a_burst_leaves_no_process_behind(lab, deploy):
    before = set(descendants())  # the lab's own helpers (its fork server among them)
    deploy("bursty", "soak_faults.py", Timeout=60)
    answers: list = []
    burst = threading.Thread(
        target=lambda: answers.extend(invoke_many(lab.endpoint, "bursty", [{"sleep": 30}] * BURST))
    )
    burst.start()
    wait_until(lambda: len(runtime.current().environments()) >= BURST // 2, timeout=30)
    during = set(descendants()) - before
    assert len(during) >= BURST // 2
    courselab.reset()
    burst.join(30)
    assert not burst.is_alive() and len(answers) == BURST  # each request was answered
    assert {status for status, _, _ in answers} <= {200, 404, 429, 500}
    wait_until(lambda: not (set(descendants()) - before), timeout=10)
    assert runtime.current().environments() == []
    # and the lab goes on (the reset wiped the role too)
    role = boto3.client("iam").create_role(RoleName="after", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    boto3.client("lambda").create_function(
        FunctionName="after",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="soak_faults.handler",
        Code={"ZipFile": zip_handler("soak_faults.py")},
    )
    response = boto3.client("lambda").invoke(FunctionName="after", Payload=b"{}")
    assert "FunctionError" not in response
