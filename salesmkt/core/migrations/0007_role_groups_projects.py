from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_role_groups_quotations"),
        ("orders", "0003_projects_subscriptions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
