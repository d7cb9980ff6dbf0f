"""Approval is a gate on everything that commits the company: an order that needs a sales
manager's approval and does not have it (pending, or pending again after a change) or was
rejected is not delivered, not purchased for, not invoiced and not posted; its buttons are
hidden. Orders that need no approval are not concerned."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice, InvoiceRun, InvoiceRunCustomer
from invoicing.services.invoices import invoice_from_order
from invoicing.services.runs import invoice_run_create, invoice_run_process
from orders.models import ApprovalRule, PackingSlip, SalesOrder
from orders.services import approval
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm, sales_order_update
from salesmkt.core.errors import ConflictError
from salesmkt.core.models import AuditEvent
from tests import factories as f


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
def large_order(make_order, accounts):
    """An order whose amount reaches the approval threshold: it waits for approval."""
    ApprovalRule.objects.create(amount_threshold=Decimal("500"))

    def make(quantities=("10",), customer=None, **extra):
        order = make_order(
            quantities=list(quantities),
            customer=customer or f.CustomerFactory(posting_profile=accounts.profile),
            **extra,
        )
        assert order.approval_status == "pending"
        return order

    return make


def approved(order):
    approval.approve(order, actor=None)
    return sales_order_confirm(order=order, actor=None)


def send_back_to_approval(order):
    """A change of the approved amounts needs the manager again."""
    line = order.lines.order_by("pk").first()
    sales_order_update(
        instance=order,
        data={"lines": [{"id": line.pk, "quantity": line.quantity + 1}]},
        actor=None,
    )
    order.refresh_from_db()
    assert order.approval_status == "pending"
    return order


def ship(order, quantity="4"):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.order_by("pk").first(), "quantity": Decimal(quantity)}],
        actor=None,
    )


def post_packing_slip(api, order, quantity="4"):
    line = order.lines.order_by("pk").first()
    return api.post(
        "/api/v1/packing-slips/",
        {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": quantity}]},
        format="json",
    )


def drop_shipment_line(order, line_number=1):
    line = order.lines.get(line_number=line_number)
    line.item.primary_vendor = f.VendorFactory()
    line.item.save()
    line.supply_type = "drop_shipment"
    line.save()
    return line


def refusal(response):
    return response.status_code, response.json()["code"]


@pytest.mark.django_db
def test_an_order_pending_approval_cannot_be_shipped(api_as, large_order):
    order = large_order()

    response = post_packing_slip(api_as("sales clerk"), order)

    assert refusal(response) == (409, "approval_pending")
    assert "approval" in response.json()["detail"]
    assert not PackingSlip.objects.exists()
    assert order.lines.get().deliver_remainder == Decimal("10")


@pytest.mark.django_db
def test_a_returned_order_pending_approval_cannot_arrive(api_as, large_order):
    order = large_order(order_type="returned")
    line = order.lines.get()

    response = api_as("sales clerk").post(
        f"/api/v1/sales-orders/{order.pk}/arrive/",
        {"lines": [{"order_line": line.pk, "quantity": "1"}]},
        format="json",
    )

    assert refusal(response) == (409, "approval_pending")
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_an_order_pending_approval_cannot_be_invoiced_from_the_order(api_as, large_order):
    order = large_order()

    response = api_as("accountant").post(
        "/api/v1/invoices/from-order/",
        {"order": order.pk, "ordered_quantities": True},
        format="json",
    )

    assert refusal(response) == (409, "approval_pending")
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_pro_forma_of_an_order_pending_approval_is_still_drafted(large_order):
    # A pro forma is an estimate that is never posted: it commits the company to nothing.
    order = large_order()

    pro_forma = invoice_from_order(order=order, actor=None, ordered_quantities=True, pro_forma=True)

    assert pro_forma.kind == Invoice.Kind.PRO_FORMA


@pytest.mark.django_db
def test_an_order_pending_approval_cannot_be_invoiced_from_its_packing_slips(api_as, large_order):
    order = approved(large_order())
    slip = ship(order)
    send_back_to_approval(order)

    response = api_as("accountant").post(
        "/api/v1/invoices/from-packing-slips/", {"packing_slips": [slip.pk]}, format="json"
    )

    assert refusal(response) == (409, "approval_pending")
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_an_invoice_of_an_order_pending_approval_cannot_be_posted(api_as, large_order):
    order = approved(large_order())
    ship(order)
    draft = invoice_from_order(order=order, actor=None)
    send_back_to_approval(order)

    response = api_as("accountant").post(f"/api/v1/invoices/{draft.pk}/post/", {}, format="json")

    assert refusal(response) == (409, "approval_pending")
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (Invoice.Status.DRAFT, "")


@pytest.mark.django_db
def test_a_drop_shipment_line_of_an_order_pending_approval_cannot_be_purchased(
    manager_api, large_order
):
    order = large_order()
    line = drop_shipment_line(order)

    response = manager_api.post(
        f"/api/v1/sales-orders/{order.pk}/purchase/", {"order_line": line.pk}, format="json"
    )

    assert refusal(response) == (409, "approval_pending")
    line.refresh_from_db()
    assert line.purchase_line is None


@pytest.mark.django_db
def test_an_approved_order_is_shipped_purchased_invoiced_and_posted(
    api_as, manager_api, large_order
):
    order = approved(large_order(quantities=["10", "10"]))
    dropped = drop_shipment_line(order, line_number=2)
    accountant = api_as("accountant")

    shipped = post_packing_slip(api_as("sales clerk"), order)
    purchased = manager_api.post(
        f"/api/v1/sales-orders/{order.pk}/purchase/", {"order_line": dropped.pk}, format="json"
    )
    drafted = accountant.post("/api/v1/invoices/from-order/", {"order": order.pk}, format="json")
    posted = accountant.post(f"/api/v1/invoices/{drafted.json()['id']}/post/", {}, format="json")

    assert shipped.status_code == 201, shipped.json()
    assert purchased.status_code == 201, purchased.json()
    assert drafted.status_code == 201, drafted.json()
    assert posted.status_code == 200, posted.json()
    assert posted.json()["status"] == "posted"


@pytest.mark.django_db
def test_an_approved_order_changed_back_to_pending_is_refused_again(api_as, large_order):
    order = approved(large_order())
    clerk = api_as("sales clerk")
    assert post_packing_slip(clerk, order, "2").status_code == 201

    send_back_to_approval(order)
    response = post_packing_slip(clerk, order, "2")

    assert refusal(response) == (409, "approval_pending")
    assert PackingSlip.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_order_is_refused_with_approval_rejected(api_as, manager_api, large_order):
    order = large_order()
    line = drop_shipment_line(large_order(customer=order.customer))
    approval.reject(order, reason="Margin too low", actor=None)
    approval.reject(line.order, reason="Margin too low", actor=None)

    shipped = post_packing_slip(api_as("sales clerk"), order)
    invoiced = api_as("accountant").post(
        "/api/v1/invoices/from-order/",
        {"order": order.pk, "ordered_quantities": True},
        format="json",
    )
    purchased = manager_api.post(
        f"/api/v1/sales-orders/{line.order_id}/purchase/", {"order_line": line.pk}, format="json"
    )

    assert refusal(shipped) == (409, "approval_rejected")
    assert refusal(invoiced) == (409, "approval_rejected")
    assert refusal(purchased) == (409, "approval_rejected")


@pytest.mark.django_db
def test_an_invoice_run_leaves_out_the_slips_of_an_order_pending_approval(
    large_order, django_capture_on_commit_callbacks
):
    waiting = approved(large_order())
    held_slip = ship(waiting)
    send_back_to_approval(waiting)
    fine = approved(large_order())
    fine_slip = ship(fine)

    with django_capture_on_commit_callbacks(execute=True):
        run = invoice_run_create(up_to_date=timezone.localdate(), actor=None)

    assert [row.customer for row in run.rows.all()] == [fine.customer]
    fine_slip.refresh_from_db()
    held_slip.refresh_from_db()
    assert (fine_slip.invoiced, held_slip.invoiced) == (True, False)
    created = AuditEvent.objects.get(
        content_type=ContentType.objects.get_for_model(InvoiceRun),
        object_id=str(run.pk),
        action="created",
    )
    assert created.data["held_for_approval"] == [waiting.number]


@pytest.mark.django_db
def test_an_invoice_run_fails_a_customer_whose_order_went_back_to_approval_meanwhile(
    large_order,
):
    order = approved(large_order())
    slip = ship(order)
    run = invoice_run_create(up_to_date=timezone.localdate(), actor=None)  # queued, not run yet

    send_back_to_approval(order)
    invoice_run_process(run.pk)

    row = run.rows.get()
    assert row.status == InvoiceRunCustomer.Status.FAILED
    assert order.number in row.error and "approval" in row.error
    slip.refresh_from_db()
    assert slip.invoiced is False and not Invoice.objects.exists()


@pytest.mark.django_db
def test_the_order_page_hides_shipping_purchase_and_invoicing_for_a_pending_order(
    client, user_in, large_order
):
    order = large_order(quantities=["10", "1"])
    dropped = drop_shipment_line(order, line_number=1)
    stocked = order.lines.get(line_number=2)
    client.force_login(user_in("sales clerk", "sales manager"))
    url = reverse("orders:sales-orders-detail", args=[order.pk])

    pending_page = client.get(url).content.decode()
    approved(order)
    approved_page = client.get(url).content.decode()

    assert "Post packing slip" not in pending_page
    assert f'name="deliver-{stocked.pk}"' not in pending_page
    assert f'id="purchase-{dropped.pk}"' not in pending_page
    assert "Invoice delivered quantities" not in pending_page
    assert "Post packing slip" in approved_page
    assert "Invoice delivered quantities" in approved_page
    assert f'name="deliver-{stocked.pk}"' in approved_page
    assert f'id="purchase-{dropped.pk}"' in approved_page


@pytest.mark.django_db
def test_an_order_needing_no_approval_is_shipped_and_invoiced_as_before(make_order, accounts):
    order = make_order(
        quantities=["2"], customer=f.CustomerFactory(posting_profile=accounts.profile)
    )

    ship(order, "2")
    invoice = invoice_from_order(order=order, actor=None)

    assert order.approval_status == "not_required"
    assert invoice.lines.count() == 1


@pytest.mark.django_db
def test_the_refusal_is_raised_by_the_service_whoever_calls_it(large_order):
    order = large_order()

    with pytest.raises(ConflictError) as refused:
        ship(order)

    assert refused.value.code == "approval_pending"


@pytest.mark.django_db
def test_the_invoice_packing_slips_page_does_not_offer_the_slips_of_a_pending_order(
    client, user_in, large_order
):
    order = large_order(quantities=["10"])
    approved(order)
    slip = packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal("10")}],
        actor=None,
    )
    client.force_login(user_in("accountant"))
    url = reverse("invoicing:packing-slips")

    offered_when_approved = slip.number in client.get(url).content.decode()
    SalesOrder.objects.filter(pk=order.pk).update(approval_status="pending")
    offered_when_pending = slip.number in client.get(url).content.decode()

    assert (offered_when_approved, offered_when_pending) == (True, False)


@pytest.mark.django_db
def test_an_order_that_needed_approval_is_not_picked_shipped_or_invoiced_before_it_is_confirmed(
    api_as, large_order
):
    order = large_order()
    approval.approve(order, actor=None)
    clerk, accountant = api_as("sales clerk"), api_as("accountant")

    picked = clerk.post(f"/api/v1/sales-orders/{order.pk}/picking-list/", {}, format="json")
    shipped = post_packing_slip(clerk, order)
    invoiced = accountant.post(
        "/api/v1/invoices/from-order/",
        {"order": order.pk, "ordered_quantities": True},
        format="json",
    )

    assert refusal(picked) == (409, "not_confirmed")
    assert refusal(shipped) == (409, "not_confirmed")
    assert refusal(invoiced) == (409, "not_confirmed")
    assert not PackingSlip.objects.filter(order=order).exists()
    assert not Invoice.objects.filter(sales_order=order).exists()


@pytest.mark.django_db
def test_the_approval_status_changes_only_by_its_transitions_each_with_an_audit_event(
    large_order,
):
    order = large_order()

    with pytest.raises(AttributeError):
        order.approval_status = "approved"  # protected: only a transition changes it
    send_back_to_approval(approved(order))

    events = list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(SalesOrder), object_id=str(order.pk)
        )
        .exclude(from_status="")
        .order_by("pk")
        .values_list("action", "from_status", "to_status")
    )
    assert ("approve", "pending", "approved") in events
    assert ("ask_approval", "approved", "pending") in events
