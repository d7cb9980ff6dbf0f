"""Money and quantities are Decimal, rounded by one rule (half up) everywhere."""

from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    value = to_decimal(value)
    with localcontext() as context:
        # Wide enough for any finite value: a product too large to store is refused by `fits`
        # naming its field, not by an InvalidOperation from the default 28 digits.
        if value.is_finite():
            context.prec = max(context.prec, value.adjusted() + places + 2)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


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


TOO_LARGE = _("The amount %(value)s exceeds the largest amount that can be stored.")


def fits(value: Decimal, max_digits: int = 20, decimal_places: int = MONEY_PLACES) -> bool:
    """Whether `value`, rounded to `decimal_places`, fits a DecimalField of `max_digits`."""
    value = to_decimal(value)
    if not value.is_finite():
        return False
    return abs(quantize(value, decimal_places)) < Decimal(10) ** (max_digits - decimal_places)


def fits_field(instance: models.Model, name: str, value: Decimal | None = None) -> bool:
    """Whether `value` (else the instance's own) fits the model field `name`."""
    field = instance._meta.get_field(name)
    value = getattr(instance, name) if value is None else value
    return value is None or fits(value, field.max_digits, field.decimal_places)


def refuse_too_large(value: Decimal, *, field: str, max_digits: int = 20, places: int = 2) -> None:
    """ValidationError naming `field` when `value` does not fit: checked before anything is
    written, so PostgreSQL never answers `numeric field overflow` inside a request."""
    if not fits(value, max_digits, places):
        raise ValidationError({field: [TOO_LARGE % {"value": f"{to_decimal(value):.2E}"}]})
