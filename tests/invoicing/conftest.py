from types import SimpleNamespace

import pytest

from tests import factories as f


@pytest.fixture
def accounts():
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    return SimpleNamespace(profile=profile, revenue=revenue, vat=vat, tax_code=code)
