"""The ``awslogs`` log driver: what a task's containers print goes to CloudWatch Logs.

On AWS a container whose ``logConfiguration`` uses the ``awslogs`` driver sends its standard output
and error to the log group ``awslogs-group`` in ``awslogs-region``, in the stream
``{awslogs-stream-prefix}/{container name}/{task id}``; with ``awslogs-create-group`` ``true`` the
group is created if missing
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).

The lab copies each container's output file to moto's CloudWatch Logs on every pass of the service
scheduler, one log event per complete line. Lab difference: a stream without a prefix is named
after the task id alone, and events are stamped with the time they are copied, not printed.
"""

from __future__ import annotations

import time

from courselab.lab.ecs.runs import TaskRun

#: At most this much new output is copied per container and pass.
CHUNK_BYTES = 256 * 1024


def pump(run: TaskRun) -> None:
    """Copy new container output to CloudWatch Logs (``awslogs`` driver), one event per line."""
    from moto.logs.models import logs_backends

    for container in run.containers:
        config = container.definition.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs" or container.log_path is None:
            continue
        options = config.get("options") or {}
        group = options.get("awslogs-group")
        if not group:
            continue
        try:
            with open(container.log_path, "rb") as out:
                out.seek(container.log_offset)
                data = out.read(CHUNK_BYTES)
        except FileNotFoundError:
            continue
        cut = data.rfind(b"\n") + 1
        if not cut:
            continue
        container.log_offset += cut
        logs = logs_backends[run.backend.account_id][options.get("awslogs-region", run.backend.region_name)]
        if group not in logs.groups:
            if str(options.get("awslogs-create-group", "")).lower() != "true":
                continue
            logs.create_log_group(group, {})
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.name}/{run.task.id}" if prefix else run.task.id
        if container.log_stream is None or stream not in logs.groups[group].streams:
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            container.log_stream = stream
        millis = int(time.time() * 1000)
        lines = data[:cut].decode("utf-8", "replace").splitlines()
        if lines:
            logs.put_log_events(group, stream, [{"timestamp": millis, "message": line} for line in lines])
