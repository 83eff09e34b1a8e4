"""Measures the lab's CloudWatch: what metrics cost an invoke, alarm evaluation, breach-to-ALARM time.

Run with ``PYTHONPATH=. .venv/bin/python benchmarks/cloudwatch.py``. Figures are printed, not
asserted; they vary with the machine's load.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time
import zipfile

import boto3

import courselab


def warm_invoke_ms(client: object, runs: int = 300) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.invoke(FunctionName="bench-echo", Payload=b"{}")["Payload"].read()  # type: ignore[attr-defined]
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    from courselab.lab.cloudwatch import alarms, metrics

    courselab.start(quiet=True)
    print("courselab CloudWatch benchmark (this machine; figures vary with load)\n")
    lam = boto3.client("lambda")
    role = boto3.client("iam").create_role(RoleName="bench-cw", AssumeRolePolicyDocument=json.dumps({}))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("echo.py", "def handler(event, context):\n    return event\n")
    lam.create_function(
        FunctionName="bench-echo",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="echo.handler",
        Code={"ZipFile": code.getvalue()},
    )
    lam.invoke(FunctionName="bench-echo", Payload=b"{}")
    on = warm_invoke_ms(lam)
    metrics.activate(False)
    off = warm_invoke_ms(lam)
    metrics.activate(True)
    print(f"warm invoke, metrics published     median {on:6.2f} ms")
    print(f"warm invoke, metrics off           median {off:6.2f} ms")

    cloudwatch = boto3.client("cloudwatch")
    for i in range(200):
        cloudwatch.put_metric_alarm(
            AlarmName=f"bench-{i}",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": "bench-echo"}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=3,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends["123456789012"]["us-east-1"]
    started = time.perf_counter()
    for alarm in list(backend.alarms.values()):
        alarms.evaluate(alarm, backend, time.time(), 60)
    took = (time.perf_counter() - started) * 1000
    print(f"200 alarms over {len(backend.metric_data)} datapoints   {took:6.1f} ms for one evaluation of each")

    before = os.times()
    time.sleep(5)
    after = os.times()
    busy = (after.user + after.system - before.user - before.system) / 5 * 100
    print(f"idle lab with 200 alarms           {busy:6.1f} % of one core")
    cloudwatch.delete_alarms(AlarmNames=[f"bench-{i}" for i in range(200)])

    courselab.set_schedule_speedup(60)
    cloudwatch.put_metric_alarm(
        AlarmName="bench-breach",
        Namespace="Bench",
        MetricName="Load",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    latencies = []
    for _ in range(5):
        cloudwatch.set_alarm_state(AlarmName="bench-breach", StateValue="OK", StateReason="reset")
        sent = time.perf_counter()
        cloudwatch.put_metric_data(Namespace="Bench", MetricData=[{"MetricName": "Load", "Value": 5}])
        while cloudwatch.describe_alarms(AlarmNames=["bench-breach"])["MetricAlarms"][0]["StateValue"] != "ALARM":
            time.sleep(0.01)
        latencies.append(time.perf_counter() - sent)
    courselab.set_schedule_speedup(1)
    print(f"breach -> ALARM at speed-up 60     median {statistics.median(latencies):6.2f} s (at most one period, 1 s)")
    courselab.stop()


if __name__ == "__main__":
    main()
