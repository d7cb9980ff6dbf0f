"""Check-digit rules for the party and bank identifiers that Nordic and Benelux invoices carry.

Each rule follows the issuer's own definition (Brønnøysundregistrene, Bolagsverket/Skatteverket,
KBO/BCE, KvK, Erhvervsstyrelsen, PRH/Vero, GS1, ISO 13616, ISO 9362, Bankgirot, the Peppol code
lists); the tests next to this module quote the published examples each rule is proven on.

The `*_valid` functions answer True/False for any input and never raise. The `validate_*`
functions are Django validators for model and form fields. `scheme_identifier_problem` checks
a value against the ISO 6523 ICD / Peppol EAS scheme an invoice names it under.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from salesmkt.finance.payment_references import luhn_valid

_SEPARATORS = re.compile(r"[\s.\-]+")


def normalise(value: str) -> str:
    """`value` without spaces, dots and dashes, in upper case: the form every rule checks."""
    if not isinstance(value, str):
        return ""
    return _SEPARATORS.sub("", value).upper()


def _digits(value: str, *lengths: int) -> str | None:
    """The normalised value when it is only digits of one of `lengths`, else None."""
    compact = normalise(value)
    if len(compact) in lengths and compact.isascii() and compact.isdigit():
        return compact
    return None


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=True))


def _mod11_check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The usual 11 - (weighted sum mod 11) check digit; None where it would be 10.

    Brønnøysund, PRH and the Norwegian banks all say the same: remainder 0 gives check digit
    0, and a remainder of 1 (check value 10) is never issued, so such a number is invalid.
    """
    remainder = _weighted_sum(digits, weights) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


# --- Organisation numbers -------------------------------------------------------------------

_NO_ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def no_org_number_valid(value: str) -> bool:
    """Norwegian organisasjonsnummer (Enhetsregisteret): 9 digits, MOD11 with weights
    3, 2, 7, 6, 5, 4, 3, 2."""
    digits = _digits(value, 9)
    if digits is None:
        return False
    return _mod11_check_digit(digits[:8], _NO_ORG_WEIGHTS) == int(digits[8])


# Skatteverket writes a legal person's number with "16" in front when a 12-digit form is needed.
_SE_LEGAL_PERSON_CENTURY = "16"
_SE_PERSON_CENTURIES = ("18", "19", "20")
# A samordningsnummer (coordination number) is a personnummer with 60 added to the day.
_SE_COORDINATION_DAY_OFFSET = 60


def _se_birth_date_plausible(twelve_digits: str) -> bool:
    year, month, day = int(twelve_digits[:4]), int(twelve_digits[4:6]), int(twelve_digits[6:8])
    if day > _SE_COORDINATION_DAY_OFFSET:
        day -= _SE_COORDINATION_DAY_OFFSET
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def se_org_number_valid(value: str) -> bool:
    """Swedish organisationsnummer NNNNNN-NNNN (Luhn over all ten digits).

    A sole trader's organisation number is their personnummer, often written with the century
    (YYYYMMDD-NNNN); that 12-digit form is accepted when the date is a real one. "16" + the
    ten digits, Skatteverket's 12-digit form for legal persons, is accepted too.
    """
    digits = _digits(value, 10, 12)
    if digits is None:
        return False
    if len(digits) == 12:
        century, ten_digits = digits[:2], digits[2:]
        if century == _SE_LEGAL_PERSON_CENTURY:
            return luhn_valid(ten_digits)
        if century not in _SE_PERSON_CENTURIES or not _se_birth_date_plausible(digits):
            return False
        return luhn_valid(ten_digits)
    return luhn_valid(digits)


def be_enterprise_number_valid(value: str) -> bool:
    """Belgian ondernemingsnummer / numéro d'entreprise (KBO/BCE): 10 digits starting with 0 or 1,
    the last two being 97 - (the first eight mod 97)."""
    digits = _digits(value, 10)
    if digits is None or digits[0] not in "01":
        return False
    return 97 - int(digits[:8]) % 97 == int(digits[8:])


def nl_kvk_number_valid(value: str) -> bool:
    """Dutch KvK-nummer: 8 digits. KvK publishes no check digit for it, so only the shape is
    checked."""
    return _digits(value, 8) is not None


_DK_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def dk_cvr_valid(value: str) -> bool:
    """Danish CVR-nummer: 8 digits whose sum weighted 2, 7, 6, 5, 4, 3, 2, 1 is divisible by 11
    (Erhvervsstyrelsen's modulus 11 check)."""
    digits = _digits(value, 8)
    # CVR numbers are issued from 10000000 upwards; a leading zero is a mistyped number.
    if digits is None or digits[0] == "0":
        return False
    return _weighted_sum(digits, _DK_CVR_WEIGHTS) % 11 == 0


_FI_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def _fi_business_id_digits(value: str) -> str | None:
    digits = _digits(value, 7, 8)
    if digits is None:
        return None
    # Old business IDs are still written with six digits before the dash; the register's
    # eight-digit form pads them with a leading zero.
    return digits.zfill(8)


def fi_business_id_valid(value: str) -> bool:
    """Finnish Y-tunnus (business ID) 1234567-8: MOD11 with weights 7, 9, 10, 5, 8, 4, 2."""
    digits = _fi_business_id_digits(value)
    if digits is None:
        return False
    return _mod11_check_digit(digits[:7], _FI_BUSINESS_ID_WEIGHTS) == int(digits[7])


def gln_valid(value: str) -> bool:
    """GS1 Global Location Number: 13 digits, GS1 modulus 10 (weights 3, 1 from the right)."""
    digits = _digits(value, 13)
    if digits is None:
        return False
    body = digits[:-1]
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10 == int(digits[-1])


# --- Bank identifiers -----------------------------------------------------------------------

# IBAN length per country, from the SWIFT IBAN registry: every SEPA country (EU/EEA, CH, GB,
# the microstates, and the 2024-25 members AL, MD, ME, MK, RS) plus the Faroe Islands and
# Greenland, which our Danish customers bank in. France's overseas departments use FR IBANs.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AL": 28,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "RS": 22,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
}

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")


def _iso7064_mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 remainder of `text`, letters counting as 10 (A) to 35 (Z)."""
    return int("".join(str(int(character, 36)) for character in text)) % 97


def _iban_shape_valid(compact: str) -> bool:
    return (
        compact.isascii()
        and _IBAN_SHAPE.fullmatch(compact) is not None
        and IBAN_LENGTHS.get(compact[:2]) == len(compact)
    )


def iban_valid(value: str) -> bool:
    """IBAN (ISO 13616): a known country's length, and MOD 97-10 of the rearranged IBAN is 1."""
    compact = normalise(value)
    if not _iban_shape_valid(compact):
        return False
    return _iso7064_mod97(compact[4:] + compact[:4]) == 1


# ISO 9362:2014 allows letters and digits in the 4-character party prefix; the country code is
# always two letters. 8 characters address the head office, 11 a branch.
_BIC_SHAPE = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def bic_valid(value: str) -> bool:
    """BIC / SWIFT code (ISO 9362): party prefix, country, location, optional branch."""
    compact = normalise(value)
    return compact.isascii() and _BIC_SHAPE.fullmatch(compact) is not None


_NO_ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def no_bank_account_valid(value: str) -> bool:
    """Norwegian bank account number (kontonummer) 1234.56.78903: 11 digits, MOD11 with weights
    5, 4, 3, 2, 7, 6, 5, 4, 3, 2."""
    digits = _digits(value, 11)
    if digits is None:
        return False
    return _mod11_check_digit(digits[:10], _NO_ACCOUNT_WEIGHTS) == int(digits[10])


def se_bankgiro_valid(value: str) -> bool:
    """Swedish bankgiro number (123-4567 or 1234-5678): 7 or 8 digits, Luhn."""
    digits = _digits(value, 7, 8)
    return digits is not None and luhn_valid(digits)


def se_plusgiro_valid(value: str) -> bool:
    """Swedish PlusGiro number (12 34 56-7): 2 to 8 digits, Luhn."""
    digits = _digits(value, *range(2, 9))
    return digits is not None and luhn_valid(digits)


# --- VAT numbers ----------------------------------------------------------------------------

# Shapes of the normalised VAT number, prefix included, as the European Commission's VIES
# describes them, plus NO ("MVA" suffix), GB, XI (Northern Ireland) and CH (UID + VAT suffix).
_GB_VAT_BODY = r"(?:\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})"
_VAT_SHAPES: dict[str, re.Pattern[str]] = {
    prefix: re.compile(pattern)
    for prefix, pattern in {
        "AT": r"ATU\d{8}",
        "BE": r"BE[01]\d{9}",
        "BG": r"BG\d{9,10}",
        "CY": r"CY\d{8}[A-Z]",
        "CZ": r"CZ\d{8,10}",
        "DE": r"DE\d{9}",
        "DK": r"DK\d{8}",
        "EE": r"EE\d{9}",
        "EL": r"EL\d{9}",
        "ES": r"ES(?:[A-Z]\d{7}[A-Z0-9]|\d{8}[A-Z])",
        "FI": r"FI\d{8}",
        "FR": r"FR[0-9A-HJ-NP-Z]{2}\d{9}",
        "HR": r"HR\d{11}",
        "HU": r"HU\d{8}",
        "IE": r"IE(?:\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])",
        "IT": r"IT\d{11}",
        "LT": r"LT(?:\d{9}|\d{12})",
        "LU": r"LU\d{8}",
        "LV": r"LV\d{11}",
        "MT": r"MT\d{8}",
        "NL": r"NL\d{9}B\d{2}",
        "PL": r"PL\d{10}",
        "PT": r"PT\d{9}",
        "RO": r"RO[1-9]\d{1,9}",
        "SE": r"SE\d{10}01",
        "SI": r"SI\d{8}",
        "SK": r"SK\d{10}",
        "XI": "XI" + _GB_VAT_BODY,
        "GB": "GB" + _GB_VAT_BODY,
        "CH": r"CHE\d{9}(?:MWST|TVA|IVA|TPV)?",
        "NO": r"NO\d{9}MVA",
    }.items()
}

# Greece's VAT prefix is EL, not its ISO country code; Northern Ireland's traders (address
# country GB) use XI for trade in goods with the EU.
_VAT_PREFIXES_BY_COUNTRY: dict[str, tuple[str, ...]] = {"GR": ("EL",), "GB": ("GB", "XI")}


def _nl_vat_valid(compact: str) -> bool:
    """Before 2020 the nine digits were an RSIN or BSN passing the elfproef (weights 9..2, and
    the last digit is the weighted sum mod 11). Since 2020 sole proprietors get a btw-id whose
    whole string passes ISO 7064 MOD 97-10 instead. Both are in use, so either suffices."""
    nine, suffix = compact[2:11], compact[12:]
    # Suffixes count from B01; as MOD 97 check digits "00" cannot occur either.
    if int(nine) == 0 or suffix == "00":
        return False
    elfproef = _weighted_sum(nine[:8], (9, 8, 7, 6, 5, 4, 3, 2)) % 11 == int(nine[8])
    return elfproef or _iso7064_mod97(compact) == 1


_VAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "NO": lambda compact: no_org_number_valid(compact[2:11]),
    "SE": lambda compact: se_org_number_valid(compact[2:12]),
    "BE": lambda compact: be_enterprise_number_valid(compact[2:]),
    "NL": _nl_vat_valid,
    "DK": lambda compact: dk_cvr_valid(compact[2:]),
    "FI": lambda compact: fi_business_id_valid(compact[2:]),
}


def _vat_prefixes(country: str | None) -> tuple[str, ...] | None:
    if country is None:
        return None
    country = country.strip().upper()
    return _VAT_PREFIXES_BY_COUNTRY.get(country, (country,))


def _vat_shape_valid(compact: str, country: str | None = None) -> bool:
    prefix = compact[:2]
    allowed = _vat_prefixes(country)
    if allowed is not None and prefix not in allowed:
        return False
    shape = _VAT_SHAPES.get(prefix)
    return shape is not None and compact.isascii() and shape.fullmatch(compact) is not None


def vat_number_valid(value: str, country: str | None = None) -> bool:
    """VAT identification number with its country prefix, for every EU country, XI, NO, GB, CH.

    The shape is checked for all; the check digits where the country publishes them: NO, SE,
    BE, NL, DK, FI. With `country` (ISO 3166 alpha-2), the prefix must be that country's.
    """
    compact = normalise(value)
    if not _vat_shape_valid(compact, country):
        return False
    check = _VAT_CHECKS.get(compact[:2])
    return check is None or check(compact)


# --- ISO 6523 ICD / Peppol EAS schemes ------------------------------------------------------

# Reasons are plain English so callers can pass them through gettext; gettext_noop puts them in
# the message catalogue without translating here.
REASON_UNKNOWN_SCHEME = gettext_noop("unknown scheme")
REASON_EMAIL_NOT_PEPPOL = gettext_noop(
    "An e-mail address is not a Peppol endpoint scheme; use the party's organisation number, "
    "GLN or VAT number."
)
REASON_FORMAT = gettext_noop("The identifier does not have the format its scheme requires.")
REASON_CHECK_DIGITS = gettext_noop("The identifier's check digits do not match.")

SCHEMES: dict[str, str] = {
    "0007": "Swedish organisation number (Bolagsverket)",
    "0009": "French SIRET number",
    "0037": "Finnish OVT code (LY-tunnus scheme)",
    "0060": "D-U-N-S number",
    "0088": "Global Location Number (GS1 GLN)",
    "0106": "Dutch Chamber of Commerce number (KvK)",
    "0184": "Danish CVR number",
    "0190": "Dutch government organisation number (OIN)",
    "0192": "Norwegian organisation number (Enhetsregisteret)",
    "0204": "German Leitweg-ID",
    "0208": "Belgian enterprise number (KBO/BCE)",
    "0211": "Italian VAT number (Partita IVA)",
    "0212": "Finnish business ID (Y-tunnus)",
    "0213": "Finnish VAT number",
    "0216": "Finnish OVT code",
    "9914": "Austrian VAT number",
    "9925": "Belgian VAT number",
    "9930": "German VAT number",
    "9932": "United Kingdom VAT number",
    "9944": "Dutch VAT number",
    "9957": "French VAT number",
}

# Withdrawn from the Peppol EAS list (replaced by 0211 and by organisation-number schemes) but
# still found on older invoices and in partner master data, so they are recognised, not offered.
WITHDRAWN_SCHEMES: dict[str, str] = {
    "9906": "Italian VAT number (withdrawn, use 0211)",
    "9955": "Swedish VAT number (withdrawn, use 0007)",
}

# Which scheme carries a party's legal registration (organisation) number, by country. Finland:
# the Finnish Peppol authority (Valtiokonttori) moved Finnish participants from the legacy 0037
# to 0216 in 2024; under both the value is the OVT code ("0037" + the Y-tunnus digits +
# optional unit suffix), e.g. Ilmatieteen laitos publishes 0216:003702446647. 0212 (the bare
# Y-tunnus) also exists in the ICD list, but Finnish parties publish their OVT code.
ORG_NUMBER_SCHEME_BY_COUNTRY: dict[str, str] = {
    "NO": "0192",
    "SE": "0007",
    "NL": "0106",
    "BE": "0208",
    "DK": "0184",
    "FI": "0216",
}

# The EAS "EM" (SMTP e-mail) is in the EN 16931 code list but Peppol does not route to it.
_EMAIL_SCHEME = "EM"

_VAT_SCHEME_COUNTRIES = {
    "0211": "IT",
    "0213": "FI",
    "9906": "IT",
    "9914": "AT",
    "9925": "BE",
    "9930": "DE",
    "9932": "GB",
    "9944": "NL",
    "9955": "SE",
    "9957": "FR",
}

# An OVT code: "0037", the 8 Y-tunnus digits, then up to 5 letters or digits naming a unit.
_FI_OVT_SHAPE = re.compile(r"0037(\d{8})[A-Z0-9]{0,5}")
# Leitweg-ID (XRechnung): coarse address (2-12 digits), optional fine address, 2 check digits;
# the dashes are part of the format, so it is not normalised like the others.
_LEITWEG_SHAPE = re.compile(r"\d{2,12}(?:-[A-Z0-9]{1,30})?-\d{2}")


def _problem_from(shape_ok: bool, check_ok: bool) -> str | None:
    if not shape_ok:
        return REASON_FORMAT
    if not check_ok:
        return REASON_CHECK_DIGITS
    return None


def _digits_problem(
    value: str, lengths: tuple[int, ...], valid: Callable[[str], bool]
) -> str | None:
    return _problem_from(_digits(value, *lengths) is not None, valid(value))


def _fi_ovt_problem(value: str) -> str | None:
    match = _FI_OVT_SHAPE.fullmatch(normalise(value))
    if match is None:
        return REASON_FORMAT
    return _problem_from(True, fi_business_id_valid(match.group(1)))


def _siret_valid(digits: str) -> bool:
    # La Poste's establishments share SIREN 356000000 and are numbered so that the digit sum is
    # a multiple of 5 instead of passing Luhn (INSEE); its head office follows Luhn.
    if digits.startswith("356000000") and digits != "35600000000048":
        return sum(int(digit) for digit in digits) % 5 == 0
    return luhn_valid(digits) and luhn_valid(digits[:9])


def _siret_problem(value: str) -> str | None:
    digits = _digits(value, 14)
    return _problem_from(digits is not None, digits is not None and _siret_valid(digits))


def _leitweg_problem(value: str) -> str | None:
    compact = re.sub(r"\s+", "", value).upper()
    if not compact.isascii() or _LEITWEG_SHAPE.fullmatch(compact) is None:
        return REASON_FORMAT
    # Leitweg-ID Formatspezifikation 2.0: check digits by ISO 7064 MOD 97-10 over the ID
    # without its dashes.
    return _problem_from(True, _iso7064_mod97(compact.replace("-", "")) == 1)


def _be_enterprise_problem(value: str) -> str | None:
    digits = _digits(value, 10)
    shape_ok = digits is not None and digits[0] in "01"
    return _problem_from(shape_ok, be_enterprise_number_valid(value))


def _vat_problem(value: str, country: str) -> str | None:
    compact = normalise(value)
    prefix = _vat_prefixes(country)[0]
    # Peppol writes some VAT endpoints with the prefix (9925:BE0...) and some without (0211):
    # accept both rather than refuse a number that only lacks its country code.
    if not compact.startswith(prefix):
        compact = prefix + compact
    return _problem_from(_vat_shape_valid(compact, country), vat_number_valid(compact, country))


_SCHEME_CHECKS: dict[str, Callable[[str], str | None]] = {
    "0007": lambda value: _digits_problem(value, (10, 12), se_org_number_valid),
    "0009": _siret_problem,
    "0037": _fi_ovt_problem,
    "0060": lambda value: _problem_from(_digits(value, 9) is not None, True),
    "0088": lambda value: _digits_problem(value, (13,), gln_valid),
    "0106": lambda value: _problem_from(nl_kvk_number_valid(value), True),
    "0184": lambda value: _digits_problem(value, (8,), dk_cvr_valid),
    "0190": lambda value: _problem_from(_digits(value, 20) is not None, True),
    "0192": lambda value: _digits_problem(value, (9,), no_org_number_valid),
    "0204": _leitweg_problem,
    "0208": _be_enterprise_problem,
    "0212": lambda value: _digits_problem(value, (7, 8), fi_business_id_valid),
    "0216": _fi_ovt_problem,
    **{
        code: (lambda value, country=country: _vat_problem(value, country))
        for code, country in _VAT_SCHEME_COUNTRIES.items()
    },
}


def scheme_identifier_problem(scheme: str, value: str) -> str | None:
    """None when `value` is a valid identifier under the ISO 6523 ICD / Peppol EAS `scheme`,
    else a short English reason."""
    scheme = (scheme or "").strip().upper()
    if scheme == _EMAIL_SCHEME:
        return REASON_EMAIL_NOT_PEPPOL
    check = _SCHEME_CHECKS.get(scheme)
    if check is None:
        return REASON_UNKNOWN_SCHEME
    if not isinstance(value, str) or not value.strip():
        return REASON_FORMAT
    return check(value)


# --- Django validators ----------------------------------------------------------------------

_IBAN_FORMAT_MESSAGE = _("Not a valid IBAN: the country code or length is wrong.")
_IBAN_CHECK_MESSAGE = _("Not a valid IBAN: the check digits do not match.")
_BIC_FORMAT_MESSAGE = _(
    "Not a valid BIC: use 8 or 11 letters and digits (bank, country, location, branch)."
)
_GLN_FORMAT_MESSAGE = _("Not a valid GLN: use 13 digits.")
_GLN_CHECK_MESSAGE = _("Not a valid GLN: the check digit does not match.")
_VAT_FORMAT_MESSAGE = _("Not a valid VAT number: use the country prefix and the national format.")
_VAT_CHECK_MESSAGE = _("Not a valid VAT number: the check digits do not match.")


def validate_iban(value: str) -> None:
    if iban_valid(value):
        return
    if not _iban_shape_valid(normalise(value)):
        raise ValidationError(_IBAN_FORMAT_MESSAGE, code="invalid_format")
    raise ValidationError(_IBAN_CHECK_MESSAGE, code="invalid_check_digits")


def validate_bic(value: str) -> None:
    if not bic_valid(value):
        raise ValidationError(_BIC_FORMAT_MESSAGE, code="invalid_format")


def validate_gln(value: str) -> None:
    if gln_valid(value):
        return
    if _digits(value, 13) is None:
        raise ValidationError(_GLN_FORMAT_MESSAGE, code="invalid_format")
    raise ValidationError(_GLN_CHECK_MESSAGE, code="invalid_check_digits")


def validate_vat_number(value: str) -> None:
    if vat_number_valid(value):
        return
    if not _vat_shape_valid(normalise(value)):
        raise ValidationError(_VAT_FORMAT_MESSAGE, code="invalid_format")
    raise ValidationError(_VAT_CHECK_MESSAGE, code="invalid_check_digits")


_CODE_BY_REASON = {
    REASON_UNKNOWN_SCHEME: "unknown_scheme",
    REASON_EMAIL_NOT_PEPPOL: "email_scheme",
    REASON_FORMAT: "invalid_format",
    REASON_CHECK_DIGITS: "invalid_check_digits",
}


def validate_org_number(scheme: str, value: str) -> None:
    """Raise ValidationError with the scheme's reason when `value` is not valid under `scheme`."""
    reason = scheme_identifier_problem(scheme, value)
    if reason is not None:
        raise ValidationError(_(reason), code=_CODE_BY_REASON.get(reason, "invalid"))
