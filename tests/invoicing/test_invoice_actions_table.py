"""One definition of what may happen next (issue 15) in invoicing: for invoices, free text
invoices, credit notes and pro formas in every status (draft, posted unpaid, partly paid, paid,
credited), for invoice runs and packing slips, and for every declared action, the page shows the
button exactly when the service accepts the action, and the API's `allowed_actions` says the
same. And the payment state is a state machine whose every change is an audit event."""

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from invoicing.actions import INVOICE, INVOICE_RUN, PACKING_SLIP
from invoicing.einvoice.exports import einvoice_file
from invoicing.models import CustomerTransaction, Invoice, InvoiceRun
from invoicing.services import runs
from invoicing.services.credit_notes import credit_note_create, invoice_cancel, invoice_correct
from invoicing.services.invoices import (
    free_text_invoice_create,
    free_text_invoice_update,
    invoice_delete,
    invoice_from_order,
    invoice_from_packing_slips,
    invoice_post,
    invoice_send,
)
from invoicing.services.payments import (
    PAYMENT_TRANSITIONS,
    credit_note_auto_apply,
    payment_apply,
    payment_register,
    update_payment_state,
)
from invoicing.views.runs import InvoiceRunViews
from orders.actions import SALES_ORDER
from orders.models import ApprovalRule, PackingSlip
from orders.services import approval
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm, sales_order_create, sales_order_update
from salesmkt.core.models import AuditEvent
from salesmkt.core.services import record_delete
from tests import factories as f
from tests.action_table import assert_agree, service_accepts


@pytest.fixture
def setup(make_order):
    """Posting accounts, a bank account for payments, a boss who may do everything, and makers
    of delivered orders, posted invoices and payments."""
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    boss = f.UserFactory(is_superuser=True, is_staff=True)

    def customer(**extra):
        return f.CustomerFactory(posting_profile=profile, credit_limit=0, **extra)

    def delivered(quantity="2", **extra):
        order = make_order(quantities=[quantity], customer=extra.pop("customer", customer()))
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
            actor=boss,
        )
        return order

    def pay(invoice, amount):
        payment = payment_register(
            data={
                "customer": invoice.customer,
                "date": timezone.localdate(),
                "amount": Decimal(amount),
            },
            actor=boss,
        )
        payment_apply(payment=payment, item=invoice.open_item, actor=boss)

    return SimpleNamespace(
        boss=boss,
        revenue=revenue,
        code=code,
        customer=customer,
        delivered=delivered,
        pay=pay,
    )


def free_text_line(setup, amount="100.00"):
    return {
        "ledger_account": setup.revenue,
        "description": "Consulting",
        "quantity": Decimal("1"),
        "unit_price": Decimal(amount),
        "sales_tax_code": setup.code,
    }


def build_invoice(state: str, setup) -> Invoice:
    """An invoice (or credit note, or pro forma) brought through the services into `state`."""
    boss = setup.boss

    def posted_of_order(**extra):
        order = setup.delivered(**extra)
        return invoice_post(invoice=invoice_from_order(order=order, actor=boss), actor=boss)

    if state == "customer invoice, draft":
        return invoice_from_order(order=setup.delivered(), actor=boss)
    if state == "customer invoice, posted unpaid":
        return posted_of_order()
    if state == "customer invoice, partly paid":
        invoice = posted_of_order()  # 250.00
        setup.pay(invoice, "100.00")
        return invoice
    if state == "customer invoice, paid":
        invoice = posted_of_order()
        setup.pay(invoice, "250.00")
        return invoice
    if state == "customer invoice, credited":
        invoice = posted_of_order()
        invoice_post(invoice=credit_note_create(invoice=invoice, actor=boss), actor=boss)
        return invoice
    if state == "customer invoice, posted, customer without email":
        customer = setup.customer(party=f.PartyFactory(email=""))
        return posted_of_order(customer=customer)
    if state == "customer invoice, draft, order back to approval":
        order = approved_and_shipped(setup)
        draft = invoice_from_order(order=order, actor=boss)
        send_back_to_approval(order, boss)
        return draft
    if state == "free text invoice, draft":
        return free_text_invoice_create(
            data={"customer": setup.customer(), "lines": [free_text_line(setup)]}, actor=boss
        )
    if state == "free text invoice, draft without lines":
        customer = setup.customer()
        return Invoice.objects.create(
            kind=Invoice.Kind.FREE_TEXT, customer=customer, currency=customer.currency
        )
    if state == "free text invoice, posted unpaid":
        draft = build_invoice("free text invoice, draft", setup)
        return invoice_post(invoice=draft, actor=boss)
    if state == "pro forma":
        return invoice_from_order(order=setup.delivered(), actor=boss, pro_forma=True)
    if state == "credit note, draft":
        return credit_note_create(invoice=posted_of_order(), actor=boss)
    if state == "credit note, posted with open credit":
        invoice = posted_of_order()
        setup.pay(invoice, "250.00")
        return invoice_post(invoice=credit_note_create(invoice=invoice, actor=boss), actor=boss)
    if state == "credit note, posted, credit used up":
        invoice = posted_of_order()  # 250.00, credited while unpaid: the note settles it
        return invoice_post(invoice=credit_note_create(invoice=invoice, actor=boss), actor=boss)
    raise AssertionError(state)


def approved_and_shipped(setup):
    """An order that needed a sales manager's approval, approved, confirmed and shipped in
    part (1 of 2)."""
    customer = setup.customer()
    ApprovalRule.objects.create(customer=customer, amount_threshold=Decimal("1"))
    order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": date(2026, 12, 1),
            "lines": [{"item": f.ItemFactory(), "warehouse": f.WarehouseFactory(), "quantity": 2}],
        },
        actor=setup.boss,
    )
    assert order.approval_status == "pending"
    order = sales_order_confirm(order=approval.approve(order, actor=setup.boss), actor=setup.boss)
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": 1}], actor=setup.boss
    )
    return order


def send_back_to_approval(order, actor):
    """A change of the approved amount needs the manager again."""
    line = order.lines.get()
    sales_order_update(
        instance=order, data={"lines": [{"id": line.pk, "quantity": 3}]}, actor=actor
    )
    order.refresh_from_db()
    assert order.approval_status == "pending"


INVOICE_STATES = [
    "customer invoice, draft",
    "customer invoice, posted unpaid",
    "customer invoice, partly paid",
    "customer invoice, paid",
    "customer invoice, credited",
    "customer invoice, posted, customer without email",
    "customer invoice, draft, order back to approval",
    "free text invoice, draft",
    "free text invoice, draft without lines",
    "free text invoice, posted unpaid",
    "pro forma",
    "credit note, draft",
    "credit note, posted with open credit",
    "credit note, posted, credit used up",
]


def invoice_services(invoice: Invoice, setup) -> dict:
    """Each declared action of an invoice as the service its page, the API and the admin call,
    with valid input."""
    boss = setup.boss
    return {
        "update": lambda: free_text_invoice_update(
            instance=invoice, data={"notes": "n"}, actor=boss
        ),
        "edit_lines": lambda: free_text_invoice_update(
            instance=invoice, data={"lines": [free_text_line(setup, "90.00")]}, actor=boss
        ),
        "delete": lambda: invoice_delete(instance=invoice, actor=boss),
        "post": lambda: invoice_post(invoice=invoice, actor=boss),
        "send": lambda: invoice_send(invoice=invoice, actor=boss),
        "credit": lambda: credit_note_create(invoice=invoice, actor=boss),
        "cancel": lambda: invoice_cancel(invoice=invoice, actor=boss),
        "correct": lambda: invoice_correct(invoice=invoice, actor=boss),
        "apply_credit": lambda: credit_note_auto_apply(credit_note=invoice, actor=boss),
        "einvoice": lambda: einvoice_file(invoice=invoice, syntax="ubl"),
    }


def _pages(user, url, api_url):
    page = Client()
    page.force_login(user)
    response = page.get(url)
    assert response.status_code == 200
    api = APIClient()
    api.force_authenticate(user=user)
    answer = api.get(api_url)
    assert answer.status_code == 200, answer.content
    return response.content.decode(), answer.json()


def invoice_page_offers(html: str, invoice: Invoice, action: str) -> bool:
    """The invoice page's links and forms that are not record-action buttons: Edit (the free
    text form: lines and all), the header form, Delete, the e-invoice downloads."""
    edit = f'href="{reverse("invoicing:invoices-update", args=[invoice.pk])}"'
    header = f'href="{reverse("invoicing:invoices-header", args=[invoice.pk])}"'
    if action == "edit_lines":
        return edit in html
    if action == "update":
        return edit in html or header in html
    if action == "delete":
        return f'action="{reverse("invoicing:invoices-delete", args=[invoice.pk])}"' in html
    if action == "einvoice":
        return f'href="{reverse("invoicing:invoice-ubl", args=[invoice.pk])}"' in html
    raise AssertionError(action)


# The actions the page offers as links or forms of its own rather than record-action buttons.
OWN_CONTROLS = {"update", "edit_lines", "delete", "einvoice"}


@pytest.mark.django_db
@pytest.mark.parametrize("state", INVOICE_STATES)
def test_the_invoice_page_buttons_the_services_and_allowed_actions_agree_in_every_state(
    state, setup
):
    invoice = build_invoice(state, setup)
    invoice.refresh_from_db()
    resource = "credit-notes" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoices"
    html, payload = _pages(
        setup.boss,
        reverse("invoicing:invoices-detail", args=[invoice.pk]),
        f"/api/v1/{resource}/{invoice.pk}/",
    )
    services = invoice_services(invoice, setup)
    assert set(INVOICE.actions) == set(services), "every declared action has its service here"
    for name in INVOICE.actions:
        allowed = assert_agree(
            obj=invoice,
            action=name,
            run=services[name],
            page_html=None if name in OWN_CONTROLS else html,
            button=name,  # the record actions' names, as the page's URLs spell them
            api_payload=payload,
            label=state,
        )
        if name in OWN_CONTROLS:
            shown = invoice_page_offers(html, invoice, name)
            assert shown == allowed, f"{state} {name}: {'shown' if shown else 'hidden'}"


@pytest.mark.django_db
def test_a_refused_condition_shows_the_button_disabled_with_its_reason(setup):
    invoice = build_invoice("free text invoice, draft without lines", setup)

    html, payload = _pages(
        setup.boss,
        reverse("invoicing:invoices-detail", args=[invoice.pk]),
        f"/api/v1/invoices/{invoice.pk}/",
    )

    assert 'data-action="post" data-refusal="invoice_has_no_lines"' in html
    entries = {entry["action"]: entry for entry in payload["allowed_actions"]}
    assert entries["post"]["refusal"] == "invoice_has_no_lines"
    assert entries["post"]["detail"] == "The invoice has no lines."


# --- invoice runs -------------------------------------------------------------------------------

RUN_STATES = ["queued", "running", "done"]


def build_run(state: str, setup) -> InvoiceRun:
    setup.delivered()
    with mock.patch.object(runs, "_queue"):
        run = runs.invoice_run_create(up_to_date=date(2099, 1, 1), actor=setup.boss)
    if state == "running":
        InvoiceRun.objects.filter(pk=run.pk).update(status=InvoiceRun.Status.RUNNING)
    if state == "done":
        runs.invoice_run_process(run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
@pytest.mark.parametrize("state", RUN_STATES)
def test_the_invoice_run_page_the_services_and_allowed_actions_agree_in_every_state(state, setup):
    run = build_run(state, setup)
    html, payload = _pages(
        setup.boss,
        reverse("invoicing:runs-detail", args=[run.pk]),
        f"/api/v1/invoice-runs/{run.pk}/",
    )
    services = {
        # What the run's Edit and Delete would run: both are refused, a run is a record.
        "update": lambda: InvoiceRunViews.run_update(run, {}, setup.boss),
        "delete": lambda: record_delete(instance=run, actor=setup.boss),
        "resume": lambda: runs.invoice_run_resume(run=run, actor=setup.boss),
    }
    assert set(INVOICE_RUN.actions) == set(services)
    for name in INVOICE_RUN.actions:
        allowed = assert_agree(
            obj=run,
            action=name,
            run=services[name],
            page_html=html if name == "resume" else None,
            api_payload=payload,
            label=state,
        )
        if name == "update":
            edit = f'href="{reverse("invoicing:runs-update", args=[run.pk])}"'
            assert (edit in html) == allowed
        if name == "delete":
            delete = f'action="{reverse("invoicing:runs-delete", args=[run.pk])}"'
            assert (delete in html) == allowed


# --- packing slips ------------------------------------------------------------------------------

SLIP_STATES = [
    "waiting",
    "on a draft invoice",
    "invoiced",
    "of a return",
    "of an order back to approval",
]


def build_slip(state: str, setup, make_order) -> PackingSlip:
    boss = setup.boss
    if state == "of a return":
        order = make_order(quantities=["1"], order_type="returned", customer=setup.customer())
        return packing_slip_post(
            order=order, lines=[{"order_line": order.lines.get(), "quantity": 1}], actor=boss
        )
    if state == "of an order back to approval":
        order = approved_and_shipped(setup)
        send_back_to_approval(order, boss)
        return order.packing_slips.get()
    order = setup.delivered()
    slip = order.packing_slips.get()
    if state == "on a draft invoice":
        invoice_from_packing_slips(packing_slips=[slip], actor=boss)
    if state == "invoiced":
        invoice_post(
            invoice=invoice_from_packing_slips(packing_slips=[slip], actor=boss), actor=boss
        )
    return slip


def slip_row(html: str, slip: PackingSlip) -> str:
    """The packing slip's checkbox on the Invoice packing slips page ("" when not listed)."""
    found = re.search(rf'<input[^>]*id="slip-{slip.pk}"[^>]*>', html)
    return found.group(0) if found else ""


@pytest.mark.django_db
@pytest.mark.parametrize("state", SLIP_STATES)
def test_the_packing_slips_page_and_the_service_agree_on_invoicing_a_slip(state, setup, make_order):
    slip = PackingSlip.objects.get(pk=build_slip(state, setup, make_order).pk)
    page = Client()
    page.force_login(setup.boss)
    html = page.get(reverse("invoicing:packing-slips")).content.decode()

    assert set(PACKING_SLIP.actions) == {"invoice"}
    assert_agree(
        obj=slip,
        action="invoice",
        run=lambda: invoice_from_packing_slips(packing_slips=[slip], actor=setup.boss),
        page_html=slip_row(html, slip),
        # The packing slips' API is the orders area's: the declaration it would list.
        api_payload={"allowed_actions": PACKING_SLIP.allowed(slip, setup.boss)},
        label=state,
    )


# --- sales orders: invoice and pro forma --------------------------------------------------------

ORDER_STATES = ["delivered, on a draft invoice", "delivered, more since the draft", "return"]


def build_order(state: str, setup, make_order):
    boss = setup.boss
    if state == "return":
        order = make_order(quantities=["2"], order_type="returned", customer=setup.customer())
        packing_slip_post(
            order=order, lines=[{"order_line": order.lines.get(), "quantity": 2}], actor=boss
        )
        return order
    order = make_order(quantities=["5"], customer=setup.customer())
    line = order.lines.get()
    packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 2}], actor=boss)
    invoice_from_order(order=order, actor=boss)  # a draft of the 2 delivered
    if state == "delivered, more since the draft":
        packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 1}], actor=boss)
    return order


@pytest.mark.django_db
@pytest.mark.parametrize("state", ORDER_STATES)
def test_the_order_pages_invoice_buttons_agree_with_the_service_beyond_the_orders_table(
    state, setup, make_order
):
    order = build_order(state, setup, make_order)
    html, payload = _pages(
        setup.boss,
        reverse("orders:sales-orders-detail", args=[order.pk]),
        f"/api/v1/sales-orders/{order.pk}/",
    )
    for name, pro_forma in (("invoice", False), ("pro_forma", True)):
        assert_agree(
            obj=order,
            action=name,
            run=lambda pro_forma=pro_forma: invoice_from_order(
                order=order, actor=setup.boss, pro_forma=pro_forma
            ),
            page_html=html,
            api_payload=payload,
            label=state,
        )


@pytest.mark.django_db
def test_invoicing_ordered_quantities_is_not_refused_for_what_is_not_delivered(setup, make_order):
    order = sales_order_confirm(order=make_order(customer=setup.customer()), actor=setup.boss)

    refusal = SALES_ORDER.refusal(order, "invoice")
    accepted, _code = service_accepts(
        lambda: invoice_from_order(order=order, actor=setup.boss, ordered_quantities=True)
    )

    assert refusal.code == "nothing_to_invoice"
    assert accepted


# --- the payment state machine ------------------------------------------------------------------


def payment_events(invoice: Invoice) -> list[tuple[str, str, str]]:
    return [
        (event.action, event.from_status, event.to_status)
        for event in AuditEvent.objects.filter(
            object_id=str(invoice.pk),
            content_type__model="invoice",
            action__in=PAYMENT_TRANSITIONS.values(),
        ).order_by("id")
    ]


@pytest.mark.django_db
def test_each_payment_state_change_writes_an_audit_event_with_from_and_to(setup):
    invoice = build_invoice("customer invoice, posted unpaid", setup)  # 250.00

    setup.pay(invoice, "100.00")
    setup.pay(invoice, "150.00")
    item = CustomerTransaction.objects.get(invoice=invoice)
    item.remaining = Decimal("250.00")  # the settlements taken back (no service does it yet)
    item.save(update_fields=["remaining"])
    update_payment_state(item, actor=setup.boss)
    invoice_post(invoice=credit_note_create(invoice=invoice, actor=setup.boss), actor=setup.boss)

    assert payment_events(invoice) == [
        ("pay_in_part", "unpaid", "partly_paid"),
        ("pay_in_full", "partly_paid", "paid"),
        ("reopen_payment", "paid", "unpaid"),
        ("mark_credited", "unpaid", "credited"),
    ]
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.PaymentState.CREDITED


@pytest.mark.django_db
def test_a_partial_credit_note_marks_the_invoice_partly_paid_with_an_event(setup):
    invoice = build_invoice("customer invoice, posted unpaid", setup)  # 2 x 125.00
    line = invoice.lines.get()

    note = credit_note_create(
        invoice=invoice, actor=setup.boss, lines=[{"invoice_line": line, "quantity": 1}]
    )
    invoice_post(invoice=note, actor=setup.boss)

    assert payment_events(invoice) == [("pay_in_part", "unpaid", "partly_paid")]
    event = AuditEvent.objects.get(object_id=str(invoice.pk), action="pay_in_part")
    assert event.data == {"remaining": "125.00"}


@pytest.mark.django_db
def test_the_payment_state_is_not_assigned_by_hand(setup):
    invoice = build_invoice("customer invoice, posted unpaid", setup)

    with pytest.raises(AttributeError):
        invoice.payment_state = Invoice.PaymentState.PAID
