from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_role_groups"),
        ("crm", "0002_marketing"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
