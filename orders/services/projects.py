"""Projects: an item sold through a project lands on the project's item-requirements order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory.models import Item, Warehouse
from salesmkt.core.audit import record_event
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock

from ..models import Project, SalesOrder, SalesOrderLine
from .orders import sales_order_create, sales_order_update


def project_create(*, data: dict[str, Any], actor) -> Project:
    with transaction.atomic():
        project = Project(**data)
        project.number = next_number("project")
        return record_save(instance=project, actor=actor)


def project_record_item_sale(
    *, project: Project, item: Item, quantity: Decimal, warehouse: Warehouse, actor
) -> SalesOrderLine:
    """Record an item sold through the project. The first sale creates the project's
    item-requirements order; later sales add lines to it (a new order once it is closed)."""
    with transaction.atomic():
        project = lock(project)
        order = project.item_requirements_order
        row = {"item": item, "warehouse": warehouse, "quantity": quantity}
        if order is None or order.status != SalesOrder.Status.OPEN:
            order = sales_order_create(
                data={
                    "customer": project.customer,
                    "order_type": SalesOrder.OrderType.ITEM_REQUIREMENTS,
                    "requested_ship_date": timezone.localdate(),
                    "customer_reference": project.name,
                    "lines": [row],
                },
                actor=actor,
            )
            order.project = project
            order.save(update_fields=["project"])
            project.item_requirements_order = order
            project.save(update_fields=["item_requirements_order"])
        else:
            rows = [{"id": pk} for pk in order.lines.values_list("pk", flat=True)] + [row]
            sales_order_update(instance=order, data={"lines": rows}, actor=actor)
        line = order.lines.order_by("-line_number").first()
        record_event(
            actor=actor,
            obj=project,
            action="item_sale",
            data={"order": order.number, "item": item.item_number, "quantity": quantity},
        )
        return line
