"""A CodeDeploy lifecycle hook: reports the status its environment names for the execution it is given.

Environment:
  HOOK_STATUS   "Succeeded" (the default) or "Failed"; "none": report nothing (the hook times out)
"""

import os

import boto3


def handler(event, context):
    status = os.environ.get("HOOK_STATUS", "Succeeded")
    if status != "none":
        boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
    return {"reported": status}
