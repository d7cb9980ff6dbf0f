"""Each role centre in Chromium: clicking a cue opens the list filtered to exactly the records
the cue counts; the start page of each role is saved as a screenshot in English and Norwegian
(under `$ARTIFACTS_DIR/screenshots/`, `.artifacts/` by default, git-ignored)."""

import os
import re
from pathlib import Path

import pytest

from salesmkt.core.role_centre import CUES, ROLE_CUES
from tests import factories as f
from tests.core import test_role_centre

# the records of every queue, as the query-count tests make them
accounts, world = test_role_centre.accounts, test_role_centre.world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("ARTIFACTS_DIR", ".artifacts")) / "screenshots"
DETAIL_LINK = re.compile(r"/(\d+)/$")


def listed_pks(page) -> set[int]:
    """The records of the list page's table, by the links to their pages."""
    hrefs = page.eval_on_selector_all(
        "#record-table tbody a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return {int(m.group(1)) for href in hrefs if (m := DETAIL_LINK.search(href))}


def expected_pks(key, user, today) -> set[int]:
    return set(CUES[key].records(user, today).values_list("pk", flat=True))


def screenshot(page, role: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"role-centre-{role.replace(' ', '-')}-{language}.png"),
        full_page=True,
    )


@pytest.mark.parametrize("role", list(ROLE_CUES))
def test_each_cue_of_the_role_centre_opens_the_list_of_the_records_it_counts(
    page, login, world, role
):
    user = world.clerk if role == "sales clerk" else f.UserFactory(groups=[role])
    login(user.username)
    page.goto("/")
    page.wait_for_selector(f'[data-role-centre="{role}"]')
    shown = page.eval_on_selector_all("[data-cue]", "cues => cues.map(c => c.dataset.cue)")
    assert shown == ROLE_CUES[role]
    screenshot(page, role, "en")

    for key in ROLE_CUES[role]:
        page.goto("/")
        cue = page.locator(f'[data-cue="{key}"]')
        count = int(cue.locator("[data-cue-count]").inner_text())
        cue.click()
        page.wait_for_url(re.compile(r"\?"))
        page.wait_for_selector("#record-table")

        records = expected_pks(key, user, world.today)
        assert count == len(records), key
        assert listed_pks(page) == records, key
        # the work queue shows as the chosen filter on the list, so the clerk sees why
        if "queue=" in page.url:
            assert page.locator("select[name=queue]").input_value() != ""

    page.goto("/")
    page.select_option("#language-switch", "nb")
    page.wait_for_function("() => document.documentElement.lang === 'nb'")
    page.wait_for_selector(f'[data-role-centre="{role}"]')
    screenshot(page, role, "nb")


def test_charts_format_numbers_in_the_users_language(page, login, world):
    login(world.clerk.username)
    page.goto("/")
    page.select_option("#language-switch", "nb")
    page.wait_for_function("() => document.documentElement.lang === 'nb'")
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart('chart-sales_by_day')")

    locale = page.evaluate("() => Chart.getChart('chart-sales_by_day').options.locale")
    labels = page.evaluate(
        "() => Chart.getChart('chart-sales_by_day').scales.y.ticks.map(t => t.label)"
    )

    assert locale == "nb"
    thousands = [label for label in labels if len(re.sub(r"\D", "", label)) >= 4]
    # Norwegian groups thousands with a (no-break) space, English with a comma
    assert thousands, labels
    assert all("," not in label and re.search(r"\d\s\d", label) for label in thousands)
