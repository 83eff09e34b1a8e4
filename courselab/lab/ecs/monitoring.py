"""A service's ``monitoring``: the resolution of its ``CPUUtilization`` and ``MemoryUtilization``.

By default ECS publishes a service's two utilisation metrics at 60-second resolution; a
``monitoring.metricConfigurations`` entry with ``resolutionSeconds`` 20 publishes the named ones
every 20 seconds, which the high-resolution target tracking metrics
``ECSServiceAverageCPUUtilizationHighResolution`` and ``ECSServiceAverageMemoryUtilizationHighResolution``
follow (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/target-tracking-faster-auto-scaling.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_MonitoringConfiguration.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_MetricConfiguration.html).
Stock moto drops the setting. The lab checks it as ``CreateService`` and ``UpdateService`` do
(:func:`check`), keeps it on the service, returns it in ``DescribeServiceRevisions`` (the API's
``Service`` has no ``monitoring`` member), and the CloudWatch samplers read :func:`resolution`
(:mod:`courselab.lab.cloudwatch.sources`).

Lab difference: a metric named in two configurations takes the last one's resolution (AWS does not
say what it does then).
"""

from __future__ import annotations

from typing import Any

METRICS = ("CPUUtilization", "MemoryUtilization")
RESOLUTIONS = (20, 60)
#: At most this many metric configurations, and metric names in one
#: (botocore's MetricConfigurationList and MetricNamesList).
MAX_ENTRIES = 5


def _invalid(message: str) -> Exception:
    from moto.ecs.exceptions import InvalidParameterException

    return InvalidParameterException(message)


def check(monitoring: Any) -> dict[str, Any] | None:
    """``monitoring`` as the service keeps it; AWS's ``InvalidParameterException`` if it is bad."""
    if monitoring is None:
        return None
    configurations = monitoring.get("metricConfigurations") or []
    if len(configurations) > MAX_ENTRIES:
        raise _invalid(f"monitoring.metricConfigurations can hold at most {MAX_ENTRIES} entries.")
    for number, configuration in enumerate(configurations):
        where = f"monitoring.metricConfigurations[{number}]"
        names = configuration.get("metricNames") or []
        if not names or len(names) > MAX_ENTRIES:
            raise _invalid(f"{where}.metricNames must name 1 to {MAX_ENTRIES} metrics.")
        for name in names:
            if name not in METRICS:
                raise _invalid(f"{where}.metricNames: {name!r} is not a service metric; use {' or '.join(METRICS)}.")
        seconds = configuration.get("resolutionSeconds")
        if seconds not in RESOLUTIONS:
            raise _invalid(f"{where}.resolutionSeconds must be 20 or 60, not {seconds!r}.")
    return {"metricConfigurations": [dict(c) for c in configurations]}


def keep(service: Any, monitoring: Any) -> None:
    """Keep a checked ``monitoring`` on ``service`` (None leaves what it had)."""
    checked = check(monitoring)
    if checked is not None:
        service.courselab_monitoring = checked


def of(service: Any) -> dict[str, Any] | None:
    return getattr(service, "courselab_monitoring", None)


def resolution(service: Any, metric: str) -> int:
    """The seconds between the service's datapoints of ``metric``: 20 or (by default) 60."""
    seconds = 60
    for configuration in (of(service) or {}).get("metricConfigurations", []):
        if metric in configuration.get("metricNames", []):
            seconds = int(configuration["resolutionSeconds"])
    return seconds
