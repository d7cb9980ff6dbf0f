"""Number series that may have gaps (sales orders, quotations, RMA numbers) draw from a
PostgreSQL sequence each, starting where their counter row stood."""

from django.db import migrations, models

GAPS_ALLOWED = ("sales-order", "quotation", "rma")


def to_sequences(apps, schema_editor):
    NumberSeries = apps.get_model("core", "NumberSeries")
    NumberSeries.objects.filter(code__in=GAPS_ALLOWED).update(gapless=False)
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for pk, next_value in NumberSeries.objects.filter(gapless=False).values_list(
            "pk", "next_value"
        ):
            name = f"number_series_{int(pk)}"
            cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" AS bigint MINVALUE 1')
            cursor.execute("SELECT setval(%s, %s, false)", [name, next_value])


def to_counters(apps, schema_editor):
    NumberSeries = apps.get_model("core", "NumberSeries")
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for series in NumberSeries.objects.filter(gapless=False):
            name = f"number_series_{int(series.pk)}"
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if not cursor.fetchone()[0]:
                continue
            cursor.execute(f'SELECT last_value, is_called FROM "{name}"')  # noqa: S608
            last_value, is_called = cursor.fetchone()
            series.next_value = last_value + 1 if is_called else last_value
            series.save(update_fields=["next_value"])
            cursor.execute(f'DROP SEQUENCE "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0019_leases"),
    ]

    operations = [
        migrations.AddField(
            model_name="numberseries",
            name="gapless",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Gapless: numbers follow on without gaps, one transaction at a time (invoices, "
                    "credit notes, vouchers). Otherwise numbers come from a database sequence: "
                    "concurrent documents never wait for each other, and a canceled entry leaves "
                    "a gap."
                ),
                verbose_name="gapless",
            ),
        ),
        migrations.RunPython(to_sequences, to_counters),
    ]
