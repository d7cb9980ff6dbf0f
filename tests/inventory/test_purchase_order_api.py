"""/api/v1/purchase-orders/: entry through the services, receipts (partial, never over), vendor
shipments of drop shipments, cancelling; refusals answer 409 with the services' codes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import PurchaseOrder
from inventory.services.purchasing import purchase_order_cancel, purchase_order_create
from inventory.services.stock import on_hand
from tests import factories as f


def in_a_week():
    """Asked when a test runs, in the time zone the code under test uses."""
    return timezone.localdate() + timedelta(days=7)


@pytest.fixture
def purchase():
    warehouse = f.WarehouseFactory()

    def make(quantity="10", *, drop_shipment=False, vendor=None, expected=None):
        return purchase_order_create(
            data={
                "vendor": vendor or f.VendorFactory(),
                "expected_receipt_date": expected or in_a_week(),
                "drop_shipment": drop_shipment,
                "lines": [
                    {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": Decimal(quantity)}
                ],
            },
            actor=None,
        )

    return make


def url(order=None, action=""):
    base = "/api/v1/purchase-orders/"
    if order is None:
        return base
    return f"{base}{order.pk}/{action + '/' if action else ''}"


@pytest.mark.django_db
def test_a_purchase_order_is_created_with_its_lines_numbered_and_costed(manager_api):
    vendor, item, warehouse = f.VendorFactory(), f.ItemFactory(), f.WarehouseFactory()

    response = manager_api.post(
        url(),
        {
            "vendor": vendor.pk,
            "expected_receipt_date": str(in_a_week()),
            "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "12"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "PO000001" and body["status"] == "open"
    [line] = body["lines"]
    assert (line["line_number"], Decimal(line["unit_cost"]), line["expected_receipt_date"]) == (
        1,
        item.cost_price,
        str(in_a_week()),
    )
    assert Decimal(line["receive_remainder"]) == Decimal("12")


@pytest.mark.django_db
def test_a_purchase_order_without_lines_answers_400_naming_the_lines(manager_api):
    response = manager_api.post(
        url(),
        {"vendor": f.VendorFactory().pk, "expected_receipt_date": str(in_a_week())},
        format="json",
    )

    assert response.status_code == 400
    assert "lines" in response.json()["errors"]
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_a_partial_receipt_through_the_api_leaves_the_remainder_expected(manager_api, purchase):
    order = purchase("10")
    line = order.lines.get()

    response = manager_api.post(
        url(order, "receive"),
        {"lines": [{"line": line.pk, "quantity": "4"}], "date": str(timezone.localdate())},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "open"
    assert Decimal(body["lines"][0]["received_quantity"]) == Decimal("4")
    assert Decimal(body["lines"][0]["receive_remainder"]) == Decimal("6")
    assert on_hand(line.item, line.warehouse) == Decimal("4")


@pytest.mark.django_db
def test_a_receipt_without_lines_receives_everything_still_expected(manager_api, purchase):
    order = purchase("10")

    body = manager_api.post(url(order, "receive"), {}, format="json").json()

    assert body["status"] == "received"
    assert on_hand(order.lines.get().item) == Decimal("10")


@pytest.mark.django_db
def test_an_over_receipt_answers_409_over_receipt_and_receives_nothing(manager_api, purchase):
    order = purchase("10")
    line = order.lines.get()

    response = manager_api.post(
        url(order, "receive"), {"lines": [{"line": line.pk, "quantity": "11"}]}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "over_receipt"
    line.refresh_from_db()
    assert line.received_quantity == 0 and on_hand(line.item) == 0


@pytest.mark.django_db
def test_receiving_a_drop_shipment_answers_409_drop_shipment_mismatch(manager_api, purchase):
    order = purchase("5", drop_shipment=True)

    received = manager_api.post(url(order, "receive"), {}, format="json")
    shipped_normal = manager_api.post(url(purchase("5"), "register-shipment"), {}, format="json")

    assert (received.status_code, received.json()["code"]) == (409, "drop_shipment_mismatch")
    assert shipped_normal.status_code == 409
    assert shipped_normal.json()["code"] == "drop_shipment_mismatch"


@pytest.mark.django_db
def test_registering_the_vendor_shipment_delivers_the_drop_shipment_sales_line(
    manager_api, make_order
):
    from inventory.models import InventoryTransaction
    from orders.services.supply import sales_line_purchase

    item = f.ItemFactory(primary_vendor=f.VendorFactory())
    order = make_order(quantities=["5"], items=[item])
    sales_line = order.lines.get()
    sales_line.supply_type = "drop_shipment"
    sales_line.save()
    purchase_line = sales_line_purchase(line=sales_line, actor=None)

    response = manager_api.post(
        url(purchase_line.order, "register-shipment"),
        {"lines": [{"line": purchase_line.pk, "quantity": "5"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    assert response.json()["lines"][0]["sales_lines"] == [sales_line.pk]
    sales_line.refresh_from_db()
    assert sales_line.deliver_remainder == 0
    assert not InventoryTransaction.objects.filter(item=item).exists()


@pytest.mark.django_db
def test_a_canceled_purchase_order_answers_409_purchase_order_closed(manager_api, purchase):
    order = purchase("10")

    canceled = manager_api.post(url(order, "cancel"), format="json")
    receipt = manager_api.post(url(order, "receive"), {}, format="json")
    again = manager_api.post(url(order, "cancel"), format="json")
    edit = manager_api.patch(url(order), {"notes": "x"}, format="json")

    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert (receipt.status_code, receipt.json()["code"]) == (409, "purchase_order_closed")
    assert again.status_code == 409
    assert (edit.status_code, edit.json()["code"]) == (409, "purchase_order_closed")


@pytest.mark.django_db
def test_a_purchase_order_with_receipts_is_not_deleted(manager_api, purchase):
    order = purchase("10")
    manager_api.post(
        url(order, "receive"),
        {"lines": [{"line": order.lines.get().pk, "quantity": "1"}]},
        format="json",
    )

    response = manager_api.delete(url(order))

    assert (response.status_code, response.json()["code"]) == (409, "purchase_order_received")
    assert PurchaseOrder.objects.filter(pk=order.pk).exists()


@pytest.mark.django_db
def test_a_line_of_another_purchase_order_is_refused_naming_the_line(manager_api, purchase):
    order, other = purchase("10"), purchase("10")

    response = manager_api.post(
        url(order, "receive"),
        {"lines": [{"line": other.lines.get().pk, "quantity": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "line_not_on_order"


@pytest.mark.django_db
def test_a_clerk_without_change_permission_cannot_receive(api_as, purchase):
    clerk = api_as("sales clerk")
    order = purchase("10")

    listed = clerk.get(url())
    refused = clerk.post(url(order, "receive"), {}, format="json")

    assert listed.status_code == 200
    assert refused.status_code == 403
    assert order.lines.get().received_quantity == 0


@pytest.mark.django_db
def test_marketing_may_not_see_purchase_orders(api_as):
    assert api_as("marketing").get(url()).status_code == 403


@pytest.mark.django_db
def test_purchase_orders_filter_by_vendor_status_and_dates_and_search_by_vendor_name(
    manager_api, purchase
):
    lofoten = f.VendorFactory(party=f.PartyFactory(name="Lofoten Sjømat AS"))
    late = purchase(vendor=lofoten, expected=timezone.localdate() - timedelta(days=3))
    later = purchase(expected=timezone.localdate() + timedelta(days=30))
    canceled = purchase_order_cancel(order=purchase(), actor=None)

    def numbers(query):
        return {o["number"] for o in manager_api.get(f"{url()}?{query}").json()["results"]}

    assert numbers(f"vendor={lofoten.pk}") == {late.number}
    assert numbers("status=canceled") == {canceled.number}
    assert numbers(f"expected_receipt_date__lte={timezone.localdate() - timedelta(days=1)}") == {
        late.number
    }
    assert numbers(f"expected_receipt_date__gte={timezone.localdate() + timedelta(days=8)}") == {
        later.number
    }
    assert numbers("search=lofoten") == {late.number}
    assert numbers("drop_shipment=true") == set()
    ordered = manager_api.get(f"{url()}?ordering=-expected_receipt_date").json()["results"]
    assert ordered[0]["number"] == later.number
