"""Factur-X: a posted invoice's or credit note's PDF is a PDF/A-3b carrying its EN 16931 CII XML;
a pro forma's is a plain PDF."""

from datetime import UTC
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from lxml import etree
from pypdf import PdfReader

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.facturx import NoEInvoiceInPdf, xml_from_pdf
from invoicing.einvoice.model import from_invoice
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from salesmkt.core.documents import document_request, render

XMP = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}


def rendered_pdf(invoice) -> bytes:
    """The invoice's PDF as the document worker renders it (the queue itself is not run)."""
    document = document_request(obj=invoice, kind="invoice", title=f"Invoice {invoice.number}")
    document = render(document.pk)
    return (Path(settings.MEDIA_ROOT) / document.file).read_bytes()


def xmp_of(reader: PdfReader) -> etree._Element:
    return etree.fromstring(reader.root_object["/Metadata"].get_object().get_data())


def xmp_text(xmp: etree._Element, path: str) -> str:
    return " ".join(xmp.xpath(f"//{path}/text() | //rdf:Description/@{path}", namespaces=XMP))


@pytest.mark.django_db
def test_a_posted_invoices_pdf_is_pdf_a3_with_its_cii_xml_attached(invoice_for):
    invoice = invoice_for("4")

    pdf = rendered_pdf(invoice)

    assert xml_from_pdf(pdf) == to_cii(from_invoice(invoice))
    reader = PdfReader(BytesIO(pdf))
    xmp = xmp_of(reader)
    assert (xmp_text(xmp, "pdfaid:part"), xmp_text(xmp, "pdfaid:conformance")) == ("3", "B")
    assert xmp_text(xmp, "fx:DocumentFileName") == "factur-x.xml"
    assert xmp_text(xmp, "fx:ConformanceLevel") == "EN 16931"
    assert xmp_text(xmp, "fx:DocumentType") == "INVOICE"
    catalog = reader.root_object
    [filespec] = [reference.get_object() for reference in catalog["/AF"]]
    embedded = filespec["/EF"]["/F"].get_object()
    assert (filespec["/F"], filespec["/AFRelationship"]) == ("factur-x.xml", "/Data")
    assert (embedded["/Type"], embedded["/Subtype"]) == ("/EmbeddedFile", "/text/xml")
    assert catalog["/Names"]["/EmbeddedFiles"]["/Names"][0] == "factur-x.xml"
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert reader.pdf_header >= "%PDF-1.4"
    assert reader.metadata.title == f"{settings.COMPANY_NAME}: Invoice {invoice.number}"


@pytest.mark.django_db
def test_a_posted_credit_notes_pdf_carries_its_credit_note_xml(invoice_for):
    invoice = invoice_for("4")
    note = invoice_post(invoice=credit_note_create(invoice=invoice, actor=None), actor=None)

    xml = xml_from_pdf(rendered_pdf(note))

    assert xml == to_cii(from_invoice(note))
    type_code = "string(//rsm:ExchangedDocument/*[local-name()='TypeCode'])"
    assert etree.fromstring(xml).xpath(type_code, namespaces=CII) == "381"
    assert invoice.number.encode() in xml


@pytest.mark.django_db
def test_a_pro_forma_pdf_carries_no_e_invoice(make_order, accounts):
    order = make_order(quantities=["3"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("3")}], actor=None
    )
    pro_forma = invoice_from_order(order=order, actor=None, pro_forma=True)

    pdf = rendered_pdf(pro_forma)

    reader = PdfReader(BytesIO(pdf))
    assert list(reader.attachment_list) == []
    assert "/AF" not in reader.root_object and "/Metadata" not in reader.root_object
    with pytest.raises(NoEInvoiceInPdf):
        xml_from_pdf(pdf)


@pytest.mark.django_db
def test_rendering_a_posted_invoice_twice_gives_the_same_file_dated_at_its_posting(invoice_for):
    invoice = invoice_for("2")

    first, second = rendered_pdf(invoice), rendered_pdf(invoice)

    assert first == second
    reader = PdfReader(BytesIO(first))
    posted = invoice.posted_at.astimezone(UTC)
    assert reader.metadata["/CreationDate"] == posted.strftime("D:%Y%m%d%H%M%S+00'00'")
    assert xmp_text(xmp_of(reader), "xmp:CreateDate") == posted.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.mark.django_db
def test_an_xml_failing_the_xsd_is_logged_and_the_pdf_still_goes_out(invoice_for, caplog):
    invoice = invoice_for("1")
    broken = b'<rsm:CrossIndustryInvoice xmlns:rsm="%s"/>' % CII["rsm"].encode()

    with mock.patch("invoicing.einvoice.facturx.to_cii", return_value=broken):
        pdf = rendered_pdf(invoice)

    assert xml_from_pdf(pdf) == broken
    assert f"The Factur-X XML of {invoice} fails the XSD" in caplog.text
