"""Process a payment; a declined one raises."""


def handler(event, context):
    if event.get("declined"):
        raise ValueError(f"payment {event['id']} declined")
    return {"paid": event["id"]}
