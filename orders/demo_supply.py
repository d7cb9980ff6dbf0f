"""Demo purchase supply: purchase orders to the demo vendors (one late, one partly received,
one due next week), a drop-shipment line whose vendor ships to the customer and a special order
bought for its line. Loaded after the sales orders, before invoicing."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import Customer, Vendor
from inventory.models import Item, PurchaseOrder, Warehouse
from inventory.services.purchasing import purchase_order_create, purchase_order_receive

from .services.orders import sales_order_create
from .services.supply import sales_line_purchase

LATE_REFERENCE = "LS-4471"


def _purchase(vendor: str, lines, actor, *, ordered_days_ago: int, expected_in_days: int, **extra):
    today = timezone.localdate()
    oslo = Warehouse.objects.get(code="OSL")
    return purchase_order_create(
        data={
            "vendor": Vendor.objects.get(party__name=vendor),
            "order_date": today - timedelta(days=ordered_days_ago),
            "expected_receipt_date": today + timedelta(days=expected_in_days),
            "lines": [
                {
                    "item": Item.objects.get(item_number=number),
                    "warehouse": oslo,
                    "quantity": Decimal(quantity),
                }
                for number, quantity in lines
            ],
            **extra,
        },
        actor=actor,
    )


def _supplied_order(customer: str, number: str, quantity: str, supply_type: str, actor, **extra):
    order = sales_order_create(
        data={
            "customer": Customer.objects.get(party__name=customer),
            "requested_ship_date": timezone.localdate() + timedelta(days=10),
            "lines": [
                {
                    "item": Item.objects.get(item_number=number),
                    "warehouse": Warehouse.objects.get(code="OSL"),
                    "quantity": Decimal(quantity),
                    "supply_type": supply_type,
                }
            ],
            **extra,
        },
        actor=actor,
    )
    return sales_line_purchase(line=order.lines.get(), actor=actor)


def load(actor=None) -> None:
    if PurchaseOrder.objects.filter(vendor_reference=LATE_REFERENCE).exists():
        return
    # Late: expected five days ago, nothing has arrived.
    _purchase(
        "Lofoten Sjømat AS",
        [("1000", "60"), ("1002", "40")],
        actor,
        ordered_days_ago=21,
        expected_in_days=-5,
        vendor_reference=LATE_REFERENCE,
    )
    # Partly received: 40 of 100 arrived yesterday, the rest is expected in three days.
    partly = _purchase(
        "Hollandse Kaas Coöperatie U.A.",
        [("2000", "100")],
        actor,
        ordered_days_ago=12,
        expected_in_days=3,
        vendor_reference="HK-20931",
    )
    purchase_order_receive(
        order=partly,
        lines=[{"line": partly.lines.get(), "quantity": Decimal("40")}],
        on=timezone.localdate() - timedelta(days=1),
        actor=actor,
    )
    # Due next week; the special order below joins it.
    _purchase(
        "Norrlands Bryggeri AB",
        [("3000", "80")],
        actor,
        ordered_days_ago=1,
        expected_in_days=7,
        vendor_reference="NB-5512",
    )
    # The vendor ships the cheese straight to the Dutch wholesaler.
    _supplied_order(
        "De Molen Groothandel B.V.",
        "2000",
        "30",
        "drop_shipment",
        actor,
        customer_reference="PO-77901",
    )
    # Bought for the customer, received into Oslo and reserved for the line.
    _supplied_order(
        "Nordhandel Dagligvare AS",
        "3000",
        "24",
        "special_order",
        actor,
        notes="Pale ale for the summer campaign",
    )
