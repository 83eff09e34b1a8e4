"""SQS in the lab: dead-letter queue redrive with StartMessageMoveTask.

Stock moto stores queues, moves a message to the dead-letter queue after ``maxReceiveCount``
receives, and answers ``StartMessageMoveTask``, ``ListMessageMoveTasks`` and
``CancelMessageMoveTask`` with an error: it has no such actions. The lab runs message move tasks
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html):
the source must be the dead-letter queue of another SQS queue; messages go back to the queue each
came from (or to ``DestinationArn``), at ``MaxNumberOfMessagesPerSecond`` (at most 500) or, without
it, as fast as the lab moves them; one task per source queue is active at a time; a task reports
``RUNNING``, ``COMPLETED`` or ``CANCELLED`` with the approximate numbers moved and to move.

Lab differences: a moved message is sent again (a new message id and receive count, as a redriven
message has on AWS) and keeps its body, attributes and, on FIFO queues, its group; the task handle
is the lab's own opaque string.
"""
