"""The metrics AWS services publish, published by the lab in AWS's namespaces, dimensions and units.

* **Lambda** (``AWS/Lambda``, dimension ``FunctionName``, and for a request that named a version
  or alias also ``FunctionName`` + ``Resource`` (``name:qualifier``) and those + ``ExecutedVersion``;
  https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): per request
  ``Invocations`` (1), ``Errors`` (1 for a function error, else 0), ``Duration`` (Milliseconds) and
  ``ConcurrentExecutions`` (requests in flight when it started); ``Throttles`` (1) for a request
  refused for concurrency, which counts no invocation. :func:`lambda_invoke` wraps the runtime.
* **Application Load Balancer** (``AWS/ApplicationELB``, dimension ``LoadBalancer`` =
  ``app/name/id``; https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
  for each request forwarded to a target, ``RequestCount`` (1), ``RequestCountPerTarget`` (1 / the
  targets it could go to; dimension ``TargetGroup``), ``HTTPCode_Target_5XX_Count``
  (1 when the target answered 5XX, else 0) and ``TargetResponseTime`` (Seconds, when the target
  answered); a target that did not answer counts ``HTTPCode_ELB_502_Count`` or
  ``HTTPCode_ELB_504_Count``. :func:`alb_forwarded` is called by the listener.
* **ECS** (``AWS/ECS``, dimensions ``ClusterName`` and ``ServiceName``;
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html): once a
  minute, ``CPUUtilization`` and ``MemoryUtilization`` (Percent) of each service, from its running
  tasks' processes: CPU time used over the minute against the task's ``cpu`` units (1024 = one
  vCPU), resident memory against its ``memory``. As on AWS the datapoint is a statistic set over
  the tasks: ``Average`` is the service's utilisation, ``Minimum`` and ``Maximum`` its tasks'. A
  metric the service's ``monitoring`` sets to ``resolutionSeconds`` 20 comes every 20 seconds
  instead, CPU measured over those 20 seconds (:mod:`courselab.lab.ecs.monitoring`,
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/target-tracking-faster-auto-scaling.html).
* **SQS** (``AWS/SQS``, dimension ``QueueName``;
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
  once a minute, ``ApproximateNumberOfMessagesVisible`` (Count) of every queue.

Lab differences: each metric is published with the dimension sets above (AWS adds others, such as
``TargetGroup`` for the ALB's ``RequestCount``); a Lambda request gets ``Resource`` only when its
caller named the qualifier in the same thread (the Invoke API, API Gateway), not when an
asynchronous invocation runs later. "Once a minute"
is a minute of the lab's schedule clock, so ``courselab.set_schedule_speedup`` makes it faster.
A task's CPU and memory are its processes' (and their children's), measured with psutil; the lab
does not hold a task to its ``cpu``, so its utilisation can go above 100 % where Fargate would
throttle the task at its share.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from courselab.lab.cloudwatch import metrics

_lock = threading.Lock()
#: The qualifier (version or alias) the request running in this thread named, if any.
_qualifier: contextvars.ContextVar[str | None] = contextvars.ContextVar("lambda_qualifier", default=None)
#: The listener's wait for a target (courselab.lab.elbv2.listeners.FORWARD_TIMEOUT_S): past it, a 504.
_FORWARD_TIMEOUT_S = 10.0
_in_flight: Counter[str] = Counter()


# -- Lambda ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def invoked_as(qualifier: str | None) -> Iterator[None]:
    """While a request runs in this thread: the version or alias it named (for ``Resource``)."""
    token = _qualifier.set(qualifier)
    try:
        yield
    finally:
        _qualifier.reset(token)


def lambda_invoke(fn: Any, run: Callable[..., Any], *args: Any) -> Any:
    """``run(*args)`` (one request of moto function ``fn`` in the runtime), measured as Lambda does."""
    if not metrics.active():
        return run(*args)
    account, region, name = fn.account_id, fn.region, fn.function_name
    dims = {"FunctionName": name}
    qualifier = _qualifier.get()
    dimension_sets = [dims]
    if qualifier and qualifier != "$LATEST":
        resource = {**dims, "Resource": f"{name}:{qualifier}"}
        dimension_sets += [resource, {**resource, "ExecutedVersion": str(fn.version)}]
    with _lock:
        _in_flight[name] += 1
        concurrent = _in_flight[name]
    try:
        result = run(*args)
    except Exception as error:
        if type(error).__name__ == "TooManyRequestsException":
            for dimensions in dimension_sets[:2]:
                metrics.publish(account, region, "AWS/Lambda", "Throttles", dimensions, 1)
        raise
    finally:
        with _lock:
            _in_flight[name] -= 1
    now = time.time()
    for metric, value, unit in (
        ("Invocations", 1, "Count"),
        ("Errors", 1 if result.function_error else 0, "Count"),
        ("Duration", round(result.duration_ms, 2), "Milliseconds"),
        ("ConcurrentExecutions", concurrent, "Count"),
    ):
        for dimensions in dimension_sets:
            metrics.publish(account, region, "AWS/Lambda", metric, dimensions, value, unit, timestamp=now)
    return result


# -- Application Load Balancer ---------------------------------------------------------------------


def alb_forwarded(load_balancer: Any, group: Any, targets: int, response: Any, started: float) -> None:
    """A request the ALB forwarded to one of ``targets`` targets of ``group``; ``response`` is the
    target's (``http.client.HTTPResponse``), None if it gave none."""
    if not metrics.active():
        return
    account, region = load_balancer.arn.split(":")[4], load_balancer.arn.split(":")[3]
    dims = {"LoadBalancer": load_balancer.arn.split(":loadbalancer/", 1)[-1]}
    now = time.time()
    namespace = "AWS/ApplicationELB"
    metrics.publish(account, region, namespace, "RequestCount", dims, 1, timestamp=now)
    per_target = {"TargetGroup": group.arn.split(":")[-1]}
    metrics.publish(account, region, namespace, "RequestCountPerTarget", per_target, 1 / max(1, targets), timestamp=now)
    if response is None:
        timed_out = now - started >= _FORWARD_TIMEOUT_S
        code = "HTTPCode_ELB_504_Count" if timed_out else "HTTPCode_ELB_502_Count"
        metrics.publish(account, region, namespace, code, dims, 1, timestamp=now)
        return
    status = int(response.status)
    metrics.publish(account, region, namespace, "HTTPCode_Target_5XX_Count", dims, int(status >= 500), timestamp=now)
    metrics.publish(
        account, region, namespace, "TargetResponseTime", dims, round(now - started, 6), "Seconds", timestamp=now
    )


# -- the samplers: every 20 seconds or once a minute ------------------------------------------------


class Samplers:
    """ECS service utilisation and SQS queue depth, sampled on the schedule clock."""

    def __init__(self) -> None:
        #: (task ARN, seconds between CPU datapoints) -> (CPU seconds so far, when measured)
        self._cpu: dict[tuple[str, int], tuple[float, float]] = {}

    def reset(self) -> None:
        self._cpu.clear()

    def sample(self, slots: list[tuple[float, float | None]]) -> None:
        """Publish the datapoints due in ``slots``: per 20 seconds of the schedule clock, a time within
        them, and, when those 20 seconds end a minute, a time within that minute (else None).

        More than one slot means the clock came late: each gets the measurement made now (for
        ECS CPU, the average over all of them).
        """
        minutes = [minute for _, minute in slots if minute is not None]
        self._sample_ecs({20: [stamp for stamp, _ in slots], 60: minutes})
        if minutes:
            self._sample_sqs(minutes)

    def _sample_sqs(self, stamps: list[float]) -> None:
        from moto.sqs.models import sqs_backends

        for account, regions in list(sqs_backends.items()):
            for region, backend in list(regions.items()):
                for queue in list(backend.queues.values()):
                    depth = queue.approximate_number_of_messages
                    for stamp in stamps:
                        metrics.publish(
                            account,
                            region,
                            "AWS/SQS",
                            "ApproximateNumberOfMessagesVisible",
                            {"QueueName": queue.name},
                            depth,
                            timestamp=stamp,
                        )

    def _sample_ecs(self, due: dict[int, list[float]]) -> None:
        """``due``: per resolution (20 or 60 seconds), the stamps of the datapoints due now."""
        from courselab.lab.ecs import monitoring, runs

        table = runs.running()
        if table is None:
            return
        per_service: dict[tuple[str, str, str, str], dict[str, list[float]]] = {}
        stamps_of: dict[tuple[str, str, str, str], dict[str, list[float]]] = {}
        seen = set()
        for run in table.all():
            service = run.service
            if run.status != "RUNNING" or service is None:
                continue
            resolutions = {name: monitoring.resolution(service, name) for name in monitoring.METRICS}
            seen.update((run.task.task_arn, seconds) for seconds in resolutions.values())
            wanted = {name: due[seconds] for name, seconds in resolutions.items() if due[seconds]}
            if not wanted:
                continue  # nothing of this service is due in these 20 seconds
            cpu_seconds, rss = _usage([c.process.pid for c in run.containers if c.process is not None])
            cpu_units, memory_mib = _reservation(run)
            values = {"MemoryUtilization": rss / 2**20 / memory_mib * 100}
            if "CPUUtilization" in wanted:
                cpu = self._cpu_share(run.task.task_arn, resolutions["CPUUtilization"], cpu_seconds, cpu_units)
                if cpu is None:
                    continue  # the first look at a task: no interval to measure over yet
                values["CPUUtilization"] = cpu
            key = (run.backend.account_id, run.backend.region_name, service.cluster_name, service.name)
            stamps_of[key] = wanted
            for name in wanted:
                per_service.setdefault(key, {}).setdefault(name, []).append(values[name])
        for task in [t for t in self._cpu if t not in seen]:
            del self._cpu[task]
        for key, usage in per_service.items():
            account, region, cluster, service_name = key
            dims = {"ClusterName": cluster, "ServiceName": service_name}
            for name, found in usage.items():
                values = [round(value, 4) for value in found]
                stats = {"SampleCount": len(values), "Sum": sum(values), "Minimum": min(values), "Maximum": max(values)}
                for stamp in stamps_of[key][name]:
                    metrics.publish(
                        account, region, "AWS/ECS", name, dims, unit="Percent", stats=stats, timestamp=stamp
                    )

    def _cpu_share(self, task_arn: str, seconds: int, cpu_seconds: float, cpu_units: float) -> float | None:
        """The task's CPU utilisation (%) since its last CPU datapoint, None at the first look."""
        now = time.monotonic()
        before = self._cpu.get((task_arn, seconds))
        self._cpu[(task_arn, seconds)] = (cpu_seconds, now)
        if before is None or now <= before[1]:
            return None
        return (cpu_seconds - before[0]) / (now - before[1]) * 1024 / cpu_units * 100


def _usage(pids: list[int]) -> tuple[float, int]:
    """CPU seconds and resident bytes of processes ``pids`` and all their children."""
    import psutil

    cpu, rss = 0.0, 0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in family:
            try:
                times = process.cpu_times()
                cpu += times.user + times.system
                rss += process.memory_info().rss
            except psutil.Error:
                continue
    return cpu, rss


def _reservation(run: Any) -> tuple[float, float]:
    """The task's CPU units and MiB: task-level ``cpu``/``memory``, else the containers' sums."""
    definition = run.backend.describe_task_definition(run.task.task_definition_arn)
    containers = definition.container_definitions or []
    cpu = float(definition.cpu or 0) or float(sum(int(c.get("cpu") or 0) for c in containers))
    memory = float(definition.memory or 0) or float(
        sum(int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers)
    )
    return cpu or 1024.0, memory or 512.0
