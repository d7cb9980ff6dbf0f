"""Clerk UI of purchase orders (list, entry with lines, receipts, vendor shipments, cancel) and
the supply marks and Purchase button on the sales order page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from inventory.models import PurchaseOrder
from inventory.services.purchasing import purchase_order_create
from orders.models import PackingSlip
from orders.services.supply import sales_line_purchase
from tests import factories as f
from tests.forms import sales_order_form


def today():
    """The date the code under test takes as today (Oslo's, not the machine's UTC date), asked
    when a test runs, not when the module is imported: a run that crosses midnight still agrees."""
    return timezone.localdate()


@pytest.fixture
def manager(client, user_in):
    client.force_login(user_in("sales manager"))
    return client


@pytest.fixture
def purchase():
    warehouse = f.WarehouseFactory()

    def make(quantity="10", *, expected=None, drop_shipment=False, **extra):
        return purchase_order_create(
            data={
                "vendor": f.VendorFactory(),
                "expected_receipt_date": expected or today() + timedelta(days=7),
                "drop_shipment": drop_shipment,
                "lines": [
                    {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": Decimal(quantity)}
                ],
                **extra,
            },
            actor=None,
        )

    return make


def detail(order):
    return reverse("inventory:purchase-orders-detail", args=[order.pk])


@pytest.mark.django_db
def test_the_list_marks_late_purchase_orders_and_filters_them(manager, purchase):
    late = purchase(expected=today() - timedelta(days=2))
    due = purchase(expected=today() + timedelta(days=7))
    url = reverse("inventory:purchase-orders-list")

    page = manager.get(url).content.decode()
    only_late = manager.get(url, {"late": "true"}).content.decode()
    sorted_by_late = manager.get(url, {"o": "-late_lines"}).context["rows"]

    assert "1 line late" in page
    assert late.number in only_late and due.number not in only_late
    assert sorted_by_late[0]["obj"] == late


@pytest.mark.django_db
def test_the_list_searches_by_vendor_name_and_filters_by_expected_date(manager, purchase):
    lofoten = purchase(vendor=f.VendorFactory(party=f.PartyFactory(name="Lofoten Sjømat AS")))
    later = purchase(expected=today() + timedelta(days=30))
    url = reverse("inventory:purchase-orders-list")

    searched = manager.get(url, {"q": "lofoten"}).context["rows"]
    from_date = manager.get(url, {"expected_from": str(today() + timedelta(days=8))}).context[
        "rows"
    ]

    assert [row["obj"] for row in searched] == [lofoten]
    assert [row["obj"] for row in from_date] == [later]


@pytest.mark.django_db
def test_a_purchase_order_is_entered_with_its_lines(manager):
    vendor, item, warehouse = f.VendorFactory(), f.ItemFactory(), f.WarehouseFactory()
    data = {
        "vendor": vendor.pk,
        "order_date": str(today()),
        "expected_receipt_date": str(today() + timedelta(days=5)),
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": item.pk,
        "lines-0-warehouse": warehouse.pk,
        "lines-0-quantity": "8",
    }

    response = manager.post(reverse("inventory:purchase-orders-create"), data)

    order = PurchaseOrder.objects.get()
    assert response.status_code == 302, response.context and [
        form.errors for form in response.context["forms"].values()
    ]
    line = order.lines.get()
    assert (line.quantity, line.unit_cost, line.expected_receipt_date) == (
        Decimal("8"),
        item.cost_price,
        today() + timedelta(days=5),
    )
    assert (
        manager.get(reverse("inventory:purchase-orders-update", args=[order.pk])).status_code == 200
    )


@pytest.mark.django_db
def test_the_receipt_form_is_prefilled_with_the_remainder_and_posts_a_partial_receipt(
    manager, purchase
):
    order = purchase("10")
    line = order.lines.get()
    page = manager.get(detail(order)).content.decode()
    assert f'name="arrive-{line.pk}" value="10"' in page
    assert "Post receipt" in page

    manager.post(
        reverse("inventory:purchase-orders-receive", args=[order.pk]),
        {f"arrive-{line.pk}": "4", "date": str(today())},
    )

    line.refresh_from_db()
    assert (line.received_quantity, line.receive_remainder) == (Decimal("4"), Decimal("6"))
    assert f'name="arrive-{line.pk}" value="6"' in manager.get(detail(order)).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("entered", ["four", "NaN", "Infinity"])
def test_a_receipt_quantity_that_is_not_a_number_is_refused_and_receives_nothing(
    manager, purchase, entered
):
    order = purchase("10")
    line = order.lines.get()

    response = manager.post(
        reverse("inventory:purchase-orders-receive", args=[order.pk]),
        {f"arrive-{line.pk}": entered, "date": str(today())},
        follow=True,
    )

    assert "Line 1: not a number." in response.content.decode()
    line.refresh_from_db()
    assert line.received_quantity == 0


@pytest.mark.django_db
def test_an_over_receipt_in_the_ui_is_refused_with_the_reason(manager, purchase):
    order = purchase("10")
    line = order.lines.get()

    response = manager.post(
        reverse("inventory:purchase-orders-receive", args=[order.pk]),
        {f"arrive-{line.pk}": "11"},
        follow=True,
    )

    assert "more than the" in response.content.decode()
    line.refresh_from_db()
    assert line.received_quantity == 0


@pytest.mark.django_db
def test_an_empty_receipt_form_receives_nothing(manager, purchase):
    order = purchase("10")

    response = manager.post(
        reverse("inventory:purchase-orders-receive", args=[order.pk]), {}, follow=True
    )

    assert "Enter the quantities that arrived." in response.content.decode()
    assert order.lines.get().received_quantity == 0


@pytest.mark.django_db
def test_a_late_line_shows_a_late_badge_on_the_order_page(manager, purchase):
    order = purchase(expected=today() - timedelta(days=1))

    page = manager.get(detail(order)).content.decode()

    assert 'class="table-danger"' in page and ">late</span>" in page


@pytest.mark.django_db
def test_the_vendor_shipment_of_a_drop_shipment_delivers_the_sales_line(manager, make_order):
    item = f.ItemFactory(primary_vendor=f.VendorFactory())
    order = make_order(quantities=["3"], items=[item])
    sales_line = order.lines.get()
    sales_line.supply_type = "drop_shipment"
    sales_line.save()
    purchase_line = sales_line_purchase(line=sales_line, actor=None)
    purchase = purchase_line.order

    page = manager.get(detail(purchase)).content.decode()
    manager.post(
        reverse("inventory:purchase-orders-register-shipment", args=[purchase.pk]),
        {f"arrive-{purchase_line.pk}": "3"},
    )

    assert "Register vendor shipment" in page and "Post receipt" not in page
    assert f"{order.number}/1" in page  # the sales order line it serves, linked
    sales_line.refresh_from_db()
    assert sales_line.deliver_remainder == 0
    assert PackingSlip.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_the_cancel_button_cancels_the_purchase_order(manager, purchase):
    order = purchase("10")
    assert "/do/cancel/" in manager.get(detail(order)).content.decode()

    manager.post(reverse("inventory:purchase-orders-action", args=[order.pk, "cancel"]))

    order.refresh_from_db()
    assert order.status == "canceled"
    assert "/do/cancel/" not in manager.get(detail(order)).content.decode()


@pytest.mark.django_db
def test_a_clerk_sees_purchase_orders_but_cannot_receive(client, user_in, purchase):
    client.force_login(user_in("sales clerk"))
    order = purchase("10")
    line = order.lines.get()

    page = client.get(detail(order)).content.decode()
    refused = client.post(
        reverse("inventory:purchase-orders-receive", args=[order.pk]), {f"arrive-{line.pk}": "1"}
    )

    buttons = [" ".join(b.text_content().split()) for b in html.fromstring(page).iter("button")]
    assert not [text for text in buttons if "Post receipt" in text]
    assert "Waiting for a sales manager to “Post receipt”" in page  # who takes that step
    assert refused.status_code == 403
    assert order.lines.get().received_quantity == 0


@pytest.mark.django_db
def test_the_admin_receives_a_purchase_order_through_the_service(client, purchase):
    client.force_login(f.UserFactory(is_superuser=True, is_staff=True))
    order = purchase("10")

    change = client.get(reverse("admin:inventory_purchaseorder_change", args=[order.pk]))
    client.post(
        reverse("admin:inventory_purchaseorder_changelist"),
        {"action": "receive", "_selected_action": [order.pk]},
    )

    assert change.status_code == 200
    order.refresh_from_db()
    assert order.status == "received" and order.lines.get().received_quantity == Decimal("10")


# --- the sales order page -----------------------------------------------------------------------
@pytest.fixture
def marked_line(make_order):
    def make(supply_type="drop_shipment", *, vendor=True):
        item = f.ItemFactory(primary_vendor=f.VendorFactory() if vendor else None)
        order = make_order(quantities=["5"], items=[item])
        line = order.lines.get()
        line.supply_type = supply_type
        line.save()
        return line

    return make


def order_page(client, line):
    return client.get(reverse("orders:sales-orders-detail", args=[line.order_id])).content.decode()


@pytest.mark.django_db
def test_the_sales_order_line_form_offers_the_supply(manager, make_order):
    order = make_order()

    page = manager.get(reverse("orders:sales-orders-update", args=[order.pk])).content.decode()

    assert 'name="lines-0-supply_type"' in page
    assert 'value="drop_shipment"' in page and 'value="special_order"' in page


@pytest.mark.django_db
def test_a_clerk_marks_a_line_as_special_order_in_the_order_form(client, user_in):
    from orders.models import SalesOrder

    client.force_login(user_in("sales clerk"))
    data = sales_order_form(supply_type="special_order")

    response = client.post(reverse("orders:sales-orders-create"), data)

    assert response.status_code == 302
    assert SalesOrder.objects.get().lines.get().supply_type == "special_order"


@pytest.mark.django_db
def test_a_drop_shipment_line_is_marked_and_purchased_with_the_purchase_button(
    manager, marked_line
):
    line = marked_line("drop_shipment")
    before = order_page(manager, line)
    assert "Drop shipment" in before and f'form="purchase-{line.pk}"' in before
    assert f'name="deliver-{line.pk}"' not in before  # the vendor delivers it, not our warehouse

    manager.post(reverse("orders:sales-orders-line-purchase", args=[line.pk]), {"vendor": ""})

    line.refresh_from_db()
    purchase = line.purchase_line.order
    after = order_page(manager, line)
    assert purchase.drop_shipment
    assert reverse("inventory:purchase-orders-detail", args=[purchase.pk]) in after
    assert purchase.number in after and f'form="purchase-{line.pk}"' not in after


@pytest.mark.django_db
def test_purchasing_an_item_without_primary_vendor_shows_why(manager, marked_line):
    line = marked_line("special_order", vendor=False)

    response = manager.post(
        reverse("orders:sales-orders-line-purchase", args=[line.pk]), follow=True
    )

    assert "has no primary vendor" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_purchasing_from_the_vendor_chosen(manager, marked_line):
    line = marked_line("special_order", vendor=False)
    vendor = f.VendorFactory()

    manager.post(
        reverse("orders:sales-orders-line-purchase", args=[line.pk]), {"vendor": vendor.pk}
    )

    line.refresh_from_db()
    assert line.purchase_line.order.vendor == vendor


@pytest.mark.django_db
def test_a_user_who_may_not_add_purchase_orders_gets_no_purchase_button(
    client, user_in, marked_line
):
    client.force_login(user_in("accountant"))
    line = marked_line("drop_shipment")

    page = order_page(client, line)
    refused = client.post(reverse("orders:sales-orders-line-purchase", args=[line.pk]))

    assert "Drop shipment" in page and f'form="purchase-{line.pk}"' not in page
    assert refused.status_code == 403


@pytest.mark.django_db
def test_editing_a_partly_received_order_changes_the_quantity_and_keeps_the_receipt(
    manager, purchase
):
    from inventory.services.purchasing import purchase_order_receive

    order = purchase("10")
    line = order.lines.get()
    purchase_order_receive(order=order, lines=[{"line": line, "quantity": 4}], actor=None)
    form = manager.get(reverse("inventory:purchase-orders-update", args=[order.pk])).context
    data = {
        "vendor": order.vendor_id,
        "order_date": str(order.order_date),
        "expected_receipt_date": str(order.expected_receipt_date),
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-order": order.pk,
        "lines-0-quantity": "12",
        "lines-0-unit_cost": str(line.unit_cost),
        "lines-0-expected_receipt_date": str(line.expected_receipt_date),
    }

    response = manager.post(reverse("inventory:purchase-orders-update", args=[order.pk]), data)

    assert form["forms"]["form"].fields["vendor"].disabled  # the order has receipts
    assert response.status_code == 302, [f.errors for f in response.context["forms"].values()]
    line.refresh_from_db()
    assert (line.quantity, line.received_quantity, line.receive_remainder) == (
        Decimal("12"),
        Decimal("4"),
        Decimal("8"),
    )


@pytest.mark.django_db
def test_the_order_total_is_rounded_half_up_to_cents(manager):
    order = purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": today(),
            "lines": [
                {
                    "item": f.ItemFactory(),
                    "warehouse": f.WarehouseFactory(),
                    "quantity": Decimal("1"),
                    "unit_cost": Decimal("10.0050"),
                }
            ],
        },
        actor=None,
    )

    response = manager.get(detail(order))

    assert response.context["total"] == Decimal("10.01")


@pytest.mark.django_db
def test_a_canceled_purchase_order_without_receipts_is_deleted_from_its_page_as_in_the_api(
    manager, purchase
):
    from inventory.services.purchasing import purchase_order_cancel

    order = purchase_order_cancel(order=purchase("5"), actor=None)
    delete = reverse("inventory:purchase-orders-delete", args=[order.pk])

    page = manager.get(detail(order)).content.decode()
    response = manager.post(delete)

    assert delete in page
    assert response.status_code == 302
    assert not PurchaseOrder.objects.filter(pk=order.pk).exists()
