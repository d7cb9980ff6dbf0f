"""The pipeline board in Chromium: cards move between sales stages by drag and drop and by
keyboard; the column sums follow, the stage is stored and audited."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Opportunity, SalesStage
from crm.services.stages import sales_stages_set_up_defaults
from salesmkt.core.models import AuditEvent
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stages():
    # transactional tests flush the data migration's stages: set them up again
    sales_stages_set_up_defaults(actor=None)
    return {s.code: s for s in SalesStage.objects.all()}


def column(page, stage):
    return page.locator(f".pipeline-column[data-stage='{stage.pk}']")


def stage_changes(opportunity):
    return AuditEvent.objects.filter(
        content_type__model="opportunity", object_id=str(opportunity.pk), action="stage_changed"
    )


def test_a_card_dragged_to_another_stage_lands_there_with_new_sums(page, login, stages):
    f.UserFactory(username="seller", groups=["sales manager"])
    opportunity = f.OpportunityFactory(
        topic="Christmas seafood season",
        stage=stages["QUALIFY"],
        estimated_revenue=Decimal("1000.00"),
        probability=Decimal("10"),
    )

    login("seller")
    page.goto(reverse("crm:pipeline"))
    qualify, proposal = column(page, stages["QUALIFY"]), column(page, stages["PROPOSAL"])
    assert proposal.locator(".column-count").inner_text() == "0"
    assert qualify.locator(".column-weighted").inner_text() == "100.00"

    card = page.locator(f".pipeline-card[data-opportunity='{opportunity.pk}']")
    with page.expect_response(lambda r: r.url.endswith("/move/") and r.ok):
        card.drag_to(proposal.locator(".pipeline-cards"))

    moved = proposal.locator(f".pipeline-card[data-opportunity='{opportunity.pk}']")
    moved.wait_for()
    assert proposal.locator(".column-count").inner_text() == "1"
    assert proposal.locator(".column-revenue").inner_text() == "1,000.00"
    assert proposal.locator(".column-weighted").inner_text() == "500.00"
    assert qualify.locator(".column-count").inner_text() == "0"
    assert qualify.locator(".pipeline-card").count() == 0
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == (stages["PROPOSAL"], Decimal("50"))
    assert stage_changes(opportunity).get().actor.username == "seller"


def test_a_card_moves_with_the_keyboard_and_its_menu(page, login, stages):
    f.UserFactory(username="seller", groups=["sales manager"])
    opportunity = f.OpportunityFactory(topic="Buffet", stage=stages["ANALYSIS"])

    login("seller")
    page.goto(reverse("crm:pipeline"))
    card = page.locator(f".pipeline-card[data-opportunity='{opportunity.pk}']")
    card.focus()
    with page.expect_response(lambda r: r.url.endswith("/move/") and r.ok):
        page.keyboard.press("ArrowRight")

    column(page, stages["PROPOSAL"]).locator(
        f".pipeline-card[data-opportunity='{opportunity.pk}']"
    ).wait_for()
    # the moved card keeps the focus, so the next arrow moves it on
    page.wait_for_function(
        f"() => document.activeElement && document.activeElement.dataset.opportunity === "
        f"'{opportunity.pk}'"
    )
    assert Opportunity.objects.get(pk=opportunity.pk).stage == stages["PROPOSAL"]
    assert "moved to Proposal" in page.locator("#pipeline-announcement").inner_text()

    with page.expect_response(lambda r: r.url.endswith("/move/") and r.ok):
        page.keyboard.press("ArrowLeft")
    column(page, stages["ANALYSIS"]).locator(
        f".pipeline-card[data-opportunity='{opportunity.pk}']"
    ).wait_for()

    # the "Move to" menu, by keyboard too
    card = page.locator(f".pipeline-card[data-opportunity='{opportunity.pk}']")
    card.locator(".move-menu").focus()
    page.keyboard.press("Enter")
    with page.expect_response(lambda r: r.url.endswith("/move/") and r.ok):
        card.get_by_role("button", name="Negotiation").click()
    column(page, stages["NEGOTIATE"]).locator(
        f".pipeline-card[data-opportunity='{opportunity.pk}']"
    ).wait_for()
    opportunity.refresh_from_db()
    assert opportunity.stage == stages["NEGOTIATE"]
    assert stage_changes(opportunity).count() == 3
