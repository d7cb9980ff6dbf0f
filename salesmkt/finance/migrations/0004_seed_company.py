from django.db import migrations

# A fresh database's company profile comes from the COMPANY_* settings, once; from then on it
# is data (an existing profile is never overwritten by the settings).


def seed_company(apps, schema_editor):
    from salesmkt.finance.company import default_bank_account_from_settings, defaults_from_settings

    CompanyProfile = apps.get_model("finance", "CompanyProfile")
    CompanyBankAccount = apps.get_model("finance", "CompanyBankAccount")
    if CompanyProfile.objects.exists():
        return
    # Only the fields the profile has at this migration (later ones keep their defaults).
    fields = {field.name for field in CompanyProfile._meta.get_fields()}
    defaults = {k: v for k, v in defaults_from_settings().items() if k in fields}
    profile = CompanyProfile.objects.create(pk=1, **defaults)
    bank = default_bank_account_from_settings()
    if bank:
        CompanyBankAccount.objects.create(company=profile, is_default=True, **bank)


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_company_profile")]

    operations = [migrations.RunPython(seed_company, migrations.RunPython.noop)]
