"""The company (seller) profile: seeded valid, changed only with identifiers its registries would
accept (API, setup page), audited, guarded by a system check, and printing the legal texts the
seller's country requires."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from salesmkt.core.audit import events_for
from salesmkt.finance.checks import company_profile_valid
from salesmkt.finance.company import (
    bank_account_problems,
    company_profile_update,
    current_company,
    profile_problems,
    seller_snapshot,
)
from salesmkt.finance.models import CompanyBankAccount, CompanyProfile
from salesmkt.finance.views import BankAccountFormSet, CompanyForm

SEEDED_IBAN = "NO9386011117947"  # the COMPANY_IBAN default, a valid Norwegian IBAN
BAD_IBAN = "NO9386011117948"  # the same with a wrong check digit
OTHER_IBAN = "NO5015032080119"


def stored_profile() -> dict:
    """The profile and its bank accounts as the database holds them."""
    profile = CompanyProfile.objects.get(pk=1)
    fields = {
        field.attname: getattr(profile, field.attname)
        for field in profile._meta.concrete_fields
        if field.name != "updated_at"
    }
    fields["bank_accounts"] = list(
        CompanyBankAccount.objects.filter(company=profile).values_list("kind", "iban", "bic")
    )
    return fields


def page_form_data(profile: CompanyProfile, **changes) -> dict:
    """What the edit page posts back unchanged (the profile form and the bank account rows),
    with `changes` on top."""
    form = CompanyForm(instance=profile)
    formset = BankAccountFormSet(instance=profile, prefix="bank")
    data = {}
    for part in (form, formset.management_form, *formset.forms):
        for field in part:
            value = field.value()
            if value is None or value is False or hasattr(value, "storage"):
                continue  # nothing to post back (a file input posts no stored file)
            data[field.html_name] = "on" if value is True else value
    return {**data, **changes}


@pytest.fixture
def accountant_api(api_as):
    return api_as("accountant")


@pytest.fixture
def accountant_client(client, user_in):
    client.force_login(user_in("accountant"))
    return client


STRONG_SECRET_KEY = "k7#Qz" + "a-test-secret-key-long-enough-for-the-system-check-0123456789"


# --- the seeded profile ----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_migrated_database_has_a_company_profile_with_valid_identifiers(settings):
    settings.SECRET_KEY = STRONG_SECRET_KEY  # tests run with DEBUG off: the key check applies
    profile = CompanyProfile.objects.get(pk=1)

    assert profile.org_number == "999888771"
    assert profile.vat_number == "NO999888771MVA"
    assert profile_problems(profile) == {}
    assert [account.iban for account in profile.bank_accounts.all()] == [SEEDED_IBAN]
    assert all(bank_account_problems(a) == {} for a in profile.bank_accounts.all())
    assert company_profile_valid(databases=["default"]) == []
    call_command("check", databases=["default"])  # raises SystemCheckError on an error


@pytest.mark.django_db
def test_the_system_check_reports_a_profile_broken_behind_the_applications_back(settings):
    settings.SECRET_KEY = STRONG_SECRET_KEY
    CompanyProfile.objects.filter(pk=1).update(org_number="999888772")

    errors = company_profile_valid(databases=["default"])

    assert [error.id for error in errors] == ["finance.E001", "finance.E001"]  # org no. and VAT
    assert "org_number" in errors[0].msg
    with pytest.raises(SystemCheckError, match=r"finance\.E001"):
        call_command("check", databases=["default"])


@pytest.mark.django_db
def test_the_system_check_reports_a_bank_account_broken_behind_the_applications_back():
    CompanyBankAccount.objects.filter(company_id=1).update(iban=BAD_IBAN)

    errors = company_profile_valid(databases=["default"])

    assert [error.id for error in errors] == ["finance.E001"]
    assert BAD_IBAN in errors[0].msg


# --- the API ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"org_number": "999888772"}, "org_number"),
        ({"vat_number": "NO999888772MVA"}, "vat_number"),
        ({"bank_accounts": [{"kind": "iban", "iban": BAD_IBAN}]}, "bank_accounts[0].iban"),
        ({"endpoint_scheme": "0088", "endpoint_id": "5901234123458"}, "endpoint_id"),
    ],
    ids=["org_number", "vat_number", "iban", "gln"],
)
def test_an_invalid_identifier_is_refused_naming_the_field_and_nothing_changes(
    accountant_api, change, field
):
    before = stored_profile()

    response = accountant_api.patch(
        "/api/v1/company/", {"legal_name": "Renamed AS", **change}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert stored_profile() == before
    assert not events_for(CompanyProfile(pk=1)).exists()


@pytest.mark.django_db
def test_a_valid_change_is_saved_and_audited_with_old_and_new_values(accountant_api):
    response = accountant_api.patch(
        "/api/v1/company/",
        {
            "legal_name": "Nordlys Grossist AS",
            "phone": "+47 22 00 00 00",
            "bank_accounts": [{"kind": "iban", "iban": OTHER_IBAN, "is_default": True}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["legal_name"] == "Nordlys Grossist AS"
    profile = current_company()
    assert (profile.legal_name, profile.phone) == ("Nordlys Grossist AS", "+47 22 00 00 00")
    assert [account.iban for account in profile.bank_accounts.all()] == [OTHER_IBAN]
    event = events_for(profile).get()
    assert (event.action, event.actor) == ("changed", accountant_api.user)
    assert event.data["legal_name"] == {"old": "Nordlys Engros AS", "new": "Nordlys Grossist AS"}
    assert event.data["phone"] == {"old": "", "new": "+47 22 00 00 00"}
    assert event.data["bank_accounts"] == {"old": [SEEDED_IBAN], "new": [OTHER_IBAN]}


@pytest.mark.django_db
def test_an_accountant_may_change_the_profile(accountant_api):
    response = accountant_api.patch("/api/v1/company/", {"phone": "+47 99 99 99 99"})

    assert response.status_code == 200
    assert current_company().phone == "+47 99 99 99 99"


@pytest.mark.django_db
def test_a_sales_clerk_may_read_the_profile_but_not_change_it(api_as):
    clerk = api_as("sales clerk")

    read = clerk.get("/api/v1/company/")
    changed = clerk.patch("/api/v1/company/", {"phone": "+47 99 99 99 99"})

    assert read.status_code == 200
    assert read.json()["org_number"] == "999888771"
    assert changed.status_code == 403
    assert current_company().phone == ""


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["kid_mod10", "ocr"])
def test_a_payment_reference_length_too_short_for_the_invoice_numbers_is_refused(
    accountant_api, kind
):
    # Invoice numbers have six digits (INV000001): with the check digit a KID or OCR
    # reference needs at least seven.
    response = accountant_api.patch(
        "/api/v1/company/",
        {"payment_reference": kind, "payment_reference_length": 5},
        format="json",
    )

    assert response.status_code == 400
    assert "payment_reference_length" in response.json()["errors"]
    assert current_company().payment_reference_length is None


# --- the setup pages -------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_setup_page_shows_the_legal_lines_and_the_bank_account(accountant_client):
    page = accountant_client.get(reverse("finance:company")).content.decode()

    assert "Org.nr. 999 888 771 MVA" in page
    assert "Foretaksregisteret" in page
    assert SEEDED_IBAN in page


@pytest.mark.django_db
def test_the_edit_page_saves_a_valid_change(accountant_client):
    data = page_form_data(current_company(), legal_name="Nordlys Grossist AS")

    response = accountant_client.post(reverse("finance:company-edit"), data)

    assert response.status_code == 302, response.content.decode()
    assert current_company().legal_name == "Nordlys Grossist AS"


@pytest.mark.django_db
def test_the_edit_page_refuses_a_bad_iban_with_the_message_and_changes_nothing(
    accountant_client,
):
    before = stored_profile()
    data = page_form_data(current_company(), legal_name="Renamed AS", **{"bank-0-iban": BAD_IBAN})

    response = accountant_client.post(reverse("finance:company-edit"), data)

    assert response.status_code == 200
    assert f"{BAD_IBAN} is not a valid IBAN" in response.content.decode()
    assert stored_profile() == before


# --- legal lines per country -----------------------------------------------------------------
def legal_lines_after(**data) -> list[str]:
    profile = company_profile_update(
        data={"endpoint_scheme": "", "endpoint_id": "", **data}, actor=None
    )
    return seller_snapshot(profile, "")["legal_lines"]


@pytest.mark.django_db
def test_a_norwegian_company_prints_its_grouped_org_number_with_mva_and_foretaksregisteret():
    assert legal_lines_after() == ["Org.nr. 999 888 771 MVA", "Foretaksregisteret"]


@pytest.mark.django_db
def test_a_norwegian_company_not_registered_for_vat_prints_no_mva():
    assert legal_lines_after(vat_number="", in_business_register=False) == ["Org.nr. 999 888 771"]


@pytest.mark.django_db
def test_a_swedish_company_prints_godkand_for_f_skatt_only_when_approved():
    swedish = {
        "country": "SE",
        "org_number_scheme": "0007",
        "org_number": "556012-5790",
        "vat_number": "SE556012579001",
        "registered_office": "Göteborg",
    }

    approved = legal_lines_after(**swedish, f_tax_approved=True)
    not_approved = legal_lines_after(**swedish, f_tax_approved=False)

    assert approved == [
        "Org.nr 556012-5790",
        "Momsreg.nr SE556012579001",
        "Styrelsens säte: Göteborg",
        "Godkänd för F-skatt",
    ]
    assert "Godkänd för F-skatt" not in not_approved


@pytest.mark.django_db
def test_a_dutch_company_prints_its_kvk_number_and_btw_id():
    lines = legal_lines_after(
        country="NL", org_number_scheme="0106", org_number="17014545", vat_number="NL004495445B01"
    )

    assert lines == ["KvK 17014545", "Btw-id NL004495445B01"]


@pytest.mark.django_db
def test_a_belgian_company_prints_its_enterprise_number_register_court_and_vat_number():
    lines = legal_lines_after(
        country="BE",
        org_number_scheme="0208",
        org_number="0403170701",
        vat_number="BE0403170701",
        registered_office="Brussel",
        legal_text="Bank: BE68 5390 0754 7034",
    )

    assert lines == [
        "Ondernemingsnummer 0403.170.701",
        "RPR Brussel",
        "Btw BE0403170701",
        "Bank: BE68 5390 0754 7034",
    ]
