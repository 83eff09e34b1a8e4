"""Handle an OrderPlaced event from EventBridge."""

import json


def handler(event, context):
    print(json.dumps({"order": event["detail"]["orderId"], "type": event["detail-type"], "source": event["source"]}))
