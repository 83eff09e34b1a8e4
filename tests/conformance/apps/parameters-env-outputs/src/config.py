"""Answer with the configuration the template put in the environment."""

import os

NAMES = (
    "STAGE LOG_LEVEL GREETING RETRIES QUEUE_URL QUEUE_ARN QUEUE_NAME TOPIC_ARN BUCKET_ARN WHERE FEATURE_FLAG JOINED"
).split()


def handler(event, context):
    return {name: os.environ.get(name) for name in NAMES}
