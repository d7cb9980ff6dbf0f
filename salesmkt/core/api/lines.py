"""The lines of a document in the API, at most settings.MAX_DOCUMENT_LINES of them."""

from django.conf import settings
from rest_framework import serializers


class DocumentLines(serializers.ListSerializer):
    """A longer list is refused with a 400 naming `lines` before any line is read, so a
    10,000-line body costs no per-line lookups and writes nothing."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", settings.MAX_DOCUMENT_LINES)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        self.max_length = settings.MAX_DOCUMENT_LINES
        return super().to_internal_value(data)


def document_lines(child: serializers.Serializer, **kwargs) -> DocumentLines:
    return DocumentLines(child=child, **kwargs)
