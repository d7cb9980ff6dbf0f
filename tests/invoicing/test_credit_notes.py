"""Credit notes, cancel and correct."""

from decimal import Decimal

import pytest

from invoicing.models import CustomerTransaction, Invoice, LedgerEntry
from invoicing.services.credit_notes import credit_note_create, invoice_cancel, invoice_correct
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from salesmkt.core.errors import ConflictError


@pytest.fixture
def posted(make_order, accounts):
    order = make_order(quantities=["10"])
    packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal("10")}],
        actor=None,
    )
    return invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)


def balances(voucher) -> dict:
    return {
        e.account.number: e.debit - e.credit for e in LedgerEntry.objects.filter(voucher=voucher)
    }


@pytest.mark.django_db
def test_a_full_credit_note_reverses_the_voucher_and_reopens_the_order(posted):
    note = invoice_post(invoice=credit_note_create(invoice=posted, actor=None), actor=None)

    assert note.number == "CN000001"
    assert balances(note.voucher) == {k: -v for k, v in balances(posted.voucher).items()}
    order = SalesOrder.objects.get(pk=posted.sales_order_id)
    line = order.lines.get()
    assert (order.status, line.invoice_remainder, line.invoiced_quantity) == (
        "delivered",
        Decimal("10"),
        Decimal("0"),
    )
    posted.refresh_from_db()
    assert posted.payment_state == "credited"
    assert CustomerTransaction.objects.get(invoice=posted).remaining == Decimal("0.00")


@pytest.mark.django_db
def test_a_credit_note_for_chosen_lines_and_quantities(posted):
    line = posted.lines.get()

    note = invoice_post(
        invoice=credit_note_create(
            invoice=posted, actor=None, lines=[{"invoice_line": line, "quantity": Decimal("3")}]
        ),
        actor=None,
    )

    assert note.total_amount == Decimal("375.00")
    assert CustomerTransaction.objects.get(invoice=posted).remaining == Decimal("875.00")
    posted.refresh_from_db()
    assert posted.payment_state == "partly_paid"
    assert SalesOrder.objects.get(
        pk=posted.sales_order_id
    ).lines.get().invoice_remainder == Decimal("3")
    with pytest.raises(ConflictError) as refused:
        credit_note_create(
            invoice=posted, actor=None, lines=[{"invoice_line": line, "quantity": Decimal("8")}]
        )
    assert refused.value.code == "over_crediting"


@pytest.mark.django_db
def test_cancel_of_an_unpaid_invoice_posts_a_full_credit_note_and_restores_remainders(posted):
    note = invoice_cancel(invoice=posted, actor=None)

    assert (note.kind, note.credited_invoice, note.total_amount) == (
        "credit_note",
        posted,
        posted.total_amount,
    )
    assert SalesOrder.objects.get(
        pk=posted.sales_order_id
    ).lines.get().invoice_remainder == Decimal("10")


@pytest.mark.django_db
def test_cancel_of_a_paid_invoice_is_refused(posted):
    CustomerTransaction.objects.filter(invoice=posted).update(
        remaining=Decimal("100.00")
    )  # partly paid

    with pytest.raises(ConflictError) as refused:
        invoice_cancel(invoice=posted, actor=None)

    assert refused.value.code == "invoice_paid"
    assert not Invoice.objects.filter(kind="credit_note").exists()


@pytest.mark.django_db
def test_correct_cancels_and_opens_a_new_draft_copy(posted):
    draft = invoice_correct(invoice=posted, actor=None)

    assert (draft.status, draft.number, draft.total_amount) == ("draft", "", posted.total_amount)
    assert list(draft.lines.values_list("quantity", flat=True)) == [Decimal("10.0000")]
    assert invoice_post(invoice=draft, actor=None).number == "INV000002"
    assert SalesOrder.objects.get(pk=posted.sales_order_id).status == "invoiced"


@pytest.mark.django_db
def test_the_api_cancels_an_invoice_and_lists_its_credit_note(api_as, posted):
    accountant = api_as("accountant")

    canceled = accountant.post(f"/api/v1/invoices/{posted.pk}/cancel/")
    notes = accountant.get("/api/v1/credit-notes/").json()

    assert canceled.status_code == 201 and canceled.json()["number"] == "CN000001"
    assert [note["number"] for note in notes["results"]] == ["CN000001"]


@pytest.mark.django_db
def test_invoicing_a_returned_order_produces_a_credit_note(make_order, accounts):
    order = make_order(quantities=["2"], order_type="returned")
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("2")}], actor=None
    )  # arrival

    note = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    assert (note.kind, note.number, note.total_amount) == (
        "credit_note",
        "CN000001",
        Decimal("250.00"),
    )
    assert CustomerTransaction.objects.get(invoice=note).remaining == Decimal(
        "-250.00"
    )  # the customer's credit
    assert balances(note.voucher)["1500"] == Decimal("-250.00")
    assert SalesOrder.objects.get(pk=order.pk).status == "invoiced"


@pytest.mark.django_db
def test_a_draft_credit_notes_lines_cannot_be_replaced_through_the_api(api_as, posted, accounts):
    note = credit_note_create(invoice=posted, actor=None)
    credited = list(note.lines.values_list("credited_line_id", "quantity"))
    row = {
        "ledger_account": accounts.revenue.pk,
        "description": "Anything",
        "quantity": "50",
        "unit_price": "125.00",
        "sales_tax_code": accounts.tax_code.pk,
    }

    response = api_as("accountant").patch(
        f"/api/v1/invoices/{note.pk}/", {"lines": [row]}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_editable"
    assert list(note.lines.values_list("credited_line_id", "quantity")) == credited
