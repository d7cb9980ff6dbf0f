from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["nb", "nl", "sv"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_of_the_ui_is_translated(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))

    assert len(catalogue) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    for entry in catalogue.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(placeholder.findall(text)) <= set(
                placeholder.findall(entry.msgid + entry.msgid_plural)
            ), entry.msgid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "log_in"), [("nb", "Logg inn"), ("nl", "Inloggen"), ("sv", "Logga in")]
)
def test_the_login_page_speaks_the_chosen_language(client, language, log_in):
    client.post(reverse("set_language"), {"language": language, "next": "/login/"})

    page = client.get(reverse("login")).content.decode()

    assert log_in in page


def test_translation_functions_go_by_names_makemessages_finds():
    """`makemessages` finds gettext, ngettext, gettext_lazy... and `_`; a text marked through any
    other alias (say `gettext as _gettext`) never reaches the catalogues."""
    import re

    alias = re.compile(r"import .*\b(?:n?gettext(?:_lazy)?|pgettext(?:_lazy)?) as (\w+)")
    roots = [Path(settings.BASE_DIR) / name for name in ("salesmkt", "crm", "inventory")]
    roots += [Path(settings.BASE_DIR) / name for name in ("agreements", "orders", "invoicing")]
    offenders = [
        f"{path}: {match.group(1)}"
        for root in roots
        for path in root.rglob("*.py")
        for match in alias.finditer(path.read_text())
        if match.group(1) != "_"
    ]

    assert offenders == []
