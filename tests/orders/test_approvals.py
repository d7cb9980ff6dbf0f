"""Approval of quotations and orders by a sales manager."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import ApprovalRule
from orders.services import approval
from orders.services.orders import sales_order_confirm, sales_order_update
from salesmkt.core.errors import ConflictError
from tests import factories as f


@pytest.mark.django_db
def test_an_order_above_the_rules_threshold_waits_for_approval_before_confirmation(make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("500"))
    small, large = make_order(quantities=["2"]), make_order(quantities=["10"])

    assert (small.approval_status, large.approval_status) == ("not_required", "pending")
    with pytest.raises(ConflictError) as refused:
        sales_order_confirm(order=large, actor=None)
    assert refused.value.code == "approval_required"
    sales_order_confirm(order=small, actor=None)


@pytest.mark.django_db
def test_an_approved_order_can_be_confirmed(make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    order = make_order()

    approval.approve(order, actor=None)

    assert sales_order_confirm(order=order, actor=None).document_status == "confirmation"


@pytest.mark.django_db
def test_changing_an_approved_orders_amounts_sends_it_back_to_pending(make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    order = make_order(quantities=["2"])
    approval.approve(order, actor=None)
    line = order.lines.get()

    sales_order_update(instance=order, data={"notes": "call before delivery"}, actor=None)
    order.refresh_from_db()
    assert order.approval_status == "approved"  # amounts unchanged
    sales_order_update(
        instance=order, data={"lines": [{"id": line.pk, "quantity": Decimal("3")}]}, actor=None
    )
    order.refresh_from_db()
    assert order.approval_status == "pending"


@pytest.mark.django_db
def test_rules_apply_by_customer_or_customer_group_only_to_them(make_order):
    vip_group = f.CustomerGroupFactory(code="VIP")
    watched = f.CustomerFactory()
    ApprovalRule.objects.create(customer=watched, amount_threshold=Decimal("0"))
    ApprovalRule.objects.create(customer_group=vip_group, amount_threshold=Decimal("0"))

    assert make_order(customer=watched).approval_status == "pending"
    assert (
        make_order(customer=f.CustomerFactory(customer_group=vip_group)).approval_status
        == "pending"
    )
    assert make_order(customer=f.CustomerFactory()).approval_status == "not_required"


@pytest.mark.django_db
def test_exceeding_the_credit_limit_with_open_orders_requires_approval(make_order):
    customer = f.CustomerFactory(credit_limit=Decimal("1500.00"))
    first = make_order(customer=customer, quantities=["10"])  # 1000.00
    second = make_order(customer=customer, quantities=["6"])  # 600.00: 1600 open

    assert first.approval_status == "not_required"
    assert second.approval_status == "pending"
    assert "credit limit" in second.approval_reason


@pytest.mark.django_db
def test_a_rejected_order_cannot_be_confirmed(make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    order = make_order()

    approval.reject(order, reason="Margin too low", actor=None)

    order.refresh_from_db()
    with pytest.raises(ConflictError):
        sales_order_confirm(order=order, actor=None)
    assert order.approval_status == "rejected"


@pytest.mark.django_db
def test_only_a_sales_manager_may_approve_through_the_api(api_as, make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    order = make_order()

    clerk = api_as("sales clerk").post(f"/api/v1/sales-orders/{order.pk}/approve/")
    manager = api_as("sales manager").post(f"/api/v1/sales-orders/{order.pk}/approve/")
    again = api_as("sales manager").post(f"/api/v1/sales-orders/{order.pk}/approve/")

    assert clerk.status_code == 403
    assert manager.status_code == 200 and manager.json()["approval_status"] == "approved"
    assert again.status_code == 409 and again.json()["code"] == "approval_not_pending"


@pytest.mark.django_db
def test_the_approval_queue_lists_what_waits(client, user_in, make_order):
    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    waiting = make_order()
    client.force_login(user_in("sales manager"))

    page = client.get(reverse("orders:approval-queue")).content.decode()

    assert waiting.number in page


@pytest.mark.django_db
def test_a_quotation_above_the_threshold_waits_for_approval_before_confirmation():
    from datetime import date

    from orders.services.quotations import quotation_confirm, quotation_create, quotation_send

    ApprovalRule.objects.create(amount_threshold=Decimal("0"))
    quotation = quotation_create(
        data={
            "party": f.CustomerFactory().party,
            "expiry_date": date(2099, 1, 1),
            "requested_ship_date": date(2099, 1, 1),
            "lines": [
                {
                    "item": f.ItemFactory(),
                    "warehouse": f.WarehouseFactory(),
                    "quantity": Decimal("1"),
                }
            ],
        },
        actor=None,
    )
    quotation_send(quotation=quotation, actor=None)

    with pytest.raises(ConflictError) as refused:
        quotation_confirm(quotation=quotation, actor=None)
    approval.approve(quotation, actor=None)

    assert refused.value.code == "approval_required"
    assert quotation_confirm(quotation=quotation, actor=None).number == "SO000001"


@pytest.mark.django_db
def test_open_receivables_count_towards_the_credit_limit(make_order):
    from invoicing.models import CustomerTransaction

    customer = f.CustomerFactory(credit_limit=Decimal("1000.00"))
    CustomerTransaction.objects.create(
        customer=customer,
        date="2026-11-01",
        due_date="2026-12-01",
        amount=Decimal("900.00"),
        remaining=Decimal("900.00"),
        currency=customer.currency,
    )

    order = make_order(customer=customer, quantities=["2"])  # 200.00 + 900.00 open > 1000.00

    assert order.approval_status == "pending"
