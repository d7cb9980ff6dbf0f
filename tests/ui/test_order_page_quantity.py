"""The order page (issue 15, item 6): a line's quantity is its own form, so Enter saves that
quantity and nothing else; a packing slip is posted only from a confirmation that shows what will
ship and the stock it lacks; the quantity change is in the order's history."""

from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import html

from inventory.models import InventoryTransaction
from inventory.services import stock
from orders.models import PackingSlip, SalesOrder
from salesmkt.core.audit import events_for
from tests import factories as f


@pytest.fixture
def clerk(client, user_in):
    client.force_login(user_in("sales clerk"))
    return client


def put_on_hand(line, quantity):
    stock.record_transaction(
        item=line.item,
        warehouse=line.warehouse,
        quantity=Decimal(quantity),
        status=InventoryTransaction.Status.PURCHASED,
        source="test_receipt",
        source_id=1,
        reference="RECEIPT",
    )


def detail(clerk, order):
    return html.fromstring(
        clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    )


def review(clerk, order, entered: dict, **extra):
    return clerk.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]), entered, **extra
    )


@pytest.mark.django_db
def test_a_line_quantity_is_a_form_of_its_own_outside_the_packing_slip_form(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    page = detail(clerk, order)

    [quantity] = page.xpath(f"//input[@name='quantity-{line.pk}']")
    [deliver] = page.xpath(f"//input[@name='deliver-{line.pk}']")
    [own_form] = quantity.xpath("ancestor::form")
    assert own_form.get("hx-post") == reverse("orders:sales-orders-line-quantity", args=[line.pk])
    assert "submit" in own_form.get("hx-trigger")  # Enter saves the quantity through htmx
    assert own_form.xpath(".//input[@type='text']") == [quantity]  # nothing else is sent
    assert not page.xpath("//table[ancestor::form]")  # no form holds the lines
    assert deliver.get("form") == "packing-slip" and not deliver.xpath("ancestor::form")
    [slip_form] = page.xpath("//form[@id='packing-slip']")
    assert slip_form.get("hx-target") == "#packing-slip-review"


@pytest.mark.django_db
def test_a_quantity_change_on_the_page_changes_only_that_quantity_and_is_in_the_history(
    clerk, make_order
):
    order = make_order(quantities=["10", "3"])
    first, second = order.lines.order_by("line_number")

    row = clerk.post(
        reverse("orders:sales-orders-line-quantity", args=[first.pk]),
        {f"quantity-{first.pk}": "7"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity, first.deliver_remainder) == (Decimal("7"), Decimal("7"))
    assert second.quantity == Decimal("3")
    assert not PackingSlip.objects.exists()
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.OPEN
    assert row.strip().startswith("<tr>") and 'form="packing-slip"' in row
    [event] = events_for(order).filter(action="line_quantity_changed")
    assert event.data == {
        "line": 1,
        "item": first.item.item_number,
        "quantity": {"old": "10.0000", "new": "7.0000"},
    }
    history = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    text = " ".join(html.fromstring(history).text_content().split())
    assert f"Quantity changed: line 1 ({first.item.name}) 10 → 7" in text


@pytest.mark.django_db
def test_a_quantity_form_sent_without_htmx_returns_to_the_order_page(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = clerk.post(
        reverse("orders:sales-orders-line-quantity", args=[line.pk]), {f"quantity-{line.pk}": "4"}
    )

    assert response.status_code == 302
    assert response.url == reverse("orders:sales-orders-detail", args=[order.pk])
    line.refresh_from_db()
    assert line.quantity == Decimal("4")
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_post_packing_slip_first_shows_what_will_ship_and_posts_nothing(clerk, make_order):
    order = make_order(quantities=["10", "5"])
    first, second = order.lines.order_by("line_number")
    put_on_hand(first, "100")

    response = review(clerk, order, {f"deliver-{first.pk}": "4", f"deliver-{second.pk}": ""})

    page = html.fromstring(response.content.decode())
    assert response.status_code == 200
    assert not PackingSlip.objects.exists()
    [shown] = page.xpath("//tr[@data-review-line]")
    assert shown.get("data-review-line") == str(first.pk)
    assert first.item.name in shown.text_content()
    assert first.warehouse.code in shown.text_content()
    assert "4.00" in shown.xpath(".//td[@data-review-quantity]")[0].text_content()
    [confirm] = page.xpath("//button[@name='confirm']")
    assert confirm.get("disabled") is None
    posted = {
        field.get("name"): field.get("value")
        for field in confirm.xpath("ancestor::form//input[@type='hidden']")
    }
    assert posted.pop("csrfmiddlewaretoken")
    assert posted == {f"deliver-{first.pk}": "4"}  # exactly what was shown


@pytest.mark.django_db
def test_the_confirmation_is_a_panel_of_the_order_page_for_htmx(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    put_on_hand(line, "100")

    panel = review(clerk, order, {f"deliver-{line.pk}": "10"}, HTTP_HX_REQUEST="true")

    body = panel.content.decode()
    assert body.lstrip().startswith(
        '<div class="card mt-3 border-primary" id="packing-slip-review"'
    )
    assert "<html" not in body and "Confirm and post" in body
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_only_the_confirmation_posts_the_packing_slip(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    put_on_hand(line, "100")

    response = review(clerk, order, {f"deliver-{line.pk}": "4", "confirm": "1"})

    assert response.status_code == 302
    slip = PackingSlip.objects.get(order=order)
    assert [(sl.order_line_id, sl.quantity) for sl in slip.lines.all()] == [(line.pk, Decimal("4"))]


@pytest.mark.django_db
def test_a_shortfall_that_warns_is_shipped_only_when_the_clerk_ticks_ship_anyway(clerk, make_order):
    item = f.ItemFactory(negative_stock_policy="warn")
    order = make_order(quantities=["10"], items=[item])
    line = order.lines.get()
    put_on_hand(line, "3")

    page = html.fromstring(review(clerk, order, {f"deliver-{line.pk}": "10"}).content.decode())
    unticked = review(clerk, order, {f"deliver-{line.pk}": "10", "confirm": "1"})
    nothing_posted = not PackingSlip.objects.exists()
    ticked = review(
        clerk, order, {f"deliver-{line.pk}": "10", "confirm": "1", "accept_shortfall": "1"}
    )

    [warning] = page.xpath("//*[@data-shortfall='warn']")
    assert "3" in warning.text_content() and "10" in warning.text_content()
    [box] = page.xpath("//input[@name='accept_shortfall']")
    assert box.get("type") == "checkbox" and box.get("required") is not None
    assert page.xpath("//label[@for='accept-shortfall']")[0].text_content() == "Ship anyway"
    assert unticked.status_code == 200 and nothing_posted
    assert "Confirm to post anyway" in unticked.content.decode()
    assert ticked.status_code == 302
    assert PackingSlip.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_a_shortfall_that_refuses_leaves_the_post_button_disabled_with_the_reason(
    clerk, make_order
):
    item = f.ItemFactory(negative_stock_policy="refuse")
    order = make_order(quantities=["10"], items=[item])
    line = order.lines.get()
    put_on_hand(line, "3")

    page = html.fromstring(review(clerk, order, {f"deliver-{line.pk}": "10"}).content.decode())
    forced = review(clerk, order, {f"deliver-{line.pk}": "10", "confirm": "1"})

    [refusal] = page.xpath("//*[@data-shortfall='refuse']")
    assert "Not enough stock" in refusal.text_content()
    [button] = page.xpath("//button[normalize-space()='Confirm and post']")
    assert button.get("disabled") is not None
    assert button.get("data-refusal") == "insufficient_stock"
    assert not page.xpath("//input[@name='accept_shortfall']")
    assert "Not enough stock of" in forced.content.decode()
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_the_confirmation_says_when_nothing_is_entered_and_offers_no_post(clerk, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    page = review(clerk, order, {f"deliver-{line.pk}": ""}).content.decode()

    assert "Enter the quantities to deliver first." in page
    assert "Confirm and post" not in page
