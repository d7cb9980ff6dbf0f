from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0012_role_groups_invoice_runs"),
        ("inventory", "0003_purchase_orders"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
