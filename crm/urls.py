from django.urls import path

from .views import activities, marketing, parties, pipeline

app_name = "crm"

urlpatterns = [
    *parties.CustomerViews.urls(),
    *parties.PartyViews.urls(),
    *parties.VendorViews.urls(),
    *parties.CustomerGroupViews.urls(),
    *parties.PriceGroupViews.urls(),
    *parties.SalesTaxGroupViews.urls(),
    *parties.CustomerTemplateViews.urls(),
    *marketing.ProspectViews.urls(),
    path("opportunities/pipeline/", pipeline.pipeline, name="pipeline"),
    path("opportunities/pipeline/<int:pk>/move/", pipeline.pipeline_move, name="pipeline-move"),
    *pipeline.SalesStageViews.urls(),
    *marketing.LeadViews.urls(),
    *marketing.OpportunityViews.urls(),
    path("activities/mine/", activities.my_activities, name="my-activities"),
    path(
        "activities/on/<int:content_type_id>/<int:object_id>/",
        activities.activity_panel,
        name="activity-panel",
    ),
    path(
        "activities/on/<int:content_type_id>/<int:object_id>/note/",
        activities.activity_note,
        name="activity-note",
    ),
    path(
        "activities/on/<int:content_type_id>/<int:object_id>/schedule/",
        activities.activity_schedule,
        name="activity-schedule",
    ),
    path("activities/<int:pk>/mark-done/", activities.activity_done, name="activity-done"),
    *marketing.ActivityViews.urls(),
    *marketing.CampaignViews.urls(),
]
