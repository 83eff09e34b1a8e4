"""An ECS deployment lifecycle hook: answers the hookStatus its environment names (SUCCEEDED by default).

Environment:
  HOOK_STATUS   SUCCEEDED, FAILED, or WAIT_ONCE: IN_PROGRESS (callBackDelay 1 s) the first time, then SUCCEEDED
"""

import os

calls = 0


def handler(event, context):
    global calls
    calls += 1
    print("lifecycle stage", event.get("lifecycleStage"), "call", calls)
    status = os.environ.get("HOOK_STATUS", "SUCCEEDED")
    if status == "WAIT_ONCE":
        return {"hookStatus": "IN_PROGRESS", "callBackDelay": 1} if calls == 1 else {"hookStatus": "SUCCEEDED"}
    return {"hookStatus": status}
