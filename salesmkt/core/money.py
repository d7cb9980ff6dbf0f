"""Money and quantities are Decimal, rounded by one rule (half up) everywhere."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY_PLACES = 2
PRICE_PLACES = 4
QUANTITY_PLACES = 4
PERCENT_PLACES = 2

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from an int, str or Decimal. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a str or Decimal")
    return value if isinstance(value, Decimal) else Decimal(value)


def quantize(value: Decimal | int | str, places: int) -> Decimal:
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_money(value: Decimal | int | str) -> Decimal:
    """Round an amount to cents, half up (EN 16931 rounds line and document amounts so)."""
    return quantize(value, MONEY_PLACES)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return round_money(to_decimal(amount) * to_decimal(percent) / Decimal(100))


def MoneyField(verbose_name=None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=MONEY_PLACES, **kwargs)


def PriceField(verbose_name=None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=PRICE_PLACES, **kwargs)


def QuantityField(verbose_name=None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(
        verbose_name, max_digits=20, decimal_places=QUANTITY_PLACES, **kwargs
    )


def PercentField(verbose_name=None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(verbose_name, max_digits=7, decimal_places=PERCENT_PLACES, **kwargs)
