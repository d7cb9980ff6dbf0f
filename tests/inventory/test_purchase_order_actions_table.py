"""Purchase orders: in every status, for every declared action, the page shows the action's
button exactly when the service accepts it, and the API's `allowed_actions` says the same
(issue 15: one definition of what may happen next, `inventory/actions.py`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.actions import PURCHASE_ORDER
from inventory.services import purchasing
from tests import factories as f
from tests.action_table import allowed_on_the_page_and_api


def runs(order, actor) -> dict:
    return {
        "update": lambda: purchasing.purchase_order_update(
            instance=order, data={"notes": "Changed"}, actor=actor
        ),
        "delete": lambda: purchasing.purchase_order_delete(instance=order, actor=actor),
        "receive": lambda: purchasing.purchase_order_receive(order=order, actor=actor),
        "register_shipment": lambda: purchasing.purchase_order_register_shipment(
            order=order, actor=actor
        ),
        "cancel": lambda: purchasing.purchase_order_cancel(order=order, actor=actor),
    }


def receive_part(order, actor):
    line = order.lines.get()
    purchasing.purchase_order_receive(
        order=order, lines=[{"line": line, "quantity": Decimal("4")}], actor=actor
    )


def order_the_received_only(order, actor):
    """Lower the line to what arrived: nothing is left to receive, the order stays open."""
    line = order.lines.get()
    purchasing.purchase_order_update(
        instance=order,
        data={"lines": [{"id": line.pk, "quantity": line.received_quantity}]},
        actor=actor,
    )


def make(actor, *, drop_shipment=False, then=()):
    order = purchasing.purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": timezone.localdate() + timedelta(days=7),
            "drop_shipment": drop_shipment,
            "lines": [{"item": f.ItemFactory(), "warehouse": f.WarehouseFactory(), "quantity": 10}],
        },
        actor=actor,
    )
    for step in then:
        if callable(step):
            step(order, actor)
        else:
            runs(order, actor)[step]()
    order.refresh_from_db()
    return order


TABLE = [
    # (state, how to make it, the actions allowed in it)
    ("open", {}, {"update", "delete", "receive", "cancel"}),
    ("open, partly received", {"then": [receive_part]}, {"update", "receive", "cancel"}),
    (
        "open, nothing left to receive",
        {"then": [receive_part, order_the_received_only]},
        {"update", "cancel"},
    ),
    (
        "open drop shipment",
        {"drop_shipment": True},
        {"update", "delete", "register_shipment", "cancel"},
    ),
    ("received", {"then": ["receive"]}, set()),
    ("shipped drop shipment", {"drop_shipment": True, "then": ["register_shipment"]}, set()),
    ("canceled", {"then": ["cancel"]}, {"delete"}),
    ("canceled after a receipt", {"then": [receive_part, "cancel"]}, set()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "setup", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_purchase_order_page_service_and_api_agree_on_what_may_happen_next(
    clients, superuser, state, setup, expected
):
    order = make(superuser, **setup)
    actions = runs(order, superuser)
    assert set(actions) == set(PURCHASE_ORDER.actions), "every declared action is in the table"
    allowed = allowed_on_the_page_and_api(
        obj=order,
        runs=actions,
        page_url=reverse("inventory:purchase-orders-detail", args=[order.pk]),
        api_url=f"/api/v1/purchase-orders/{order.pk}/",
        clients=clients,
        label=state,
    )

    assert allowed == expected


@pytest.mark.django_db
def test_an_open_order_with_nothing_left_shows_the_receipt_button_disabled_with_the_reason(
    clients, superuser
):
    order = make(superuser, then=[receive_part, order_the_received_only])
    page_client, api_client = clients

    html = page_client.get(
        reverse("inventory:purchase-orders-detail", args=[order.pk])
    ).content.decode()
    entries = api_client.get(f"/api/v1/purchase-orders/{order.pk}/").json()["allowed_actions"]

    assert 'data-refusal="nothing_to_receive"' in html
    assert 'name="arrive-' not in html
    receive = next(entry for entry in entries if entry["action"] == "receive")
    assert receive["refusal"] == "nothing_to_receive"
