"""Party and bank identifier rules, proven on published or real, publicly registered numbers.

The comment beside each "valid" vector says where it comes from: the issuer's own
specification or example, the SWIFT IBAN registry, or a real organisation's number as it
publishes it (several real numbers were found through python-stdnum's test lists, which
collect numbers seen in the wild). None was produced by running the code under test. Each
valid vector has a sibling with one digit changed that must be refused; numbers whose value
must be refused for another reason are worked out by hand, with the arithmetic shown.
No database is needed.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from salesmkt.finance.identifiers import (
    ORG_NUMBER_SCHEME_BY_COUNTRY,
    SCHEMES,
    be_enterprise_number_valid,
    bic_valid,
    dk_cvr_valid,
    fi_business_id_valid,
    gln_valid,
    iban_valid,
    nl_kvk_number_valid,
    no_bank_account_valid,
    no_org_number_valid,
    normalise,
    scheme_identifier_problem,
    se_bankgiro_valid,
    se_org_number_valid,
    se_plusgiro_valid,
    validate_bic,
    validate_gln,
    validate_iban,
    validate_org_number,
    validate_vat_number,
    vat_number_valid,
)


def test_normalise_strips_spaces_dots_and_dashes_and_uppercases():
    assert normalise(" no 974.760-673\tmva ") == "NO974760673MVA"


# --- Norway: organisasjonsnummer ------------------------------------------------------------

NO_ORG_NUMBERS = [
    # Brønnøysundregistrene's own organisation number.
    pytest.param("974760673", "974760672", id="bronnoysundregistrene"),
    # Skatteetaten (Norwegian Tax Administration).
    pytest.param("974 761 076", "974 761 077", id="skatteetaten"),
    # Digitaliseringsdirektoratet (Digdir), which runs the Norwegian Peppol authority.
    pytest.param("991 825 827", "991 825 837", id="digdir"),
]


@pytest.mark.parametrize(("valid", "changed"), NO_ORG_NUMBERS)
def test_norwegian_org_number_from_the_register_is_accepted(valid, changed):
    assert no_org_number_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), NO_ORG_NUMBERS)
def test_norwegian_org_number_with_wrong_check_digit_is_refused(valid, changed):
    assert not no_org_number_valid(changed)


def test_norwegian_org_number_whose_check_value_would_be_10_is_refused():
    # By hand: 0000000 6 -> 6 x 2 = 12, 12 mod 11 = 1, so the check value would be 10, which
    # Brønnøysund never issues: no ninth digit makes the number valid.
    assert not any(no_org_number_valid(f"00000006{digit}") for digit in "0123456789")


@pytest.mark.parametrize("value", ["97476067", "9747606730", "97476067A", ""])
def test_norwegian_org_number_of_wrong_length_or_with_letters_is_refused(value):
    assert not no_org_number_valid(value)


# --- Sweden: organisationsnummer ------------------------------------------------------------

SE_ORG_NUMBERS = [
    # Bankgirocentralen BGC AB, "Org.nr 556047-3521" on Bankgirot's own documents.
    pytest.param("556047-3521", "556047-3522", id="bankgirot"),
    # Telefonaktiebolaget LM Ericsson (Bolagsverket).
    pytest.param("556016-0680", "556016-0690", id="ericsson"),
    # Skatteverket, a government agency (2-series).
    pytest.param("202100-5448", "202100-5449", id="skatteverket"),
    # The personnummer in Wikipedia's "Personnummer i Sverige" check digit example, in the
    # 12-digit form with century a sole trader's number takes.
    pytest.param("19811218-9876", "19811218-9875", id="personnummer-with-century"),
    # Bankgirot's number in Skatteverket's 12-digit form for legal persons ("16" + number).
    pytest.param("165560473521", "165560473522", id="legal-person-century-16"),
]


@pytest.mark.parametrize(("valid", "changed"), SE_ORG_NUMBERS)
def test_swedish_org_number_from_the_register_is_accepted(valid, changed):
    assert se_org_number_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), SE_ORG_NUMBERS)
def test_swedish_org_number_with_wrong_check_digit_is_refused(valid, changed):
    assert not se_org_number_valid(changed)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("17811218-9876", id="century-17-is-no-personnummer"),
        pytest.param("19811318-9876", id="month-13"),
        pytest.param("55604735", id="too-short"),
        pytest.param("5560473521A", id="letter"),
    ],
)
def test_swedish_org_number_with_impossible_century_date_or_length_is_refused(value):
    assert not se_org_number_valid(value)


# --- Belgium: ondernemingsnummer / numéro d'entreprise --------------------------------------

BE_ENTERPRISE_NUMBERS = [
    # Vlaamse overheid's worked example: 05669882 mod 97 = 38, 97 - 38 = 59.
    pytest.param("0566.988.259", "0566.988.258", id="vlaamse-overheid-example"),
    # Proximus NV (KBO).
    pytest.param("0202.239.951", "0202.239.961", id="proximus"),
]


@pytest.mark.parametrize(("valid", "changed"), BE_ENTERPRISE_NUMBERS)
def test_belgian_enterprise_number_from_the_register_is_accepted(valid, changed):
    assert be_enterprise_number_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), BE_ENTERPRISE_NUMBERS)
def test_belgian_enterprise_number_with_wrong_check_digits_is_refused(valid, changed):
    assert not be_enterprise_number_valid(changed)


def test_belgian_enterprise_number_not_starting_with_0_or_1_is_refused():
    # By hand: 20000000 = 97 x 206185 + 55, 97 - 55 = 42: the check digits fit, the first
    # digit does not.
    assert not be_enterprise_number_valid("2000000042")


# --- Netherlands: KvK-nummer ----------------------------------------------------------------


def test_dutch_kvk_number_of_8_digits_is_accepted():
    # KvK (Kamer van Koophandel) itself, KvK-nummer 59581883. KvK numbers have no check digit.
    assert nl_kvk_number_valid("59581883")


@pytest.mark.parametrize("value", ["5958188", "595818830", "5958188A"])
def test_dutch_kvk_number_of_wrong_length_or_with_letters_is_refused(value):
    assert not nl_kvk_number_valid(value)


# --- Denmark: CVR-nummer --------------------------------------------------------------------

DK_CVR_NUMBERS = [
    # Erhvervsstyrelsen's own modulus 11 worked example: CVR 13-74-81-36.
    pytest.param("13748136", "13748137", id="erhvervsstyrelsen-example"),
    # Novo Nordisk A/S.
    pytest.param("24256790", "24256780", id="novo-nordisk"),
    # Carlsberg A/S.
    pytest.param("61056416", "61056417", id="carlsberg"),
]


@pytest.mark.parametrize(("valid", "changed"), DK_CVR_NUMBERS)
def test_danish_cvr_number_from_the_register_is_accepted(valid, changed):
    assert dk_cvr_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), DK_CVR_NUMBERS)
def test_danish_cvr_number_with_wrong_check_digit_is_refused(valid, changed):
    assert not dk_cvr_valid(changed)


def test_danish_cvr_number_with_leading_zero_is_refused():
    # Its weighted sum is 0, divisible by 11, but CVR numbers start at 10000000.
    assert not dk_cvr_valid("00000000")


# --- Finland: Y-tunnus ----------------------------------------------------------------------

FI_BUSINESS_IDS = [
    # Ilmatieteen laitos (Finnish Meteorological Institute), "Business ID 0244664-7" on its
    # invoicing instructions page.
    pytest.param("0244664-7", "0244664-8", id="ilmatieteen-laitos"),
    # Nokia Oyj.
    pytest.param("0112038-9", "0112038-8", id="nokia"),
    # The business ID inside PEAR Validate_FI's OVT example 003715728600.
    pytest.param("1572860-0", "1572860-1", id="pear-validate-fi"),
]


@pytest.mark.parametrize(("valid", "changed"), FI_BUSINESS_IDS)
def test_finnish_business_id_from_the_register_is_accepted(valid, changed):
    assert fi_business_id_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), FI_BUSINESS_IDS)
def test_finnish_business_id_with_wrong_check_digit_is_refused(valid, changed):
    assert not fi_business_id_valid(changed)


def test_finnish_business_id_whose_check_value_would_be_10_is_refused():
    # By hand: 000000 6 -> 6 x 2 = 12, 12 mod 11 = 1: a check value of 10 is never issued.
    assert not any(fi_business_id_valid(f"0000006-{digit}") for digit in "0123456789")


def test_finnish_business_id_of_the_old_six_digit_form_is_padded():
    assert fi_business_id_valid("244664-7")  # Ilmatieteen laitos without its leading zero


# --- GS1 GLN --------------------------------------------------------------------------------

GLNS = [
    # GS1 EPC Tag Data Standard's example GLN (GS1 company prefix 0614141).
    pytest.param("0614141123452", "0614141123453", id="gs1-tds-example"),
    # GS1 General Specifications' check digit worked example (GTIN-13 / GLN use the same
    # modulus 10): 629104150021 -> 3.
    pytest.param("6291041500213", "6291041500218", id="gs1-genspecs-example"),
]


@pytest.mark.parametrize(("valid", "changed"), GLNS)
def test_gln_from_gs1_is_accepted(valid, changed):
    assert gln_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), GLNS)
def test_gln_with_wrong_check_digit_is_refused(valid, changed):
    assert not gln_valid(changed)


@pytest.mark.parametrize("value", ["061414112345", "06141411234520", "061414112345X"])
def test_gln_of_wrong_length_or_with_letters_is_refused(value):
    assert not gln_valid(value)


# --- IBAN -----------------------------------------------------------------------------------

IBANS = [
    # Examples from the SWIFT IBAN registry (ISO 13616).
    pytest.param("NO93 8601 1117 947", "NO93 8601 1117 948", id="NO"),
    pytest.param("SE45 5000 0000 0583 9825 7466", "SE45 5000 0000 0583 9825 7467", id="SE"),
    pytest.param("NL91 ABNA 0417 1643 00", "NL91 ABNA 0417 1643 01", id="NL"),
    pytest.param("BE68 5390 0754 7034", "BE68 5390 0754 7035", id="BE"),
    pytest.param("GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33", id="GB"),
    pytest.param("DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 01", id="DE"),
    pytest.param("DK50 0040 0440 1162 43", "DK50 0040 0440 1162 44", id="DK"),
    pytest.param("FI21 1234 5600 0007 85", "FI21 1234 5600 0007 86", id="FI"),
    pytest.param("IS14 0159 2600 7654 5510 7303 39", "IS14 0159 2600 7654 5510 7303 38", id="IS"),
    pytest.param("CH93 0076 2011 6238 5295 7", "CH93 0076 2011 6238 5295 8", id="CH"),
    pytest.param("FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 607", id="FR"),
]


@pytest.mark.parametrize(("valid", "changed"), IBANS)
def test_iban_from_the_swift_registry_is_accepted(valid, changed):
    assert iban_valid(valid)
    assert iban_valid(valid.replace(" ", "").lower())  # electronic form, any case


@pytest.mark.parametrize(("valid", "changed"), IBANS)
def test_iban_with_one_digit_changed_is_refused(valid, changed):
    assert not iban_valid(changed)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("NO93 8601 1117 9470", id="too-long-for-NO"),
        pytest.param("NO93 8601 1117 94", id="too-short-for-NO"),
        pytest.param("XX93 8601 1117 947", id="unknown-country"),
        pytest.param("NOXX 8601 1117 947", id="letters-as-check-digits"),
    ],
)
def test_iban_of_wrong_length_or_country_is_refused(value):
    assert not iban_valid(value)


# --- BIC ------------------------------------------------------------------------------------

BICS = [
    # Wikipedia "ISO 9362" examples: Deutsche Bank head office and a branch, Nedbank.
    pytest.param("DEUTDEFF", id="deutsche-bank"),
    pytest.param("DEUTDEFF500", id="deutsche-bank-branch"),
    # ISO 9362 writes a head office's branch code as three letters X: a real part of the BIC.
    pytest.param("NEDSZAJJXXX", id="nedbank"),
    # DNB Bank ASA.
    pytest.param("DNBA NO KK", id="dnb-with-spaces"),
]


@pytest.mark.parametrize("value", BICS)
def test_bic_of_8_or_11_characters_is_accepted(value):
    assert bic_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        # A BIC has no check digit: the siblings break its shape instead.
        pytest.param("DEUTDEF", id="7-characters"),
        pytest.param("DEUTDEFF50", id="10-characters"),
        pytest.param("DEUTD3FF", id="digit-in-country-code"),
        pytest.param("DEUTDEFF5000", id="12-characters"),
    ],
)
def test_bic_of_wrong_length_or_shape_is_refused(value):
    assert not bic_valid(value)


# --- Norway: kontonummer --------------------------------------------------------------------


def test_norwegian_bank_account_from_the_iban_registry_is_accepted():
    # The account inside the SWIFT IBAN registry's Norwegian example NO93 8601 1117 947.
    assert no_bank_account_valid("8601.11.17947")


def test_norwegian_bank_account_with_wrong_check_digit_is_refused():
    assert not no_bank_account_valid("8601.11.17948")
    assert not no_bank_account_valid("8601.12.17947")


def test_norwegian_bank_account_whose_check_value_would_be_10_is_refused():
    # By hand: 000000000 6 -> 6 x 2 = 12, 12 mod 11 = 1: check value 10, never issued.
    assert not any(no_bank_account_valid(f"0000000006{digit}") for digit in "0123456789")


# --- Sweden: bankgiro and PlusGiro ----------------------------------------------------------

BANKGIRO_NUMBERS = [
    # Bankgirot's own bankgiro number, "Bankgironr: 160-9908" on its documents.
    pytest.param("160-9908", "160-9907", id="bankgirot"),
    # Skatteverket's bankgiro for tax payments.
    pytest.param("5050-1055", "5050-1056", id="skatteverket"),
]


@pytest.mark.parametrize(("valid", "changed"), BANKGIRO_NUMBERS)
def test_swedish_bankgiro_number_is_accepted(valid, changed):
    assert se_bankgiro_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), BANKGIRO_NUMBERS)
def test_swedish_bankgiro_number_with_wrong_check_digit_is_refused(valid, changed):
    assert not se_bankgiro_valid(changed)


@pytest.mark.parametrize("value", ["16099", "160990812"])
def test_swedish_bankgiro_number_of_wrong_length_is_refused(value):
    assert not se_bankgiro_valid(value)


PLUSGIRO_NUMBERS = [
    # Svenska Röda Korset's 90-account (fundraising) PlusGiro.
    pytest.param("90 01 22-3", "90 01 22-4", id="roda-korset"),
    # Radiohjälpen's 90-account PlusGiro.
    pytest.param("90 20 03-3", "90 20 13-3", id="radiohjalpen"),
]


@pytest.mark.parametrize(("valid", "changed"), PLUSGIRO_NUMBERS)
def test_swedish_plusgiro_number_is_accepted(valid, changed):
    assert se_plusgiro_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), PLUSGIRO_NUMBERS)
def test_swedish_plusgiro_number_with_wrong_check_digit_is_refused(valid, changed):
    assert not se_plusgiro_valid(changed)


@pytest.mark.parametrize("value", ["0", "123456789"])
def test_swedish_plusgiro_number_of_wrong_length_is_refused(value):
    assert not se_plusgiro_valid(value)


# --- VAT numbers with check digits ----------------------------------------------------------

VAT_NUMBERS_WITH_CHECK_DIGITS = [
    # Brønnøysundregistrene's org number in MVA form.
    pytest.param("NO 974 760 673 MVA", "NO 974 760 672 MVA", id="NO-bronnoysund"),
    # Bankgirot's own "VAT No. SE556047352101".
    pytest.param("SE556047352101", "SE556047352201", id="SE-bankgirot"),
    # Ericsson's VAT number.
    pytest.param("SE 556016-0680 01", "SE 556016-0681 01", id="SE-ericsson"),
    # Proximus NV.
    pytest.param("BE 0202.239.951", "BE 0202.239.952", id="BE-proximus"),
    # Belastingdienst's published example of the btw-id given to sole proprietors since
    # 2020 (passes MOD 97-10, not the elfproef).
    pytest.param("NL000099998B57", "NL000099998B58", id="NL-btw-id-2020"),
    # Real pre-2020 numbers passing the elfproef (python-stdnum test_eu_vat list).
    pytest.param("NL 806753742 B01", "NL 806753743 B01", id="NL-elfproef"),
    pytest.param("NL 009122746 B01", "NL 009122747 B01", id="NL-elfproef-2"),
    # Novo Nordisk A/S.
    pytest.param("DK 24 25 67 90", "DK 24 25 67 80", id="DK-novo-nordisk"),
    # Ilmatieteen laitos, "VAT number FI02446647" on its invoicing page.
    pytest.param("FI02446647", "FI02446648", id="FI-ilmatieteen-laitos"),
]


@pytest.mark.parametrize(("valid", "changed"), VAT_NUMBERS_WITH_CHECK_DIGITS)
def test_vat_number_with_published_check_digits_is_accepted(valid, changed):
    assert vat_number_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), VAT_NUMBERS_WITH_CHECK_DIGITS)
def test_vat_number_with_one_digit_changed_is_refused(valid, changed):
    assert not vat_number_valid(changed)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("NO974760673", id="NO-without-MVA"),
        pytest.param("SE556047352102", id="SE-suffix-not-01"),
        pytest.param("NL806753742B00", id="NL-suffix-00"),
        pytest.param("NL806753742X01", id="NL-without-B"),
    ],
)
def test_vat_number_missing_its_national_suffix_is_refused(value):
    assert not vat_number_valid(value)


# --- VAT numbers checked by shape only ------------------------------------------------------

# Real registrations, one per country, from python-stdnum's test_eu_vat / test_gb_vat /
# test_ch_vat lists of numbers found online. The sibling drops one digit.
VAT_NUMBERS_BY_SHAPE = [
    pytest.param("ATU 15159209", "ATU 1515920", id="AT"),
    pytest.param("BG 103873594", "BG 10387359", id="BG"),
    pytest.param("CY 10246672X", "CY 1024667X", id="CY"),
    pytest.param("CZ 25123891", "CZ 2512389", id="CZ"),
    pytest.param("DE 118619592", "DE 11861959", id="DE"),
    pytest.param("EE 100523487", "EE 10052348", id="EE"),
    pytest.param("EL 039868210", "EL 03986821", id="EL"),
    pytest.param("ES A-28184661", "ES A-2818466", id="ES"),
    pytest.param("FR 04409414364", "FR 0440941436", id="FR"),
    pytest.param("HU 10672101", "HU 1067210", id="HU"),
    pytest.param("IE 6324720T", "IE 632472T", id="IE"),
    pytest.param("IT 00118439991", "IT 0011843999", id="IT"),
    pytest.param("LT 100001354118", "LT 10000135411", id="LT"),
    pytest.param("LU 10059929", "LU 1005992", id="LU"),
    pytest.param("LV 40003189718", "LV 4000318971", id="LV"),
    pytest.param("MT 17025737", "MT 1702573", id="MT"),
    pytest.param("PL 5211355116", "PL 521135511", id="PL"),
    pytest.param("PT 502448911", "PT 50244891", id="PT"),
    # RO numbers have 2-10 digits, so only a single digit is too short.
    pytest.param("RO 11358544", "RO 1", id="RO"),
    pytest.param("SI 26808498", "SI 2680849", id="SI"),
    pytest.param("SK 2022193459", "SK 202219345", id="SK"),
    pytest.param("XI 432525179", "XI 43252517", id="XI"),
    pytest.param("GB 100190874", "GB 10019087", id="GB"),
    pytest.param("CHE-105.048.256 MWST", "CHE-105.048.25 MWST", id="CH"),
    # python-stdnum's hr.oib documentation example (an OIB is the Croatian VAT number).
    pytest.param("HR 94577403194", "HR 9457740319", id="HR"),
]


@pytest.mark.parametrize(("valid", "changed"), VAT_NUMBERS_BY_SHAPE)
def test_vat_number_of_each_country_is_accepted_by_shape(valid, changed):
    assert vat_number_valid(valid)


@pytest.mark.parametrize(("valid", "changed"), VAT_NUMBERS_BY_SHAPE)
def test_vat_number_with_a_digit_missing_is_refused(valid, changed):
    assert not vat_number_valid(changed)


def test_vat_number_must_carry_the_given_countrys_prefix():
    assert vat_number_valid("NO974760673MVA", "NO")
    assert not vat_number_valid("NO974760673MVA", "SE")
    assert not vat_number_valid("974760673MVA", "NO")


def test_greek_vat_number_uses_the_prefix_el():
    assert vat_number_valid("EL039868210", "GR")
    assert not vat_number_valid("GR039868210", "GR")


def test_swiss_vat_number_is_accepted_with_or_without_its_tax_suffix():
    assert vat_number_valid("CHE-105.048.256 MWST", "CH")
    assert vat_number_valid("CHE-105.048.256 TVA", "CH")
    assert vat_number_valid("CHE105048256", "CH")


def test_vat_number_of_an_unknown_country_is_refused():
    assert not vat_number_valid("US123456789")


# --- ISO 6523 ICD / Peppol EAS schemes ------------------------------------------------------

SCHEME_IDENTIFIERS = [
    pytest.param("0192", "974760673", "974760672", id="0192-bronnoysund"),
    pytest.param("0007", "5560473521", "5560473522", id="0007-bankgirot"),
    pytest.param("0208", "0566988259", "0566988258", id="0208-vlaamse-overheid-example"),
    pytest.param("0088", "0614141123452", "0614141123453", id="0088-gs1-example"),
    pytest.param("0184", "13748136", "13748137", id="0184-erhvervsstyrelsen-example"),
    # Ilmatieteen laitos' published Peppol address 0216:003702446647.
    pytest.param("0216", "003702446647", "003702446648", id="0216-ilmatieteen-laitos"),
    # PEAR Validate_FI's OVT example, under the legacy Peppol scheme 0037.
    pytest.param("0037", "003715728600", "003715728601", id="0037-pear-example"),
    # TIEKE's OVT format allows up to five characters after the Y-tunnus for a unit.
    pytest.param("0216", "00370244664700001", "00370244664800001", id="0216-with-unit"),
    pytest.param("0212", "0244664-7", "0244664-8", id="0212-y-tunnus"),
    # Leitweg-IDs listed in the German Leitweg-ID directory (verzeichnis.leitweg-id.de).
    pytest.param("0204", "992-90009-96", "992-90009-97", id="0204-leitweg"),
    pytest.param("0204", "991-03730-19", "991-03730-18", id="0204-leitweg-2"),
    # Real SIRET numbers (python-stdnum test_fr_siret list); the SIREN and the SIRET both
    # carry a Luhn check digit.
    pytest.param("0009", "44126652500019", "44126652500018", id="0009-siret"),
    # La Poste establishment: digit sum a multiple of 5 instead of Luhn (INSEE).
    pytest.param("0009", "35600000049837", "35600000049838", id="0009-la-poste"),
    pytest.param("9925", "BE0202239951", "BE0202239952", id="9925-proximus"),
    pytest.param("9944", "NL000099998B57", "NL000099998B58", id="9944-btw-id-example"),
    pytest.param("9955", "SE556047352101", "SE556047352201", id="9955-bankgirot"),
    pytest.param("0213", "FI02446647", "FI02446648", id="0213-ilmatieteen-laitos"),
]


@pytest.mark.parametrize(("scheme", "valid", "changed"), SCHEME_IDENTIFIERS)
def test_identifier_valid_under_its_scheme_has_no_problem(scheme, valid, changed):
    assert scheme_identifier_problem(scheme, valid) is None


@pytest.mark.parametrize(("scheme", "valid", "changed"), SCHEME_IDENTIFIERS)
def test_identifier_with_one_digit_changed_has_a_check_digit_problem(scheme, valid, changed):
    assert (
        scheme_identifier_problem(scheme, changed) == "The identifier's check digits do not match."
    )


SCHEME_IDENTIFIERS_BY_SHAPE = [
    # KvK's own KvK-nummer; KvK numbers carry no check digit.
    pytest.param("0106", "59581883", "5958188", id="0106-kvk"),
    # OINs are 20 digits (Logius, OIN-stelsel); no check digit.
    pytest.param("0190", "00000001003214345000", "0000000100321434500", id="0190-oin"),
    # D-U-N-S numbers are 9 digits; Dun & Bradstreet publishes no check digit.
    pytest.param("0060", "150483782", "15048378", id="0060-duns"),
    # Italian Partita IVA, with and without its country prefix.
    pytest.param("0211", "00118439991", "0011843999", id="0211-partita-iva"),
    pytest.param("9957", "FR04409414364", "FR0440941436", id="9957-french-vat"),
]


@pytest.mark.parametrize(("scheme", "valid", "changed"), SCHEME_IDENTIFIERS_BY_SHAPE)
def test_identifier_of_the_right_shape_has_no_problem(scheme, valid, changed):
    assert scheme_identifier_problem(scheme, valid) is None


@pytest.mark.parametrize(("scheme", "valid", "changed"), SCHEME_IDENTIFIERS_BY_SHAPE)
def test_identifier_with_a_digit_missing_has_a_format_problem(scheme, valid, changed):
    assert (
        scheme_identifier_problem(scheme, changed)
        == "The identifier does not have the format its scheme requires."
    )


def test_email_scheme_is_refused_as_a_peppol_endpoint():
    problem = scheme_identifier_problem("EM", "invoices@example.no")
    assert problem is not None
    assert "e-mail address is not a Peppol endpoint scheme" in problem


def test_unknown_scheme_is_refused():
    assert scheme_identifier_problem("1234", "974760673") == "unknown scheme"


def test_empty_identifier_has_a_format_problem():
    assert (
        scheme_identifier_problem("0192", "  ")
        == "The identifier does not have the format its scheme requires."
    )


def test_org_number_scheme_of_each_country_accepts_that_countrys_published_number():
    published = {
        "NO": "974760673",  # Brønnøysundregistrene
        "SE": "556047-3521",  # Bankgirocentralen BGC AB
        "NL": "59581883",  # KvK
        "BE": "0566.988.259",  # Vlaamse overheid's worked example
        "DK": "13748136",  # Erhvervsstyrelsen's worked example
        "FI": "003702446647",  # Ilmatieteen laitos' OVT code
    }
    assert set(ORG_NUMBER_SCHEME_BY_COUNTRY) == set(published)
    for country, scheme in ORG_NUMBER_SCHEME_BY_COUNTRY.items():
        assert scheme in SCHEMES
        assert scheme_identifier_problem(scheme, published[country]) is None, country


def test_scheme_choices_have_labels_and_leave_out_email():
    assert SCHEMES["0192"] == "Norwegian organisation number (Enhetsregisteret)"
    assert "EM" not in SCHEMES
    assert all(label for label in SCHEMES.values())


# --- Django validators ----------------------------------------------------------------------


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    with translation.override("en"):
        return str(error.value.messages[0])


def test_validate_iban_names_wrong_check_digits():
    with pytest.raises(ValidationError) as error:
        validate_iban("NO93 8601 1117 948")
    assert _message(error) == "Not a valid IBAN: the check digits do not match."


def test_validate_iban_names_wrong_length():
    with pytest.raises(ValidationError) as error:
        validate_iban("NO93 8601 1117 9470")
    assert _message(error) == "Not a valid IBAN: the country code or length is wrong."


def test_validate_iban_accepts_a_registry_example():
    validate_iban("NO93 8601 1117 947")


def test_validate_bic_refuses_a_bic_of_wrong_length():
    validate_bic("DEUTDEFF")
    with pytest.raises(ValidationError) as error:
        validate_bic("DEUTDEF")
    assert _message(error).startswith("Not a valid BIC")


def test_validate_gln_names_wrong_check_digit_and_wrong_length():
    validate_gln("0614141123452")
    with pytest.raises(ValidationError) as error:
        validate_gln("0614141123453")
    assert _message(error) == "Not a valid GLN: the check digit does not match."
    with pytest.raises(ValidationError) as error:
        validate_gln("061414112345")
    assert _message(error) == "Not a valid GLN: use 13 digits."


def test_validate_vat_number_names_wrong_check_digits_and_wrong_format():
    validate_vat_number("NO 974 760 673 MVA")
    with pytest.raises(ValidationError) as error:
        validate_vat_number("NO 974 760 672 MVA")
    assert _message(error) == "Not a valid VAT number: the check digits do not match."
    with pytest.raises(ValidationError) as error:
        validate_vat_number("974760673")
    assert (
        _message(error) == "Not a valid VAT number: use the country prefix and the national format."
    )


def test_validate_org_number_raises_with_the_schemes_reason():
    validate_org_number("0192", "974760673")
    with pytest.raises(ValidationError) as error:
        validate_org_number("0192", "974760672")
    assert _message(error) == "The identifier's check digits do not match."
    assert error.value.error_list[0].code == "invalid_check_digits"
    with pytest.raises(ValidationError) as error:
        validate_org_number("EM", "invoices@example.no")
    assert error.value.error_list[0].code == "email_scheme"
