"""Quote a price with VAT, using the layer's pricing module."""

import pricing


def handler(event, context):
    return {"net": event["net"], "gross": pricing.with_vat(event["net"]), "vat": pricing.VAT}
