"""README: upload images/cat.jpg; the function makes its thumbnail. Files outside images/ are ignored."""

import boto3

SHAPE = "S3 -> EventBridge (EventBridgeConfiguration) -> rule with prefix matching -> Lambda"


def exercise(app):
    bucket, function = app.output("BucketName"), app.output("FunctionName")
    with app.step("the bucket's notification configuration sends events to EventBridge"):
        config = boto3.client("s3").get_bucket_notification_configuration(Bucket=bucket)
        config.pop("ResponseMetadata")
        assert "EventBridgeConfiguration" in config, config

    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="docs/readme.txt", Body=b"text")
    s3.put_object(Bucket=bucket, Key="images/cat.jpg", Body=b"\xff\xd8jpeg")

    with app.step("the Object Created event for images/cat.jpg invokes the function"):
        app.wait_for_log(function, f'{{"thumbnail": "images/cat.jpg", "bucket": "{bucket}", "size": 6}}')

    with app.step("docs/readme.txt does not match the prefix"):
        assert not [m for m in app.log_messages(function) if "readme" in m]
