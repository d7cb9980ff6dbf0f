"""The company (seller) as data: its identifiers checked by the registries' own check digits, the
legal texts its country requires on an invoice, the bank account an invoice is paid into, and
the snapshot posting freezes onto each invoice.

The COMPANY_* settings only seed the profile on a fresh database (migration 0003); from then on
the profile is edited by admins, in Django admin, on the Setup page or through the API.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from salesmkt.core.audit import field_changes, record_event, snapshot
from salesmkt.core.errors import ConflictError

from . import identifiers
from .models import CompanyBankAccount, CompanyProfile

# The fields of the profile that an invoice freezes at posting (with the bank account it names).
SNAPSHOT_FIELDS = [
    "legal_name",
    "street",
    "street2",
    "postal_code",
    "city",
    "country",
    "org_number",
    "org_number_scheme",
    "vat_number",
    "endpoint_scheme",
    "endpoint_id",
    "email",
    "phone",
    "website",
    "contact_name",
]


def defaults_from_settings() -> dict[str, Any]:
    """The profile a fresh database starts with, from the COMPANY_* settings."""
    return {
        "legal_name": settings.COMPANY_NAME,
        "street": settings.COMPANY_STREET,
        "postal_code": settings.COMPANY_POSTAL_CODE,
        "city": settings.COMPANY_CITY,
        "country": settings.COMPANY_COUNTRY,
        "org_number": settings.COMPANY_REGISTRATION,
        "org_number_scheme": settings.COMPANY_REGISTRATION_SCHEME,
        "vat_number": settings.COMPANY_VAT_NUMBER,
        "endpoint_scheme": settings.COMPANY_ENDPOINT_SCHEME,
        "endpoint_id": settings.COMPANY_ENDPOINT_ID,
        "email": _address_only(settings.DEFAULT_FROM_EMAIL),
        "payment_reference": default_reference_for(settings.COMPANY_COUNTRY),
        "accounting_currency": {"SE": "SEK", "DK": "DKK", "GB": "GBP", "CH": "CHF"}.get(
            settings.COMPANY_COUNTRY, "NOK" if settings.COMPANY_COUNTRY == "NO" else "EUR"
        ),
    }


def default_bank_account_from_settings() -> dict[str, Any] | None:
    if not settings.COMPANY_IBAN:
        return None
    return {"kind": "iban", "iban": settings.COMPANY_IBAN, "bic": settings.COMPANY_BIC}


def _address_only(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1]


def default_reference_for(country: str) -> str:
    """The reference a customer's bank expects from a seller of `country`: KID in Norway, OCR
    in Sweden, the international RF creditor reference elsewhere."""
    Ref = CompanyProfile.PaymentReference
    return {"NO": Ref.KID_MOD10, "SE": Ref.OCR_LENGTH}.get(country, Ref.RF)


def scheme_choices() -> list[tuple[str, str]]:
    """The identifier schemes (ISO 6523 ICD / Peppol EAS) a page offers for a number."""
    return [
        ("", "---------"),
        *((code, f"{code} {label}") for code, label in identifiers.SCHEMES.items()),
    ]


# --- validation ---------------------------------------------------------------------------
def identifier_problem(scheme: str, value: str) -> str | None:
    """A translated reason why `value` is not an identifier of `scheme` (ISO 6523 / EAS)."""
    if identifiers.scheme_identifier_problem(scheme, value) is None:
        return None
    if scheme.upper() == "EM":
        return _(
            "An e-mail address is not an electronic address on the Peppol network: use a "
            "scheme such as 0192 (organisation number) or 0088 (GLN)."
        )
    if scheme not in identifiers.SCHEMES:
        return _("%(scheme)s is not a known identifier scheme.") % {"scheme": scheme}
    return _("%(value)s is not a valid %(label)s: its format or check digit is wrong.") % {
        "value": value,
        "label": identifiers.SCHEMES[scheme],
    }


def vat_problem(vat_number: str, country: str | None) -> str | None:
    if identifiers.vat_number_valid(vat_number, country):
        return None
    return _("%(value)s is not a valid VAT number: its format or check digit is wrong.") % {
        "value": vat_number
    }


IDENTIFIER_FIELDS = ("org_number", "vat_number", "endpoint_id")


def normalise_identifiers(obj, fields=IDENTIFIER_FIELDS) -> None:
    """Store identifiers as the registries and the Peppol rules read them: no spaces, dots or
    dashes, upper case ("NO 999 888 771 MVA" is NO999888771MVA)."""
    for field in fields:
        value = getattr(obj, field)
        if value:
            setattr(obj, field, identifiers.normalise(value))


def reference_digits_needed(profile: CompanyProfile) -> int:
    """The fewest digits a KID or OCR reference of this profile has: the invoice series' digits
    (and the customer number's, when it is part of it) and the check digit(s)."""
    from salesmkt.core.models import NumberSeries
    from salesmkt.core.numbering import DEFAULT_SERIES

    series = NumberSeries.objects.filter(code="invoice").first()
    digits = series.padding if series else DEFAULT_SERIES["invoice"][2]
    if profile.payment_reference_with_customer:
        customers = NumberSeries.objects.filter(code="customer").first()
        digits += customers.padding if customers else DEFAULT_SERIES["customer"][2]
    Ref = CompanyProfile.PaymentReference
    return digits + (2 if profile.payment_reference == Ref.OCR_LENGTH else 1)


def profile_problems(profile: CompanyProfile) -> dict[str, str]:
    """Field -> reason for every identifier of the profile that its registry would refuse."""
    errors: dict[str, str] = {}
    Ref = CompanyProfile.PaymentReference
    numeric = (Ref.KID_MOD10, Ref.KID_MOD11, Ref.OCR, Ref.OCR_LENGTH)
    if profile.payment_reference_length and profile.payment_reference in numeric:
        needed = reference_digits_needed(profile)
        if profile.payment_reference_length < needed:
            errors["payment_reference_length"] = _(
                "The invoice numbers need a reference of at least %(digits)d digits."
            ) % {"digits": needed}
    if profile.org_number and profile.org_number_scheme:
        problem = identifier_problem(profile.org_number_scheme, profile.org_number)
        if problem:
            errors["org_number"] = problem
    if profile.vat_number:
        problem = vat_problem(profile.vat_number, profile.country or None)
        if problem:
            errors["vat_number"] = problem
        elif profile.country == "NO" and identifiers.normalise(profile.vat_number) != (
            f"NO{identifiers.normalise(profile.org_number)}MVA"
        ):
            errors["vat_number"] = _(
                "A Norwegian VAT number is NO, the organisation number and MVA."
            )
    if bool(profile.endpoint_scheme) != bool(profile.endpoint_id):
        field = "endpoint_id" if profile.endpoint_scheme else "endpoint_scheme"
        errors[field] = _("Give both the endpoint scheme and the endpoint ID, or neither.")
    elif profile.endpoint_scheme:
        problem = identifier_problem(profile.endpoint_scheme, profile.endpoint_id)
        if problem:
            errors["endpoint_id"] = problem
    return errors


def bank_account_problems(account: CompanyBankAccount) -> dict[str, str]:
    Kind = CompanyBankAccount.Kind
    errors: dict[str, str] = {}
    if account.kind == Kind.IBAN:
        if not account.iban:
            errors["iban"] = _("An IBAN account needs its IBAN.")
        elif not identifiers.iban_valid(account.iban):
            errors["iban"] = _("%(value)s is not a valid IBAN: its check digits are wrong.") % {
                "value": account.iban
            }
        if account.bic and not identifiers.bic_valid(account.bic):
            errors["bic"] = _("%(value)s is not a valid BIC.") % {"value": account.bic}
        return errors
    checks = {
        Kind.NO_ACCOUNT: identifiers.no_bank_account_valid,
        Kind.SE_BANKGIRO: identifiers.se_bankgiro_valid,
        Kind.SE_PLUSGIRO: identifiers.se_plusgiro_valid,
    }
    if not account.account_number:
        errors["account_number"] = _("Give the account number.")
    elif not checks[account.kind](account.account_number):
        errors["account_number"] = _(
            "%(value)s is not a valid %(kind)s: its format or check digit is wrong."
        ) % {"value": account.account_number, "kind": account.get_kind_display()}
    return errors


# --- reading ------------------------------------------------------------------------------
def current_company() -> CompanyProfile:
    """The company profile (seeded by a migration, so it exists on every migrated database)."""
    profile = CompanyProfile.objects.prefetch_related("bank_accounts__currency").first()
    if profile is None:  # a database whose profile row was removed by hand: seed it again
        profile = seed_company()
    return profile


def seed_company() -> CompanyProfile:
    with transaction.atomic():
        profile, created = CompanyProfile.objects.get_or_create(
            pk=1, defaults=defaults_from_settings()
        )
        bank = default_bank_account_from_settings()
        if created and bank:
            CompanyBankAccount.objects.create(company=profile, is_default=True, **bank)
    return profile


def bank_account_for(profile: CompanyProfile, currency_code: str) -> CompanyBankAccount | None:
    """The account an invoice in `currency_code` is paid into: one for that currency, else the
    default, else the first."""
    accounts = list(profile.bank_accounts.all())
    for candidates in (
        [a for a in accounts if a.currency and a.currency.code == currency_code],
        [a for a in accounts if a.is_default and a.currency is None],
        [a for a in accounts if a.currency is None],
        accounts,
    ):
        if candidates:
            return candidates[0]
    return None


def _grouped(digits: str, sizes: tuple[int, ...]) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return " ".join(part for part in parts if part)


def legal_lines(seller: dict[str, Any]) -> list[str]:
    """The legal texts the seller's country requires on an invoice, in that country's own
    wording (they are statutory terms, printed the same whatever the buyer's language)."""
    country = seller.get("country", "")
    org = identifiers.normalise(seller.get("org_number", ""))
    vat = seller.get("vat_number", "")
    office = seller.get("registered_office", "")
    lines: list[str] = []
    if country == "NO":
        if org:
            lines.append(f"Org.nr. {_grouped(org, (3, 3, 3))}{' MVA' if vat else ''}")
        if seller.get("in_business_register"):
            lines.append("Foretaksregisteret")
    elif country == "SE":
        if org:
            lines.append(f"Org.nr {org[:6]}-{org[6:]}" if len(org) == 10 else f"Org.nr {org}")
        if vat:
            lines.append(f"Momsreg.nr {vat}")
        if office:
            lines.append(f"Styrelsens säte: {office}")
        if seller.get("f_tax_approved"):
            lines.append("Godkänd för F-skatt")
    elif country == "NL":
        if org:
            lines.append(f"KvK {org}")
        if vat:
            lines.append(f"Btw-id {vat}")
    elif country == "BE":
        if org:
            lines.append(f"Ondernemingsnummer {org[:4]}.{org[4:7]}.{org[7:]}")
        if office:
            lines.append(f"RPR {office}")
        if vat:
            lines.append(f"Btw {vat}")
    else:
        if org:
            lines.append(f"Reg. {org}")
        if vat:
            lines.append(f"VAT {vat}")
    if seller.get("legal_text"):
        lines.append(seller["legal_text"])
    return lines


def _tax_registration(profile: CompanyProfile) -> str:
    """The registration a national Peppol rule wants beside the VAT number (UBL's TAX scheme)."""
    if profile.country == "NO" and profile.in_business_register:
        return "Foretaksregisteret"
    if profile.country == "SE" and profile.f_tax_approved:
        return "Godkänd för F-skatt"
    return ""


def seller_snapshot(profile: CompanyProfile, currency_code: str) -> dict[str, Any]:
    """What an invoice in `currency_code` shows of the seller, frozen at its posting: the
    identity, the legal texts and the bank account it is paid into."""
    data: dict[str, Any] = {field: getattr(profile, field) for field in SNAPSHOT_FIELDS}
    data["legal_lines"] = legal_lines(
        {
            **data,
            "in_business_register": profile.in_business_register,
            "f_tax_approved": profile.f_tax_approved,
            "registered_office": profile.registered_office,
            "legal_text": profile.legal_text,
        }
    )
    data["tax_registration"] = _tax_registration(profile)
    # The logo file as it was: a new logo gets a file of its own, the old one stays.
    data["logo"] = profile.logo.name if profile.logo else ""
    account = bank_account_for(profile, currency_code)
    data["bank_account"] = (
        {
            "kind": account.kind,
            "bank_name": account.bank_name,
            "iban": identifiers.normalise(account.iban),
            "bic": identifiers.normalise(account.bic),
            "account_number": identifiers.normalise(account.account_number),
        }
        if account
        else None
    )
    return data


def printed_company() -> dict[str, Any]:
    """The seller as documents that are not posted (quotations, confirmations, pro formas) show
    it: today's profile."""
    profile = current_company()
    data = seller_snapshot(profile, "")
    return {**data, "name": profile.legal_name, "address": address_line(data)}


def address_line(seller: dict[str, Any]) -> str:
    return ", ".join(
        part
        for part in [
            seller.get("street", ""),
            seller.get("street2", ""),
            f"{seller.get('postal_code', '')} {seller.get('city', '')}".strip(),
        ]
        if part
    )


# --- changing -----------------------------------------------------------------------------
BANK_ACCOUNT_FIELDS = (
    "kind",
    "bank_name",
    "iban",
    "bic",
    "account_number",
    "currency",
    "is_default",
)


def company_profile_update(
    *, data: dict[str, Any], actor, bank_accounts: list[dict[str, Any]] | None = None
) -> CompanyProfile:
    """Change the company profile (and, when given, replace its bank accounts), validated by the
    registries' check digits, audited with old and new values. Posted invoices keep the seller
    they were posted with."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        profile = CompanyProfile.objects.select_for_update().get(pk=current_company().pk)
        before = snapshot(profile)
        for field, value in data.items():
            setattr(profile, field, value)
        profile.full_clean()
        profile.save()
        changes = field_changes(before, profile)
        changes.pop("updated_at", None)
        if bank_accounts is not None:
            accounts = [CompanyBankAccount(company=profile, **row) for row in bank_accounts]
            errors: dict[str, Any] = {}
            for index, account in enumerate(accounts):
                try:
                    account.full_clean(exclude=["company"])
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        errors[f"bank_accounts[{index}].{field}"] = messages
            if errors:
                raise ValidationError(errors)
            old = [str(account) for account in profile.bank_accounts.all()]
            profile.bank_accounts.all().delete()
            CompanyBankAccount.objects.bulk_create(accounts)
            new = [str(account) for account in accounts]
            if old != new:
                changes["bank_accounts"] = {"old": old, "new": new}
        if changes:
            record_event(actor=actor, obj=profile, action="changed", data=changes)
        return current_company()


# --- payment references -------------------------------------------------------------------
def payment_reference_for(
    profile: CompanyProfile, *, invoice_number: str, customer_number: str
) -> str:
    """The structured reference a posted invoice is paid with, as the seller's bank reads it:
    a KID (MOD10 or MOD11) or an OCR reference built from the invoice number's digits (after the
    customer number's, if so set up), padded to the set length; or an RF creditor reference."""
    from . import payment_references

    Ref = CompanyProfile.PaymentReference
    kind = profile.payment_reference
    if kind == Ref.INVOICE_NUMBER:
        return invoice_number
    prefix = customer_number if profile.payment_reference_with_customer else ""
    if kind == Ref.RF:
        base = "".join(
            ch for ch in f"{prefix}{invoice_number}" if ch.isascii() and ch.isalnum()
        ).upper()
        return payment_references.rf_reference(base[-21:])
    digits = "".join(ch for ch in prefix if ch.isdigit()) + "".join(
        ch for ch in invoice_number if ch.isdigit()
    )
    length = profile.payment_reference_length
    with_length = kind == Ref.OCR_LENGTH
    if length and len(digits) + (2 if with_length else 1) > length:
        # The numbers outgrew the set length: no reference is cut short or made up.
        raise ConflictError(
            _(
                "Invoice %(number)s does not fit in a payment reference of %(length)d digits; "
                "lengthen it in the company profile."
            )
            % {"number": invoice_number, "length": length},
            code="payment_reference_too_short",
        )
    if kind in (Ref.KID_MOD10, Ref.KID_MOD11):
        algorithm = "mod10" if kind == Ref.KID_MOD10 else "mod11"
        return payment_references.kid(digits, algorithm=algorithm, length=length, allow_dash=True)
    if length:
        digits = digits.zfill(length - (2 if with_length else 1))
    return payment_references.ocr(digits, length_digit=with_length)


def take_exchange_rate(invoice, profile: CompanyProfile | None = None) -> list[str]:
    """At posting, an invoice in a currency other than the company's accounting currency keeps
    the rate valid on its invoice date, for its VAT in the accounting currency (EN 16931 BT-6,
    BT-111; required on Norwegian invoices). No rate on record: none is made up. Returns the
    fields to save."""
    from .models import ExchangeRate

    accounting = (profile or current_company()).accounting_currency
    if invoice.currency_code == accounting:
        invoice.exchange_rate, invoice.tax_currency_code = None, ""
    else:
        rate = (
            ExchangeRate.objects.filter(
                currency__code=invoice.currency_code, valid_from__lte=invoice.invoice_date
            )
            .order_by("-valid_from")
            .first()
        )
        invoice.exchange_rate = rate.rate if rate else None
        invoice.tax_currency_code = accounting if rate else ""
    return ["exchange_rate", "tax_currency_code"]
