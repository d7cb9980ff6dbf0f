from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_role_groups_purchasing"),
        ("orders", "0007_allocation_runs"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
