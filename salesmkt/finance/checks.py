"""A Django system check: the company profile's identifiers pass their registries' checks. An
invalid organisation number, VAT number or IBAN would make every e-invoice fail the official
rules, so it is reported by `manage.py check` (and at every server start)."""

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.database)
def company_profile_valid(app_configs=None, databases=None, **kwargs):
    from .company import bank_account_problems, profile_problems
    from .models import CompanyProfile

    if not databases:
        return []
    try:
        profile = CompanyProfile.objects.prefetch_related("bank_accounts").first()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if profile is None:
        return []
    problems = [f"{field}: {reason}" for field, reason in profile_problems(profile).items()] + [
        f"bank account {account}: {field}: {reason}"
        for account in profile.bank_accounts.all()
        for field, reason in bank_account_problems(account).items()
    ]
    return [
        checks.Error(
            f"The company profile is invalid: {problem}",
            hint="Correct it on the Setup > Company page or in Django admin.",
            obj=profile,
            id="finance.E001",
        )
        for problem in problems
    ]
