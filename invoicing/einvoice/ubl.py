"""UBL 2.1 Invoice or CreditNote in the Peppol BIS Billing 3.0 profile. Elements are written in
the order of the UBL 2.1 XSD (the Invoice and CreditNote orders differ in a few places)."""

from __future__ import annotations

from lxml import etree

from salesmkt.core.hygiene import printable

from . import _format as fmt
from .model import Address, AllowanceCharge, EInvoice, Line, TradeParty

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIXES = {"cac": CAC, "cbc": CBC}

DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: discount
DISCOUNT_REASON = "Discount"
# A discounted correction line (negative quantity) carries its discount as a line charge.
CORRECTION_REASON_CODE = "ZZZ"  # UNTDID 7161: mutually defined
CORRECTION_REASON = "Discount on a correction line"
CATEGORIES_WITHOUT_RATE = {"O"}  # BR-O-05: not subject to VAT, no rate


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{PREFIXES[prefix]}}}{name}", attrs)
    if text is not None:
        # Text stored before control characters were refused: XML cannot hold them.
        element.text = printable(text)
    return element


def _tax_scheme(parent: etree._Element) -> None:
    scheme = _el(parent, "cac:TaxScheme")
    _el(scheme, "cbc:ID", "VAT")


def _address(parent: etree._Element, tag: str, address: Address) -> None:
    element = _el(parent, tag)
    if address.street:
        _el(element, "cbc:StreetName", address.street)
    if address.additional:
        _el(element, "cbc:AdditionalStreetName", address.additional)
    if address.city:
        _el(element, "cbc:CityName", address.city)
    if address.postal_code:
        _el(element, "cbc:PostalZone", address.postal_code)
    country = _el(element, "cac:Country")
    _el(country, "cbc:IdentificationCode", address.country)


def _party(parent: etree._Element, tag: str, party: TradeParty) -> None:
    party_el = _el(_el(parent, tag), "cac:Party")
    if party.endpoint_id:
        _el(party_el, "cbc:EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme)
    _address(party_el, "cac:PostalAddress", party.address)
    if party.vat_number:
        tax = _el(party_el, "cac:PartyTaxScheme")
        _el(tax, "cbc:CompanyID", party.vat_number)
        _tax_scheme(tax)
    if party.tax_registration:
        tax = _el(party_el, "cac:PartyTaxScheme")
        _el(tax, "cbc:CompanyID", party.tax_registration)
        _el(_el(tax, "cac:TaxScheme"), "cbc:ID", "TAX")
    legal = _el(party_el, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.registration:
        attrs = {"schemeID": party.registration_scheme} if party.registration_scheme else {}
        _el(legal, "cbc:CompanyID", party.registration, **attrs)
    if party.email or party.contact_name or party.phone:
        contact = _el(party_el, "cac:Contact")
        if party.contact_name:
            _el(contact, "cbc:Name", party.contact_name)
        if party.phone:
            _el(contact, "cbc:Telephone", party.phone)
        if party.email:
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
    if line.charge:
        charge = _el(element, "cac:AllowanceCharge")
        _el(charge, "cbc:ChargeIndicator", "true")
        _el(charge, "cbc:AllowanceChargeReasonCode", CORRECTION_REASON_CODE)
        _el(charge, "cbc:AllowanceChargeReason", CORRECTION_REASON)
        _el(charge, "cbc:Amount", fmt.amount(line.charge), **currency)
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
    if line.base_quantity != 1:
        _el(price, "cbc:BaseQuantity", fmt.quantity(line.base_quantity), unitCode=line.unit_code)
    if line.price_discount and line.gross_price is not None:
        discount = _el(price, "cac:AllowanceCharge")
        _el(discount, "cbc:ChargeIndicator", "false")
        _el(discount, "cbc:Amount", fmt.price(line.price_discount), **currency)
        _el(discount, "cbc:BaseAmount", fmt.price(line.gross_price), **currency)


def _delivery(root: etree._Element, invoice: EInvoice) -> None:
    """BG-13: the delivery date, the deliver-to address and the name of the party delivered to."""
    if not (invoice.delivery_date or invoice.deliver_to or invoice.deliver_to_name):
        return
    delivery = _el(root, "cac:Delivery")
    if invoice.delivery_date:
        _el(delivery, "cbc:ActualDeliveryDate", invoice.delivery_date.isoformat())
    if invoice.deliver_to:
        _address(_el(delivery, "cac:DeliveryLocation"), "cac:Address", invoice.deliver_to)
    if invoice.deliver_to_name:
        _el(
            _el(_el(delivery, "cac:DeliveryParty"), "cac:PartyName"),
            "cbc:Name",
            invoice.deliver_to_name,
        )


def _allowance_charges(root: etree._Element, invoice: EInvoice) -> None:
    currency = {"currencyID": invoice.currency}
    for entry in invoice.allowance_charges:
        element = _el(root, "cac:AllowanceCharge")
        _el(element, "cbc:ChargeIndicator", "true" if entry.is_charge else "false")
        if entry.reason_code:
            _el(element, "cbc:AllowanceChargeReasonCode", entry.reason_code)
        if entry.reason:
            _el(element, "cbc:AllowanceChargeReason", entry.reason)
        if entry.percent is not None:
            _el(element, "cbc:MultiplierFactorNumeric", fmt.percent(entry.percent))
        _el(element, "cbc:Amount", fmt.amount(entry.amount), **currency)
        if entry.base_amount is not None:
            _el(element, "cbc:BaseAmount", fmt.amount(entry.base_amount), **currency)
        _tax_category(element, entry)


def _tax_category(parent: etree._Element, entry: AllowanceCharge) -> None:
    category = _el(parent, "cac:TaxCategory")
    _el(category, "cbc:ID", entry.tax_category)
    if entry.tax_category not in CATEGORIES_WITHOUT_RATE:
        _el(category, "cbc:Percent", fmt.percent(entry.tax_rate))
    _tax_scheme(category)


def _payment(root: etree._Element, invoice: EInvoice) -> None:
    means = _el(root, "cac:PaymentMeans")
    _el(means, "cbc:PaymentMeansCode", invoice.payment_means_code)
    if invoice.is_credit_note and invoice.due_date:
        # A UBL CreditNote has no DueDate of its own: Peppol carries BT-9 here.
        _el(means, "cbc:PaymentDueDate", invoice.due_date.isoformat())
    if invoice.payment_reference:
        _el(means, "cbc:PaymentID", invoice.payment_reference)
    if invoice.account_id:
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", invoice.account_id)
        if invoice.account_branch:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", invoice.account_branch)
    if invoice.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment_terms)


def _tax_total(root: etree._Element, invoice: EInvoice) -> None:
    currency = {"currencyID": invoice.currency}
    if invoice.tax_currency and invoice.tax_total_in_tax_currency is not None:
        # BT-111: the VAT in the accounting currency, a TaxTotal of its own without subtotals.
        in_tax_currency = _el(root, "cac:TaxTotal")
        _el(
            in_tax_currency,
            "cbc:TaxAmount",
            fmt.amount(invoice.tax_total_in_tax_currency),
            currencyID=invoice.tax_currency,
        )
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
    if einvoice.tax_currency:
        _el(root, "cbc:TaxCurrencyCode", einvoice.tax_currency)
    if einvoice.buyer_reference:
        _el(root, "cbc:BuyerReference", einvoice.buyer_reference)
    if einvoice.period_start and einvoice.period_end:
        period = _el(root, "cac:InvoicePeriod")
        _el(period, "cbc:StartDate", einvoice.period_start.isoformat())
        _el(period, "cbc:EndDate", einvoice.period_end.isoformat())
    if einvoice.order_reference:
        _el(_el(root, "cac:OrderReference"), "cbc:ID", einvoice.order_reference)
    if einvoice.preceding_invoice:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", einvoice.preceding_invoice)
        if einvoice.preceding_invoice_date:
            _el(reference, "cbc:IssueDate", einvoice.preceding_invoice_date.isoformat())
    _party(root, "cac:AccountingSupplierParty", einvoice.seller)
    _party(root, "cac:AccountingCustomerParty", einvoice.buyer)
    _delivery(root, einvoice)
    _payment(root, einvoice)
    _allowance_charges(root, einvoice)
    _tax_total(root, einvoice)
    _monetary_total(root, einvoice)
    for line in einvoice.lines:
        _line(root, line, einvoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
