"""Returns tied to the sale: a return line names the sold line it takes back, never more than
was invoiced less what other returns take back; its credit note settles the original invoice
while that is open; the Return action prefills a return of what is left."""

import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from invoicing.models import CustomerTransaction, Invoice, PaymentApplication
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from invoicing.services.payments import payment_apply, payment_register
from orders.actions import SALES_ORDER
from orders.models import SalesOrder, SalesOrderLine
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_cancel, sales_order_create, sales_order_update
from orders.services.returns import sales_order_create_return
from salesmkt.core.audit import events_for
from salesmkt.core.errors import ConflictError
from tests import factories as f


@pytest.fixture
def accounts():
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    return SimpleNamespace(profile=profile)


@pytest.fixture
def customer(accounts):
    return f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)


@pytest.fixture
def sold(make_order, customer):
    """An order of `quantities` (at 100.00 + 25 % VAT a unit) delivered and invoiced in full:
    sold(["10"]) -> the posted invoice, with `.order` and `.lines` (the order lines)."""

    def make(quantities=("10",), who=None):
        order = make_order(customer=who or customer, quantities=list(quantities))
        lines = list(order.lines.order_by("line_number"))
        packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": line.quantity} for line in lines],
            actor=None,
        )
        invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)
        invoice.order, invoice.lines_sold = order, lines
        return invoice

    return make


def make_return(line, quantity, **header):
    """A return order of `quantity` of the sold `line` (its customer's)."""
    return sales_order_create(
        data={
            "customer": line.order.customer,
            "order_type": "returned",
            "requested_ship_date": date(2026, 12, 1),
            "lines": [{"returned_line": line, "quantity": Decimal(quantity)}],
            **header,
        },
        actor=None,
    )


def arrive_and_credit(return_order) -> Invoice:
    """The goods arrive; the return's credit note is posted."""
    packing_slip_post(
        order=return_order,
        lines=[
            {"order_line": line, "quantity": line.quantity} for line in return_order.lines.all()
        ],
        actor=None,
    )
    return invoice_post(invoice=invoice_from_order(order=return_order, actor=None), actor=None)


def returns_count() -> int:
    return SalesOrder.objects.filter(order_type="returned").count()


def open_amount(invoice) -> Decimal:
    return CustomerTransaction.objects.get(invoice=invoice).remaining


# --- how much may come back ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_return_of_more_than_was_sold_is_refused_409_return_exceeds_sold_and_nothing_written(
    sold,
):
    invoice = sold(["10"])
    line = invoice.lines_sold[0]

    with pytest.raises(ConflictError) as refused:
        make_return(line, "11")

    assert refused.value.code == "return_exceeds_sold"
    assert refused.value.params == {
        "line": line.pk,
        "line_reference": f"{invoice.order.number}/1",
        "sold": "10.0000",
        "returned": "0.0000",
        "asked": "11.0000",
    }
    assert "10" in str(refused.value.message) and "11" in str(refused.value.message)
    assert returns_count() == 0
    assert not SalesOrderLine.objects.filter(returned_line=line).exists()


@pytest.mark.django_db
def test_the_api_answers_a_return_of_more_than_was_sold_with_409_naming_line_sold_and_asked(
    manager_api, sold
):
    invoice = sold(["10"])
    line = invoice.lines_sold[0]

    response = manager_api.post(
        "/api/v1/sales-orders/",
        {
            "customer": line.order.customer_id,
            "order_type": "returned",
            "requested_ship_date": "2026-12-01",
            "lines": [
                {
                    "item": line.item_id,
                    "warehouse": line.warehouse_id,
                    "quantity": "11",
                    "returned_line": line.pk,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "return_exceeds_sold"
    assert (body["params"]["sold"], body["params"]["returned"], body["params"]["asked"]) == (
        "10.0000",
        "0.0000",
        "11.0000",
    )
    assert returns_count() == 0


@pytest.mark.django_db
def test_a_return_of_what_was_sold_is_accepted_priced_as_sold_and_names_the_invoice(sold):
    invoice = sold(["10"])
    line = invoice.lines_sold[0]
    line.item.base_sales_price = Decimal("180.0000")  # the price went up since the sale
    line.item.save()

    order = make_return(line, "10")

    returned = order.lines.get()
    assert (returned.returned_line, returned.item, returned.quantity) == (
        line,
        line.item,
        Decimal("10"),
    )
    assert (returned.unit_price, returned.price_source) == (Decimal("100.0000"), "returned_line")
    assert order.original_invoice_number == invoice.number


@pytest.mark.django_db
def test_an_unknown_sold_line_is_refused_400_naming_the_field(sold):
    sold(["10"])

    with pytest.raises(ValidationError) as refused:
        make_return(SimpleNamespace(pk=999999, order=SalesOrder.objects.get()), "1")

    assert "lines[0].returned_line" in refused.value.message_dict
    assert returns_count() == 0


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_sold_line_or_invoice_line_400_naming_the_field(
    manager_api, sold
):
    line = sold(["10"]).lines_sold[0]

    def post(reference):
        return manager_api.post(
            "/api/v1/sales-orders/",
            {
                "customer": line.order.customer_id,
                "order_type": "returned",
                "requested_ship_date": "2026-12-01",
                "lines": [
                    {
                        "item": line.item_id,
                        "warehouse": line.warehouse_id,
                        "quantity": "1",
                        **reference,
                    }
                ],
            },
            format="json",
        )

    unknown_line = post({"returned_line": 999999})
    unknown_invoice_line = post({"returned_invoice_line": 999999})

    assert unknown_line.status_code == 400
    assert "returned_line" in unknown_line.json()["errors"]["lines"]["0"]
    assert unknown_invoice_line.status_code == 400
    assert "lines[0].returned_invoice_line" in unknown_invoice_line.json()["errors"]
    assert returns_count() == 0


@pytest.mark.django_db
def test_a_line_sold_to_another_customer_is_refused_400_naming_the_field(sold):
    line = sold(["10"]).lines_sold[0]

    with pytest.raises(ValidationError) as refused:
        sales_order_create(
            data={
                "customer": f.CustomerFactory(),
                "order_type": "returned",
                "requested_ship_date": date(2026, 12, 1),
                "lines": [{"returned_line": line, "quantity": Decimal("1")}],
            },
            actor=None,
        )

    assert "another customer" in refused.value.message_dict["lines[0].returned_line"][0]
    assert returns_count() == 0


@pytest.mark.django_db
def test_an_original_invoice_that_is_no_posted_invoice_of_the_customer_is_refused_400(
    sold, make_order, customer
):
    others = sold(["1"], who=f.CustomerFactory(posting_profile=customer.posting_profile))

    for number in ["INV-NOPE", others.number]:
        with pytest.raises(ValidationError) as refused:
            make_order(order_type="returned", customer=customer, original_invoice_number=number)
        assert "original_invoice_number" in refused.value.message_dict

    assert returns_count() == 0


@pytest.mark.django_db
def test_the_invoice_line_form_refers_to_the_line_it_invoiced_and_names_its_invoice(
    manager_api, sold
):
    invoice = sold(["10"])
    invoice_line = invoice.lines.get()

    response = manager_api.post(
        "/api/v1/sales-orders/",
        {
            "customer": invoice.customer_id,
            "order_type": "returned",
            "requested_ship_date": "2026-12-01",
            "lines": [
                {
                    "item": invoice_line.item_id,
                    "warehouse": invoice.lines_sold[0].warehouse_id,
                    "quantity": "4",
                    "returned_invoice_line": invoice_line.pk,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lines"][0]["returned_line"] == invoice_line.order_line_id
    assert body["original_invoice_number"] == invoice.number


@pytest.mark.django_db
def test_two_returns_together_cannot_exceed_the_sold_quantity(sold):
    line = sold(["10"]).lines_sold[0]
    make_return(line, "6")

    with pytest.raises(ConflictError) as refused:
        make_return(line, "5")

    assert refused.value.code == "return_exceeds_sold"
    assert (refused.value.params["returned"], refused.value.params["asked"]) == ("6.0000", "5.0000")
    assert make_return(line, "4").lines.get().quantity == Decimal("4")  # what is left: accepted


@pytest.mark.django_db
def test_a_canceled_return_gives_its_quantity_back_to_be_returned(sold):
    line = sold(["10"]).lines_sold[0]
    sales_order_cancel(order=make_return(line, "10"), actor=None)

    assert make_return(line, "10").lines.get().quantity == Decimal("10")


@pytest.mark.django_db
def test_raising_a_return_lines_quantity_beyond_what_was_sold_is_refused(sold):
    line = sold(["10"]).lines_sold[0]
    make_return(line, "3")
    order = make_return(line, "5")
    returned = order.lines.get()

    with pytest.raises(ConflictError) as refused:
        sales_order_update(
            instance=order,
            data={"lines": [{"id": returned.pk, "quantity": Decimal("8")}]},
            actor=None,
        )
    sales_order_update(
        instance=order, data={"lines": [{"id": returned.pk, "quantity": Decimal("7")}]}, actor=None
    )

    assert refused.value.code == "return_exceeds_sold"
    assert SalesOrderLine.objects.get(pk=returned.pk).quantity == Decimal("7")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_returns_made_at_the_same_moment_cannot_both_take_back_the_sold_quantity(
    sold,
):
    line = sold(["10"]).lines_sold[0]
    outcomes = []
    start = threading.Barrier(2)

    def clerk():
        try:
            start.wait()
            make_return(line, "6")
            outcomes.append("made")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["made", "return_exceeds_sold"]
    assert SalesOrderLine.objects.get(pk=line.pk).returned_quantity == Decimal("6")


@pytest.mark.django_db
def test_crediting_the_original_invoice_below_what_is_returned_is_refused(sold):
    invoice = sold(["10"])
    make_return(invoice.lines_sold[0], "4")
    invoice_line = invoice.lines.get()

    with pytest.raises(ConflictError) as refused:
        invoice_post(
            invoice=credit_note_create(
                invoice=invoice,
                lines=[{"invoice_line": invoice_line, "quantity": Decimal("7")}],
                actor=None,
            ),
            actor=None,
        )

    assert refused.value.code == "over_crediting"
    assert "4" in str(refused.value.message)


# --- what the sold line shows --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_original_line_shows_its_returned_quantity(manager_api, client, user_in, sold):
    invoice = sold(["10", "5"])
    first, second = invoice.lines_sold
    make_return(first, "3")
    make_return(first, "2")
    sales_order_cancel(order=make_return(second, "5"), actor=None)  # takes nothing back

    body = manager_api.get(f"/api/v1/sales-orders/{invoice.order.pk}/").json()
    listed = manager_api.get("/api/v1/sales-orders/", {"order_type": "sales"}).json()
    client.force_login(user_in("sales clerk"))
    page = client.get(reverse("orders:sales-orders-detail", args=[invoice.order.pk]))

    assert [row["returned_quantity"] for row in body["lines"]] == ["5.0000", "0.0000"]
    assert [row["returned_quantity"] for row in listed["results"][0]["lines"]] == [
        "5.0000",
        "0.0000",
    ]
    assert [line.returned_quantity for line in page.context["lines"]] == [
        Decimal("5"),
        Decimal("0"),
    ]
    assert "returned" in page.content.decode()


@pytest.mark.django_db
def test_a_return_orders_page_shows_the_line_each_line_returns(client, user_in, sold):
    invoice = sold(["10"])
    order = make_return(invoice.lines_sold[0], "2")
    client.force_login(user_in("sales clerk"))

    page = client.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()

    assert f"{invoice.order.number}/1" in page
    assert reverse("orders:sales-orders-detail", args=[invoice.order.pk]) in page


# --- the credit note -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_returns_credit_note_is_applied_to_the_original_invoice_while_it_is_open(sold):
    invoice = sold(["10"])  # 1,250.00

    note = arrive_and_credit(make_return(invoice.lines_sold[0], "2"))  # 250.00

    assert (note.kind, note.total_amount) == ("credit_note", Decimal("250.00"))
    assert open_amount(invoice) == Decimal("1000.00")
    assert open_amount(note) == Decimal("0.00")
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "partly_paid"
    application = PaymentApplication.objects.get(credit__invoice=note)
    assert (application.transaction.invoice_id, application.amount) == (
        invoice.pk,
        Decimal("250.00"),
    )
    event = events_for(invoice).get(action="return_credited")
    assert event.data == {
        "credit_note": note.number,
        "return_order": note.sales_order.number,
        "amount": "250.00",
    }


@pytest.mark.django_db
def test_a_return_of_everything_sold_leaves_the_original_invoice_paid(sold):
    invoice = sold(["10"])

    note = arrive_and_credit(make_return(invoice.lines_sold[0], "10"))

    assert open_amount(invoice) == Decimal("0.00")
    assert open_amount(note) == Decimal("0.00")
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "paid"


@pytest.mark.django_db
def test_a_returns_credit_note_stays_customer_credit_when_the_invoice_was_already_paid(sold):
    invoice = sold(["10"])
    payment = payment_register(
        data={
            "customer": invoice.customer,
            "date": timezone.localdate(),
            "amount": Decimal("1250.00"),
        },
        actor=None,
    )
    payment_apply(payment=payment, item=invoice.open_item, actor=None)

    note = arrive_and_credit(make_return(invoice.lines_sold[0], "2"))

    assert open_amount(note) == Decimal("-250.00")  # the customer's credit
    assert not PaymentApplication.objects.filter(credit__invoice=note).exists()
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "paid"


# --- the list filter -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_filter_by_original_invoice_number_returns_only_matching_orders(manager_api, sold):
    first, second = sold(["10"]), sold(["10"])
    wanted = make_return(first.lines_sold[0], "1")
    make_return(second.lines_sold[0], "1")

    response = manager_api.get("/api/v1/sales-orders/", {"original_invoice_number": first.number})

    assert response.status_code == 200, response.json()
    assert [row["number"] for row in response.json()["results"]] == [wanted.number]


# --- the Return action ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_return_action_prefills_lines_with_the_returnable_quantities(sold):
    invoice = sold(["10", "5"])
    first, second = invoice.lines_sold
    make_return(first, "3")

    order = sales_order_create_return(order=invoice.order, actor=None)

    lines = list(order.lines.order_by("line_number"))
    assert (order.order_type, order.status, order.customer_id, order.confirmed_at) == (
        "returned",
        "open",
        invoice.customer_id,
        None,
    )
    assert [(line.returned_line_id, line.quantity) for line in lines] == [
        (first.pk, Decimal("7")),
        (second.pk, Decimal("5")),
    ]
    assert [line.unit_price for line in lines] == [first.unit_price, second.unit_price]
    assert order.original_invoice_number == invoice.number
    assert order.rma_number


@pytest.mark.django_db
def test_the_return_action_leaves_out_lines_returned_in_full(sold):
    invoice = sold(["10", "5"])
    first, second = invoice.lines_sold
    make_return(second, "5")

    order = sales_order_create_return(order=invoice.order, actor=None)

    assert [line.returned_line_id for line in order.lines.all()] == [first.pk]


@pytest.mark.django_db
def test_the_return_action_is_refused_with_nothing_to_return_on_an_order_not_invoiced(
    make_order,
):
    order = make_order(quantities=["10"])

    with pytest.raises(ConflictError) as refused:
        sales_order_create_return(order=order, actor=None)

    assert refused.value.code == "nothing_to_return"
    assert SALES_ORDER.refusal(order, "return").code == "nothing_to_return"
    assert returns_count() == 0


@pytest.mark.django_db
def test_the_return_action_is_refused_once_everything_sold_is_returned(sold):
    invoice = sold(["10"])
    make_return(invoice.lines_sold[0], "10")

    assert SALES_ORDER.refusal(invoice.order, "return").code == "nothing_to_return"


@pytest.mark.django_db
def test_the_api_return_action_answers_201_with_the_draft_return_or_409(
    manager_api, sold, make_order
):
    invoice = sold(["10"])
    not_invoiced = make_order(quantities=["1"])

    made = manager_api.post(f"/api/v1/sales-orders/{invoice.order.pk}/return/")
    refused = manager_api.post(f"/api/v1/sales-orders/{not_invoiced.pk}/return/")

    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["order_type"], body["status"], body["original_invoice_number"]) == (
        "returned",
        "open",
        invoice.number,
    )
    assert [(row["returned_line"], row["quantity"]) for row in body["lines"]] == [
        (invoice.lines_sold[0].pk, "10.0000")
    ]
    assert refused.status_code == 409
    assert refused.json()["code"] == "nothing_to_return"


@pytest.mark.django_db
def test_the_return_button_makes_a_draft_return_and_opens_its_edit_page(client, user_in, sold):
    invoice = sold(["10"])
    client.force_login(user_in("sales clerk"))
    detail = reverse("orders:sales-orders-detail", args=[invoice.order.pk])
    action = reverse("orders:sales-orders-action", args=[invoice.order.pk, "return"])

    page = client.get(detail).content.decode()
    response = client.post(action)

    order = SalesOrder.objects.get(order_type="returned")
    assert action in page
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:sales-orders-update", args=[order.pk])
    edit = client.get(response["Location"])
    assert edit.status_code == 200
    assert f"{invoice.order.number}/1" in edit.content.decode()  # the sold line, picked


@pytest.mark.django_db
def test_the_return_button_is_not_offered_on_an_order_with_nothing_to_return(
    client, user_in, make_order
):
    order = make_order(quantities=["10"])
    client.force_login(user_in("sales clerk"))

    page = client.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()

    assert reverse("orders:sales-orders-action", args=[order.pk, "return"]) not in page


def _return_against_invoice(api, invoice, item, quantity):
    line = invoice.lines_sold[0]
    return api.post(
        "/api/v1/sales-orders/",
        {
            "customer": line.order.customer_id,
            "order_type": "returned",
            "requested_ship_date": "2026-12-01",
            "original_invoice_number": invoice.number,
            "lines": [{"item": item.pk, "warehouse": line.warehouse_id, "quantity": quantity}],
        },
        format="json",
    )


@pytest.mark.django_db
def test_a_return_naming_its_invoice_takes_back_at_most_what_that_invoice_sold_of_the_item(
    manager_api, sold
):
    invoice = sold(["10"])
    item = invoice.lines_sold[0].item

    too_much = _return_against_invoice(manager_api, invoice, item, "11")
    fits = _return_against_invoice(manager_api, invoice, item, "10")

    assert too_much.status_code == 409 and too_much.json()["code"] == "return_exceeds_sold"
    assert fits.status_code == 201, fits.json()
    assert fits.json()["lines"][0]["returned_line"] == invoice.lines_sold[0].pk


@pytest.mark.django_db
def test_a_return_naming_its_invoice_refuses_an_item_that_invoice_did_not_sell_naming_the_field(
    manager_api, sold
):
    invoice = sold(["10"])

    response = _return_against_invoice(manager_api, invoice, f.ItemFactory(), "1")

    assert response.status_code == 400
    assert "lines[0].item" in str(response.json()["errors"])
    assert returns_count() == 0
