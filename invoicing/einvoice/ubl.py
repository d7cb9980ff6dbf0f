"""UBL 2.1 Invoice or CreditNote in the Peppol BIS Billing 3.0 profile. Elements are written in
the order of the UBL 2.1 XSD (the Invoice and CreditNote orders differ in a few places)."""

from __future__ import annotations

from lxml import etree

from . import _format as fmt
from .model import EInvoice, Line, TradeParty

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIXES = {"cac": CAC, "cbc": CBC}

DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: discount
DISCOUNT_REASON = "Discount"
CATEGORIES_WITHOUT_RATE = {"O"}  # BR-O-05: not subject to VAT, no rate


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{PREFIXES[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _tax_scheme(parent: etree._Element) -> None:
    scheme = _el(parent, "cac:TaxScheme")
    _el(scheme, "cbc:ID", "VAT")


def _party(parent: etree._Element, tag: str, party: TradeParty) -> None:
    party_el = _el(_el(parent, tag), "cac:Party")
    if party.endpoint_id:
        _el(party_el, "cbc:EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme)
    address = _el(party_el, "cac:PostalAddress")
    if party.address.street:
        _el(address, "cbc:StreetName", party.address.street)
    if party.address.additional:
        _el(address, "cbc:AdditionalStreetName", party.address.additional)
    if party.address.city:
        _el(address, "cbc:CityName", party.address.city)
    if party.address.postal_code:
        _el(address, "cbc:PostalZone", party.address.postal_code)
    country = _el(address, "cac:Country")
    _el(country, "cbc:IdentificationCode", party.address.country)
    if party.vat_number:
        tax = _el(party_el, "cac:PartyTaxScheme")
        _el(tax, "cbc:CompanyID", party.vat_number)
        _tax_scheme(tax)
    legal = _el(party_el, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.registration:
        attrs = {"schemeID": party.registration_scheme} if party.registration_scheme else {}
        _el(legal, "cbc:CompanyID", party.registration, **attrs)
    if party.email:
        contact = _el(party_el, "cac:Contact")
        _el(contact, "cbc:ElectronicMail", party.email)


def _line(parent: etree._Element, line: Line, invoice: EInvoice) -> None:
    credit = invoice.is_credit_note
    currency = {"currencyID": invoice.currency}
    element = _el(parent, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _el(element, "cbc:ID", line.id)
    _el(
        element,
        "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
        fmt.quantity(line.quantity),
        unitCode=line.unit_code,
    )
    _el(element, "cbc:LineExtensionAmount", fmt.amount(line.net_amount), **currency)
    if line.allowance:
        allowance = _el(element, "cac:AllowanceCharge")
        _el(allowance, "cbc:ChargeIndicator", "false")
        _el(allowance, "cbc:AllowanceChargeReasonCode", DISCOUNT_REASON_CODE)
        _el(allowance, "cbc:AllowanceChargeReason", DISCOUNT_REASON)
        _el(allowance, "cbc:Amount", fmt.amount(line.allowance), **currency)
    item = _el(element, "cac:Item")
    _el(item, "cbc:Name", line.name)
    if line.seller_item_id:
        _el(_el(item, "cac:SellersItemIdentification"), "cbc:ID", line.seller_item_id)
    category = _el(item, "cac:ClassifiedTaxCategory")
    _el(category, "cbc:ID", line.tax_category)
    if line.tax_category not in CATEGORIES_WITHOUT_RATE:
        _el(category, "cbc:Percent", fmt.percent(line.tax_rate))
    _tax_scheme(category)
    price = _el(element, "cac:Price")
    _el(price, "cbc:PriceAmount", fmt.price(line.net_price), **currency)
    if line.price_discount and line.gross_price is not None:
        discount = _el(price, "cac:AllowanceCharge")
        _el(discount, "cbc:ChargeIndicator", "false")
        _el(discount, "cbc:Amount", fmt.price(line.price_discount), **currency)
        _el(discount, "cbc:BaseAmount", fmt.price(line.gross_price), **currency)


def _payment(root: etree._Element, invoice: EInvoice) -> None:
    means = _el(root, "cac:PaymentMeans")
    _el(means, "cbc:PaymentMeansCode", invoice.payment_means_code)
    if invoice.is_credit_note and invoice.due_date:
        # A UBL CreditNote has no DueDate of its own: Peppol carries BT-9 here.
        _el(means, "cbc:PaymentDueDate", invoice.due_date.isoformat())
    if invoice.payment_reference:
        _el(means, "cbc:PaymentID", invoice.payment_reference)
    if invoice.iban:
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", invoice.iban)
        if invoice.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", invoice.bic)
    if invoice.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment_terms)


def _tax_total(root: etree._Element, invoice: EInvoice) -> None:
    currency = {"currencyID": invoice.currency}
    total = _el(root, "cac:TaxTotal")
    _el(total, "cbc:TaxAmount", fmt.amount(invoice.tax_total), **currency)
    for group in invoice.tax_groups:
        subtotal = _el(total, "cac:TaxSubtotal")
        _el(subtotal, "cbc:TaxableAmount", fmt.amount(group.taxable), **currency)
        _el(subtotal, "cbc:TaxAmount", fmt.amount(group.tax), **currency)
        category = _el(subtotal, "cac:TaxCategory")
        _el(category, "cbc:ID", group.category)
        if group.category not in CATEGORIES_WITHOUT_RATE:
            _el(category, "cbc:Percent", fmt.percent(group.rate))
        if group.exemption_reason:
            _el(category, "cbc:TaxExemptionReason", group.exemption_reason)
        _tax_scheme(category)


def _monetary_total(root: etree._Element, invoice: EInvoice) -> None:
    currency = {"currencyID": invoice.currency}
    total = _el(root, "cac:LegalMonetaryTotal")
    _el(total, "cbc:LineExtensionAmount", fmt.amount(invoice.line_total), **currency)
    _el(total, "cbc:TaxExclusiveAmount", fmt.amount(invoice.tax_exclusive), **currency)
    _el(total, "cbc:TaxInclusiveAmount", fmt.amount(invoice.tax_inclusive), **currency)
    if invoice.allowance_total:
        _el(total, "cbc:AllowanceTotalAmount", fmt.amount(invoice.allowance_total), **currency)
    if invoice.charge_total:
        _el(total, "cbc:ChargeTotalAmount", fmt.amount(invoice.charge_total), **currency)
    _el(total, "cbc:PrepaidAmount", fmt.amount(invoice.prepaid), **currency)
    _el(total, "cbc:PayableAmount", fmt.amount(invoice.payable), **currency)


def to_ubl(einvoice: EInvoice) -> bytes:
    """The Peppol BIS Billing 3.0 UBL XML (UTF-8, with declaration): an Invoice, or a
    CreditNote for a credit note."""
    credit = einvoice.is_credit_note
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: namespace, **PREFIXES},
    )
    _el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _el(root, "cbc:ProfileID", PROFILE_ID)
    _el(root, "cbc:ID", einvoice.number)
    _el(root, "cbc:IssueDate", einvoice.issue_date.isoformat())
    if not credit and einvoice.due_date:
        _el(root, "cbc:DueDate", einvoice.due_date.isoformat())
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", einvoice.type_code)
    for text in einvoice.notes:
        _el(root, "cbc:Note", text)
    _el(root, "cbc:DocumentCurrencyCode", einvoice.currency)
    if einvoice.buyer_reference:
        _el(root, "cbc:BuyerReference", einvoice.buyer_reference)
    if einvoice.order_reference:
        _el(_el(root, "cac:OrderReference"), "cbc:ID", einvoice.order_reference)
    if einvoice.preceding_invoice:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", einvoice.preceding_invoice)
        if einvoice.preceding_invoice_date:
            _el(reference, "cbc:IssueDate", einvoice.preceding_invoice_date.isoformat())
    _party(root, "cac:AccountingSupplierParty", einvoice.seller)
    _party(root, "cac:AccountingCustomerParty", einvoice.buyer)
    _payment(root, einvoice)
    _tax_total(root, einvoice)
    _monetary_total(root, einvoice)
    for line in einvoice.lines:
        _line(root, line, einvoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
