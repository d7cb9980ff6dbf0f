"""Document totals by EN 16931, the one computation for quotations, orders, pro formas and
invoices: per sales tax code the taxable amount is the sum of the line nets (each already
rounded to cents) and the tax is taxable × rate rounded half up; the total is their sum."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .money import percent_of, round_money


@dataclass
class TaxBreakdown:
    code_id: int
    code: str
    category: str
    rate: Decimal
    taxable: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    exemption_reason: str = ""


@dataclass
class Totals:
    net: Decimal  # the tax exclusive amount (BT-109): line total - allowances + charges
    tax: Decimal  # BT-110
    total: Decimal  # BT-112
    breakdown: list[TaxBreakdown] = field(default_factory=list)
    line_total: Decimal = Decimal("0.00")  # BT-106
    allowance_total: Decimal = Decimal("0.00")  # BT-107
    charge_total: Decimal = Decimal("0.00")  # BT-108


def line_tax(line) -> tuple[Decimal, str]:
    """A line's tax rate and category: its own when it keeps them (a posted invoice line, fixed
    at posting), else its sales tax code's (a draft, a quotation or order line)."""
    rate = getattr(line, "tax_rate", None)
    if rate is not None:
        return rate, line.tax_category
    return line.sales_tax_code.rate, line.sales_tax_code.category


def document_totals(lines, allowance_charges=()) -> Totals:
    """`lines` have `line_amount` and `sales_tax_code` (code; rate and category unless the line
    keeps its own `tax_rate` and `tax_category`). `allowance_charges` are document-level
    allowances and charges (`signed_amount`, taxed like a line): each counts in its tax
    category's taxable amount (BR-CO-17: tax = taxable x rate, per category and rate)."""
    groups: dict[tuple[int, Decimal, str], TaxBreakdown] = {}

    def group_of(entry) -> TaxBreakdown:
        code = entry.sales_tax_code
        rate, category = line_tax(entry)
        return groups.setdefault(
            (code.pk, rate, category),
            TaxBreakdown(
                code_id=code.pk,
                code=code.code,
                category=category,
                rate=rate,
                exemption_reason=code.exemption_reason,
            ),
        )

    line_total = Decimal(0)
    for line in lines:
        amount = round_money(line.line_amount)
        group_of(line).taxable += amount
        line_total += amount
    allowances = charges = Decimal(0)
    for entry in allowance_charges:
        amount = round_money(entry.amount)
        group_of(entry).taxable += entry.signed_amount
        if entry.is_charge:
            charges += amount
        else:
            allowances += amount
    for group in groups.values():
        group.taxable = round_money(group.taxable)
        group.tax = percent_of(group.taxable, group.rate)
    breakdown = sorted(groups.values(), key=lambda g: (g.code, g.rate, g.category))
    net = round_money(sum((g.taxable for g in breakdown), Decimal(0)))
    tax = round_money(sum((g.tax for g in breakdown), Decimal(0)))
    return Totals(
        net=net,
        tax=tax,
        total=net + tax,
        breakdown=breakdown,
        line_total=round_money(line_total),
        allowance_total=round_money(allowances),
        charge_total=round_money(charges),
    )
