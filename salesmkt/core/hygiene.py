"""Text hygiene in one place: no control characters in anything a user or an integrator types.

A control character (C0 U+0000-U+001F, DEL, C1 U+0080-U+009F) has no business in a name or a
description, and one that reaches a document breaks it later: XML 1.0 cannot hold most of them,
so the invoice posts and then its PDF, UBL and CII fail. Multi-line text (a model TextField, a
form Textarea) keeps tab, line feed and carriage return before a line feed; a single-line field
takes none of them.

`install()` (called once from the core app's `ready`) registers the rule at three points:

- every CharField and TextField of the project's models gets `text_validator`, so model
  validation, ModelForms, the admin and DRF ModelSerializers (which copy a model field's
  validators) all refuse it naming the field;
- every Django form CharField checks it in `to_python`, so forms without a model field do too;
- formset management forms refuse negative counts and more initial forms than forms (a page
  posting `TOTAL_FORMS=-1` would otherwise save its record without any of the rows).

The API's parsers (`core.api.parsers`) walk every request body with `refuse_control_characters`,
which covers fields no model backs, JSON fields and nested lines.

Old data written before the rule is cleaned where it leaves the system: `printable` replaces
what a document cannot hold with U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import formsets
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

REPLACEMENT = "\ufffd"

# Every C0 and C1 control character and DEL.
_CONTROL = "\x00-\x1f\x7f-\x9f"
SINGLE_LINE_FORBIDDEN = re.compile(f"[{_CONTROL}]")
# Multi-line text keeps tab, line feed and a carriage return that ends a line (CRLF).
MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")

CONTROL_CHARACTER = _(
    "Control characters are not allowed (found %(character)s at position %(position)s)."
)
LINE_BREAK = _("Line breaks and tabs are not allowed in this field.")


def control_character(value: str, *, multi_line: bool) -> tuple[int, str] | None:
    """The first character `value` may not hold (position, character), or None."""
    pattern = MULTI_LINE_FORBIDDEN if multi_line else SINGLE_LINE_FORBIDDEN
    match = pattern.search(value)
    return (match.start(), match.group()[0]) if match else None


def check_text(value, *, multi_line: bool) -> None:
    """ValidationError (code `control_character`) when `value` holds a character it may not."""
    if not isinstance(value, str):
        return
    found = control_character(value, multi_line=multi_line)
    if found is None:
        return
    position, character = found
    if (
        not multi_line
        and character in "\t\n\r"
        and control_character(value, multi_line=True) is None
    ):
        raise ValidationError(LINE_BREAK, code="line_break")
    raise ValidationError(
        CONTROL_CHARACTER,
        code="control_character",
        params={"character": f"U+{ord(character):04X}", "position": position + 1},
    )


@deconstructible
class TextValidator:
    """The model field validator; never part of a migration (see `install`)."""

    def __init__(self, multi_line: bool = False):
        self.multi_line = multi_line

    def __call__(self, value) -> None:
        check_text(value, multi_line=self.multi_line)

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and other.multi_line == self.multi_line

    def __hash__(self) -> int:
        return hash(("TextValidator", self.multi_line))


SINGLE_LINE = TextValidator(multi_line=False)
MULTI_LINE = TextValidator(multi_line=True)


def printable(value: str) -> str:
    """`value` with every character a document cannot hold replaced visibly (U+FFFD): text
    stored before the rule still prints, as XML and as PDF."""
    if not isinstance(value, str):
        return value
    return MULTI_LINE_FORBIDDEN.sub(REPLACEMENT, value)


def walk_strings(data, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in parsed JSON (keys too) with its path (`lines[2].description`); without
    recursion, so a deep body cannot exhaust the stack."""
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{where}.{key}" if where else str(key)
                if isinstance(key, str):
                    yield child, key
                stack.append((child, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))


def depth_of(data) -> int:
    """How deep lists and objects nest in parsed JSON, counted without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value)
    return deepest


def control_character_errors(data) -> dict[str, list[str]]:
    """Field path -> message for every string of a request body holding a control character a
    multi-line text could not hold (a single-line field's stricter rule is its validator's)."""
    errors: dict[str, list[str]] = {}
    for path, value in walk_strings(data):
        try:
            check_text(value, multi_line=True)
        except ValidationError as error:
            errors.setdefault(path or "non_field_errors", []).extend(error.messages)
    return errors


# --- Registration ----------------------------------------------------------------------------


def _project_models() -> Iterator[type[models.Model]]:
    base = Path(settings.BASE_DIR).resolve()
    for app_config in apps.get_app_configs():
        path = Path(app_config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield from app_config.get_models()


def _attach_model_validators() -> None:
    # Added to the field's (cached) `validators`, not to `_validators`: migrations read the
    # latter, so the rule needs no migration and stays out of every model's history.
    for model in _project_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField | models.TextField) or field.choices:
                continue
            validator = MULTI_LINE if isinstance(field, models.TextField) else SINGLE_LINE
            if validator not in field.validators:
                field.validators.append(validator)


def _patch_form_char_field() -> None:
    original = forms.CharField.to_python
    if getattr(original, "checks_control_characters", False):
        return

    def to_python(self, value):
        value = original(self, value)
        check_text(value, multi_line=isinstance(self.widget, forms.Textarea))
        return value

    to_python.checks_control_characters = True
    forms.CharField.to_python = to_python


def _patch_management_form() -> None:
    original = formsets.ManagementForm.clean
    if getattr(original, "checks_counts", False):
        return

    def clean(self):
        cleaned_data = original(self)
        total = cleaned_data.get(formsets.TOTAL_FORM_COUNT)
        initial = cleaned_data.get(formsets.INITIAL_FORM_COUNT)
        if total is not None and initial is not None and not (0 <= initial <= total):
            # Named on the count that is wrong (the formset's error lists it); then counted as
            # no rows at all: the formset is invalid and nothing is saved.
            self.add_error(
                formsets.TOTAL_FORM_COUNT if total < 0 else formsets.INITIAL_FORM_COUNT,
                ValidationError(
                    _("The number of rows sent is not valid; reload the page and try again."),
                    code="invalid_form_count",
                ),
            )
            self.cleaned_data[formsets.TOTAL_FORM_COUNT] = 0
            self.cleaned_data[formsets.INITIAL_FORM_COUNT] = 0
            return self.cleaned_data
        return cleaned_data

    clean.checks_counts = True
    formsets.ManagementForm.clean = clean


def _patch_api_char_field() -> None:
    """DRF trims surrounding whitespace before it checks the length: 201 characters ending in a
    space passed a 200-character field as 200, the text silently changed. The length sent is
    the length checked, as the OpenAPI schema's maxLength promises."""
    from rest_framework import fields as api_fields

    original = api_fields.CharField.to_internal_value
    if getattr(original, "checks_sent_length", False):
        return

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return original(self, data)

    to_internal_value.checks_sent_length = True
    api_fields.CharField.to_internal_value = to_internal_value


def install() -> None:
    _attach_model_validators()
    _patch_form_char_field()
    _patch_api_char_field()
    _patch_management_form()
