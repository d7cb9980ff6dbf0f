"""What may happen next to a sales agreement (`salesmkt.core.actions`): each action's conditions,
once. The services refuse with these, the pages show their buttons by them, the admin runs its
actions on the rows they allow, the API lists them as `allowed_actions`."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesmkt.core.actions import DocumentActions, Refusal

from .models import SalesAgreement

SALES_AGREEMENT = DocumentActions(SalesAgreement)


def has_releases(agreement: SalesAgreement) -> bool:
    """From the `has_releases` the pages and the API annotate, when there is one."""
    annotated = getattr(agreement, "has_releases", None)
    return annotated if annotated is not None else agreement.releases.exists()


def _not_on_hold(agreement: SalesAgreement) -> Refusal | None:
    if agreement.status != SalesAgreement.Status.ON_HOLD:
        return Refusal(
            "agreement_not_on_hold",
            _("Put the agreement on hold before changing its terms."),
            status=True,
        )
    return None


def _expired(agreement: SalesAgreement) -> Refusal | None:
    if agreement.expiration_date < timezone.localdate():
        return Refusal("agreement_expired", _("The agreement has expired."))
    return None


SALES_AGREEMENT.add(
    "update", gettext_lazy("Edit"), check=_not_on_hold, codes=("agreement_not_on_hold",)
)


@SALES_AGREEMENT.action(
    "delete",
    gettext_lazy("Delete"),
    codes=("agreement_not_on_hold", "agreement_has_releases"),
    permission="agreements.delete_salesagreement",
)
def sales_agreement_delete_refusal(agreement: SalesAgreement) -> Refusal | None:
    if agreement.status != SalesAgreement.Status.ON_HOLD:
        return Refusal(
            "agreement_not_on_hold",
            _("Only an agreement on hold can be deleted; close it instead."),
            status=True,
        )
    if has_releases(agreement):
        return Refusal(
            "agreement_has_releases",
            _("Orders were released from the agreement: close it instead."),
        )
    return None


@SALES_AGREEMENT.action(
    "make_effective",
    gettext_lazy("Make effective"),
    transition="make_effective",
    codes=("agreement_has_no_lines", "agreement_expired"),
)
def sales_agreement_make_effective_refusal(agreement: SalesAgreement) -> Refusal | None:
    # the lines from the prefetch when there is one (the API's lists)
    if not list(agreement.lines.all()):
        return Refusal("agreement_has_no_lines", _("An agreement needs lines to take effect."))
    return _expired(agreement)


SALES_AGREEMENT.add("put_on_hold", gettext_lazy("Put on hold"), transition="put_on_hold")
SALES_AGREEMENT.add("close", gettext_lazy("Close"), transition="close")


@SALES_AGREEMENT.action(
    "release",
    gettext_lazy("Release an order"),
    codes=("agreement_not_effective", "agreement_expired"),
    permission="orders.add_salesorder",
)
def sales_agreement_release_refusal(agreement: SalesAgreement) -> Refusal | None:
    """Orders release from the agreement (the order's customer, ship date and quantities are
    checked by the release itself)."""
    if agreement.status != SalesAgreement.Status.EFFECTIVE:
        return Refusal(
            "agreement_not_effective",
            _("Orders are released only from an effective agreement; this one is %(status)s.")
            % {"status": agreement.get_status_display()},
            status=True,
        )
    return _expired(agreement)
