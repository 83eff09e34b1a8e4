"""EC2 instances announce their state changes on the default event bus."""

from __future__ import annotations

import json

import boto3

from tests.conftest import wait_until


def test_each_transition_reaches_a_rule_on_aws_ec2_events(lab):
    sqs, events, ec2 = boto3.client("sqs"), boto3.client("events"), boto3.client("ec2")
    queue = sqs.create_queue(QueueName="ec2-states")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="instance-states",
        EventPattern=json.dumps({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}),
    )
    events.put_targets(Rule="instance-states", Targets=[{"Id": "queue", "Arn": queue_arn}])

    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance])
    ec2.start_instances(InstanceIds=[instance])
    ec2.terminate_instances(InstanceIds=[instance])

    received: list[dict] = []

    def all_arrived() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            received.append(json.loads(message["Body"]))
        return len(received) >= 8

    wait_until(all_arrived)
    assert [e["detail"]["state"] for e in received] == [
        "pending", "running", "stopping", "stopped", "pending", "running", "shutting-down", "terminated",
    ]  # fmt: skip
    first = received[0]
    assert first["source"] == "aws.ec2" and first["detail"]["instance-id"] == instance
    assert first["resources"] == [f"arn:aws:ec2:us-east-1:123456789012:instance/{instance}"]
