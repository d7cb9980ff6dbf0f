from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_role_groups_invoicing"),
        ("invoicing", "0003_payments"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
