"""Structured payment references printed on invoices and matched against incoming payments.

Three schemes, one per market we invoice in:

* Norwegian KID (Mastercard Payment Services, formerly Nets, OCR giro / AvtaleGiro): digits with
  a MOD10 (Luhn) or MOD11 check digit; MOD11 writes a check value of 10 as "-".
* Swedish OCR reference (Bankgirot "OCR-referenskontroll"): digits with a Luhn check digit and,
  when the payee's agreement checks length, a length digit before it.
* ISO 11649 creditor reference ("RF"), used across SEPA: "RF", two MOD 97-10 check digits and up
  to 21 letters and digits chosen by the creditor.

Pure functions, no database: the invoicing services decide which scheme a payee uses.
"""

from __future__ import annotations

import re

KID_MIN_LENGTH = 2
KID_MAX_LENGTH = 25
OCR_MIN_LENGTH = 2
OCR_MAX_LENGTH = 25
RF_MAX_BASE_LENGTH = 21

MOD10 = "mod10"
MOD11 = "mod11"
KID_ALGORITHMS = (MOD10, MOD11)

# Nets/Mastercard Payment Services: a MOD11 check value of 10 is printed as a dash.
MOD11_DASH = "-"

_WHITESPACE = re.compile(r"\s+")
_RF_SHAPE = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")


def _require_digits(digits: str, what: str) -> None:
    if not isinstance(digits, str) or not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{what} must be a non-empty string of digits, got {digits!r}")


def luhn_check_digit(digits: str) -> str:
    """The Luhn (modulus 10, weights 2-1 from the right) check digit to append to `digits`.

    Used by KID MOD10, Swedish OCR references, bankgiro/plusgiro numbers and org numbers.
    """
    _require_digits(digits, "digits")
    total = 0
    # The digit next to the (missing) check digit gets weight 2, then 1, 2, ... leftwards.
    for position, digit in enumerate(reversed(digits)):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether the last digit of `number` is the Luhn check digit of the digits before it."""
    if not isinstance(number, str) or len(number) < 2 or not number.isascii():
        return False
    if not number.isdigit():
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def mod11_check_digit(digits: str) -> str:
    """The KID MOD11 check digit: weights 2, 3, 4, 5, 6, 7 repeating from the right.

    Remainder 0 gives "0"; remainder 1 would give the two-digit check value 10, which Nets'
    specification writes as "-".
    """
    _require_digits(digits, "digits")
    total = sum(int(digit) * (2 + position % 6) for position, digit in enumerate(reversed(digits)))
    remainder = total % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return MOD11_DASH
    return str(11 - remainder)


def _kid_check_digit(body: str, algorithm: str) -> str:
    if algorithm == MOD10:
        return luhn_check_digit(body)
    if algorithm == MOD11:
        return mod11_check_digit(body)
    raise ValueError(f"unknown KID algorithm {algorithm!r}; use one of {KID_ALGORITHMS}")


def kid(
    base: str,
    *,
    algorithm: str = MOD10,
    length: int | None = None,
    allow_dash: bool = False,
) -> str:
    """A Norwegian KID: `base` followed by its check digit.

    With `length`, the base is left-padded with zeros so the whole KID has exactly that many
    digits (a payee's agreement fixes the KID lengths it accepts). A MOD11 check value of 10
    ("-") raises ValueError unless `allow_dash`: many payers cannot type a dash, so callers
    usually pick another base instead.
    """
    _require_digits(base, "KID base")
    algorithm = algorithm.lower()
    if length is not None:
        if not KID_MIN_LENGTH <= length <= KID_MAX_LENGTH:
            raise ValueError(f"a KID has {KID_MIN_LENGTH}-{KID_MAX_LENGTH} digits, not {length}")
        if len(base) > length - 1:
            raise ValueError(f"KID base {base!r} does not fit in a KID of {length} digits")
        base = base.zfill(length - 1)
    if len(base) + 1 > KID_MAX_LENGTH:
        raise ValueError(f"KID base {base!r} is too long for a KID of at most {KID_MAX_LENGTH}")
    check = _kid_check_digit(base, algorithm)
    if check == MOD11_DASH and not allow_dash:
        raise ValueError(f"KID base {base!r} has MOD11 check value 10 ('-'); choose another base")
    return base + check


def kid_valid(value: str, algorithm: str | None = None) -> bool:
    """Whether `value` is a KID with a correct check digit.

    `algorithm` is "mod10" or "mod11"; None accepts a KID that is valid under either, for
    matching payments when the payee's agreement is not known.
    """
    if not isinstance(value, str):
        return False
    value = _WHITESPACE.sub("", value)
    if not KID_MIN_LENGTH <= len(value) <= KID_MAX_LENGTH:
        return False
    body, check = value[:-1], value[-1]
    if not body.isascii() or not body.isdigit():
        return False
    algorithms = KID_ALGORITHMS if algorithm is None else (algorithm.lower(),)
    return any(_kid_check_digit(body, name) == check for name in algorithms)


def ocr(base: str, *, length_digit: bool = False) -> str:
    """A Swedish OCR reference for bankgiro/plusgiro payments: `base` and its Luhn check digit.

    With `length_digit`, a digit holding the total length modulo 10 goes before the check digit,
    and the check digit covers it too (Bankgirot's OCR-referenskontroll checks the whole number
    with modulus 10 and then compares the second-to-last digit with the length).
    """
    _require_digits(base, "OCR base")
    body = base
    if length_digit:
        body += str((len(base) + 2) % 10)
    reference = body + luhn_check_digit(body)
    if not OCR_MIN_LENGTH <= len(reference) <= OCR_MAX_LENGTH:
        raise ValueError(
            f"an OCR reference has {OCR_MIN_LENGTH}-{OCR_MAX_LENGTH} digits; "
            f"{base!r} gives {len(reference)}"
        )
    return reference


def ocr_valid(value: str, *, length_digit: bool | None = None) -> bool:
    """Whether `value` is an OCR reference with a correct check digit.

    `length_digit=True` also requires the length digit (the "variable length" agreement). None
    or False check the check digit only; a reference with a length digit passes that too.
    """
    if not isinstance(value, str):
        return False
    value = _WHITESPACE.sub("", value)
    if not OCR_MIN_LENGTH <= len(value) <= OCR_MAX_LENGTH or not luhn_valid(value):
        return False
    if length_digit:
        # The length digit needs a digit of its own before the check digit.
        return len(value) >= 3 and value[-2] == str(len(value) % 10)
    return True


def _iso7064_mod97(text: str) -> int:
    """The number that ISO 7064 MOD 97-10 takes modulo 97: letters count as 10 (A) to 35 (Z)."""
    return int("".join(str(int(character, 36)) for character in text)) % 97


def rf_reference(base: str) -> str:
    """An ISO 11649 creditor reference for `base` (1-21 letters and digits), without spaces."""
    if not isinstance(base, str):
        raise ValueError(f"creditor reference base must be a string, got {base!r}")
    base = _WHITESPACE.sub("", base).upper()
    if not 1 <= len(base) <= RF_MAX_BASE_LENGTH or not base.isascii() or not base.isalnum():
        raise ValueError(
            f"a creditor reference base has 1-{RF_MAX_BASE_LENGTH} letters and digits, got {base!r}"
        )
    # As for an IBAN: move "RF00" to the end, and the check digits make the remainder 1.
    check = 98 - _iso7064_mod97(base + "RF00")
    return f"RF{check:02d}{base}"


def _rf_compact(value: str) -> str:
    return _WHITESPACE.sub("", value).upper()


def rf_valid(value: str) -> bool:
    """Whether `value` is an ISO 11649 creditor reference; spaces are allowed, case is not
    significant."""
    if not isinstance(value, str):
        return False
    value = _rf_compact(value)
    if not _RF_SHAPE.fullmatch(value):
        return False
    return _iso7064_mod97(value[4:] + value[:4]) == 1


def rf_format(value: str) -> str:
    """The printed form of a creditor reference: groups of four ("RF18 5390 0754 7034")."""
    if not rf_valid(value):
        raise ValueError(f"{value!r} is not a valid creditor reference")
    compact = _rf_compact(value)
    return " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def reference_matches(candidate: str, reference: str) -> bool:
    """Whether a payment's reference text `candidate` is the invoice's `reference`.

    Spaces are ignored (banks and payers group digits as they like); so is case for creditor
    references, which ISO 11649 defines case-insensitively. KID and OCR references must
    otherwise be identical: a near miss is a different invoice, not a typo to forgive.
    """
    if not isinstance(candidate, str) or not isinstance(reference, str):
        return False
    candidate = _WHITESPACE.sub("", candidate)
    reference = _WHITESPACE.sub("", reference)
    if not reference:
        return False
    if rf_valid(reference):
        return candidate.upper() == reference.upper()
    return candidate == reference
