"""README: deploy with Stage=prod and GreetingText=bonjour; the function reports its configuration,
which matches the resources the Outputs name. The queue ARN is exported."""

import boto3

SHAPE = "Parameters, Mappings, Conditions -> environment variables via !Ref/!GetAtt/!Sub/!If; Outputs + Export"


def parameters(app):
    return {"Stage": "prod", "GreetingText": "bonjour"}


def exercise(app):
    queue_url = boto3.client("sqs").get_queue_url(QueueName=app.output("QueueUrl").rsplit("/", 1)[-1])["QueueUrl"]
    queue_name = queue_url.rsplit("/", 1)[-1]
    expected = {
        "STAGE": "prod",
        "LOG_LEVEL": "INFO",
        "GREETING": "bonjour",
        "RETRIES": "3",
        "QUEUE_URL": queue_url,
        "QUEUE_ARN": f"arn:aws:sqs:{app.region}:{app.account}:{queue_name}",
        "QUEUE_NAME": queue_name,
        "TOPIC_ARN": app.output("TopicArn"),
        "BUCKET_ARN": f"arn:aws:s3:::{app.stack_name}-data-{app.account}",
        "WHERE": f"{app.region}/{app.account}/{app.stack_name}",
        "FEATURE_FLAG": "on",
        "JOINED": "prod-b",
    }
    with app.step("the function's environment holds the resolved values"):
        got = app.invoke(app.output("FunctionName"))
        wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
        assert not wrong, f"(got, expected) per variable: {wrong}"

    with app.step("the Outputs name the same resources"):
        assert app.output("QueueArn") == expected["QUEUE_ARN"], app.outputs
        assert app.output("BucketArn") == expected["BUCKET_ARN"], app.outputs
        assert app.output("FunctionArn").endswith(f":function:{app.output('FunctionName')}"), app.outputs
        boto3.client("sns").get_topic_attributes(TopicArn=app.output("TopicArn"))

    with app.step("the conditional output exists because Stage=prod"):
        assert app.outputs.get("ProdOnly") == "production", app.outputs

    with app.step("ListExports has the queue ARN under <stack>-QueueArn"):
        exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation").list_exports()["Exports"]}
        assert exports.get(f"{app.stack_name}-QueueArn") == expected["QUEUE_ARN"], exports
