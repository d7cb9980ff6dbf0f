from django.urls import path

from .views import marketing, parties

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
    path("opportunities/pipeline/", marketing.pipeline, name="pipeline"),
    *marketing.LeadViews.urls(),
    *marketing.OpportunityViews.urls(),
    path("activities/mine/", marketing.my_activities, name="my-activities"),
    *marketing.ActivityViews.urls(),
    *marketing.CampaignViews.urls(),
]
