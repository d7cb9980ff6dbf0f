from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_documents"),
        ("invoicing", "0001_initial"),
        ("finance", "0002_revenue_account"),
        ("orders", "0005_original_invoice"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
