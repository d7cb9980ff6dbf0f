from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import SalesAgreement, TradeAgreement
from agreements.services.sales_agreements import (
    agreement_release,
    sales_agreement_create,
    sales_agreement_make_effective,
)
from tests import factories as f


@pytest.fixture
def manager(client, user_in):
    client.force_login(user_in("sales manager"))
    return client


def agreement(**extra):
    return sales_agreement_create(
        data={
            "customer": f.CustomerFactory(),
            "effective_date": date(2026, 1, 1),
            "expiration_date": date(2099, 12, 31),
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": f.ItemFactory(),
                    "committed_quantity": Decimal("200"),
                    "unit_price": Decimal("10"),
                }
            ],
            **extra,
        },
        actor=None,
    )


@pytest.mark.django_db
def test_the_agreement_page_shows_fulfilment_as_progress_bars(manager):
    sales_agreement = agreement()
    sales_agreement_make_effective(agreement=sales_agreement, actor=None)
    line = sales_agreement.lines.get()
    agreement_release(
        agreement=sales_agreement,
        customer=sales_agreement.customer,
        requested_ship_date=date(2026, 6, 1),
        lines=[{"item": line.item, "quantity": Decimal("50")}],
        reference="SO-1",
        actor=None,
    )

    page = manager.get(
        reverse("agreements:sales-agreements-detail", args=[sales_agreement.pk])
    ).content.decode()

    assert 'aria-valuenow="25"' in page  # 50 of 200 released
    assert "SO-1" in page
    assert "/do/put-on-hold/" in page and "/do/make-effective/" not in page
    assert (
        reverse("agreements:sales-agreements-update", args=[sales_agreement.pk]) not in page
    )  # terms are fixed


def agreement_form(**fields) -> dict:
    """The new-agreement page's form for a new customer and item, one line."""
    customer, item = f.CustomerFactory(), f.ItemFactory()
    return {
        "customer": customer.pk,
        "effective_date": "2026-01-01",
        "commitment_type": "product_quantity",
        "total_commitment": "0",
        "over_release_tolerance": "0",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": item.pk,
        "lines-0-committed_quantity": "100",
        "lines-0-committed_amount": "0",
        "lines-0-unit_price": "9.50",
        "lines-0-discount_percent": "0",
        **fields,
    }


@pytest.mark.django_db
def test_an_agreement_is_created_with_its_lines_in_the_ui(manager):
    data = agreement_form(expiration_date="2026-12-31")

    response = manager.post(reverse("agreements:sales-agreements-create"), data)

    created = SalesAgreement.objects.get()
    assert response.status_code == 302
    assert (created.number, created.status, created.currency_id) == (
        "SA00001",
        "on_hold",
        created.customer.currency_id,  # the customer's currency, none given on the form
    )
    assert created.lines.get().unit_price == Decimal("9.5000")


@pytest.mark.django_db
def test_an_agreement_page_form_dated_9999_12_31_names_the_field_and_saves_nothing(manager):
    data = agreement_form(expiration_date="9999-12-31")

    response = manager.post(reverse("agreements:sales-agreements-create"), data)

    assert response.status_code == 400  # the form again, with the error on the field
    assert "expiration_date" in response.context["form"].errors
    assert not SalesAgreement.objects.exists()


@pytest.mark.django_db
def test_the_price_lookup_page_names_the_record_it_used(manager):
    customer = f.CustomerFactory()
    item = f.ItemFactory()
    used = TradeAgreement.objects.create(
        kind="price",
        customer_scope="customer",
        customer=customer,
        item_scope="item",
        item=item,
        amount=Decimal("42"),
        currency=customer.currency,
    )

    page = manager.get(
        reverse("agreements:price-lookup"),
        {"customer": customer.pk, "item": item.pk, "quantity": "2"},
    ).content.decode()

    assert "42.00" in page and "84.00" in page
    assert reverse("agreements:trade-agreements-detail", args=[used.pk]) in page
