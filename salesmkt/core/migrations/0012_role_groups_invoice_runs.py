from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_role_groups_payments"),
        ("invoicing", "0004_invoice_runs"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
