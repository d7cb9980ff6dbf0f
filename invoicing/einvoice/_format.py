"""How the e-invoice syntaxes write numbers: amounts with two decimals, prices with up to four,
quantities and rates with what they need."""

from __future__ import annotations

from decimal import Decimal

from salesmkt.core.money import quantize, round_money


def amount(value: Decimal) -> str:
    return f"{round_money(value):.2f}"


def _trimmed(value: Decimal, max_places: int, min_places: int) -> str:
    text = f"{quantize(value, max_places):f}"
    if "." in text:
        whole, decimals = text.split(".")
        decimals = decimals.rstrip("0").ljust(min_places, "0")
        return f"{whole}.{decimals}" if decimals else whole
    return text


def price(value: Decimal) -> str:
    """A unit price: two to four decimals (100.00, 12.345, 0.1234)."""
    return _trimmed(value, 4, 2)


def quantity(value: Decimal) -> str:
    """A quantity: as many decimals as it has, up to four (3, 2.5)."""
    return _trimmed(value, 4, 0)


def percent(value: Decimal) -> str:
    return _trimmed(value, 2, 0)
