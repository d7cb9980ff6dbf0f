"""Every posted invoice and credit note of the demo is an e-invoice the network accepts: its UBL
passes the official Peppol BIS Billing 3.0 rules and the CEN EN 16931 rules, its Factur-X CII
the CEN rules, with no fatal finding (the vendored rules themselves judge, not our reading)."""

from io import StringIO

import pytest
from django.core.management import call_command

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.model import from_invoice
from invoicing.einvoice.ubl import to_ubl
from invoicing.einvoice.validation import validate
from invoicing.models import Invoice


@pytest.mark.django_db
def test_every_posted_demo_document_passes_the_peppol_and_cen_rules():
    call_command("load_demo", stdout=StringIO())
    documents = list(
        Invoice.objects.filter(status=Invoice.Status.POSTED).order_by("kind", "number")
    )

    findings = {}
    for document in documents:
        einvoice = from_invoice(document)
        for syntax, xml, peppol in (
            ("ubl", to_ubl(einvoice), True),
            ("cii", to_cii(einvoice), False),
        ):
            result = validate(xml, syntax, peppol=peppol)
            if not result.ok:
                findings[f"{document.number} {syntax}"] = str(result)

    assert not findings, "\n".join(findings.values())
    # The demo shows what an e-invoice carries.
    assert {d.kind for d in documents} >= {"customer", "free_text", "credit_note"}
    assert any(d.allowance_charges.filter(is_charge=True) for d in documents)
    assert any(d.allowance_charges.filter(is_charge=False) for d in documents)
    assert any(d.prepaid_amount for d in documents)
    assert any(d.exchange_rate for d in documents)
    assert any(d.lines.filter(tax_category="E") for d in documents)
    assert {d.buyer_country for d in documents} >= {"NO", "SE", "NL", "BE"}
