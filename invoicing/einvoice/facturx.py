"""Factur-X: the PDF of a posted invoice or credit note is a PDF/A-3b that carries its EN 16931
CII XML as `factur-x.xml` (AFRelationship Data) with the Factur-X XMP metadata, so that one file
is both the printout and the e-invoice. Drafts and pro formas stay plain PDFs.

WeasyPrint writes the PDF/A-3b (fonts embedded, sRGB output intent); the `factur-x` package
attaches the XML and replaces the XMP. That package stamps the PDF's dates, the XMP's and the
attachment's with the clock; they are pinned here to the moment the invoice was posted, so that
rendering the same invoice twice gives the same file, byte for byte.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

from facturx import generate_from_binary, get_facturx_xml_from_pdf, xml_check_xsd
from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject

from salesmkt.core.documents import PdfFinish

from ..models import Invoice
from .cii import to_cii
from .model import EInvoice, EInvoiceNotPossible, from_invoice

log = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"
LEVEL = "en16931"


class NoEInvoiceInPdf(ValueError):
    """The PDF carries no Factur-X XML (a plain PDF: a draft, a pro forma, another document)."""


def invoice_pdf_finish(invoice: Invoice) -> PdfFinish | None:
    """How an invoice's PDF is finished: a posted invoice or credit note becomes Factur-X, the
    others (drafts, pro formas) stay plain printouts."""
    try:
        einvoice = from_invoice(invoice)
    except EInvoiceNotPossible:
        return None
    xml = to_cii(einvoice)
    try:
        xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception:  # the package raises a bare Exception; the printout must still go out
        log.exception("The Factur-X XML of %s fails the XSD; it is attached anyway.", invoice)
    moment = invoice.posted_at or datetime.combine(invoice.invoice_date, datetime.min.time())
    return PdfFinish(
        write_options={"pdf_variant": PDF_VARIANT},
        finish=partial(facturx_pdf, xml=xml, moment=moment, metadata=pdf_metadata(einvoice)),
    )


def pdf_metadata(einvoice: EInvoice) -> dict[str, str]:
    """The PDF's title, author, subject and keywords, in English like the XML they describe
    (given here, the package does not read them back from the XML)."""
    kind = "Credit note" if einvoice.is_credit_note else "Invoice"
    seller = einvoice.seller.name
    return {
        "author": seller,
        "keywords": f"{kind}, Factur-X",
        "title": f"{seller}: {kind} {einvoice.number}",
        "subject": f"{kind} {einvoice.number} dated {einvoice.issue_date:%Y-%m-%d} by {seller}",
    }


def facturx_pdf(
    pdf: bytes, *, xml: bytes, moment: datetime, metadata: dict[str, str] | None = None
) -> bytes:
    """Attach the CII `xml` to a PDF/A-3 and write the Factur-X XMP, dated `moment`.

    The package's own XSD check is off: an XML that fails it must not stop the invoice's
    printout from going out, so `invoice_pdf_finish` checks it first and logs the failure. The
    XSD and the EN 16931 rules are proven by the test suite and by `validate_einvoice`.
    """
    attached = generate_from_binary(
        pdf, xml, flavor="factur-x", level=LEVEL, check_xsd=False, pdf_metadata=metadata
    )
    return _dated(attached, moment)


def xml_from_pdf(pdf: bytes) -> bytes:
    """The Factur-X XML a PDF carries, as attached (not re-serialised)."""
    _filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    if not xml:
        raise NoEInvoiceInPdf("The PDF carries no Factur-X XML.")
    return xml


def _dated(pdf: bytes, moment: datetime) -> bytes:
    """The PDF with every date the package stamped set to `moment` (UTC): the information
    dictionary's creation and modification dates, the XMP's (which PDF/A wants equal to them)
    and the attachment's. The XMP's producer is made the information dictionary's too."""
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    pdf_date = moment.strftime("D:%Y%m%d%H%M%S+00'00'")
    xmp_date = moment.strftime("%Y-%m-%dT%H:%M:%S+00:00").encode()
    writer = PdfWriter(clone_from=BytesIO(pdf), keep_initial_header=True)
    producer = str(writer.metadata.get("/Producer", "")) if writer.metadata else ""
    writer.add_metadata({"/CreationDate": pdf_date, "/ModDate": pdf_date})

    metadata = writer.root_object["/Metadata"].get_object()
    xmp = metadata.get_data()
    for tag in (b"xmp:CreateDate", b"xmp:ModifyDate"):
        xmp = re.sub(rb"<%s>[^<]*</%s>" % (tag, tag), b"<%s>%s</%s>" % (tag, xmp_date, tag), xmp)
    if producer:
        xmp = re.sub(
            rb"<pdf:Producer>[^<]*</pdf:Producer>",
            b"<pdf:Producer>%s</pdf:Producer>" % escape(producer).encode(),
            xmp,
        )
    metadata.set_data(xmp)

    for filespec in writer.root_object["/AF"].get_object():
        embedded = filespec.get_object()["/EF"]["/F"].get_object()
        embedded["/Params"][NameObject("/ModDate")] = TextStringObject(pdf_date)

    output = BytesIO()
    writer.write(output)
    return output.getvalue()
