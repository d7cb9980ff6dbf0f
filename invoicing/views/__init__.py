"""Clerk UI of invoicing and receivables, one module per page group."""

from . import invoices, packing_slips, payments, runs, statement


def urls():
    return [
        *invoices.urls(),
        *packing_slips.urls(),
        *runs.urls(),
        *payments.urls(),
        *statement.urls(),
    ]
