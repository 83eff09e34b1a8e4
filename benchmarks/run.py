"""Measures the lab: start time, Lambda cold and warm invokes, trigger and API latency, ECS RunTask.

Run with ``make bench``. Figures are printed, not asserted: targets (warm invoke <= 10 ms median,
cold <= 100 ms for a handler without heavy imports, lab start <= 1 s) are read off the output.
Lambda's scale-out (memory per environment, a burst of 1,000) follows, from ``scale.py``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

HANDLERS = Path(__file__).parent / "handlers"
ROLE_POLICY = {"Version": "2012-10-17", "Statement": []}


def median_ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1] if len(ordered) >= 10 else ordered[-1]
    return f"median {statistics.median(ordered) * 1000:8.2f} ms   p90 {p90 * 1000:8.2f} ms   (n={len(ordered)})"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def lab_start(runs: int = 5) -> list[float]:
    """Import + courselab.start() in a fresh process, as a notebook's hidden cell pays it."""
    code = (
        "import time; t = time.perf_counter(); import courselab; courselab.start(quiet=True); "
        "print(time.perf_counter() - t)"
    )
    return [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(runs)]


def package(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.write(HANDLERS / name, name)
    return buffer.getvalue()


def ecs_run_task(runs: int = 5) -> tuple[list[float], list[float]]:
    """RunTask of an image built for the course whose job sleeps 0.2 s: seconds to RUNNING and to STOPPED."""
    import boto3

    from courselab import images

    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    network = {
        "awsvpcConfiguration": {
            "subnets": [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]]
        }
    }
    image = images.build_and_push(
        {"job.py": "import time; time.sleep(0.2)\n"}, "bench-job", "v1", cmd=["python", "job.py"]
    )
    ecs.create_cluster(clusterName="bench")
    family = ecs.register_task_definition(
        family="bench-job",
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "job", "image": image}],
    )["taskDefinition"]["taskDefinitionArn"]
    to_running, to_stopped = [], []
    for _ in range(runs):
        started = time.perf_counter()
        arn = ecs.run_task(cluster="bench", taskDefinition=family, launchType="FARGATE", networkConfiguration=network)[
            "tasks"
        ][0]["taskArn"]
        running = None
        while (status := ecs.describe_tasks(cluster="bench", tasks=[arn])["tasks"][0]["lastStatus"]) != "STOPPED":
            if status == "RUNNING" and running is None:
                running = time.perf_counter() - started
            time.sleep(0.005)
        to_running.append(running if running is not None else float("nan"))
        to_stopped.append(time.perf_counter() - started)
    return to_running, to_stopped


def main() -> None:
    print("courselab benchmark (this machine; figures vary with load)\n")
    print(f"lab start (import + start, fresh process)   {median_ms(lab_start())}")

    import boto3

    import courselab

    lab = courselab.start(quiet=True)
    lam = boto3.client("lambda")
    role = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(ROLE_POLICY))
    lam.create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="echo.handler",
        Code={"ZipFile": package("echo.py")},
    )
    event = json.dumps({"ping": 1})

    cold = []
    for i in range(20):  # a configuration change retires the warm environment: the next invoke is cold
        lam.update_function_configuration(FunctionName="echo", Environment={"Variables": {"RUN": str(i)}})
        cold.append(timed(lambda: lam.invoke(FunctionName="echo", Payload=event)["Payload"].read()))
    print(f"Lambda cold invoke (boto3 round trip)       {median_ms(cold)}")

    warm = [timed(lambda: lam.invoke(FunctionName="echo", Payload=event)["Payload"].read()) for _ in range(300)]
    print(f"Lambda warm invoke (boto3 round trip)       {median_ms(warm)}")

    spec = importlib.util.spec_from_file_location("echo_in_process", HANDLERS / "echo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    direct = [timed(lambda: module.handler(json.loads(event), None)) for _ in range(300)]
    overhead = statistics.median(warm) - statistics.median(direct)
    print(f"handler called in-process                   median {statistics.median(direct) * 1e6:8.2f} µs")
    print(f"invoke overhead over in-process call        {overhead * 1000:8.2f} ms (median warm - median direct)")

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench-bucket")
    lam.create_function(
        FunctionName="stamp",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="stamp.handler",
        Code={"ZipFile": package("stamp.py")},
    )
    arn = lam.get_function(FunctionName="stamp")["Configuration"]["FunctionArn"]
    s3.put_bucket_notification_configuration(
        Bucket="bench-bucket",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ]
        },
    )
    trigger = []
    for i in range(30):
        sent = time.time()
        s3.put_object(Bucket="bench-bucket", Key=f"in/{i}", Body=b"x")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                started = float(s3.get_object(Bucket="bench-bucket", Key=f"out/{i}")["Body"].read())
                break
            except s3.exceptions.NoSuchKey:
                time.sleep(0.002)
        else:
            raise SystemExit("the S3 trigger did not run within 10 s")
        trigger.append(started - sent)
    print(f"S3 PutObject -> handler start               {median_ms(trigger)}")

    apis = boto3.client("apigatewayv2")
    api_id = apis.create_api(Name="bench", ProtocolType="HTTP")["ApiId"]
    integration = apis.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"],
        PayloadFormatVersion="2.0",
    )
    apis.create_route(ApiId=api_id, RouteKey="GET /ping", Target=f"integrations/{integration['IntegrationId']}")
    apis.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    url = f"{lab.endpoint}/restapis/{api_id}/$default/_user_request_/ping"
    urllib.request.urlopen(url).read()  # the first request may be cold
    api_times = [timed(lambda: urllib.request.urlopen(url).read()) for _ in range(200)]
    print(f"HTTP API GET -> Lambda -> response          {median_ms(api_times)}")
    to_running, to_stopped = ecs_run_task()
    print(f"ECS RunTask -> RUNNING (pull, unpack, start) {median_ms(to_running)}")
    print(f"ECS RunTask -> STOPPED (a 0.2 s job)         {median_ms(to_stopped)}")
    courselab.stop()
    print()
    import scale  # benchmarks/ is this script's folder, so first on the path

    scale.main()


if __name__ == "__main__":
    main()
