from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesmkt.core.audit import record_event
from salesmkt.core.models import AuditEvent
from salesmkt.core.money import percent_of, round_money
from tests.factories import CurrencyFactory


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("0.005", "0.01"), ("10", "10.00")],
)
def test_money_rounds_half_up_to_cents(amount, rounded):
    assert round_money(Decimal(amount)) == Decimal(rounded)


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        round_money(0.1)


def test_percent_of_an_amount_is_rounded_to_cents():
    assert percent_of(Decimal("99.90"), Decimal("25")) == Decimal("24.98")


@pytest.mark.django_db
def test_audit_events_are_append_only():
    event = record_event(actor=None, obj=CurrencyFactory(), action="created")

    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "created"
