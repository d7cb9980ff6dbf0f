from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_role_groups_agreements"),
        ("orders", "0001_initial"),
        ("inventory", "0002_inventory_transactions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
