"""What may happen next to campaigns, leads and opportunities (`salesmkt.core.actions`): each
action's conditions, once. The services refuse with these, the pages show their buttons by them,
the admin runs its actions on the rows they allow, the API lists them as `allowed_actions`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesmkt.core.actions import DocumentActions, Refusal, first

from .models import Campaign, Lead, Opportunity

CAMPAIGN = DocumentActions(Campaign)
LEAD = DocumentActions(Lead)
OPPORTUNITY = DocumentActions(Opportunity)


# --- campaigns ----------------------------------------------------------------------------------

OPEN_CAMPAIGN = (Campaign.Status.DRAFT, Campaign.Status.ACTIVE)


def has_targets(campaign: Campaign) -> bool:
    """From the `target_count` the pages and the API annotate, when there is one."""
    counted = getattr(campaign, "target_count", None)
    return bool(counted) if counted is not None else campaign.targets.exists()


@CAMPAIGN.action("update", gettext_lazy("Edit"), codes=("campaign_closed",))
def campaign_update_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.status not in OPEN_CAMPAIGN:
        return Refusal("campaign_closed", _("A closed campaign cannot be changed."), status=True)
    return None


@CAMPAIGN.action(
    "delete",
    gettext_lazy("Delete"),
    codes=("campaign_not_draft",),
    permission="crm.delete_campaign",
)
def campaign_delete_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.status != Campaign.Status.DRAFT:
        return Refusal(
            "campaign_not_draft",
            _("Only a draft campaign can be deleted; cancel it instead."),
            status=True,
        )
    return None


def _campaign_has_no_targets(campaign: Campaign) -> Refusal | None:
    if not has_targets(campaign):
        return Refusal("campaign_has_no_targets", _("Add targets before launching the campaign."))
    return None


# The service answers this one as a validation error on the subject (400), for the form.
NO_MAIL_CONTENT = "campaign_has_no_mail_content"


def _campaign_has_no_mail_content(campaign: Campaign) -> Refusal | None:
    if campaign.is_email and not campaign.has_mail_content():
        return Refusal(
            NO_MAIL_CONTENT, _("An email campaign needs a subject and a text or HTML body.")
        )
    return None


CAMPAIGN.add(
    "launch",
    gettext_lazy("Launch"),
    transition="launch",
    check=first(_campaign_has_no_targets, _campaign_has_no_mail_content),
    codes=("campaign_has_no_targets", NO_MAIL_CONTENT),
)
CAMPAIGN.add("complete", gettext_lazy("Complete"), transition="complete")
CAMPAIGN.add("cancel", gettext_lazy("Cancel"), transition="cancel")


@CAMPAIGN.action(
    "convert_responses",
    gettext_lazy("Convert positive responses"),
    codes=("campaign_not_launched",),
)
def campaign_convert_responses_refusal(campaign: Campaign) -> Refusal | None:
    """Converting again converts nothing more (each target once): not a refusal."""
    never_launched = campaign.status == Campaign.Status.CANCELED and campaign.launched_at is None
    if campaign.status == Campaign.Status.DRAFT or never_launched:
        return Refusal(
            "campaign_not_launched",
            _("Positive responses are converted once the campaign is launched."),
            status=True,
        )
    return None


@CAMPAIGN.action("add_targets", gettext_lazy("Add targets"), codes=("campaign_closed",))
def campaign_add_targets_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.status not in OPEN_CAMPAIGN:
        return Refusal(
            "campaign_closed",
            _("Targets can only be added to a draft or active campaign."),
            status=True,
        )
    return None


@CAMPAIGN.action(
    "remove_targets",
    gettext_lazy("Remove targets"),
    codes=("campaign_not_draft",),
    permission="crm.delete_campaigntarget",
)
def campaign_remove_targets_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.status != Campaign.Status.DRAFT:
        return Refusal(
            "campaign_not_draft",
            _("Targets can only be removed while the campaign is a draft."),
            status=True,
        )
    return None


@CAMPAIGN.action(
    "record_response",
    gettext_lazy("Record a response"),
    codes=("campaign_not_active",),
    permission="crm.change_campaigntarget",
)
def campaign_record_response_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.status != Campaign.Status.ACTIVE:
        return Refusal(
            "campaign_not_active",
            _("Responses are recorded while the campaign is active."),
            status=True,
        )
    return None


@CAMPAIGN.action(
    "record_call",
    gettext_lazy("Record a call"),
    codes=("not_telemarketing", "campaign_not_active"),
    permission="crm.change_campaigntarget",
)
def campaign_record_call_refusal(campaign: Campaign) -> Refusal | None:
    if campaign.kind != Campaign.Kind.TELEMARKETING:
        return Refusal(
            "not_telemarketing", _("Calls are recorded on telemarketing campaigns."), status=True
        )
    if campaign.status != Campaign.Status.ACTIVE:
        return Refusal(
            "campaign_not_active",
            _("Calls are recorded while the campaign is active."),
            status=True,
        )
    return None


# --- leads --------------------------------------------------------------------------------------


@LEAD.action("update", gettext_lazy("Edit"), codes=("lead_closed",))
def lead_update_refusal(lead: Lead) -> Refusal | None:
    if lead.status != Lead.Status.OPEN:
        return Refusal(
            "lead_closed", _("A qualified or disqualified lead cannot be changed."), status=True
        )
    return None


@LEAD.action("delete", gettext_lazy("Delete"), codes=("lead_closed",), permission="crm.delete_lead")
def lead_delete_refusal(lead: Lead) -> Refusal | None:
    if lead.status != Lead.Status.OPEN:
        return Refusal(
            "lead_closed", _("A qualified or disqualified lead cannot be deleted."), status=True
        )
    return None


LEAD.add("qualify", gettext_lazy("Qualify"), transition="qualify")
LEAD.add("disqualify", gettext_lazy("Disqualify"), transition="disqualify")


# --- opportunities ------------------------------------------------------------------------------


@OPPORTUNITY.action("update", gettext_lazy("Edit"), codes=("opportunity_closed",))
def opportunity_update_refusal(opportunity: Opportunity) -> Refusal | None:
    if opportunity.status != Opportunity.Status.OPEN:
        return Refusal(
            "opportunity_closed", _("A closed opportunity cannot be changed."), status=True
        )
    return None


@OPPORTUNITY.action(
    "delete",
    gettext_lazy("Delete"),
    codes=("opportunity_closed",),
    permission="crm.delete_opportunity",
)
def opportunity_delete_refusal(opportunity: Opportunity) -> Refusal | None:
    if opportunity.status != Opportunity.Status.OPEN:
        return Refusal(
            "opportunity_closed", _("A closed opportunity cannot be deleted."), status=True
        )
    return None


# Winning may also need a customer template (chosen with the action, or the default): input,
# not a condition of the opportunity, so the service answers it (no_customer_template).
OPPORTUNITY.add("win", gettext_lazy("Won"), transition="win")
OPPORTUNITY.add("lose", gettext_lazy("Lost"), transition="lose")
OPPORTUNITY.add("cancel", gettext_lazy("Cancel"), transition="cancel")


@OPPORTUNITY.action("move_stage", gettext_lazy("Move to stage"), codes=("opportunity_closed",))
def opportunity_move_stage_refusal(opportunity: Opportunity) -> Refusal | None:
    if opportunity.status != Opportunity.Status.OPEN:
        return Refusal(
            "opportunity_closed",
            _("A won, lost or canceled opportunity stays where it closed: it cannot change stage."),
            status=True,
        )
    return None
