from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import PackingSlip, SalesOrder
from tests import factories as f
from tests.forms import sales_order_form


@pytest.fixture
def clerk(client, user_in):
    client.force_login(user_in("sales clerk"))
    return client


@pytest.mark.django_db
def test_a_clerk_enters_an_order_with_lines_priced_by_the_lookup(clerk):
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()
    data = sales_order_form(customer=customer, item=item, warehouse=warehouse)

    response = clerk.post(reverse("orders:sales-orders-create"), data)

    order = SalesOrder.objects.get()
    assert response.status_code == 302, response.context and [
        form.errors for form in response.context["forms"].values()
    ]
    assert order.lines.get().line_amount == Decimal("300.00")


@pytest.mark.django_db
def test_the_packing_slip_form_is_prefilled_and_posts_a_partial_delivery(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    page = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    assert f'name="deliver-{line.pk}" value="10"' in page

    clerk.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]),
        {f"deliver-{line.pk}": "4", "confirm": "1"},
    )

    line.refresh_from_db()
    assert line.deliver_remainder == Decimal("6")
    assert PackingSlip.objects.filter(order=order).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("entered", ["four", "NaN", "-Infinity"])
def test_a_delivery_quantity_that_is_not_a_number_is_refused_and_posts_nothing(
    clerk, make_order, entered
):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = clerk.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]),
        {f"deliver-{line.pk}": entered},
        follow=True,
    )

    assert "Line 1: not a number." in response.content.decode()
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_an_over_delivery_in_the_ui_is_refused_with_the_reason(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = clerk.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]),
        {f"deliver-{line.pk}": "11", "confirm": "1"},
        follow=True,
    )

    assert "more than" in response.content.decode()
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_a_suggested_item_is_added_to_the_order_with_one_click(clerk, make_order):
    from agreements.models import SellRule

    order = make_order(quantities=["2"])
    extra = f.ItemFactory(name="Flatbread")
    rule = SellRule.objects.create(
        item=order.lines.get().item, suggested_item=extra, pitch="Goes with it"
    )
    page = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    assert "Flatbread" in page and "Goes with it" in page

    clerk.post(reverse("orders:sales-orders-add-suggestion", args=[order.pk, rule.pk]))

    assert list(order.lines.order_by("line_number").values_list("item__name", "quantity")) == [
        (order.lines.order_by("line_number").first().item.name, Decimal("2")),
        ("Flatbread", Decimal("2")),
    ]


@pytest.mark.django_db
def test_a_line_quantity_is_changed_in_place_and_repriced(clerk, make_order):
    order = make_order(quantities=["2"])
    line = order.lines.get()

    row = clerk.post(
        reverse("orders:sales-orders-line-quantity", args=[line.pk]),
        {f"quantity-{line.pk}": "5", "quantity-999": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    line.refresh_from_db()
    assert (line.quantity, line.line_amount, line.deliver_remainder) == (
        Decimal("5"),
        Decimal("500.00"),
        Decimal("5"),
    )
    assert row.strip().startswith("<tr>") and "500.00" in row


@pytest.mark.django_db
@pytest.mark.parametrize("entered", ["abc", "NaN", "Infinity"])
def test_a_wrong_quantity_in_place_says_why_and_changes_nothing(clerk, make_order, entered):
    order = make_order(quantities=["2"])
    line = order.lines.get()

    row = clerk.post(
        reverse("orders:sales-orders-line-quantity", args=[line.pk]),
        {f"quantity-{line.pk}": entered},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    line.refresh_from_db()
    assert line.quantity == Decimal("2")
    assert "Not a number" in row
