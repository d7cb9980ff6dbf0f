"""Payment reference rules, proven on published examples.

Each "valid" number below is quoted from the specification or reference text named beside it,
or worked out by hand with the arithmetic shown; none was produced by running the code under
test. Each has a sibling with one digit changed that must be refused. No database is needed.
"""

import pytest

from salesmkt.finance.payment_references import (
    kid,
    kid_valid,
    luhn_check_digit,
    mod11_check_digit,
    ocr,
    ocr_valid,
    reference_matches,
    rf_format,
    rf_reference,
    rf_valid,
)

# --- Luhn / MOD10 ---------------------------------------------------------------------------

LUHN_EXAMPLES = [
    # Wikipedia "Luhn algorithm", worked example (the ISO/IEC 7812-1 Annex B method).
    pytest.param("7992739871", "3", id="wikipedia-luhn"),
    # Norwegian Wikipedia "MOD10", the worked example used for KID numbers: 234567 -> 6.
    pytest.param("234567", "6", id="no-wikipedia-mod10"),
    # Bankgirot's own bankgiro number 160-9908, printed on Bankgirot's documents.
    pytest.param("160990", "8", id="bankgirot-bankgiro"),
]


@pytest.mark.parametrize(("digits", "check_digit"), LUHN_EXAMPLES)
def test_luhn_check_digit_is_the_published_one(digits, check_digit):
    assert luhn_check_digit(digits) == check_digit


@pytest.mark.parametrize("not_digits", ["", "12a4", "12 34", "١٢٣"])
def test_luhn_check_digit_refuses_anything_but_digits(not_digits):
    with pytest.raises(ValueError):
        luhn_check_digit(not_digits)


# --- MOD11 ----------------------------------------------------------------------------------

MOD11_EXAMPLES = [
    # Norwegian Wikipedia "MOD11" / IBM's modulus 11 worked example, weights 2-7 from the
    # right: 036532 -> 81, 81 mod 11 = 4, 11 - 4 = 7.
    pytest.param("036532", "7", id="no-wikipedia-mod11"),
    # IBM "Modulus 11 self-check digit" example: 13739 -> 76, remainder 10, 11 - 10 = 1.
    pytest.param("13739", "1", id="ibm-modulus-11"),
    # CA Ideal "Modulo11 CheckDigit Calculation" example: 943457842 -> 195, remainder 8 -> 3.
    pytest.param("943457842", "3", id="ca-ideal-modulo-11"),
]


@pytest.mark.parametrize(("digits", "check_digit"), MOD11_EXAMPLES)
def test_mod11_check_digit_is_the_published_one(digits, check_digit):
    assert mod11_check_digit(digits) == check_digit


def test_mod11_check_value_10_is_written_as_a_dash():
    # Nets' KID specification prints a MOD11 check value of 10 as "-".
    # By hand: 6 x 2 = 12, 12 mod 11 = 1, 11 - 1 = 10.
    assert mod11_check_digit("6") == "-"


def test_mod11_remainder_0_gives_check_digit_0():
    # By hand: 0 x 2 = 0, remainder 0 -> check digit 0 (not 11).
    assert mod11_check_digit("0") == "0"


# --- KID ------------------------------------------------------------------------------------


def test_kid_mod10_appends_the_luhn_check_digit():
    assert kid("234567") == "2345676"  # no.wikipedia MOD10 example


def test_kid_mod11_appends_the_mod11_check_digit():
    assert kid("036532", algorithm="mod11") == "0365327"  # no.wikipedia MOD11 example


def test_kid_with_length_is_left_padded_with_zeros():
    # Leading zeros add nothing to either weighted sum, so the published check digit stays.
    assert kid("234567", length=10) == "0002345676"
    assert kid("36532", algorithm="mod11", length=7) == "0365327"


def test_kid_base_longer_than_the_length_is_refused():
    with pytest.raises(ValueError):
        kid("234567", length=6)


@pytest.mark.parametrize("length", [1, 26])
def test_kid_length_outside_2_to_25_is_refused(length):
    with pytest.raises(ValueError):
        kid("1", length=length)


def test_kid_longer_than_25_digits_is_refused():
    with pytest.raises(ValueError):
        kid("1" * 25)


@pytest.mark.parametrize("base", ["", "12A4", "-1"])
def test_kid_base_that_is_not_digits_is_refused(base):
    with pytest.raises(ValueError):
        kid(base)


def test_kid_unknown_algorithm_is_refused():
    with pytest.raises(ValueError):
        kid("234567", algorithm="mod97")


def test_kid_mod11_dash_is_refused_unless_allowed():
    with pytest.raises(ValueError):
        kid("6", algorithm="mod11")
    assert kid("6", algorithm="mod11", allow_dash=True) == "6-"


@pytest.mark.parametrize(
    ("value", "algorithm"),
    [
        pytest.param("2345676", "mod10", id="no-wikipedia-mod10"),
        pytest.param("0365327", "mod11", id="no-wikipedia-mod11"),
        pytest.param("79927398713", "mod10", id="wikipedia-luhn"),
        pytest.param("6-", "mod11", id="dash"),
        pytest.param("2345 676", "mod10", id="spaces-ignored"),
    ],
)
def test_kid_with_correct_check_digit_is_valid(value, algorithm):
    assert kid_valid(value, algorithm)
    assert kid_valid(value)  # None: either algorithm


@pytest.mark.parametrize(
    ("value", "algorithm"),
    [
        pytest.param("2345677", "mod10", id="no-wikipedia-mod10-last-digit-changed"),
        pytest.param("2445676", "mod10", id="no-wikipedia-mod10-body-digit-changed"),
        pytest.param("0365328", "mod11", id="no-wikipedia-mod11-last-digit-changed"),
        pytest.param("0375327", "mod11", id="no-wikipedia-mod11-body-digit-changed"),
        pytest.param("79927398714", "mod10", id="wikipedia-luhn-changed"),
    ],
)
def test_kid_with_one_digit_changed_is_refused(value, algorithm):
    assert not kid_valid(value, algorithm)


def test_kid_is_checked_with_the_algorithm_asked_for():
    # 036532 under MOD10: 2x2 + 3 + (5x2 -> 1) + 6 + 3x2 + 0 = 20 -> check digit 0, not 7.
    assert not kid_valid("0365327", "mod10")
    # 7992739871 under MOD11: weighted sum 269, 269 mod 11 = 5 -> check digit 6, not 3.
    assert not kid_valid("79927398713", "mod11")
    # A dash only exists in MOD11.
    assert not kid_valid("6-", "mod10")


@pytest.mark.parametrize("value", ["", "0", "1" * 26, "12a4", "-6"])
def test_kid_of_wrong_length_or_characters_is_refused(value):
    assert not kid_valid(value)


# --- Swedish OCR reference (Bankgirot) ------------------------------------------------------

# Bankgirot's OCR-referenskontroll runs modulus 10 over the whole reference (length digit
# included) and compares the second-to-last digit with the length modulo 10. The expected
# values are worked by hand:
#   12345          Luhn: 5x2->1, 4, 3x2=6, 2, 1x2=2 = 15 -> 5                  -> 123455
#   12345 + len 7  Luhn of 123457: 7x2->5, 5, 4x2=8, 3, 2x2=4, 1 = 26 -> 4      -> 1234574
#   123456789012 + len 14 (digit 4): Luhn of 1234567890124 sums to 55 -> 5      -> 12345678901245
OCR_EXAMPLES = [
    pytest.param("12345", False, "123455", id="check-digit-only"),
    pytest.param("12345", True, "1234574", id="length-digit-7"),
    pytest.param("123456789012", True, "12345678901245", id="length-14-gives-4"),
]


@pytest.mark.parametrize(("base", "length_digit", "reference"), OCR_EXAMPLES)
def test_ocr_reference_is_built_as_bankgirot_checks_it(base, length_digit, reference):
    assert ocr(base, length_digit=length_digit) == reference
    assert ocr_valid(reference, length_digit=length_digit)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("123456", id="check-digit-changed"),
        pytest.param("124455", id="body-digit-changed"),
        pytest.param("1234575", id="length-variant-check-digit-changed"),
    ],
)
def test_ocr_reference_with_one_digit_changed_is_refused(reference):
    assert not ocr_valid(reference)


def test_ocr_reference_with_wrong_length_digit_is_refused_when_length_is_checked():
    # 12345 + length digit 8 + Luhn of 123458 (8x2->7, 5, 8, 3, 4, 1 = 28 -> 2): the check
    # digit is right, but the reference has 7 digits, not 8.
    assert ocr_valid("1234582")
    assert not ocr_valid("1234582", length_digit=True)


def test_bankgiro_number_passes_the_same_modulus_10_check():
    # Bankgirot's own bankgiro number 160-9908 uses the same 10-modulus as OCR references.
    assert ocr_valid("1609908")
    assert not ocr_valid("1609907")


@pytest.mark.parametrize("base", ["", "12a", "1" * 24])
def test_ocr_base_that_is_not_digits_or_too_long_is_refused(base):
    with pytest.raises(ValueError):
        ocr(base, length_digit=True)


@pytest.mark.parametrize("value", ["0", "1" * 26, "12 3a"])
def test_ocr_reference_of_wrong_length_or_characters_is_refused(value):
    assert not ocr_valid(value)


# --- ISO 11649 creditor reference -----------------------------------------------------------

RF_EXAMPLES = [
    # ISO 11649:2009's example, also quoted by the EPC and Wikipedia "Creditor Reference".
    pytest.param("RF18 5390 0754 7034", id="iso-11649"),
    # RF Expert Group (Ranta & Kähkönen, "RF Creditor Reference", 2010), as quoted in
    # XMLdation's EPC SEPA rule pages.
    pytest.param("RF712348231", id="rf-expert-group"),
    # ISO 11649 example written in lower case: letters are case-insensitive.
    pytest.param("rf18539007547034", id="lower-case"),
]


@pytest.mark.parametrize("reference", RF_EXAMPLES)
def test_creditor_reference_from_the_standard_is_valid(reference):
    assert rf_valid(reference)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("RF18 5390 0754 7035", id="iso-11649-last-digit-changed"),
        pytest.param("RF18 5390 0744 7034", id="iso-11649-body-digit-changed"),
        # Wikipedia's "Creditor Reference" article once printed the ISO example with check
        # digits 68 (revision 279333062): a real-world mistyping, refused.
        pytest.param("RF68 5390 0754 7034", id="wikipedia-typo-check-digits"),
        pytest.param("RF712348232", id="rf-expert-group-changed"),
    ],
)
def test_creditor_reference_with_one_digit_changed_is_refused(reference):
    assert not rf_valid(reference)


def test_creditor_reference_is_built_with_the_standard_check_digits():
    assert rf_reference("539007547034") == "RF18539007547034"
    assert rf_reference("2348231") == "RF712348231"


@pytest.mark.parametrize("base", ["", "A" * 22, "12-34", "ÆØÅ"])
def test_creditor_reference_base_outside_1_to_21_letters_and_digits_is_refused(base):
    with pytest.raises(ValueError):
        rf_reference(base)


@pytest.mark.parametrize(
    "value", ["RF18", "RF1A539007547034", "XX18539007547034", "RF18" + "1" * 22]
)
def test_creditor_reference_of_wrong_shape_is_refused(value):
    assert not rf_valid(value)


def test_creditor_reference_prints_in_groups_of_four():
    assert rf_format("RF18539007547034") == "RF18 5390 0754 7034"
    assert rf_format("rf712348231") == "RF71 2348 231"


def test_creditor_reference_that_is_not_valid_is_not_formatted():
    with pytest.raises(ValueError):
        rf_format("RF68539007547034")


# --- Matching a payment to an invoice -------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "reference"),
    [
        pytest.param("rf18 5390 0754 7034", "RF18539007547034", id="rf-case-and-spaces"),
        pytest.param("2345 676", "2345676", id="kid-spaces"),
        pytest.param(" 1234574 ", "1234574", id="ocr-surrounding-spaces"),
    ],
)
def test_payment_reference_matches_the_invoice_reference_ignoring_spaces(candidate, reference):
    assert reference_matches(candidate, reference)


@pytest.mark.parametrize(
    ("candidate", "reference"),
    [
        pytest.param("2345677", "2345676", id="kid-one-digit-off"),
        pytest.param("RF18539007547035", "RF18539007547034", id="rf-one-digit-off"),
        pytest.param("abc123", "ABC123", id="free-text-case-matters"),
        pytest.param("", "", id="empty-reference"),
        pytest.param("2345676 extra", "2345676", id="extra-text"),
    ],
)
def test_payment_reference_that_differs_does_not_match(candidate, reference):
    assert not reference_matches(candidate, reference)
