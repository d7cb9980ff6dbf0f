"""The default sales stages, every opportunity in one, activity kinds renamed (task -> to-do,
appointment -> meeting) and every existing activity linked to the record it was about."""

from decimal import Decimal

from django.db import migrations

DEFAULT_STAGES = [
    ("QUALIFY", "Qualification", 10, Decimal("10")),
    ("ANALYSIS", "Needs analysis", 20, Decimal("25")),
    ("PROPOSAL", "Proposal", 30, Decimal("50")),
    ("NEGOTIATE", "Negotiation", 40, Decimal("75")),
]


def forwards(apps, schema_editor):
    SalesStage = apps.get_model("crm", "SalesStage")
    Opportunity = apps.get_model("crm", "Opportunity")
    Activity = apps.get_model("crm", "Activity")
    ContentType = apps.get_model("contenttypes", "ContentType")

    for code, name, sequence, probability in DEFAULT_STAGES:
        SalesStage.objects.get_or_create(
            code=code, defaults={"name": name, "sequence": sequence, "probability": probability}
        )
    first = SalesStage.objects.filter(active=True).order_by("sequence", "id").first()
    Opportunity.objects.filter(stage__isnull=True).update(stage=first)

    Activity.objects.filter(kind="task").update(kind="todo")
    Activity.objects.filter(kind="appointment").update(kind="meeting")

    about = [("opportunity", "opportunity_id"), ("lead", "lead_id"), ("party", "party_id")]
    for model, column in about:
        content_type, _ = ContentType.objects.get_or_create(app_label="crm", model=model)
        rows = Activity.objects.filter(content_type__isnull=True, **{f"{column}__isnull": False})
        for activity in rows.only("pk", column):
            Activity.objects.filter(pk=activity.pk).update(
                content_type=content_type, object_id=getattr(activity, column)
            )


def backwards(apps, schema_editor):
    Activity = apps.get_model("crm", "Activity")
    Activity.objects.filter(kind="todo").update(kind="task")
    Activity.objects.filter(kind="meeting").update(kind="appointment")
    Activity.objects.filter(kind="note").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0005_sales_stages_and_activity_links"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
