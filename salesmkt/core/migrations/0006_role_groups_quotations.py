from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_role_groups_orders"),
        ("orders", "0002_quotations"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
