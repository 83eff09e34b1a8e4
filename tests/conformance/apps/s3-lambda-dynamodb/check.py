"""README: upload a .txt file to the bucket; the table then has an item for it. Other files are ignored."""

import boto3

SHAPE = "S3 -> Lambda -> DynamoDB"


def exercise(app):
    bucket, table = app.output("BucketName"), app.output("TableName")
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="photo.png", Body=b"not text")
    s3.put_object(Bucket=bucket, Key="notes/todo list.txt", Body=b"buy milk")

    with app.step("PUT notes/todo list.txt, then the table has an item for it"):
        items = app.wait(lambda: [i for i in app.scan(table) if i["objectKey"] == "notes/todo list.txt"], "the item")
        assert items[0]["size"] == 8, items
        assert items[0]["bucket"] == bucket and items[0]["eventName"].startswith("ObjectCreated:"), items

    with app.step("the suffix filter (.txt) keeps photo.png out of the table"):
        keys = {i["objectKey"] for i in app.scan(table)}
        assert keys == {"notes/todo list.txt"}, keys
