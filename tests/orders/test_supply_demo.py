from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import PurchaseOrder, PurchaseOrderLine
from orders.models import SalesOrderLine


@pytest.mark.django_db
def test_the_demo_has_late_partly_received_and_due_purchases_and_lines_supplied_by_them():
    call_command("load_demo", stdout=StringIO())
    counts = (PurchaseOrder.objects.count(), PurchaseOrderLine.objects.count())
    call_command("load_demo", stdout=StringIO())

    assert (PurchaseOrder.objects.count(), PurchaseOrderLine.objects.count()) == counts
    today = timezone.localdate()
    lines = list(PurchaseOrderLine.objects.select_related("order"))
    assert any(line.is_late and not line.received_quantity for line in lines)
    assert any(0 < line.received_quantity < line.quantity for line in lines)
    assert any(0 < (line.expected_receipt_date - today).days <= 7 for line in lines)
    drop = SalesOrderLine.objects.get(supply_type="drop_shipment")
    special = SalesOrderLine.objects.get(supply_type="special_order")
    assert drop.purchase_line.order.drop_shipment and drop.deliver_remainder > 0
    assert not special.purchase_line.order.drop_shipment
