"""A free text invoice's lines one at a time: `POST /api/v1/invoices/{id}/lines/` adds one,
`PATCH` and `DELETE` on `lines/{line_id}/` change or delete one, and nothing else is touched; a
document PATCH without `lines` never touches them, with `lines` it replaces them all (as its
schema says)."""

import re
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice, InvoiceLine
from invoicing.services.invoices import free_text_invoice_create, invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from salesmkt.core.audit import events_for
from tests import factories as f


def row(accounts, description="Consulting", quantity="1", unit_price="1000"):
    return {
        "ledger_account": accounts.revenue,
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "sales_tax_code": accounts.tax_code,
    }


@pytest.fixture
def draft(accounts):
    """draft(count): a draft free text invoice of `count` lines of 1,000.00 each."""
    customer = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)

    def make(count=3):
        return free_text_invoice_create(
            data={
                "customer": customer,
                "lines": [row(accounts, f"Day {n + 1}") for n in range(count)],
            },
            actor=None,
        )

    return make


def line_rows(invoice) -> list[tuple]:
    return list(
        InvoiceLine.objects.filter(invoice=invoice)
        .order_by("line_number")
        .values_list("pk", "line_number", "description", "quantity", "line_amount")
    )


def writes_to_lines(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if re.match(r'^(INSERT INTO|UPDATE|DELETE FROM) "invoicing_invoiceline"', query["sql"])
    ]


def lines_url(invoice, line=None) -> str:
    base = f"/api/v1/invoices/{invoice.pk}/lines/"
    return f"{base}{getattr(line, 'pk', line)}/" if line is not None else base


@pytest.mark.django_db
def test_adding_a_line_writes_that_line_alone_and_sums_the_totals_again(
    draft, accounts, manager_api
):
    invoice = draft(3)
    before = line_rows(invoice)

    with CaptureQueriesContext(connection) as queries:
        answer = manager_api.post(
            lines_url(invoice),
            {
                "ledger_account": accounts.revenue.pk,
                "description": "Travel",
                "quantity": "2",
                "unit_price": "150",
                "sales_tax_code": accounts.tax_code.pk,
            },
            format="json",
        )

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["line_number"], body["line_amount"]) == (4, "300.00")
    assert line_rows(invoice)[:3] == before
    assert len(writes_to_lines(queries)) == 1
    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("3300.00"),
        Decimal("825.00"),
        Decimal("4125.00"),
    )


@pytest.mark.django_db
def test_changing_a_line_changes_that_line_alone(draft, manager_api):
    invoice = draft(3)
    first, second, third = line_rows(invoice)

    with CaptureQueriesContext(connection) as queries:
        answer = manager_api.patch(lines_url(invoice, second[0]), {"quantity": "3"}, format="json")

    assert answer.status_code == 200, answer.json()
    assert answer.json()["line_amount"] == "3000.00"
    assert Invoice.objects.get(pk=invoice.pk).total_amount == Decimal("6250.00")
    after = line_rows(invoice)
    assert (after[0], after[2]) == (first, third)
    assert after[1][3:] == (Decimal("3.0000"), Decimal("3000.00"))
    (write,) = writes_to_lines(queries)
    assert write.startswith('UPDATE "invoicing_invoiceline"') and f"= {second[0]}" in write


@pytest.mark.django_db
def test_changing_a_line_records_its_old_and_new_values(draft, manager_api):
    invoice = draft(2)
    line = InvoiceLine.objects.filter(invoice=invoice).order_by("line_number").first()

    manager_api.patch(lines_url(invoice, line), {"unit_price": "1200"}, format="json")

    event = events_for(invoice).get(action="line_changed")
    assert event.data == {
        "line": 1,
        "changes": {"unit_price": {"old": "1000.0000", "new": "1200.0000"}},
    }


@pytest.mark.django_db
def test_deleting_a_line_deletes_that_line_alone_and_the_others_keep_their_numbers(
    draft, manager_api
):
    invoice = draft(3)
    first, second, third = line_rows(invoice)

    with CaptureQueriesContext(connection) as queries:
        answer = manager_api.delete(lines_url(invoice, second[0]))

    assert answer.status_code == 204
    assert line_rows(invoice) == [first, third]
    (write,) = writes_to_lines(queries)
    assert write.startswith('DELETE FROM "invoicing_invoiceline"')
    invoice.refresh_from_db()
    assert invoice.total_amount == Decimal("2500.00")


@pytest.mark.django_db
def test_the_last_line_is_not_deleted(draft, manager_api):
    invoice = draft(1)
    (line,) = line_rows(invoice)

    answer = manager_api.delete(lines_url(invoice, line[0]))

    assert answer.status_code == 400
    assert "lines" in answer.json()["errors"]
    assert line_rows(invoice) == [line]


@pytest.mark.django_db
def test_the_lines_of_a_posted_invoice_answer_409_invoice_posted(draft, accounts, manager_api):
    invoice = invoice_post(invoice=draft(2), actor=None)
    line = invoice.lines.first()
    before = line_rows(invoice)

    added = manager_api.post(
        lines_url(invoice),
        {
            "ledger_account": accounts.revenue.pk,
            "description": "More",
            "quantity": "1",
            "unit_price": "1",
            "sales_tax_code": accounts.tax_code.pk,
        },
        format="json",
    )
    changed = manager_api.patch(lines_url(invoice, line), {"quantity": "5"}, format="json")
    deleted = manager_api.delete(lines_url(invoice, line))

    for answer in (added, changed, deleted):
        assert (answer.status_code, answer.json()["code"]) == (409, "invoice_posted")
    assert line_rows(invoice) == before


@pytest.mark.django_db
def test_the_lines_of_an_invoice_of_an_order_answer_409_invoice_not_editable(
    make_order, accounts, manager_api
):
    order = make_order(quantities=["2"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": 2}], actor=None
    )
    invoice = invoice_from_order(order=order, actor=None)
    line = invoice.lines.get()

    answer = manager_api.patch(lines_url(invoice, line), {"quantity": "1"}, format="json")

    assert (answer.status_code, answer.json()["code"]) == (409, "invoice_not_editable")
    assert InvoiceLine.objects.get(pk=line.pk).quantity == Decimal("2")


@pytest.mark.django_db
def test_a_line_naming_an_unknown_ledger_account_answers_400_naming_it_and_writes_nothing(
    draft, accounts, manager_api
):
    invoice = draft(2)
    before = line_rows(invoice)

    answer = manager_api.post(
        lines_url(invoice),
        {
            "ledger_account": 999999,
            "description": "Travel",
            "quantity": "1",
            "unit_price": "10",
            "sales_tax_code": accounts.tax_code.pk,
        },
        format="json",
    )

    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["ledger_account"]
    assert line_rows(invoice) == before


@pytest.mark.django_db
def test_a_line_without_its_account_answers_400_naming_it(draft, accounts, manager_api):
    invoice = draft(2)

    answer = manager_api.post(
        lines_url(invoice),
        {
            "description": "Travel",
            "quantity": "1",
            "unit_price": "10",
            "sales_tax_code": accounts.tax_code.pk,
        },
        format="json",
    )

    assert answer.status_code == 400
    assert "ledger_account" in answer.json()["errors"]
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 2


@pytest.mark.django_db
def test_a_line_of_another_invoice_answers_404(draft, manager_api):
    invoice, other = draft(2), draft(2)
    line = other.lines.first()

    answer = manager_api.patch(lines_url(invoice, line), {"quantity": "5"}, format="json")

    assert answer.status_code == 404
    assert InvoiceLine.objects.get(pk=line.pk).quantity == Decimal("1")


@pytest.mark.django_db
def test_adding_a_line_twice_with_one_idempotency_key_adds_it_once(draft, accounts, manager_api):
    invoice = draft(2)
    body = {
        "ledger_account": accounts.revenue.pk,
        "description": "Travel",
        "quantity": "1",
        "unit_price": "10",
        "sales_tax_code": accounts.tax_code.pk,
    }

    first = manager_api.post(lines_url(invoice), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = manager_api.post(lines_url(invoice), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 3


@pytest.mark.django_db
def test_a_document_patch_without_lines_never_touches_the_lines(draft, manager_api):
    invoice = draft(3)
    before = line_rows(invoice)

    with CaptureQueriesContext(connection) as queries:
        answer = manager_api.patch(
            f"/api/v1/invoices/{invoice.pk}/", {"notes": "Thanks"}, format="json"
        )

    assert answer.status_code == 200, answer.json()
    assert writes_to_lines(queries) == []
    assert line_rows(invoice) == before


@pytest.mark.django_db
def test_a_document_patch_with_lines_replaces_all_of_them(draft, accounts, manager_api):
    invoice = draft(3)

    answer = manager_api.patch(
        f"/api/v1/invoices/{invoice.pk}/",
        {
            "lines": [
                {
                    "ledger_account": accounts.revenue.pk,
                    "description": "The only day",
                    "quantity": "1",
                    "unit_price": "500",
                    "sales_tax_code": accounts.tax_code.pk,
                }
            ]
        },
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    assert [line[2] for line in line_rows(invoice)] == ["The only day"]
    assert Invoice.objects.get(pk=invoice.pk).total_amount == Decimal("625.00")


@pytest.mark.django_db
def test_changing_one_line_asks_the_same_queries_for_10_and_1000_lines(
    draft, manager_api, django_assert_num_queries
):
    small, large = draft(10), draft(1000)

    def change(invoice):
        line = invoice.lines.order_by("line_number").first()
        answer = manager_api.patch(lines_url(invoice, line), {"quantity": "2"}, format="json")
        assert answer.status_code == 200, answer.json()

    change(draft(1))  # content types and the like cached
    with CaptureQueriesContext(connection) as ten:
        change(small)
    with django_assert_num_queries(len(ten)):
        change(large)

    assert Invoice.objects.get(pk=large.pk).total_amount == Decimal("1251250.00")


@pytest.mark.django_db
def test_the_schema_has_the_line_endpoints_and_says_a_patch_with_lines_replaces_them_all(
    tmp_path,
):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(path))
    schema = yaml.safe_load(path.read_text())

    assert set(schema["paths"]["/api/v1/invoices/{id}/lines/"]) >= {"post"}
    assert set(schema["paths"]["/api/v1/invoices/{id}/lines/{line_id}/"]) >= {"patch", "delete"}
    assert "/api/v1/credit-notes/{id}/lines/" not in schema["paths"]
    lines = schema["components"]["schemas"]["PatchedInvoiceRequest"]["properties"]["lines"]
    assert "replaces all the lines" in lines["description"]
    refused = schema["paths"]["/api/v1/invoices/{id}/lines/"]["post"]["responses"]["409"]
    assert "`invoice_posted`" in refused["description"]
    (line_id,) = [
        parameter
        for parameter in schema["paths"]["/api/v1/invoices/{id}/lines/{line_id}/"]["patch"][
            "parameters"
        ]
        if parameter["name"] == "line_id"
    ]
    assert line_id["schema"]["type"] == "integer"
