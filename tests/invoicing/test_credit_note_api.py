"""The credit note resource: every endpoint answers with a credit note, made of a posted invoice
(all of it or chosen lines) or of a returned order; what cannot make one writes nothing."""

from decimal import Decimal

import pytest

from invoicing.models import Invoice, InvoiceLine
from invoicing.services.invoices import invoice_from_order
from orders.models import PackingSlip
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from tests import factories as f


def documents() -> tuple[int, int]:
    return Invoice.objects.count(), InvoiceLine.objects.count()


def returned(invoice, quantity):
    """A return order of `quantity` of the invoice's one line, arrived."""
    sold = invoice.lines.get().order_line
    order = sales_order_create(
        data={
            "customer": invoice.customer,
            "order_type": "returned",
            "requested_ship_date": invoice.invoice_date,
            "lines": [{"returned_line": sold, "quantity": Decimal(quantity)}],
        },
        actor=None,
    )
    packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=None,
    )
    return order


@pytest.mark.django_db
def test_posting_an_invoice_to_credit_notes_drafts_its_full_credit_note(clients, invoice_for):
    invoice = invoice_for("4")  # 4 x 125.00
    _page, api = clients

    made = api.post("/api/v1/credit-notes/", {"invoice": invoice.pk}, format="json")
    found = api.get(f"/api/v1/credit-notes/{made.json()['id']}/")

    assert made.status_code == 201
    assert found.status_code == 200
    assert (found.json()["kind"], found.json()["status"], found.json()["total_amount"]) == (
        "credit_note",
        "draft",
        "500.00",
    )
    assert Invoice.objects.get(pk=made.json()["id"]).credited_invoice_id == invoice.pk


@pytest.mark.django_db
def test_posting_chosen_lines_to_credit_notes_credits_only_those_quantities(clients, invoice_for):
    invoice = invoice_for("4")
    _page, api = clients

    made = api.post(
        "/api/v1/credit-notes/",
        {"invoice": invoice.pk, "lines": [{"invoice_line": invoice.lines.get().pk, "quantity": 1}]},
        format="json",
    )

    assert made.status_code == 201
    assert (made.json()["kind"], made.json()["net_amount"]) == ("credit_note", "100.00")


@pytest.mark.django_db
def test_posting_a_returned_order_to_credit_notes_drafts_the_returns_credit_note(
    clients, invoice_for
):
    invoice = invoice_for("4")
    order = returned(invoice, "1")
    _page, api = clients

    made = api.post("/api/v1/credit-notes/", {"order": order.pk}, format="json")

    assert made.status_code == 201
    assert (made.json()["kind"], made.json()["sales_order"]) == ("credit_note", order.pk)
    assert api.get(f"/api/v1/credit-notes/{made.json()['id']}/").status_code == 200


@pytest.mark.django_db
def test_a_sales_order_posted_to_credit_notes_is_refused_and_writes_nothing(
    clients, make_order, accounts
):
    order = make_order(quantities=["1"])
    packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal("1")}],
        actor=None,
    )
    before = documents()
    _page, api = clients

    refused = api.post("/api/v1/credit-notes/", {"order": order.pk}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (409, "not_a_return")
    assert documents() == before


@pytest.mark.django_db
def test_crediting_more_than_was_invoiced_is_refused_and_writes_nothing(clients, invoice_for):
    invoice = invoice_for("2")
    before = documents()
    _page, api = clients

    refused = api.post(
        "/api/v1/credit-notes/",
        {"invoice": invoice.pk, "lines": [{"invoice_line": invoice.lines.get().pk, "quantity": 3}]},
        format="json",
    )

    assert (refused.status_code, refused.json()["code"]) == (409, "over_crediting")
    assert documents() == before


@pytest.mark.django_db
def test_a_draft_invoice_cannot_be_credited_and_nothing_is_written(clients, make_order, accounts):
    order = make_order(quantities=["1"])
    packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal("1")}],
        actor=None,
    )
    draft = invoice_from_order(order=order, actor=None)
    before = documents()
    _page, api = clients

    refused = api.post("/api/v1/credit-notes/", {"invoice": draft.pk}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (409, "not_creditable")
    assert documents() == before


@pytest.mark.django_db
def test_a_free_text_body_posted_to_credit_notes_is_refused_and_writes_nothing(
    clients, invoice_for
):
    before = documents()
    _page, api = clients

    refused = api.post(
        "/api/v1/credit-notes/",
        {"customer": invoice_for.customer.pk, "notes": "A refund, as free text"},
        format="json",
    )

    assert refused.status_code == 400
    assert "invoice" in refused.json()["errors"]
    assert documents() == before


@pytest.mark.django_db
def test_credit_notes_have_no_from_order_nor_from_packing_slips(clients, make_order, accounts):
    order = make_order(quantities=["1"])
    slip = packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal("1")}],
        actor=None,
    )
    before = documents()
    _page, api = clients

    from_order = api.post("/api/v1/credit-notes/from-order/", {"order": order.pk}, format="json")
    from_slips = api.post(
        "/api/v1/credit-notes/from-packing-slips/", {"packing_slips": [slip.pk]}, format="json"
    )

    assert from_order.status_code in (404, 405)
    assert from_slips.status_code in (404, 405)
    assert documents() == before
    assert PackingSlip.objects.get(pk=slip.pk).invoiced is False


@pytest.mark.django_db
def test_the_invoices_resource_makes_no_credit_note_of_a_free_text_body(clients, accounts):
    customer = f.CustomerFactory(posting_profile=accounts.profile)
    _page, api = clients

    before = documents()

    refused = api.post(
        "/api/v1/invoices/",
        {
            "customer": customer.pk,
            "kind": "credit_note",
            "lines": [
                {
                    "ledger_account": accounts.revenue.pk,
                    "description": "Refund",
                    "quantity": "1",
                    "unit_price": "100.00",
                    "sales_tax_code": accounts.tax_code.pk,
                }
            ],
        },
        format="json",
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["kind"]
    assert documents() == before
