from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0015_document_mail_claim"),
        ("finance", "0003_company_profile"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
