"""UN/CEFACT Cross Industry Invoice (D16B) in the Factur-X EN16931 profile: the XML a Factur-X
PDF carries. Elements are written in the order of the Factur-X EN16931 XSD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from salesmkt.core.hygiene import printable

from . import _format as fmt
from .model import Address, EInvoice, Line, TaxGroup, TradeParty

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}

DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: discount
DISCOUNT_REASON = "Discount"
CORRECTION_REASON_CODE = "ZZZ"  # UNTDID 7161: mutually defined (see ubl.py)
CORRECTION_REASON = "Discount on a correction line"
# Category O (not subject to VAT) carries no rate (BR-O-05); every other category does.
CATEGORIES_WITHOUT_RATE = {"O"}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        # Text stored before control characters were refused: XML cannot hold them.
        element.text = printable(text)
    return element


def _date(parent: etree._Element, tag: str, value: date, qualified: bool = False) -> None:
    wrapper = _el(parent, tag)
    string = "qdt:DateTimeString" if qualified else "udt:DateTimeString"
    _el(wrapper, string, value.strftime("%Y%m%d"), format="102")  # 102: CCYYMMDD


def _postal_address(parent: etree._Element, address: Address) -> None:
    element = _el(parent, "ram:PostalTradeAddress")
    if address.postal_code:
        _el(element, "ram:PostcodeCode", address.postal_code)
    if address.street:
        _el(element, "ram:LineOne", address.street)
    if address.additional:
        _el(element, "ram:LineTwo", address.additional)
    if address.city:
        _el(element, "ram:CityName", address.city)
    _el(element, "ram:CountryID", address.country)


def _party(parent: etree._Element, tag: str, party: TradeParty) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    if party.registration:
        legal = _el(element, "ram:SpecifiedLegalOrganization")
        attrs = {"schemeID": party.registration_scheme} if party.registration_scheme else {}
        _el(legal, "ram:ID", party.registration, **attrs)
    if party.contact_name or party.phone or party.email:
        contact = _el(element, "ram:DefinedTradeContact")
        if party.contact_name:
            _el(contact, "ram:PersonName", party.contact_name)
        if party.phone:
            _el(
                _el(contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                party.phone,
            )
        if party.email:
            _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.email)
    _postal_address(element, party.address)
    if party.endpoint_id:
        uri = _el(element, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.endpoint_id, schemeID=party.endpoint_scheme)
    if party.vat_number:
        registration = _el(element, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_number, schemeID="VA")


def _trade_tax(
    parent: etree._Element, category: str, rate: Decimal, group: TaxGroup | None = None
) -> None:
    """ApplicableTradeTax of a line (category and rate) or of the breakdown (with amounts)."""
    tax = _el(parent, "ram:ApplicableTradeTax")
    if group is not None:
        _el(tax, "ram:CalculatedAmount", fmt.amount(group.tax))
    _el(tax, "ram:TypeCode", "VAT")
    if group is not None and group.exemption_reason:
        _el(tax, "ram:ExemptionReason", group.exemption_reason)
    if group is not None:
        _el(tax, "ram:BasisAmount", fmt.amount(group.taxable))
    _el(tax, "ram:CategoryCode", category)
    if category not in CATEGORIES_WITHOUT_RATE:
        _el(tax, "ram:RateApplicablePercent", fmt.percent(rate))


def _line(parent: etree._Element, line: Line) -> None:
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = _el(item, "ram:AssociatedDocumentLineDocument")
    _el(document, "ram:LineID", line.id)
    product = _el(item, "ram:SpecifiedTradeProduct")
    if line.seller_item_id:
        _el(product, "ram:SellerAssignedID", line.seller_item_id)
    _el(product, "ram:Name", line.name)
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    per = {"unitCode": line.unit_code}
    base = fmt.quantity(line.base_quantity) if line.base_quantity != 1 else None
    if line.gross_price is not None:
        gross = _el(agreement, "ram:GrossPriceProductTradePrice")
        _el(gross, "ram:ChargeAmount", fmt.price(line.gross_price))
        if base:
            _el(gross, "ram:BasisQuantity", base, **per)
        if line.price_discount:
            discount = _el(gross, "ram:AppliedTradeAllowanceCharge")
            _el(_el(discount, "ram:ChargeIndicator"), "udt:Indicator", "false")
            _el(discount, "ram:ActualAmount", fmt.price(line.price_discount))
    net = _el(agreement, "ram:NetPriceProductTradePrice")
    _el(net, "ram:ChargeAmount", fmt.price(line.net_price))
    if base:
        _el(net, "ram:BasisQuantity", base, **per)
    delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
    _el(delivery, "ram:BilledQuantity", fmt.quantity(line.quantity), unitCode=line.unit_code)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    _trade_tax(settlement, line.tax_category, line.tax_rate)
    if line.allowance:
        allowance = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
        _el(allowance, "ram:ActualAmount", fmt.amount(line.allowance))
        _el(allowance, "ram:ReasonCode", DISCOUNT_REASON_CODE)
        _el(allowance, "ram:Reason", DISCOUNT_REASON)
    if line.charge:
        charge = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(charge, "ram:ChargeIndicator"), "udt:Indicator", "true")
        _el(charge, "ram:ActualAmount", fmt.amount(line.charge))
        _el(charge, "ram:ReasonCode", CORRECTION_REASON_CODE)
        _el(charge, "ram:Reason", CORRECTION_REASON)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", fmt.amount(line.net_amount))


def _agreement(parent: etree._Element, invoice: EInvoice) -> None:
    agreement = _el(parent, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        _el(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", invoice.seller)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer)
    if invoice.order_reference:
        order = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(order, "ram:IssuerAssignedID", invoice.order_reference)


def _delivery(parent: etree._Element, invoice: EInvoice) -> None:
    """BG-13: where the goods went (name and address) and when."""
    delivery = _el(parent, "ram:ApplicableHeaderTradeDelivery")
    if invoice.deliver_to or invoice.deliver_to_name:
        ship_to = _el(delivery, "ram:ShipToTradeParty")
        if invoice.deliver_to_name:
            _el(ship_to, "ram:Name", invoice.deliver_to_name)
        if invoice.deliver_to:
            _postal_address(ship_to, invoice.deliver_to)
    if invoice.delivery_date:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", invoice.delivery_date)


def _header_allowance_charges(settlement: etree._Element, invoice: EInvoice) -> None:
    for entry in invoice.allowance_charges:
        element = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(
            _el(element, "ram:ChargeIndicator"),
            "udt:Indicator",
            "true" if entry.is_charge else "false",
        )
        if entry.percent is not None:
            _el(element, "ram:CalculationPercent", fmt.percent(entry.percent))
        if entry.base_amount is not None:
            _el(element, "ram:BasisAmount", fmt.amount(entry.base_amount))
        _el(element, "ram:ActualAmount", fmt.amount(entry.amount))
        if entry.reason_code:
            _el(element, "ram:ReasonCode", entry.reason_code)
        if entry.reason:
            _el(element, "ram:Reason", entry.reason)
        tax = _el(element, "ram:CategoryTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", entry.tax_category)
        if entry.tax_category not in CATEGORIES_WITHOUT_RATE:
            _el(tax, "ram:RateApplicablePercent", fmt.percent(entry.tax_rate))


def _settlement(parent: etree._Element, invoice: EInvoice) -> None:
    settlement = _el(parent, "ram:ApplicableHeaderTradeSettlement")
    if invoice.payment_reference:
        _el(settlement, "ram:PaymentReference", invoice.payment_reference)
    if invoice.tax_currency:
        _el(settlement, "ram:TaxCurrencyCode", invoice.tax_currency)
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", invoice.payment_means_code)
    if invoice.account_id:
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(
            account,
            "ram:IBANID" if invoice.account_is_iban else "ram:ProprietaryID",
            invoice.account_id,
        )
    if invoice.account_is_iban and invoice.account_branch:
        institution = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        _el(institution, "ram:BICID", invoice.account_branch)
    for group in invoice.tax_groups:
        _trade_tax(settlement, group.category, group.rate, group)
    if invoice.period_start and invoice.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", invoice.period_start)
        _date(period, "ram:EndDateTime", invoice.period_end)
    _header_allowance_charges(settlement, invoice)
    if invoice.payment_terms or invoice.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            _el(terms, "ram:Description", invoice.payment_terms)
        if invoice.due_date:
            _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", fmt.amount(invoice.line_total))
    if invoice.charge_total:
        _el(totals, "ram:ChargeTotalAmount", fmt.amount(invoice.charge_total))
    if invoice.allowance_total:
        _el(totals, "ram:AllowanceTotalAmount", fmt.amount(invoice.allowance_total))
    _el(totals, "ram:TaxBasisTotalAmount", fmt.amount(invoice.tax_exclusive))
    _el(totals, "ram:TaxTotalAmount", fmt.amount(invoice.tax_total), currencyID=invoice.currency)
    if invoice.tax_currency and invoice.tax_total_in_tax_currency is not None:
        _el(
            totals,
            "ram:TaxTotalAmount",
            fmt.amount(invoice.tax_total_in_tax_currency),
            currencyID=invoice.tax_currency,
        )
    _el(totals, "ram:GrandTotalAmount", fmt.amount(invoice.tax_inclusive))
    _el(totals, "ram:TotalPrepaidAmount", fmt.amount(invoice.prepaid))
    _el(totals, "ram:DuePayableAmount", fmt.amount(invoice.payable))
    if invoice.preceding_invoice:
        preceding = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(preceding, "ram:IssuerAssignedID", invoice.preceding_invoice)
        if invoice.preceding_invoice_date:
            _date(
                preceding,
                "ram:FormattedIssueDateTime",
                invoice.preceding_invoice_date,
                qualified=True,
            )


def to_cii(einvoice: EInvoice) -> bytes:
    """The CII XML (UTF-8, with declaration) of the invoice or credit note."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", GUIDELINE_EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", einvoice.number)
    _el(document, "ram:TypeCode", einvoice.type_code)
    _date(document, "ram:IssueDateTime", einvoice.issue_date)
    for text in einvoice.notes:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", text)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in einvoice.lines:
        _line(transaction, line)
    _agreement(transaction, einvoice)
    _delivery(transaction, einvoice)
    _settlement(transaction, einvoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
