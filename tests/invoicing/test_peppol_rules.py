"""Peppol BIS Billing 3.0: OpenPEPPOL's official rules (vendored unchanged, compiled to XSLT by
SchXslt) run beside the CEN EN 16931 rules when asked, and each rule set is reported on its own.

The documents are OpenPEPPOL's own examples (peppol_examples/README.md): that they pass proves the
vendored pipeline runs the real rules on documents their authors call valid; each broken one is
an example with one thing changed, so the rule that fires is the one the change breaks. No
database: the validator needs none."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from invoicing.einvoice import validation
from invoicing.einvoice.validation import ValidatorUnavailable, validate, warm_up

EXAMPLES = Path(__file__).parent / "peppol_examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.xml"))

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
BUYER = "cac:AccountingCustomerParty/cac:Party"
SELLER = "cac:AccountingSupplierParty/cac:Party"


def _example(name: str) -> etree._ElementTree:
    return etree.parse(str(EXAMPLES / name))


def _xml(document: etree._ElementTree) -> bytes:
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _ids(messages) -> set[str]:
    return {message.id for message in messages}


def _seller_tax_scheme(document: etree._ElementTree, scheme: str) -> etree._Element:
    """The seller's PartyTaxScheme of `scheme` (VAT, or TAX for a national register)."""
    (found,) = document.xpath(
        f"/*/{SELLER}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = $scheme]",
        namespaces=NS,
        scheme=scheme,
    )
    return found


def test_the_vendored_examples_cover_invoices_credit_notes_and_norway():
    names = {path.name for path in EXAMPLE_FILES}

    assert {
        "base-example.xml",
        "base-creditnote-correction.xml",
        "Allowance-example.xml",
        "Vat-category-S.xml",
        "Norwegian-example-1.xml",
    } <= names


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_an_official_example_passes_the_cen_and_the_peppol_rules(path):
    result = validate(path.read_bytes(), "ubl", peppol=True)

    assert result.xsd_errors == [], str(result)
    assert [rule_set.key for rule_set in result.rule_sets] == ["cen", "peppol"]
    assert result.rule_set("cen").fatal == [], str(result)
    assert result.rule_set("peppol").fatal == [], str(result)
    assert result.ok


def test_the_rule_sets_are_named_with_the_versions_of_the_rules_run():
    result = validate((EXAMPLES / "base-example.xml").read_bytes(), "ubl", peppol=True)

    assert result.rule_set("cen").name.startswith("CEN EN 16931 1.3.")
    assert result.rule_set("peppol").name == "Peppol BIS Billing 3.0.19"


def test_a_buyer_email_endpoint_breaks_the_peppol_scheme_code_list():
    document = _example("base-example.xml")
    endpoint = document.find(f"{BUYER}/cbc:EndpointID", NS)
    endpoint.set("schemeID", "EM")  # in the CEN EAS list, not in Peppol's
    endpoint.text = "buyer@example.com"

    result = validate(_xml(document), "ubl", peppol=True)

    assert not result.ok
    assert "PEPPOL-EN16931-CL008" in _ids(result.rule_set("peppol").fatal), str(result)
    assert result.rule_set("cen").ok, str(result)


def test_a_missing_buyer_endpoint_breaks_peppol_r010_but_not_cen():
    document = _example("base-example.xml")
    endpoint = document.find(f"{BUYER}/cbc:EndpointID", NS)
    endpoint.getparent().remove(endpoint)

    result = validate(_xml(document), "ubl", peppol=True)

    assert _ids(result.rule_set("peppol").fatal) == {"PEPPOL-EN16931-R010"}, str(result)
    assert result.rule_set("cen").ok, str(result)


def test_a_norwegian_seller_vat_number_failing_mod_11_breaks_no_r_001():
    document = _example("Norwegian-example-1.xml")
    vat_number = _seller_tax_scheme(document, "VAT").find("cbc:CompanyID", NS)
    vat_number.text = "NO123456789MVA"  # check digit 9, mod 11 wants 5

    result = validate(_xml(document), "ubl", peppol=True)

    assert "NO-R-001" in _ids(result.rule_set("peppol").fatal), str(result)
    assert result.rule_set("cen").ok, str(result)


def test_a_norwegian_organization_number_failing_mod_11_breaks_peppol_common_r041():
    document = _example("Norwegian-example-1.xml")
    registration = document.find(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID", NS)
    assert registration.get("schemeID") == "0192"  # Enhetsregisteret
    registration.text = "123456789"

    result = validate(_xml(document), "ubl", peppol=True)

    assert "PEPPOL-COMMON-R041" in _ids(result.rule_set("peppol").fatal), str(result)


def test_a_norwegian_seller_without_foretaksregisteret_is_a_peppol_warning_not_a_failure():
    document = _example("Norwegian-example-1.xml")
    register = _seller_tax_scheme(document, "TAX")
    register.getparent().remove(register)

    result = validate(_xml(document), "ubl", peppol=True)

    peppol = result.rule_set("peppol")
    assert "NO-R-002" in _ids(peppol.warnings), str(result)
    assert peppol.ok and result.ok, str(result)


def test_a_cen_failure_is_reported_under_cen_and_a_peppol_failure_under_peppol():
    document = _example("base-example.xml")
    # BR-CO-15: the total with VAT is the total without VAT plus the VAT (a CEN rule only).
    document.find("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", NS).text = "9999.00"
    document.find(f"{BUYER}/cbc:EndpointID", NS).set("schemeID", "EM")  # Peppol only

    result = validate(_xml(document), "ubl", peppol=True)

    cen, peppol = result.rule_set("cen"), result.rule_set("peppol")
    assert "BR-CO-15" in _ids(cen.fatal) and "BR-CO-15" not in _ids(peppol.fatal)
    assert "PEPPOL-EN16931-CL008" in _ids(peppol.fatal)
    assert "PEPPOL-EN16931-CL008" not in _ids(cen.fatal)
    assert _ids(result.fatal) == _ids(cen.fatal) | _ids(peppol.fatal)
    report = str(result)
    assert f"UBL / {cen.name}: INVALID" in report and f"UBL / {peppol.name}: INVALID" in report
    assert report.index("[BR-CO-15]") < report.index(f"UBL / {peppol.name}")
    assert report.index("[PEPPOL-EN16931-CL008]") > report.index(f"UBL / {peppol.name}")


def test_without_peppol_only_the_cen_rules_run():
    document = _example("base-example.xml")
    document.find(f"{BUYER}/cbc:EndpointID", NS).set("schemeID", "EM")

    result = validate(_xml(document), "ubl")

    assert [rule_set.key for rule_set in result.rule_sets] == ["cen"]
    assert result.rule_set("peppol") is None
    assert result.ok  # the CEN rules accept an e-mail endpoint: that is what Peppol adds


# A CII invoice cut down to what the Peppol CII rules need to fire: it breaks many rules, the
# point is only that the Peppol ones run on CII too and come out under "peppol".
CII_WITHOUT_BUYER_ENDPOINT = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>1</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260302</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Seller</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def test_the_peppol_cii_rules_run_on_cii_and_report_apart():
    result = validate(CII_WITHOUT_BUYER_ENDPOINT, "cii", peppol=True)

    assert [rule_set.key for rule_set in result.rule_sets] == ["cen", "peppol"]
    peppol = result.rule_set("peppol")
    assert {"PEPPOL-EN16931-R010", "PEPPOL-EN16931-R020"} <= _ids(peppol.fatal), str(result)
    assert "PEPPOL-EN16931-R010" not in _ids(result.rule_set("cen").fatal)


# --- a validator that cannot run its rules says so ---------------------------------------------
def _without_compiled(monkeypatch, *keys: str) -> None:
    """Forget the compiled stylesheets of `keys` in this test only (the CEN ones stay, so the
    test does not pay for compiling them again)."""
    kept = {key: value for key, value in validation._stylesheets.items() if key not in keys}
    monkeypatch.setattr(validation, "_stylesheets", kept)


def _files_with(monkeypatch, replaced: dict[str, Path]) -> None:
    files = {**validation._files(), **replaced}
    monkeypatch.setattr(validation, "_files", lambda: files)


def test_missing_peppol_rules_raise_validator_unavailable(monkeypatch, tmp_path):
    xml = (EXAMPLES / "base-example.xml").read_bytes()
    validate(xml, "ubl")  # the CEN rules compiled before the Peppol file goes missing
    _files_with(monkeypatch, {"ubl-peppol-sch": tmp_path / "PEPPOL-EN16931-UBL.sch"})
    _without_compiled(monkeypatch, "ubl-peppol-sch")

    with pytest.raises(ValidatorUnavailable, match=r"PEPPOL-EN16931-UBL\.sch"):
        validate(xml, "ubl", peppol=True)

    assert validate(xml, "ubl").ok  # the CEN rules alone still run


def test_a_missing_schematron_compiler_raises_validator_unavailable(monkeypatch, tmp_path):
    _files_with(monkeypatch, {"schxslt-pipeline": tmp_path / "pipeline-for-svrl.xsl"})
    _without_compiled(monkeypatch, "schxslt-pipeline", "ubl-peppol-sch")

    with pytest.raises(ValidatorUnavailable, match=r"pipeline-for-svrl\.xsl"):
        validate((EXAMPLES / "base-example.xml").read_bytes(), "ubl", peppol=True)


def test_peppol_rules_that_do_not_compile_raise_validator_unavailable(monkeypatch, tmp_path):
    broken = tmp_path / "PEPPOL-EN16931-UBL.sch"
    broken.write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        '<pattern><rule context="/*"><assert id="X" test="((">x</assert></rule></pattern>'
        "</schema>"
    )
    _files_with(monkeypatch, {"ubl-peppol-sch": broken})
    _without_compiled(monkeypatch, "ubl-peppol-sch")

    with pytest.raises(ValidatorUnavailable, match="cannot compile"):
        validate((EXAMPLES / "base-example.xml").read_bytes(), "ubl", peppol=True)


def test_peppol_rules_that_match_nothing_raise_validator_unavailable(monkeypatch, tmp_path):
    # A document no rule applies to was not checked: it must not come out "valid".
    unrelated = tmp_path / "PEPPOL-EN16931-UBL.sch"
    unrelated.write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        '<pattern><rule context="/Other"><assert id="X" test="false()">x</assert></rule>'
        "</pattern></schema>"
    )
    _files_with(monkeypatch, {"ubl-peppol-sch": unrelated})
    _without_compiled(monkeypatch, "ubl-peppol-sch")

    with pytest.raises(ValidatorUnavailable, match="no rule"):
        validate((EXAMPLES / "base-example.xml").read_bytes(), "ubl", peppol=True)


def test_warm_up_compiles_the_peppol_rules_too(monkeypatch):
    _without_compiled(monkeypatch, "schxslt-pipeline", "ubl-peppol-sch")

    warm_up("ubl")

    assert {"schxslt-pipeline", "ubl-peppol-sch", "ubl-xslt"} <= set(validation._stylesheets)
