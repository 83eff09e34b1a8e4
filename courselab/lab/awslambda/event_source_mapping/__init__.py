"""Event source mappings: pollers that read SQS queues and DynamoDB streams and invoke Lambda.

On AWS, an event source mapping is a poller run by the Lambda service: it reads records from the
source, groups them into batches of up to ``BatchSize`` (waiting up to
``MaximumBatchingWindowInSeconds`` to fill one) and invokes the function *synchronously* with one
batch (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html).
Stock moto instead runs the handler inside ``SendMessage``/``PutItem``, one record at a time,
and never retries. This extension takes mappings away from moto's inline path
(:mod:`~courselab.lab.awslambda.event_source_mapping.patches`) and polls for them on the lab's
scheduler (:mod:`~courselab.lab.awslambda.event_source_mapping.supervisor`): one periodic tick
gives every enabled mapping one short poll step, and each batch is invoked as a job of its own.

SQS (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), :mod:`.sqs`
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

DynamoDB Streams (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), :mod:`.streams`
    Reads the stream from ``TRIM_HORIZON`` or ``LATEST`` in order, one batch of up to
    ``BatchSize`` at a time, ``Records[]`` with ``eventName`` INSERT/MODIFY/REMOVE and ``dynamodb``
    Keys/NewImage/OldImage as the table's ``StreamViewType`` says. On error the same batch is
    retried (backing off) until it succeeds or ``MaximumRetryAttempts`` is used up; with
    ``ReportBatchItemFailures`` it resumes from the lowest failed sequence number
    (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html). The
    position in the stream is kept while a mapping is disabled and enabled again.

``FilterCriteria`` (:mod:`.filtering`) drops the records that match no filter before batching:
SQS deletes them, a stream moves past them
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).

``courselab.reset()`` retires the mappings that exist (no poll starts for them while the lab wipes
its Lambda environments and moto's backends) and waits briefly for batches being invoked.

Lab differences: one poller per mapping and at most five SQS batches in flight (AWS scales up to
1,000); new records are seen on the next tick of the poller (every 50 ms), not at once; the 6 MB
payload cap, on-failure destinations, ``BisectBatchOnFunctionError`` and
``ParallelizationFactor`` are not applied; a DynamoDB stream is one shard and its records never
expire.
"""
