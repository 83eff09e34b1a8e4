"""Shared pricing rules, shipped in a layer: Lambda puts /opt/python on the import path."""

VAT = 0.2


def with_vat(net: float) -> float:
    return round(net * (1 + VAT), 2)
