"""POST data for the clerk UI's forms with line formsets, as the browser sends it."""

from __future__ import annotations

from tests import factories as f


def formset(rows: list[dict], *, prefix: str = "lines", initial: int = 0) -> dict:
    """A formset's management fields and its rows' fields (`lines-0-item`...)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def sales_order_form(*, customer=None, item=None, warehouse=None, quantity="3", **line) -> dict:
    """The new sales order form with one line (new customer, item and warehouse by default)."""
    row = {
        "item": (item or f.ItemFactory()).pk,
        "warehouse": (warehouse or f.WarehouseFactory()).pk,
        "quantity": quantity,
        **line,
    }
    return {
        "customer": (customer or f.CustomerFactory()).pk,
        "order_type": "sales",
        "requested_ship_date": "2026-12-01",
        **formset([row]),
    }
