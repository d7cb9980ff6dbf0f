from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_role_groups_projects"),
        ("orders", "0004_approvals"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
