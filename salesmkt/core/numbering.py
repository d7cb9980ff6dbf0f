"""Numbers from locked series: gapless and never duplicated, even under concurrent use.

The counter row is locked (SELECT ... FOR UPDATE) inside the caller's transaction, so the number
is only consumed if the caller's transaction commits; a rolled-back document gives its number back.
Never max()+1.
"""

from django.db import IntegrityError, connection, transaction

from .models import NumberSeries

# Series the product uses; created on first use with these defaults, adjustable in the admin.
DEFAULT_SERIES: dict[str, tuple[str, str, int]] = {
    "customer": ("Customer accounts", "C", 5),
    "vendor": ("Vendor accounts", "V", 5),
    "item": ("Item numbers", "I", 5),
    "lead": ("Leads", "L", 6),
    "opportunity": ("Opportunities", "OP", 6),
    "campaign": ("Campaigns", "CMP", 5),
    "sales-agreement": ("Sales agreements", "SA", 5),
    "sales-order": ("Sales orders", "SO", 6),
    "quotation": ("Sales quotations", "SQ", 6),
    "project": ("Projects", "PRJ", 5),
    "invoice": ("Invoices", "INV", 6),
    "credit-note": ("Credit notes", "CN", 6),
    "payment": ("Customer payments", "PAY", 6),
    "voucher": ("Ledger vouchers", "GL", 7),
    "rma": ("Return merchandise authorisations", "RMA", 6),
    "packing-slip": ("Packing slips", "PS", 6),
    "purchase-order": ("Purchase orders", "PO", 6),
}


def _ensure_series(code: str) -> None:
    if NumberSeries.objects.filter(code=code).exists():
        return
    name, prefix, padding = DEFAULT_SERIES.get(code, (code, "", 6))
    try:
        with transaction.atomic():
            NumberSeries.objects.create(code=code, name=name, prefix=prefix, padding=padding)
    except IntegrityError:
        pass  # another transaction created it first


def next_number(series: str) -> str:
    """Take the next number of `series`. Must run inside the transaction that uses the number."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must be called inside the transaction that uses it")
    _ensure_series(series)
    counter = NumberSeries.objects.select_for_update().get(code=series)
    value = counter.next_value
    counter.next_value = value + 1
    counter.save(update_fields=["next_value"])
    return counter.format(value)
