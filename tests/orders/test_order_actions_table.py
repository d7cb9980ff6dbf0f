"""One definition of what may happen next (issue 15): for sales orders and quotations in every
status, and every declared action, the page shows the button exactly when the service accepts
the action, and the API's `allowed_actions` says the same."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.actions import QUOTATION, SALES_ORDER
from orders.models import ApprovalRule, SalesOrder
from orders.services import approval, quotations
from orders.services.delivery import packing_slip_post
from orders.services.orders import (
    sales_order_cancel,
    sales_order_change_type,
    sales_order_confirm,
    sales_order_delete,
    sales_order_picking_list,
    sales_order_update,
)
from salesmkt.core.actions import REGISTRY
from tests import factories as f
from tests.action_table import allowed_on_the_page_and_api


@pytest.fixture
def accounts():
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    return SimpleNamespace(profile=profile)


@pytest.fixture
def boss(superuser):
    return superuser


@pytest.fixture
def order_in(make_order, accounts, boss):
    """An order brought through the services into the named state."""

    def customer(**extra):
        return f.CustomerFactory(posting_profile=accounts.profile, **extra)

    def ship(order, quantity=None):
        line = order.lines.order_by("pk").first()
        packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": quantity or line.deliver_remainder}],
            actor=boss,
        )

    def invoice(order):
        from invoicing.services.invoices import invoice_from_order, invoice_post

        invoice_post(invoice=invoice_from_order(order=order, actor=boss), actor=boss)

    def confirmed(**extra):
        order = make_order(customer=customer(), **extra)
        return sales_order_confirm(order=order, actor=boss)

    def needing_approval():
        ApprovalRule.objects.create(amount_threshold=Decimal("0.01"))
        return make_order(customer=customer())

    def build(state: str) -> SalesOrder:
        if state == "open":
            return make_order(customer=customer())
        if state == "confirmed":
            return confirmed()
        if state == "journal":
            return make_order(customer=customer(), order_type="journal")
        if state == "return":
            return make_order(customer=customer(), order_type="returned")
        if state == "customer on hold":
            return make_order(customer=customer(on_hold="all"))
        if state == "without lines":
            return make_order(customer=customer(), quantities=[])
        if state == "pending approval":
            return needing_approval()
        if state == "approved, not confirmed":
            return approval.approve(needing_approval(), actor=boss)
        if state == "approved and confirmed":
            order = approval.approve(needing_approval(), actor=boss)
            return sales_order_confirm(order=order, actor=boss)
        if state == "rejected":
            return approval.reject(needing_approval(), reason="no", actor=boss)
        if state == "partly delivered":
            order = confirmed()
            ship(order, Decimal("4"))
            return order
        if state == "delivered":
            order = confirmed()
            ship(order)
            return order
        if state == "invoiced":
            order = confirmed()
            ship(order)
            invoice(order)
            return order
        if state == "canceled":
            return sales_order_cancel(order=make_order(customer=customer()), actor=boss)
        raise AssertionError(state)

    return build


def _first_line(order):
    return order.lines.order_by("pk").first()


def order_services(order, user):
    """Each declared action of a sales order as its service call, with valid input."""
    line = _first_line(order)

    def deliver():
        lines = (
            [{"order_line": line, "quantity": min(Decimal(1), line.deliver_remainder) or 1}]
            if line
            else []
        )
        packing_slip_post(order=order, lines=lines, actor=user)

    def invoice(pro_forma=False):
        from invoicing.services.invoices import invoice_from_order

        return invoice_from_order(order=order, actor=user, pro_forma=pro_forma)

    def create_return():
        from orders.services.returns import sales_order_create_return

        return sales_order_create_return(order=order, actor=user)

    return {
        "update": lambda: sales_order_update(instance=order, data={"notes": "n"}, actor=user),
        "delete": lambda: sales_order_delete(instance=order, actor=user),
        "confirm": lambda: sales_order_confirm(order=order, actor=user),
        "approve": lambda: approval.approve(order, actor=user),
        "reject": lambda: approval.reject(order, reason="no", actor=user),
        "picking_list": lambda: sales_order_picking_list(order=order, actor=user),
        "deliver": deliver,
        "change_type": lambda: sales_order_change_type(
            order=order,
            order_type="subscription" if order.order_type == "sales" else "sales",
            actor=user,
        ),
        "cancel": lambda: sales_order_cancel(order=order, actor=user),
        "invoice": invoice,
        "pro_forma": lambda: invoice(pro_forma=True),
        "return": create_return,
    }


# What each state allows (the rules, as a reader checks them).
ORDER_STATES = {
    "open": {"cancel", "change_type", "confirm", "deliver", "picking_list", "update"},
    "confirmed": {"cancel", "change_type", "confirm", "deliver", "picking_list", "update"},
    "journal": {"cancel", "change_type", "delete", "update"},
    "return": {"cancel", "change_type", "confirm", "deliver", "update"},
    "customer on hold": {"cancel", "change_type", "deliver", "picking_list", "update"},
    "without lines": {"cancel", "change_type", "update"},
    "pending approval": {"approve", "cancel", "change_type", "reject", "update"},
    "approved, not confirmed": {"cancel", "change_type", "confirm", "update"},
    "approved and confirmed": {
        "cancel",
        "change_type",
        "confirm",
        "deliver",
        "picking_list",
        "update",
    },
    "rejected": {"cancel", "change_type", "update"},
    "partly delivered": {
        "change_type",
        "confirm",
        "deliver",
        "invoice",
        "picking_list",
        "pro_forma",
        "update",
    },
    "delivered": {"invoice", "pro_forma"},
    "invoiced": {"return"},
    "canceled": {"delete"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("state", ORDER_STATES)
def test_the_order_page_buttons_the_services_and_allowed_actions_agree_in_every_state(
    state, order_in, boss, clients
):
    order = order_in(state)
    services = order_services(order, boss)
    assert set(services) >= set(SALES_ORDER.actions), "every declared action is in the table"

    allowed = allowed_on_the_page_and_api(
        obj=order,
        runs={name: services[name] for name in SALES_ORDER.actions},
        page_url=reverse("orders:sales-orders-detail", args=[order.pk]),
        api_url=f"/api/v1/sales-orders/{order.pk}/",
        clients=clients,
        label=state,
    )
    assert allowed == ORDER_STATES[state]


@pytest.fixture
def quotation_in(boss):
    warehouse = f.WarehouseFactory()

    def build(state: str):
        lines = (
            []
            if state == "without lines"
            else [{"item": f.ItemFactory(), "warehouse": warehouse, "quantity": Decimal("5")}]
        )
        if state in ("pending approval", "approved"):
            ApprovalRule.objects.create(amount_threshold=Decimal("0.01"))
        quotation = quotations.quotation_create(
            data={
                "party": f.CustomerFactory().party,
                "requested_ship_date": timezone.localdate() + timedelta(days=7),
                "expiry_date": timezone.localdate() + timedelta(days=30),
                "lines": lines,
            },
            actor=boss,
        )
        if state == "approved":
            quotation = approval.approve(quotation, actor=boss)
        if state in ("sent", "expired", "confirmed", "approved"):
            quotation = quotations.quotation_send(quotation=quotation, actor=boss)
        if state == "expired":
            type(quotation).objects.filter(pk=quotation.pk).update(
                expiry_date=timezone.localdate() - timedelta(days=1)
            )
        if state == "confirmed":
            quotations.quotation_confirm(quotation=quotation, actor=boss)
        if state == "lost":
            quotations.quotation_lose(quotation=quotation, reason="price", actor=boss)
        if state == "canceled":
            quotations.quotation_cancel(quotation=quotation, actor=boss)
        quotation.refresh_from_db()
        return quotation

    return build


def quotation_services(quotation, user):
    from salesmkt.core.services import record_delete

    return {
        "update": lambda: quotations.quotation_update(
            instance=quotation, data={"customer_reference": "r"}, actor=user
        ),
        "delete": lambda: record_delete(instance=quotation, actor=user),
        "send": lambda: quotations.quotation_send(quotation=quotation, actor=user),
        "confirm": lambda: quotations.quotation_confirm(quotation=quotation, actor=user),
        "lose": lambda: quotations.quotation_lose(quotation=quotation, reason="x", actor=user),
        "cancel": lambda: quotations.quotation_cancel(quotation=quotation, actor=user),
        "approve": lambda: approval.approve(quotation, actor=user),
        "reject": lambda: approval.reject(quotation, reason="no", actor=user),
    }


QUOTATION_STATES = {
    "created": {"cancel", "delete", "lose", "send", "update"},
    "without lines": {"cancel", "delete", "lose", "update"},
    "sent": {"cancel", "confirm", "lose", "send", "update"},
    "expired": {"cancel", "lose", "send", "update"},
    "pending approval": {"approve", "cancel", "delete", "lose", "reject", "send", "update"},
    "approved": {"cancel", "confirm", "lose", "send", "update"},
    "confirmed": set(),
    "lost": set(),
    "canceled": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("state", QUOTATION_STATES)
def test_the_quotation_page_buttons_the_services_and_allowed_actions_agree_in_every_state(
    state, quotation_in, boss, clients
):
    quotation = quotation_in(state)
    services = quotation_services(quotation, boss)
    assert set(services) == set(QUOTATION.actions), "every declared action is in the table"

    allowed = allowed_on_the_page_and_api(
        obj=quotation,
        runs=services,
        page_url=reverse("orders:quotations-detail", args=[quotation.pk]),
        api_url=f"/api/v1/quotations/{quotation.pk}/",
        clients=clients,
        label=state,
    )
    assert allowed == QUOTATION_STATES[state]


@pytest.mark.django_db
def test_an_action_the_user_may_not_run_is_refused_with_permission_denied_in_allowed_actions(
    make_order, api_as
):
    ApprovalRule.objects.create(amount_threshold=Decimal("0.01"))
    order = make_order()  # pending approval: the status allows approve, the clerk may not
    clerk, manager = api_as("sales clerk"), api_as("sales manager")

    as_clerk = {
        e["action"]: e
        for e in clerk.get(f"/api/v1/sales-orders/{order.pk}/").json()["allowed_actions"]
    }
    as_manager = {
        e["action"]: e
        for e in manager.get(f"/api/v1/sales-orders/{order.pk}/").json()["allowed_actions"]
    }

    assert as_clerk["approve"]["refusal"] == "permission_denied"
    assert "refusal" not in as_manager["approve"]
    assert (
        clerk.post(f"/api/v1/sales-orders/{order.pk}/approve/", {}, format="json").status_code
        == 403
    )


@pytest.mark.django_db
def test_every_document_with_a_status_declares_its_actions():
    from agreements.models import SalesAgreement
    from crm.models import Campaign, Lead, Opportunity
    from inventory.models import PurchaseOrder
    from invoicing.models import Invoice, InvoiceRun
    from orders.models import PackingSlip, SalesQuotation

    declared = set(REGISTRY)
    for model in [
        SalesQuotation,
        SalesOrder,
        PackingSlip,
        Invoice,
        SalesAgreement,
        Campaign,
        Lead,
        Opportunity,
        PurchaseOrder,
        InvoiceRun,
    ]:
        assert model in declared, model


@pytest.mark.django_db
def test_allowed_actions_of_an_order_list_take_a_constant_number_of_queries(
    order_in, clients, django_assert_max_num_queries
):
    """A page of orders in every state answers `allowed_actions` without a query per order
    (prefetched lines, packing slips, returned quantities; draft invoices asked once a page)."""
    from invoicing.services.invoices import invoice_from_order

    states = ["open", "journal", "return", "delivered", "invoiced", "canceled"]

    def one_of_each():
        for state in states:
            order_in(state)
        invoice_from_order(order=order_in("delivered"), actor=None)  # held by a draft

    _page, api = clients
    one_of_each()
    with django_assert_max_num_queries(40) as few:
        api.get("/api/v1/sales-orders/?page_size=100")
    for _ in range(3):
        one_of_each()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get("/api/v1/sales-orders/?page_size=100")

    results = response.json()["results"]
    assert len(results) == 4 * (len(states) + 1)
    assert all(order["allowed_actions"] for order in results)


@pytest.mark.django_db
def test_packing_slips_answer_whether_they_may_be_invoiced_in_a_constant_number_of_queries(
    order_in, clients, django_assert_max_num_queries
):
    from invoicing.services.invoices import invoice_from_order

    def slips():
        order_in("delivered")
        invoice_from_order(order=order_in("delivered"), actor=None)  # its slip on a draft
        order_in("invoiced")

    _page, api = clients
    slips()
    with django_assert_max_num_queries(30) as few:
        api.get("/api/v1/packing-slips/?page_size=100")
    for _ in range(3):
        slips()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get("/api/v1/packing-slips/?page_size=100")

    refusals = sorted(
        next(entry for entry in slip["allowed_actions"] if entry["action"] == "invoice").get(
            "refusal", ""
        )
        for slip in response.json()["results"]
    )
    assert refusals == [""] * 4 + ["packing_slip_invoiced"] * 8
