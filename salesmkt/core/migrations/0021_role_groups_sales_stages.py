from django.db import migrations

from salesmkt.core.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0020_number_series_sequences"),
        ("crm", "0006_default_sales_stages"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
