"""The card charge of the checkout exercise.

The payment gateway times out on the first two attempts of every charge (the state machine passes the
attempt number, ``$$.State.RetryCount``), and a card ending in 0000 is declined for good.
"""


class GatewayTimeout(Exception):
    """Transient: retrying helps."""


class CardDeclined(Exception):
    """Permanent: retrying cannot help."""


def handler(event, context):
    if event["card"].endswith("0000"):
        raise CardDeclined(f"card ending {event['card'][-4:]} declined")
    if event.get("attempt", 0) < 2:
        raise GatewayTimeout(f"the gateway timed out (attempt {event.get('attempt', 0) + 1})")
    return {"charged": event["amount"], "attempts": event["attempt"] + 1}
