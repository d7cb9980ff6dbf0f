"""Fields the server owns (numbers, status, totals, remainders, posting, owner, hashes) cannot be
set through the API: a POST or PATCH carrying them is answered as if they were not there.

Each case posts a valid body twice, once plain and once with the server-owned fields added with
tempting values; both records must come out with the same server values. A PATCH of those fields
onto a record changes none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests import factories as f

# Fields that differ between any two records whatever the input: only "not what was sent".
PER_RECORD = {"id", "number", "account_number", "created_at"}

POSTED_AT = "2020-01-01T00:00:00Z"
HASH = "0" * 64


@dataclass
class Case:
    resource: str
    role: str
    body: Callable[[], dict[str, Any]]
    hostile: dict[str, Any]
    line_hostile: dict[str, Any] = field(default_factory=dict)
    # Counters the server moves by one on every update (a quotation's revision).
    counted_on_update: tuple[str, ...] = ()


def order_lines(**extra):
    warehouse = f.WarehouseFactory()
    return [{"item": f.ItemFactory().pk, "warehouse": warehouse.pk, "quantity": "2", **extra}]


def accounts() -> dict[str, int]:
    """The ledger accounts posting needs: revenue on the profile, output tax on the code, bank."""
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(number="3000", account_type="revenue")
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", account_type="liability")
    code.save()
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    return {"sales_tax_code": code.pk, "ledger_account": profile.revenue_account.pk}


def free_text_invoice() -> dict[str, Any]:
    ledger = accounts()
    return {
        "kind": "free_text",
        "customer": f.CustomerFactory().pk,
        "lines": [{"description": "Consulting", "quantity": "2", "unit_price": "100", **ledger}],
    }


def payment() -> dict[str, Any]:
    accounts()
    return {"customer": f.CustomerFactory().pk, "date": "2026-11-01", "amount": "250.00"}


CASES = [
    Case(
        "customers",
        "sales manager",
        lambda: {
            "party": {"name": "Mass Assignment AS"},
            "customer_group": f.CustomerGroupFactory().pk,
            "payment_terms": f.PaymentTermsFactory().pk,
            "sales_tax_group": f.SalesTaxGroupFactory().pk,
            "posting_profile": f.PostingProfileFactory().pk,
            "currency": f.CurrencyFactory().pk,
        },
        {"account_number": "HACK-1", "created_at": POSTED_AT},
    ),
    Case(
        "items",
        "sales manager",
        lambda: {
            "name": "Widget",
            "unit": f.UnitFactory().pk,
            "sales_tax_code": f.SalesTaxCodeFactory().pk,
            "base_sales_price": "10.00",
        },
        {"created_at": POSTED_AT},
    ),
    Case(
        "sales-orders",
        "sales clerk",
        lambda: {
            "customer": f.CustomerFactory().pk,
            "requested_ship_date": "2026-12-01",
            "lines": order_lines(),
        },
        {
            "number": "HACK-1",
            "status": "invoiced",
            "document_status": "invoice",
            "rma_number": "RMA-HACK",
            "approval_status": "approved",
            "confirmed_at": POSTED_AT,
            "created_at": POSTED_AT,
        },
        {
            "line_number": 99,
            "line_amount": "999999.00",
            "deliver_remainder": "0",
            "invoice_remainder": "0",
            "delivered_quantity": "2",
            "invoiced_quantity": "2",
            "status": "invoiced",
            "price_source": "manual",
        },
    ),
    Case(
        "quotations",
        "sales clerk",
        lambda: {
            "party": f.CustomerFactory().party.pk,
            "expiry_date": "2026-12-31",
            "requested_ship_date": "2026-12-01",
            "lines": order_lines(),
        },
        {
            "number": "HACK-1",
            "status": "confirmed",
            "revision": 7,
            "approval_status": "approved",
            "sent_at": POSTED_AT,
            "closed_at": POSTED_AT,
            "created_at": POSTED_AT,
        },
        {"line_number": 99, "line_amount": "999999.00", "price_source": "manual"},
        counted_on_update=("revision",),
    ),
    Case(
        "invoices",
        "accountant",
        free_text_invoice,
        {
            "number": "HACK-1",
            "status": "posted",
            "due_date": "2020-01-01",
            "net_amount": "1.00",
            "tax_amount": "0.00",
            "total_amount": "1.00",
            "payment_state": "paid",
            "posted_at": POSTED_AT,
            "created_at": POSTED_AT,
            "chain_hash": HASH,
            "previous_hash": HASH,
        },
        {"line_number": 99, "line_amount": "1.00"},
    ),
    Case(
        "payments",
        "accountant",
        payment,
        {"number": "HACK-1", "unapplied": "0.00", "created_at": POSTED_AT},
    ),
    Case(
        "purchase-orders",
        "sales manager",
        lambda: {
            "vendor": f.VendorFactory().pk,
            "expected_receipt_date": "2026-12-01",
            "lines": order_lines(),
        },
        {"number": "HACK-1", "status": "received", "created_at": POSTED_AT},
        {
            "line_number": 99,
            "received_quantity": "2",
            "receive_remainder": "0",
            "status": "received",
        },
    ),
    Case(
        "projects",
        "sales manager",
        lambda: {"name": "Refit", "customer": f.CustomerFactory().pk},
        {"number": "HACK-1", "created_at": POSTED_AT},
    ),
    Case(
        "campaigns",
        "marketing",
        lambda: {"name": "Spring", "kind": "email"},
        {
            "number": "HACK-1",
            "status": "completed",
            "launched_at": POSTED_AT,
            "closed_at": POSTED_AT,
            "created_at": POSTED_AT,
        },
    ),
    Case(
        "leads",
        "marketing",
        lambda: {"party": f.PartyFactory().pk, "topic": "Seafood"},
        {
            "number": "HACK-1",
            "status": "qualified",
            "disqualify_reason": "hacked",
            "closed_at": POSTED_AT,
            "created_at": POSTED_AT,
        },
    ),
]


@pytest.fixture
def client_as(user_in):
    def make(role):
        client = APIClient()
        client.force_authenticate(user_in(role))
        return client

    return make


def server_owned_differences(case: Case, record: dict, reference: dict) -> list[str]:
    """Where `record` (made with hostile input) does not hold the server's value that
    `reference` (made without) holds, or holds what was sent."""
    wrong = []
    for name, sent in case.hostile.items():
        if name in PER_RECORD:
            if record[name] == sent:
                wrong.append(f"{name} took the sent {sent!r}")
        elif record[name] != reference[name]:
            wrong.append(f"{name} is {record[name]!r}, the server gives {reference[name]!r}")
    for line, reference_line in zip(record.get("lines", []), reference.get("lines", [])):
        for name in case.line_hostile:
            if line[name] != reference_line[name]:
                wrong.append(
                    f"line {name} is {line[name]!r}, the server gives {reference_line[name]!r}"
                )
    return wrong


def with_line_fields(body: dict, line_fields: dict) -> dict:
    if "lines" not in body:
        return body
    return {**body, "lines": [{**line, **line_fields} for line in body["lines"]]}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.resource)
def test_a_post_cannot_set_server_owned_fields(client_as, case):
    client = client_as(case.role)
    url = f"/api/v1/{case.resource}/"
    plain = client.post(url, case.body(), format="json")
    assert plain.status_code == 201, plain.content

    body = with_line_fields({**case.body(), **case.hostile}, case.line_hostile)
    hostile = client.post(url, body, format="json")

    assert hostile.status_code == 201, hostile.content
    stored = client.get(f"{url}{hostile.json()['id']}/").json()
    reference = client.get(f"{url}{plain.json()['id']}/").json()
    assert not server_owned_differences(case, stored, reference)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", [case for case in CASES if case.resource != "payments"], ids=lambda case: case.resource
)
def test_a_patch_cannot_change_server_owned_fields(client_as, case):
    client = client_as(case.role)
    url = f"/api/v1/{case.resource}/"
    created = client.post(url, case.body(), format="json")
    assert created.status_code == 201, created.content
    record_url = f"{url}{created.json()['id']}/"
    before = client.get(record_url).json()
    patch = dict(case.hostile)
    if case.line_hostile:
        editable = {
            "item",
            "warehouse",
            "quantity",
            "description",
            "unit_price",
            "ledger_account",
            "sales_tax_code",
        }
        patch["lines"] = [
            {
                "id": line["id"],
                **{k: v for k, v in line.items() if k in editable and v is not None},
                **case.line_hostile,
            }
            for line in before["lines"]
        ]

    response = client.patch(record_url, patch, format="json")

    assert response.status_code == 200, response.content
    after = client.get(record_url).json()
    expected = {**before, **{name: before[name] + 1 for name in case.counted_on_update}}
    changed = [name for name in case.hostile if after[name] != expected[name]]
    changed += [
        f"line {name}"
        for line_before, line_after in zip(before.get("lines", []), after.get("lines", []))
        for name in case.line_hostile
        if line_after[name] != line_before[name]
    ]
    assert not changed, changed


@pytest.mark.django_db
def test_a_payment_cannot_be_changed_through_the_api_at_all(client_as):
    client = client_as("accountant")
    created = client.post("/api/v1/payments/", payment(), format="json")
    assert created.status_code == 201, created.content

    response = client.patch(
        f"/api/v1/payments/{created.json()['id']}/", {"unapplied": "0.00"}, format="json"
    )

    assert response.status_code == 405
    stored = client.get(f"/api/v1/payments/{created.json()['id']}/").json()
    assert stored["unapplied"] == "250.00"
