"""Sales agreements: in every status, for every declared action, the page shows the action's
button exactly when the service accepts it, and the API's `allowed_actions` says the same
(issue 15: one definition of what may happen next, `agreements/actions.py`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.actions import SALES_AGREEMENT
from agreements.models import SalesAgreement
from agreements.services import sales_agreements as services
from tests import factories as f
from tests.action_table import allowed_on_the_page_and_api


def days(n):
    return timezone.localdate() + timedelta(days=n)


def runs(agreement, actor) -> dict:
    line = agreement.lines.order_by("pk").first()
    return {
        "update": lambda: services.sales_agreement_update(
            instance=agreement, data={"description": "Changed"}, actor=actor
        ),
        "delete": lambda: services.sales_agreement_delete(instance=agreement, actor=actor),
        "make_effective": lambda: services.sales_agreement_make_effective(
            agreement=agreement, actor=actor
        ),
        "put_on_hold": lambda: services.sales_agreement_put_on_hold(
            agreement=agreement, actor=actor
        ),
        "close": lambda: services.sales_agreement_close(agreement=agreement, actor=actor),
        "release": lambda: services.agreement_release(
            agreement=agreement,
            customer=agreement.customer,
            requested_ship_date=min(agreement.expiration_date, timezone.localdate()),
            lines=[{"item": line.item, "quantity": Decimal("1")}] if line else [],
            reference="SO-TABLE",
            actor=actor,
        ),
    }


def make(actor, *, lines=True, expired=False, then=()):
    agreement = services.sales_agreement_create(
        data={
            "customer": f.CustomerFactory(),
            "effective_date": days(-30),
            "expiration_date": days(-1) if expired and not then else days(30),
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": f.ItemFactory(),
                    "committed_quantity": Decimal("100"),
                    "unit_price": Decimal("10.0000"),
                }
            ]
            if lines
            else [],
        },
        actor=actor,
    )
    for step in then:
        runs(agreement, actor)[step]()
    if expired and then:
        # expired while effective (its terms no longer change then)
        SalesAgreement.objects.filter(pk=agreement.pk).update(expiration_date=days(-1))
    agreement.refresh_from_db()
    return agreement


TABLE = [
    # (state, how to make it, the actions allowed in it)
    ("on hold without lines", {"lines": False}, {"update", "delete", "close"}),
    ("on hold", {}, {"update", "delete", "make_effective", "close"}),
    ("on hold, expired", {"expired": True}, {"update", "delete", "close"}),
    ("effective", {"then": ["make_effective"]}, {"put_on_hold", "close", "release"}),
    ("effective, expired", {"then": ["make_effective"], "expired": True}, {"put_on_hold", "close"}),
    (
        "on hold after releases",
        {"then": ["make_effective", "release", "put_on_hold"]},
        {"update", "make_effective", "close"},
    ),
    ("closed", {"then": ["close"]}, set()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "setup", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_sales_agreement_page_service_and_api_agree_on_what_may_happen_next(
    clients, superuser, state, setup, expected
):
    agreement = make(superuser, **setup)
    actions = runs(agreement, superuser)
    assert set(actions) == set(SALES_AGREEMENT.actions), "every declared action is in the table"
    allowed = allowed_on_the_page_and_api(
        obj=agreement,
        runs=actions,
        page_url=reverse("agreements:sales-agreements-detail", args=[agreement.pk]),
        api_url=f"/api/v1/sales-agreements/{agreement.pk}/",
        clients=clients,
        label=state,
        api_only={"release"},  # released by entering an order, not from the agreement's page
    )

    assert allowed == expected


@pytest.mark.django_db
def test_an_agreement_without_lines_shows_make_effective_disabled_with_the_reason(clients):
    agreement = make(None, lines=False)
    page_client, api_client = clients

    html = page_client.get(
        reverse("agreements:sales-agreements-detail", args=[agreement.pk])
    ).content.decode()
    entries = api_client.get(f"/api/v1/sales-agreements/{agreement.pk}/").json()

    assert 'data-refusal="agreement_has_no_lines"' in html
    make_effective = next(
        entry for entry in entries["allowed_actions"] if entry["action"] == "make_effective"
    )
    assert make_effective["refusal"] == "agreement_has_no_lines"


@pytest.mark.django_db
def test_an_agreement_orders_were_released_from_is_not_deleted(clients, superuser):
    agreement = make(superuser, then=["make_effective", "release", "put_on_hold"])
    _, api_client = clients

    response = api_client.delete(f"/api/v1/sales-agreements/{agreement.pk}/")

    assert (response.status_code, response.json()["code"]) == (409, "agreement_has_releases")
    assert SalesAgreement.objects.filter(pk=agreement.pk).exists()
