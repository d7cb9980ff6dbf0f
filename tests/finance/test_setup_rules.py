import pytest
from django.core.exceptions import ValidationError

from salesmkt.core.services import record_save
from salesmkt.finance.models import LedgerAccount, PostingProfile, SalesTaxCode
from tests import factories as f


@pytest.mark.django_db
def test_standard_rate_tax_code_needs_a_rate_above_zero():
    with pytest.raises(ValidationError) as error:
        record_save(instance=SalesTaxCode(code="S", name="S", rate=0, category="S"), actor=None)
    assert "rate" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("category", ["Z", "E", "AE", "K", "G", "O"])
def test_zero_and_exempt_categories_have_a_zero_rate(category):
    with pytest.raises(ValidationError) as error:
        record_save(
            instance=SalesTaxCode(
                code=category, name=category, rate=25, category=category, exemption_reason="x"
            ),
            actor=None,
        )
    assert "rate" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("category", ["E", "AE", "K", "G", "O"])
def test_exempt_categories_need_an_exemption_reason(category):
    with pytest.raises(ValidationError) as error:
        record_save(
            instance=SalesTaxCode(code=category, name=category, rate=0, category=category),
            actor=None,
        )
    assert "exemption_reason" in error.value.message_dict


@pytest.mark.django_db
def test_receivable_summary_account_must_be_an_asset_account():
    revenue = f.LedgerAccountFactory(number="3000", account_type=LedgerAccount.AccountType.REVENUE)

    with pytest.raises(ValidationError) as error:
        record_save(
            instance=PostingProfile(code="X", name="X", summary_account=revenue), actor=None
        )
    assert "summary_account" in error.value.message_dict


@pytest.mark.django_db
def test_ledger_account_used_by_a_posting_profile_cannot_be_deleted(manager_api, user_in):
    from rest_framework.test import APIClient

    profile = f.PostingProfileFactory()
    accountant = APIClient()
    accountant.force_authenticate(user_in("accountant"))

    response = accountant.delete(f"/api/v1/ledger-accounts/{profile.summary_account.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert LedgerAccount.objects.filter(pk=profile.summary_account.pk).exists()
