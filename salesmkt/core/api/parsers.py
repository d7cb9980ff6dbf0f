"""The API's request parsers: JSON, multipart and form bodies, each checked before any field.

- a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 `request_too_large` (Django enforces
  the limit for forms only; JSON was read whole);
- JSON nested deeper than MAX_JSON_DEPTH is a 400 `too_deep` naming `non_field_errors` (the
  decoder and the serializers recurse: 1,100 levels exhausted the stack);
- a string anywhere in the body holding a control character is a 400 naming its path
  (`lines[2].description`), see `core.hygiene`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, serializers
from rest_framework.settings import api_settings
from rest_framework.utils import json

from .. import hygiene
from .exceptions import RequestTooLarge

MAX_JSON_DEPTH = 32


class TooDeep(exceptions.ValidationError):
    default_code = "too_deep"


def _too_deep() -> TooDeep:
    return TooDeep(
        {
            api_settings.NON_FIELD_ERRORS_KEY: [
                _("The body nests lists and objects deeper than %(depth)s levels.")
                % {"depth": MAX_JSON_DEPTH}
            ]
        },
        code="too_deep",
    )


def refuse_control_characters(data) -> None:
    errors = hygiene.control_character_errors(data)
    if errors:
        raise exceptions.ValidationError(errors, code="control_character")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge()
        try:
            data = json.loads(
                body.decode(encoding),
                parse_constant=json.strict_constant if self.strict else None,
            )
        except RecursionError:
            raise _too_deep() from None
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if hygiene.depth_of(data) > MAX_JSON_DEPTH:
            raise _too_deep()
        refuse_control_characters(data)
        return data


def _refuse_in_form(data) -> None:
    errors = {}
    for key, values in data.lists():
        for value in [key, *values]:
            if isinstance(value, str):
                try:
                    hygiene.check_text(value, multi_line=True)
                except DjangoValidationError as error:
                    errors.setdefault(key, []).extend(error.messages)
    if errors:
        raise exceptions.ValidationError(errors, code="control_character")


# Keys a form body may carry besides the serializer's fields: the browsable API's own.
FORM_CONTROL_KEYS = {"csrfmiddlewaretoken", "_method", "_content", "_content_type"}
NESTED_IN_FORM = _("Nested data cannot be sent in a form body; send this request as JSON.")
UNKNOWN_FIELD = _("Unknown field.")


def _refuse_dropped_form_keys(data, parser_context) -> None:
    """A form body cannot carry nested data (a party's `contacts`): the serializer would drop it
    without a word, so the request is refused instead, as is a key no writable field reads.
    Checked for the resource's own create and update; an action reads its input itself."""
    view = (parser_context or {}).get("view")
    if getattr(view, "action", None) not in {"create", "update", "partial_update"}:
        return
    serializer = view.get_serializer()
    fields = {name: field for name, field in serializer.fields.items() if not field.read_only}
    errors = {}
    for key in data:
        name = re.split(r"[\[.]", key, maxsplit=1)[0]
        field = fields.get(name)
        if name in FORM_CONTROL_KEYS:
            continue
        if field is None:
            errors[name] = [UNKNOWN_FIELD]
        elif isinstance(field, serializers.BaseSerializer):
            errors[name] = [NESTED_IN_FORM]
    if errors:
        raise exceptions.ValidationError(errors)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_in_form(data)
        _refuse_dropped_form_keys(data, parser_context)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _refuse_in_form(result.data)
        _refuse_dropped_form_keys({**result.data, **result.files}, parser_context)
        return result
