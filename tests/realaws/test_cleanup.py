"""The course tag and ``python -m courselab cleanup``, against the lab.

In ``aws`` mode ``courselab.start()`` installs the tagging hook; here it is installed explicitly, so
plain boto3 calls against the lab get the course tag exactly as they would on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

import courselab
from courselab.__main__ import main
from courselab.realaws import tags as aws_tags
from tests.conftest import TRUST_POLICY, zip_handler

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
COURSE = {"Key": aws_tags.TAG_KEY, "Value": aws_tags.TAG_VALUE}


@pytest.fixture
def tagging(lab: courselab.Lab) -> Iterator[None]:
    aws_tags.install()
    boto3.DEFAULT_SESSION = None  # a new default session, made with the hook
    yield
    aws_tags.uninstall()
    boto3.DEFAULT_SESSION = None


def make_course_resources() -> dict[str, str]:
    """One resource of each kind the chapters make, with plain boto3."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="course-bucket")
    s3.put_object(Bucket="course-bucket", Key="a.txt", Body=b"a")
    role = boto3.client("iam").create_role(RoleName="course-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    boto3.client("iam").put_role_policy(RoleName="course-role", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
    function = boto3.client("lambda").create_function(
        FunctionName="course-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="record_events.handler",
        Code={"ZipFile": zip_handler("record_events.py")},
    )
    table = boto3.client("dynamodb").create_table(
        TableName="course-table",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "owner", "Value": "me"}],  # the learner's own tags are kept
    )
    queue = boto3.client("sqs").create_queue(QueueName="course-queue")["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="course-topic")["TopicArn"]
    boto3.client("logs").create_log_group(logGroupName="/course/logs")
    rule = boto3.client("events").put_rule(Name="course-rule", ScheduleExpression="rate(1 hour)")["RuleArn"]
    boto3.client("events").put_targets(Rule="course-rule", Targets=[{"Id": "1", "Arn": function["FunctionArn"]}])
    repo = boto3.client("ecr").create_repository(repositoryName="course-repo")["repository"]["repositoryArn"]
    cluster = boto3.client("ecs").create_cluster(clusterName="course-cluster")["cluster"]["clusterArn"]
    api = boto3.client("apigatewayv2").create_api(Name="course-api", ProtocolType="HTTP")["ApiId"]
    rest = boto3.client("apigateway").create_rest_api(name="course-rest")["id"]
    return {
        "bucket": "course-bucket",
        "role": role["Role"]["Arn"],
        "function": function["FunctionArn"],
        "table": table["TableDescription"]["TableArn"],
        "queue": queue,
        "topic": topic,
        "rule": rule,
        "repo": repo,
        "cluster": cluster,
        "api": api,
        "rest": rest,
    }


def test_every_shape_of_tags_gets_the_course_tag(tagging: None) -> None:
    made = make_course_resources()
    assert COURSE in boto3.client("s3").get_bucket_tagging(Bucket="course-bucket")["TagSet"]
    assert COURSE in boto3.client("iam").list_role_tags(RoleName="course-role")["Tags"]  # list of Key/Value
    assert boto3.client("lambda").list_tags(Resource=made["function"])["Tags"] == {"course": aws_tags.TAG_VALUE}
    table_tags = boto3.client("dynamodb").list_tags_of_resource(ResourceArn=made["table"])["Tags"]
    assert {"Key": "owner", "Value": "me"} in table_tags and COURSE in table_tags
    assert boto3.client("sqs").list_queue_tags(QueueUrl=made["queue"])["Tags"] == {"course": aws_tags.TAG_VALUE}
    ecs_tags = boto3.client("ecs").list_tags_for_resource(resourceArn=made["cluster"])["tags"]
    assert {"key": "course", "value": aws_tags.TAG_VALUE} in ecs_tags  # lowercase key/value
    # The learner's own PutBucketTagging keeps the course tag.
    boto3.client("s3").put_bucket_tagging(Bucket="course-bucket", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert COURSE in boto3.client("s3").get_bucket_tagging(Bucket="course-bucket")["TagSet"]


def test_without_the_hook_nothing_is_tagged(lab: courselab.Lab) -> None:
    assert not aws_tags.installed()
    boto3.client("sqs").create_queue(QueueName="plain")
    url = boto3.client("sqs").get_queue_url(QueueName="plain")["QueueUrl"]
    assert not boto3.client("sqs").list_queue_tags(QueueUrl=url).get("Tags")


def test_cleanup_lists_then_deletes_only_what_is_tagged(tagging: None, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_course_resources()
    aws_tags.uninstall()
    boto3.DEFAULT_SESSION = None
    boto3.client("s3").create_bucket(Bucket="not-the-course")  # made outside the course: must survive
    boto3.client("sqs").create_queue(QueueName="not-the-course")

    assert main(["cleanup"]) == 0
    listed = capsys.readouterr().out
    for arn in (made["role"], made["function"], made["table"], made["topic"], made["rule"], made["repo"]):
        assert arn in listed
    assert "arn:aws:s3:::course-bucket" in listed and "not-the-course" not in listed
    assert "Dry run: nothing was deleted" in listed
    assert boto3.client("lambda").get_function(FunctionName="course-fn")  # still there

    assert main(["cleanup", "--yes"]) == 0
    out = capsys.readouterr()
    assert "could not delete" not in out.err, out.err
    assert out.out.count("deleted arn:") >= 12
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert buckets == ["not-the-course"]
    assert [u.rsplit("/", 1)[-1] for u in boto3.client("sqs").list_queues().get("QueueUrls", [])] == ["not-the-course"]
    assert not boto3.client("lambda").list_functions()["Functions"]
    assert not boto3.client("dynamodb").list_tables()["TableNames"]
    assert not boto3.client("events").list_rules()["Rules"]
    assert not boto3.client("ecr").describe_repositories()["repositories"]
    assert not boto3.client("apigatewayv2").get_apis()["Items"]
    assert not boto3.client("apigateway").get_rest_apis()["items"]
    assert "course-role" not in [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]

    assert main(["cleanup"]) == 0
    assert "0 resources tagged" in capsys.readouterr().out


def test_cleanup_errors_are_one_line(lab: courselab.Lab, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cleanup", "--no-such-flag"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--no-such-flag" in err
