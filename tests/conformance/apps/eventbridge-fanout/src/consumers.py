"""Two independent consumers of the same event."""

import json


def welcome(event, context):
    print(json.dumps({"welcome": event["detail"]["user"]}))


def crm(event, context):
    print(json.dumps({"crm": event["detail"]["user"]}))
