"""Sales quotations: status machine, pricing, confirmation into an order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Customer, Prospect
from orders.models import SalesOrder, SalesQuotation
from orders.services.quotations import (
    quotation_cancel,
    quotation_confirm,
    quotation_create,
    quotation_lose,
    quotation_send,
    quotation_update,
)
from salesmkt.core.errors import ConflictError, TransitionNotAllowed
from tests import factories as f


@pytest.fixture
def quote():
    warehouse = f.WarehouseFactory()

    def make(party=None, quantity="5", expiry=None, **extra):
        party = party or f.CustomerFactory().party
        return quotation_create(
            data={
                "party": party,
                "expiry_date": expiry or timezone.localdate() + timedelta(days=30),
                "requested_ship_date": date(2026, 12, 1),
                "lines": [
                    {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": Decimal(quantity)}
                ],
                **extra,
            },
            actor=None,
        )

    return make


@pytest.mark.django_db
def test_a_quotation_is_numbered_and_priced_like_an_order(quote):
    quotation = quote(quantity="3")

    assert quotation.number == "SQ000001"
    assert quotation.lines.get().line_amount == Decimal("300.00")


@pytest.mark.django_db
def test_confirming_a_sent_quotation_makes_the_order_with_its_lines_linked_both_ways(quote):
    quotation = quote()
    quotation_send(quotation=quotation, actor=None)

    order = quotation_confirm(quotation=quotation, actor=None)

    quotation.refresh_from_db()
    assert (quotation.status, quotation.sales_order) == ("confirmed", order)
    assert order.quotation == quotation
    assert order.lines.get().line_amount == Decimal("500.00")
    assert order.lines.get().price_source == "quotation"


@pytest.mark.django_db
def test_confirming_a_prospects_quotation_makes_the_prospect_a_customer(quote):
    f.CustomerTemplateFactory()
    prospect = Prospect.objects.create(party=f.PartyFactory(name="Bergen Hotell AS"))
    quotation = quote(party=prospect.party)
    quotation_send(quotation=quotation, actor=None)

    order = quotation_confirm(quotation=quotation, actor=None)

    assert order.customer == Customer.objects.get(party=prospect.party)
    assert not Prospect.objects.exists()


@pytest.mark.django_db
def test_an_expired_quotation_cannot_be_confirmed(quote):
    quotation = quote(expiry=timezone.localdate() - timedelta(days=1))
    quotation_send(quotation=quotation, actor=None)

    with pytest.raises(ConflictError) as refused:
        quotation_confirm(quotation=quotation, actor=None)

    assert refused.value.code == "quotation_expired"
    assert SalesQuotation.objects.get().status == "sent"
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
def test_a_quotation_is_confirmed_only_after_it_was_sent(quote):
    with pytest.raises(TransitionNotAllowed):
        quotation_confirm(quotation=quote(), actor=None)


@pytest.mark.django_db
@pytest.mark.parametrize("close", ["confirm", "lose", "cancel"])
def test_a_closed_quotation_cannot_be_revised_or_closed_again(quote, close):
    quotation = quote()
    quotation_send(quotation=quotation, actor=None)
    {
        "confirm": lambda: quotation_confirm(quotation=quotation, actor=None),
        "lose": lambda: quotation_lose(quotation=quotation, reason="Price", actor=None),
        "cancel": lambda: quotation_cancel(quotation=quotation, actor=None),
    }[close]()

    with pytest.raises(ConflictError) as revised:
        quotation_update(instance=SalesQuotation.objects.get(), data={"notes": "x"}, actor=None)
    with pytest.raises(TransitionNotAllowed):
        quotation_cancel(quotation=SalesQuotation.objects.get(), actor=None)

    assert revised.value.code == "quotation_closed"


@pytest.mark.django_db
def test_a_sent_quotation_is_revised_and_its_revision_counted(quote):
    quotation = quote()
    quotation_send(quotation=quotation, actor=None)
    line = quotation.lines.get()

    revised = quotation_update(
        instance=quotation, data={"lines": [{"id": line.pk, "quantity": Decimal("8")}]}, actor=None
    )

    assert (revised.revision, revised.status) == (1, "sent")
    assert revised.lines.get().line_amount == Decimal("800.00")


@pytest.mark.django_db
def test_losing_a_quotation_needs_a_reason_through_the_api(manager_api, quote):
    quotation = quote()

    refused = manager_api.post(f"/api/v1/quotations/{quotation.pk}/lose/", {}, format="json")
    lost = manager_api.post(
        f"/api/v1/quotations/{quotation.pk}/lose/", {"reason": "Too expensive"}, format="json"
    )

    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", "Too expensive")


@pytest.mark.django_db
def test_the_api_confirms_a_quotation_into_an_order(manager_api, quote):
    quotation = quote()
    manager_api.post(f"/api/v1/quotations/{quotation.pk}/send/")

    response = manager_api.post(f"/api/v1/quotations/{quotation.pk}/confirm/")
    again = manager_api.post(f"/api/v1/quotations/{quotation.pk}/confirm/")

    assert response.status_code == 201 and response.json()["number"] == "SO000001"
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
