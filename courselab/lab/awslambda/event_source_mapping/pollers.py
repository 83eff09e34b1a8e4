"""Event source mappings: pollers that read SQS queues and DynamoDB streams and invoke Lambda.

On AWS, an event source mapping is a poller run by the Lambda service: it reads records from the
source, groups them into batches of up to ``BatchSize`` (waiting up to
``MaximumBatchingWindowInSeconds`` to fill one) and invokes the function *synchronously* with one
batch (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html).
Stock moto instead runs the handler inside ``SendMessage``/``PutItem``, one record at a time,
and never retries. :func:`install` takes mappings away from moto's inline path and runs one
poller thread per enabled mapping in this process:

SQS (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)
    Receives up to ``BatchSize`` messages (also those sent before the mapping existed) with the
    queue's visibility timeout, invokes with ``Records[]`` (messageId, receiptHandle, body,
    attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion), deletes the
    batch on success. On a function error the messages stay in flight until the visibility
    timeout ends and then reappear, so the queue's redrive policy moves them to its DLQ after
    ``maxReceiveCount`` receives (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
    With ``FunctionResponseTypes=["ReportBatchItemFailures"]`` only the messages the function
    lists in ``batchItemFailures`` stay; an ``itemIdentifier`` that is empty or not in the batch
    fails the whole batch. When Lambda answers ``TooManyRequestsException`` the poller backs
    off and retries the batch until its visibility timeout runs out
    (https://docs.aws.amazon.com/lambda/latest/operatorguide/sqs-retries.html).
    CreateEventSourceMapping refuses a queue whose visibility timeout is shorter than the
    function's timeout, as AWS does. Up to five batches are in flight at once, the number AWS starts with
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), or
    ``ScalingConfig.MaximumConcurrency`` when that is set.

DynamoDB Streams (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)
    Reads the stream from ``TRIM_HORIZON`` or ``LATEST`` in order, batches of up to ``BatchSize``,
    ``Records[]`` with ``eventName`` INSERT/MODIFY/REMOVE and ``dynamodb`` Keys/NewImage/OldImage
    as the table's ``StreamViewType`` says. On error the same batch is retried (backing off) until
    it succeeds or ``MaximumRetryAttempts`` is used up; with ``ReportBatchItemFailures`` it
    resumes from the lowest failed sequence number
    (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).

Lab differences: one poller per mapping and at most five SQS batches in flight (AWS scales up to
1,000); the 6 MB payload cap, ``FilterCriteria``, on-failure destinations,
``BisectBatchOnFunctionError`` and ``ParallelizationFactor`` are not applied; a DynamoDB stream is
one shard and its records never expire.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers

log = logging.getLogger(__name__)

#: How often an idle poller looks again (seconds); new SQS messages and stream records wake it sooner.
POLL_INTERVAL = 0.05
#: Batches one SQS mapping keeps in flight unless ScalingConfig.MaximumConcurrency says otherwise.
SQS_DEFAULT_CONCURRENCY = 5

_lock = threading.RLock()
_installed = False
_originals: dict[str, Any] = {}
_stream_wakeup = threading.Condition()
_supervisor: _Supervisor | None = None
#: DynamoDB stream position (index into moto's shard records) per mapping UUID, kept across disable/enable.
_stream_positions: dict[str, int] = {}


def install() -> None:
    """Patch moto so mappings are served by this module's pollers, and start them (idempotent)."""
    global _installed, _supervisor
    with _lock:
        if not _installed:
            from moto.awslambda.models import LambdaBackend
            from moto.dynamodb.models.table import StreamShard

            _originals["create_esm"] = LambdaBackend.create_event_source_mapping
            _originals["shard_add"] = StreamShard.add
            LambdaBackend.create_event_source_mapping = _create_event_source_mapping
            StreamShard.add = _stream_shard_add
            _installed = True
        if _supervisor is None or not _supervisor.is_alive():
            _supervisor = _Supervisor()
            _supervisor.start()


def reset() -> None:
    """Stop every poller and forget stream positions (the lab's backends are wiped separately).

    The mappings that exist now are retired, so no poller starts for them again while the lab
    wipes its Lambda environments and moto's backends after this call.
    """
    with _lock:
        for esm in _all_mappings():
            esm.courselab_retired = True
        if _supervisor is not None:
            _supervisor.stop_workers()
        _stream_positions.clear()


def stop() -> None:
    """End the poller threads; :func:`install` starts them again."""
    global _supervisor
    with _lock:
        if _supervisor is not None:
            _supervisor.stop()
            _supervisor.join(timeout=2)
            _supervisor = None


# --- moto patches -----------------------------------------------------------------------------


def _create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
    """moto's create, then detach the mapping from moto's inline (synchronous) delivery path."""
    _check_visibility_timeout(self, spec)
    esm = _originals["create_esm"](self, spec)
    source = _source_type(esm.event_source_arn)
    if source == "sqs":
        queue = _find_queue(esm.account_id, esm.region, esm.event_source_arn)
        if queue is not None:
            queue.lambda_event_source_mappings.pop(esm.function_arn, None)
    elif source == "dynamodb":
        table = _find_table(esm.account_id, esm.region, esm.event_source_arn)
        if table is not None:
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
            shard = table.stream_shard
            # LATEST means "records added after the mapping was created"
            # (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
            start = len(shard.items) if esm.starting_position == "LATEST" and shard else 0
            _stream_positions[esm.uuid] = start
    if _supervisor is not None:
        _supervisor.wake()
    return esm


def _check_visibility_timeout(backend: Any, spec: dict[str, Any]) -> None:
    """AWS refuses an SQS mapping whose queue hides a message for less time than the function may run.

    The error text is AWS's. The docs advise six times the function timeout
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
    """
    arn, name = spec.get("EventSourceArn") or "", spec.get("FunctionName") or ""
    if not arn.startswith("arn:") or _source_type(arn) != "sqs" or not name:
        return
    queue = _find_queue(backend.account_id, backend.region_name, arn)
    try:
        function = backend.get_function(name)
    except Exception:  # noqa: BLE001 - moto's own create reports the unknown function
        return
    if queue is None:
        return
    visibility, timeout = int(queue.visibility_timeout or 0), int(function.timeout or 3)
    if visibility < timeout:
        from moto.awslambda.exceptions import InvalidParameterValueException

        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
        )


def _stream_shard_add(self: Any, old: Any, new: Any) -> None:
    """moto appends the stream record (no mapping is attached any more); wake the stream pollers."""
    _originals["shard_add"](self, old, new)
    with _stream_wakeup:
        _stream_wakeup.notify_all()


# --- lookups ----------------------------------------------------------------------------------


def _source_type(arn: str) -> str:
    return arn.split(":")[2]


def _find_queue(account_id: str, region: str, queue_arn: str) -> Any:
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[account_id][region]
    for queue in list(backend.queues.values()):
        if queue.queue_arn == queue_arn:
            return queue
    return None


def _find_table(account_id: str, region: str, stream_arn: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[account_id][region]
    for table in list(backend.tables.values()):
        label = getattr(table, "latest_stream_label", None)
        if label and f"{table.table_arn}/stream/{label}" == stream_arn:
            return table
    return None


def _all_mappings() -> list[Any]:
    from moto.awslambda.models import lambda_backends

    mappings = []
    for per_region in list(dict.values(lambda_backends)):
        for backend in list(dict.values(per_region)):
            mappings.extend(list(backend._event_source_mappings.values()))
    return mappings


def _current(esm: Any) -> Any:
    """The mapping object if it still exists and is enabled, else None."""
    from moto.awslambda.utils import get_backend

    found = get_backend(esm.account_id, esm.region)._event_source_mappings.get(esm.uuid)
    if found is not esm or not found.enabled:
        return None
    return found


# --- invoking ---------------------------------------------------------------------------------


class _Throttled(Exception):
    pass


def _invoke(esm: Any, event: dict[str, Any]) -> tuple[Any, bool]:
    """One synchronous invoke; returns (parsed response or None, function errored)."""
    from moto.awslambda.utils import get_backend

    from courselab.lab.awslambda.errors import TooManyRequestsException

    response_headers: dict[str, str] = {}
    headers = Headers({"X-Amz-Invocation-Type": "RequestResponse"})
    try:
        payload = get_backend(esm.account_id, esm.region).invoke(
            esm.function_arn, None, json.dumps(event), headers, response_headers
        )
    except TooManyRequestsException as exc:
        raise _Throttled() from exc
    errored = any(k.lower() == "x-amz-function-error" for k in response_headers)
    try:
        response = json.loads(payload) if payload else None
    except (TypeError, ValueError):
        response = None
    return response, errored


def _failed_items(response: Any, known: set[str]) -> set[str] | None:
    """The ``batchItemFailures`` identifiers, or None when the response fails the whole batch.

    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html: an empty or
    null list means success; an empty, null or unknown ``itemIdentifier`` means total failure.
    """
    if not isinstance(response, dict) or response.get("batchItemFailures") is None:
        return set()
    items = response["batchItemFailures"]
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in known:
            return None
        failed.add(ident)
    return failed


# --- pollers ----------------------------------------------------------------------------------


@dataclass
class _Worker:
    """One mapping's poller thread (plus, for SQS, a small pool for concurrent batches)."""

    esm: Any
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    last_problem: str = ""

    def start(self, target: Callable[[_Worker], None]) -> None:
        self.thread = threading.Thread(
            target=target, args=(self,), name=f"courselab-esm-{self.esm.uuid[:8]}", daemon=True
        )
        self.thread.start()

    def problem(self, text: str) -> None:
        """Log a problem once, not every poll."""
        if text != self.last_problem:
            log.warning("event source mapping %s: %s", self.esm.uuid, text)
            self.last_problem = text

    @property
    def active(self) -> bool:
        return not self.stopping.is_set() and _current(self.esm) is not None


def _sqs_record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    """One SQS message as Lambda shows it (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace:
        attributes["AWSTraceHeader"] = trace.get("StringValue")
    if queue.fifo_queue:
        attributes["SequenceNumber"] = str(message.sequence_number)
        attributes["MessageGroupId"] = str(message.group_id)
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
    message_attributes = {}
    for name, value in message.message_attributes.items():
        converted: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
        if "StringValue" in value:
            converted["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            binary = value["BinaryValue"]
            if isinstance(binary, bytes):
                import base64

                binary = base64.b64encode(binary).decode()
            converted["binaryValue"] = binary
        message_attributes[name] = converted
    record = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


def _wait_for_queue(queue: Any, timeout: float) -> None:
    """Sleep until moto adds a message to the queue (it notifies this condition) or the timeout."""
    condition = getattr(queue, "_messages_lock", None)
    if condition is None:
        time.sleep(timeout)
        return
    with condition:
        condition.wait(timeout)


def _run_sqs(worker: _Worker) -> None:
    from moto.sqs.models import sqs_backends

    esm = worker.esm
    backend = sqs_backends[esm.account_id][esm.region]
    concurrency = int((esm.scaling_config or {}).get("MaximumConcurrency") or SQS_DEFAULT_CONCURRENCY)
    slots = threading.BoundedSemaphore(concurrency)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"courselab-sqs-{esm.uuid[:8]}")
    throttled_until = [0.0]
    try:
        while worker.active:
            queue = _find_queue(esm.account_id, esm.region, esm.event_source_arn)
            if queue is None:
                worker.problem(f"queue {esm.event_source_arn} does not exist; waiting for it")
                worker.stopping.wait(POLL_INTERVAL * 4)
                continue
            pause = throttled_until[0] - time.monotonic()
            if pause > 0:
                worker.stopping.wait(min(pause, POLL_INTERVAL * 4))
                continue
            if not slots.acquire(timeout=POLL_INTERVAL):
                continue
            batch = _receive_batch(worker, backend, queue)
            if not batch:
                slots.release()
                _wait_for_queue(queue, POLL_INTERVAL * 2)
                continue
            received_at = time.monotonic()
            pool.submit(_process_sqs_batch, worker, backend, queue, batch, received_at, slots, throttled_until)
    finally:
        pool.shutdown(wait=False)


def _receive_batch(worker: _Worker, backend: Any, queue: Any) -> list[Any]:
    """Up to BatchSize messages, waiting up to MaximumBatchingWindowInSeconds to fill the batch."""
    esm = worker.esm
    batch_size = int(esm.batch_size)
    window = float(esm.max_batch_window or 0)
    visibility = int(queue.visibility_timeout or 0)
    batch: list[Any] = []
    deadline: float | None = None
    while worker.active:
        try:
            got = backend.receive_message(queue.name, batch_size - len(batch), 0, visibility, ["All"])
        except Exception as exc:  # noqa: BLE001 - the queue may have been deleted meanwhile
            worker.problem(f"cannot receive from {queue.name}: {exc}")
            return batch
        batch.extend(got)
        if len(batch) >= batch_size or window <= 0 or not batch:
            return batch
        if deadline is None:
            deadline = time.monotonic() + window
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return batch
        _wait_for_queue(queue, min(remaining, POLL_INTERVAL * 2))
    return batch


def _process_sqs_batch(
    worker: _Worker,
    backend: Any,
    queue: Any,
    batch: list[Any],
    received_at: float,
    slots: threading.BoundedSemaphore,
    throttled_until: list[float],
) -> None:
    esm = worker.esm
    try:
        event = {"Records": [_sqs_record(m, queue, esm.region) for m in batch]}
        visible_again = received_at + int(queue.visibility_timeout or 0)
        backoff = 0.1
        while True:
            try:
                response, errored = _invoke(esm, event)
                break
            except _Throttled:
                # Back off; give up once the messages are visible again (another poll takes them).
                throttled_until[0] = time.monotonic() + backoff
                if time.monotonic() + backoff >= visible_again or worker.stopping.is_set():
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            except Exception as exc:  # noqa: BLE001 - e.g. the function was deleted
                worker.problem(f"cannot invoke {esm.function_arn}: {exc}")
                return
        worker.last_problem = ""
        if errored:
            return  # messages reappear after the visibility timeout
        failed: set[str] | None = set()
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            failed = _failed_items(response, {m.id for m in batch})
        if failed is None:
            return
        for message in batch:
            if message.id in failed:
                continue
            try:
                backend.delete_message(queue.name, message.receipt_handle)
            except Exception as exc:  # noqa: BLE001 - purged or deleted meanwhile
                log.debug("could not delete %s: %s", message.id, exc)
    finally:
        slots.release()


def _stream_record(record: dict[str, Any], region: str, source_arn: str) -> dict[str, Any]:
    """One stream record as Lambda shows it (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }


def _run_stream(worker: _Worker) -> None:
    esm = worker.esm
    attempts = 0
    while worker.active:
        table = _find_table(esm.account_id, esm.region, esm.event_source_arn)
        shard = table.stream_shard if table is not None else None
        if shard is None:
            worker.problem(f"stream {esm.event_source_arn} is not enabled; waiting for it")
            worker.stopping.wait(POLL_INTERVAL * 4)
            continue
        position = _stream_positions.setdefault(esm.uuid, 0)
        batch_size = int(esm.batch_size)
        records = shard.items[position : position + batch_size]
        window = float(esm.max_batch_window or 0)
        if records and len(records) < batch_size and window > 0:
            deadline = time.monotonic() + window
            while worker.active and len(records) < batch_size and time.monotonic() < deadline:
                with _stream_wakeup:
                    _stream_wakeup.wait(min(POLL_INTERVAL * 2, max(0.0, deadline - time.monotonic())))
                records = shard.items[position : position + batch_size]
        if not records:
            with _stream_wakeup:
                _stream_wakeup.wait(POLL_INTERVAL * 2)
            continue
        json_records = [r.to_json() for r in records]
        event = {"Records": [_stream_record(r, esm.region, esm.event_source_arn) for r in json_records]}
        try:
            response, errored = _invoke(esm, event)
        except _Throttled:
            errored, response = True, None
        except Exception as exc:  # noqa: BLE001 - e.g. the function was deleted
            worker.problem(f"cannot invoke {esm.function_arn}: {exc}")
            worker.stopping.wait(1.0)
            continue
        # Where to resume if this attempt failed: the batch start, or the first failed record.
        resume_at = 0
        if not errored and "ReportBatchItemFailures" in (esm.function_response_types or []):
            sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in json_records]
            failed = _failed_items(response, set(sequence_numbers))
            if failed is None:
                errored = True
            elif failed:
                errored = True
                resume_at = min(sequence_numbers.index(s) for s in failed)
        if not errored:
            _stream_positions[esm.uuid] = position + len(records)
            attempts = 0
            continue
        attempts += 1
        max_retries = esm.max_retry_attempts
        if max_retries is not None and 0 <= int(max_retries) < attempts:
            log.warning(
                "event source mapping %s: discarding %d record(s) after %d retries",
                esm.uuid,
                len(records) - resume_at,
                int(max_retries),
            )
            _stream_positions[esm.uuid] = position + len(records)
            attempts = 0
            continue
        _stream_positions[esm.uuid] = position + resume_at
        worker.stopping.wait(min(0.5 * 2 ** (attempts - 1), 10.0))


class _Supervisor(threading.Thread):
    """Starts a poller for every enabled SQS/DynamoDB mapping and stops it when the mapping goes."""

    def __init__(self) -> None:
        super().__init__(name="courselab-event-sources", daemon=True)
        self._stopping = threading.Event()
        self._wakeup = threading.Event()
        self._workers: dict[str, _Worker] = {}
        self._workers_lock = threading.Lock()

    def wake(self) -> None:
        self._wakeup.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._sync()
            except Exception:  # noqa: BLE001 - keep polling whatever one scan met
                log.exception("event source supervisor")
            self._wakeup.wait(POLL_INTERVAL)
            self._wakeup.clear()
        self.stop_workers()

    def _sync(self) -> None:
        with self._workers_lock:
            for key, worker in list(self._workers.items()):
                if worker.thread is not None and not worker.thread.is_alive():
                    del self._workers[key]
            for esm in _all_mappings():
                if not esm.enabled or esm.uuid in self._workers or getattr(esm, "courselab_retired", False):
                    continue
                source = _source_type(esm.event_source_arn)
                if source not in ("sqs", "dynamodb"):
                    continue
                self._detach_from_moto(esm, source)
                worker = _Worker(esm)
                self._workers[esm.uuid] = worker
                worker.start(_run_sqs if source == "sqs" else _run_stream)

    @staticmethod
    def _detach_from_moto(esm: Any, source: str) -> None:
        """Mappings made before install() (or by other paths) still sit on moto's inline path."""
        if source == "sqs":
            owner = _find_queue(esm.account_id, esm.region, esm.event_source_arn)
        else:
            owner = _find_table(esm.account_id, esm.region, esm.event_source_arn)
        if owner is not None:
            owner.lambda_event_source_mappings.pop(esm.function_arn, None)

    def stop_workers(self) -> None:
        with self._workers_lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.stopping.set()
        with _stream_wakeup:
            _stream_wakeup.notify_all()
        deadline = time.monotonic() + 2.0
        for worker in workers:
            if worker.thread is not None and worker.thread is not threading.current_thread():
                worker.thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
