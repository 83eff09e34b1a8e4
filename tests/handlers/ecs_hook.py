"""An ECS deployment lifecycle hook: answers the hookStatus its environment names (SUCCEEDED by default)."""

import os


def handler(event, context):
    print("lifecycle stage", event.get("lifecycleStage"))
    return {"hookStatus": os.environ.get("HOOK_STATUS", "SUCCEEDED")}
