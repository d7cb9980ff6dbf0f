"""Tamper-evident ledger: posted invoices and credit notes are hash-chained per series and
`verify_ledger` names the first document altered behind the application's back."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.urls import reverse

from invoicing.models import CustomerTransaction, Invoice, InvoiceLine
from invoicing.services.credit_notes import credit_note_create, invoice_cancel
from invoicing.services.invoices import free_text_invoice_create, invoice_from_order, invoice_post
from invoicing.services.ledger_chain import GENESIS, content, hash_of, seal_unchained, verify
from orders.services.delivery import packing_slip_post
from tests import factories as f


def verify_ledger(*args) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def remove_behind_the_back(invoice):
    """Delete a posted document as a raw database edit would: its open item, then the row."""
    CustomerTransaction.objects.filter(invoice=invoice).delete()
    Invoice.objects.filter(pk=invoice.pk).delete()


@pytest.mark.django_db
def test_posting_chains_each_invoice_to_the_previous_one_of_its_series(invoice_for):
    first, second, third = invoice_for("1"), invoice_for("2"), invoice_for("3")

    for invoice in (first, second, third):
        invoice.refresh_from_db()
        assert invoice.chain_hash == hash_of(invoice.previous_hash, content(invoice))
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.chain_hash
    assert third.previous_hash == second.chain_hash


@pytest.mark.django_db
def test_credit_notes_have_their_own_chain(invoice_for):
    first, second = invoice_for("1"), invoice_for("2")

    notes = [invoice_cancel(invoice=first, actor=None), invoice_cancel(invoice=second, actor=None)]
    third = invoice_for("3")

    assert notes[0].previous_hash == GENESIS
    assert notes[1].previous_hash == notes[0].chain_hash
    assert third.previous_hash == second.chain_hash


@pytest.mark.django_db
def test_the_chain_verifies_intact_after_invoices_credit_notes_and_cancels(invoice_for, accounts):
    invoices = [invoice_for(quantity) for quantity in ("1", "2", "3", "4")]
    invoice_cancel(invoice=invoices[0], actor=None)
    partial = credit_note_create(
        invoice=invoices[1],
        actor=None,
        lines=[{"invoice_line": invoices[1].lines.get(), "quantity": Decimal("1")}],
    )
    invoice_post(invoice=partial, actor=None)
    free_text = free_text_invoice_create(
        data={
            "customer": invoice_for.customer,
            "lines": [
                {
                    "ledger_account": f.LedgerAccountFactory(number="3900", name="Other revenue"),
                    "description": "Menu consulting",
                    "quantity": "2",
                    "unit_price": "1250.5",
                    "discount_percent": "2.5",
                    "sales_tax_code": accounts.tax_code,
                }
            ],
        },
        actor=None,
    )
    invoice_post(invoice=free_text, actor=None)
    invoice_cancel(invoice=invoices[2], actor=None)

    assert verify() == []
    out = verify_ledger()
    assert "Invoice series: 5 documents, chain intact." in out
    assert "Credit note series: 3 documents, chain intact." in out


@pytest.mark.django_db
def test_a_total_changed_by_queryset_update_is_caught(invoice_for):
    invoices = [invoice_for("1"), invoice_for("2"), invoice_for("3")]

    Invoice.objects.filter(pk=invoices[1].pk).update(total_amount=Decimal("1.00"))

    [finding] = verify()
    assert (finding.series, finding.number, finding.problem) == (
        "invoice",
        invoices[1].number,
        "altered",
    )
    assert finding.stored == invoices[1].chain_hash != finding.expected


@pytest.mark.django_db
def test_a_line_quantity_changed_by_queryset_update_is_caught(invoice_for):
    invoices = [invoice_for("1"), invoice_for("2")]

    InvoiceLine.objects.filter(invoice=invoices[0]).update(quantity=Decimal("100"))

    assert [(f.number, f.problem) for f in verify()] == [(invoices[0].number, "altered")]


@pytest.mark.django_db
def test_a_row_changed_by_raw_sql_is_caught(invoice_for):
    invoices = [invoice_for("1"), invoice_for("2")]

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Invoice._meta.db_table} SET due_date = invoice_date WHERE id = %s",
            [invoices[1].pk],
        )

    assert [(f.number, f.problem) for f in verify()] == [(invoices[1].number, "altered")]


@pytest.mark.django_db
def test_deleting_a_document_in_the_middle_breaks_the_link_of_the_next(invoice_for):
    first, second, third = invoice_for("1"), invoice_for("2"), invoice_for("3")

    remove_behind_the_back(second)

    [finding] = verify()
    assert (finding.number, finding.problem) == (third.number, "broken_link")
    assert (finding.stored, finding.expected) == (second.chain_hash, first.chain_hash)


@pytest.mark.django_db
def test_deleting_the_last_document_is_caught_by_the_gapless_counter(invoice_for):
    invoice_for("1")
    last = invoice_for("2")

    remove_behind_the_back(last)

    assert [(f.number, f.problem) for f in verify()] == [(last.number, "missing")]


@pytest.mark.django_db
def test_verify_ledger_exits_non_zero_and_names_the_altered_document(invoice_for):
    invoices = [invoice_for("1"), invoice_for("2")]
    Invoice.objects.filter(pk=invoices[0].pk).update(net_amount=Decimal("0.01"))
    out = StringIO()

    with pytest.raises(CommandError) as broken:
        call_command("verify_ledger", "--series", "invoice", stdout=out)

    assert invoices[0].number in str(broken.value)
    assert f"Invoice series: {invoices[0].number} was altered" in out.getvalue()
    assert invoices[0].chain_hash in out.getvalue()


@pytest.mark.django_db
def test_verify_ledger_seal_unchained_chains_documents_posted_before_the_chain(invoice_for):
    invoices = [invoice_for("1"), invoice_for("2")]
    Invoice.objects.update(chain_hash="", previous_hash="")  # as after the upgrade
    assert [(f.number, f.problem) for f in verify()] == [(invoices[0].number, "unchained")]

    out = verify_ledger("--seal-unchained")

    assert "Invoice series: 2 documents sealed." in out
    assert "Invoice series: 2 documents, chain intact." in out
    assert verify() == []


@pytest.mark.django_db
def test_the_first_posting_after_the_upgrade_seals_the_earlier_documents(invoice_for):
    invoice_for("1")
    invoice_for("2")
    Invoice.objects.update(chain_hash="", previous_hash="")

    newest = invoice_for("3")

    assert newest.previous_hash != ""
    assert verify() == []


@pytest.mark.django_db
def test_a_hash_removed_inside_a_chain_is_reported_and_never_resealed(invoice_for):
    invoice_for("1")
    second = invoice_for("2")
    invoice_for("3")
    Invoice.objects.filter(pk=second.pk).update(chain_hash="")

    assert seal_unchained("invoice") == 0
    assert [(f.number, f.problem) for f in verify()] == [(second.number, "unchained")]


@pytest.mark.django_db
def test_the_chain_hash_is_shown_read_only_in_the_api_and_on_the_page(
    invoice_for, api_as, client, user_in
):
    invoice = invoice_for("1")
    api = api_as("accountant")

    shown = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    client.force_login(user_in("accountant"))
    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()

    assert (shown["chain_hash"], shown["previous_hash"]) == (invoice.chain_hash, GENESIS)
    assert invoice.chain_hash in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_chain_verifies_when_clerks_post_at_once(make_order, accounts):
    drafts = []
    for _ in range(8):
        order = make_order(quantities=["1"])
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal("1")}],
            actor=None,
        )
        drafts.append(invoice_from_order(order=order, actor=None))
    start = threading.Barrier(len(drafts))
    errors = []

    def clerk(invoice):
        try:
            start.wait()
            invoice_post(invoice=invoice, actor=None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert verify() == []
    hashes = set(Invoice.objects.values_list("chain_hash", flat=True))
    previous = set(Invoice.objects.values_list("previous_hash", flat=True))
    assert len(hashes) == 8 and previous - hashes == {GENESIS}


@pytest.mark.django_db
def test_the_demo_ledger_verifies_intact():
    call_command("load_demo", stdout=StringIO())

    out = verify_ledger()

    assert Invoice.objects.filter(status="posted").exclude(chain_hash="").exists()
    assert out.count("chain intact") == 2
