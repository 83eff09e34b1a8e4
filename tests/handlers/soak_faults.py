"""A handler for the soak and fault tests: the event says how to behave (or misbehave)."""

import os
import sys
import time
import uuid

ENVIRONMENT_ID = uuid.uuid4().hex


def handler(event, context):
    if event.get("Records"):  # SQS: fail the messages whose body starts with "fail"
        failures = [
            {"itemIdentifier": record["messageId"]} for record in event["Records"] if record["body"].startswith("fail")
        ]
        with open(os.environ["SUCCESS_LOG"], "a") as log:  # one line per message processed successfully
            failed = {f["itemIdentifier"] for f in failures}
            log.write("".join(r["body"] + "\n" for r in event["Records"] if r["messageId"] not in failed))
        return {"batchItemFailures": failures}
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise RuntimeError(f"event {event.get('n')} fails on purpose")
    if event.get("leak_mb"):
        hoard = []
        for _ in range(event["leak_mb"]):
            hoard.append(bytearray(1024 * 1024))
    if event.get("fill_tmp"):
        for i in range(100_000):
            with open(os.path.join(os.environ["TMPDIR"], f"fill-{i}"), "wb") as out:
                out.write(b"\0" * 1024 * 1024)
            time.sleep(0.005)
    if event.get("print_mb"):
        chunk = "x" * (1024 * 1024 - 1) + "\n"
        for _ in range(event["print_mb"]):
            sys.stdout.write(chunk)
    return {"environment": ENVIRONMENT_ID, "n": event.get("n"), "pid": os.getpid()}
