"""The steps of an order workflow, one function: the state machine says which step in ``event["step"]``.

Step Functions orchestrates them; no step calls another. Errors are exceptions whose class name
becomes the error name that the state machine's Retry and Catch match.
"""

import json
import time


class InventoryBusy(Exception):
    """A transient failure: worth retrying."""


class PaymentDeclined(Exception):
    """A permanent failure: retrying cannot help; the workflow must take another path."""


PRICES = {"book": 12.5, "lamp": 40.0, "desk": 180.0, "pen": 1.5}


def handler(event, context):
    step = event["step"]
    print(json.dumps({"step": step, "order": event.get("order"), "at": time.time()}))
    if step == "reserve":
        # $$.State.RetryCount is 0 on the first attempt, 1 on the first retry...: the warehouse
        # answers "busy" twice, then reserves.
        if event["attempt"] < 2:
            raise InventoryBusy(f"warehouse busy (attempt {event['attempt'] + 1})")
        return {"reserved": True, "attempts": event["attempt"] + 1}
    if step == "price":
        return {"item": event["item"], "price": PRICES[event["item"]]}
    if step == "total":
        return round(sum(line["price"] for line in event["priced"]), 2)
    if step == "fraud-check":
        return {"risk": "low" if event["total"] < 1000 else "high"}
    if step == "charge":
        if event["card"].endswith("0000"):
            raise PaymentDeclined(f"card ending {event['card'][-4:]} declined")
        return {"charged": event["total"]}
    raise ValueError(f"unknown step {step!r}")
