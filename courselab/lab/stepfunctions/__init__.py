"""Step Functions in the lab: state machines really run, and their Lambda tasks call the lab.

Stock moto stores state machines and, by default, leaves every execution ``RUNNING`` for ever.
It ships an interpreter of the Amazon States Language (``moto/stepfunctions/parser``, from
LocalStack) that runs executions when its ``stepfunctions.execute_state_machine`` setting is on,
and whose tasks call other services with boto3 at ``http://localhost:{MOTO_PORT}``. The lab uses
that interpreter for every Step Functions call and for CloudFormation's
``AWS::StepFunctions::StateMachine``, and points the tasks' boto3 at the lab's own port, so a
``Task`` state with a Lambda ARN runs the handler in the lab's execution environments
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-statemachines.html).

The lab adds the ``StartSyncExecution`` action moto lacks (``express``: an Express workflow runs in
the request and the response carries its output,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html) and keeps
the ``cause`` of ``SendTaskFailure``, which moto's response dropped, so a callback's rejection
reaches the ``Catch`` whole (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html).
An EXPRESS definition with an activity, ``.sync`` or ``.waitForTaskToken`` task is refused at
creation, as on AWS. Callbacks (``.waitForTaskToken``) with ``SendTaskSuccess``/``SendTaskFailure``
are the interpreter's. ``provider`` silences the interpreter's error log of every failed state (a
caught error included): the failure is in the execution's history, as on AWS.

The interpreter imports in about 1.7 s, so the extension installs on the first Step Functions
request (and with CloudFormation, which can create state machines). Where the lab differs from
AWS: Express workflows run like Standard ones (no at-least-once retries of the whole workflow),
waits are real time, execution history is moto's, and ``DescribeExecution`` and
``GetExecutionHistory`` answer for Express executions, which AWS records only in CloudWatch Logs.
"""
