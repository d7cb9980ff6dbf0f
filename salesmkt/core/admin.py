from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import numbering
from .admin_base import ReadOnlyAdmin, ServiceAdmin
from .documents import queue_again
from .models import AuditEvent, Document, IdempotencyRecord, NumberSeries


@admin.register(NumberSeries)
class NumberSeriesAdmin(ServiceAdmin):
    list_display = ["code", "name", "prefix", "padding", "kind", "next_number_value"]
    list_filter = ["gapless"]
    search_fields = ["code", "name"]
    create_service = numbering.number_series_create
    update_service = numbering.number_series_update

    @admin.display(description=_("kind"))
    def kind(self, obj):
        if obj.gapless:
            return _("gapless counter")
        return _("sequence (gaps allowed)") if numbering.uses_sequence(obj) else _("counter")

    @admin.display(description=_("next value"))
    def next_number_value(self, obj):
        return numbering.sequence_next_value(obj)

    def get_object(self, request, object_id, from_field=None):
        # A sequence's series shows the sequence's next value, the one the form may move on.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.next_value = numbering.sequence_next_value(obj)
        return obj

    def get_readonly_fields(self, request, obj=None):
        # A gapless counter only moves forward through next_number(); a sequence may be moved
        # forward (never back: numbers would repeat).
        return ["next_value"] if obj is not None and obj.gapless else []


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "action",
        "content_type",
        "object_repr",
        "sentence",
        "actor",
    ]
    list_filter = ["action", "content_type", "occurred_at"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "object_id", "action"]
    date_hierarchy = "occurred_at"

    @admin.display(description=_("what happened"))
    def sentence(self, obj):
        from .history import describe

        return describe(obj).text

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditevent")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "state", "response_status", "created_at"]
    list_filter = ["state", "method"]
    search_fields = ["key", "path"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Rendered and mailed documents, for the one who looks after them after an outage: what is
    still pending, what failed and which mails a dead worker left unconfirmed."""

    list_display = [
        "title",
        "kind",
        "status",
        "email_to",
        "mail_status",
        "created_at",
        "rendered_at",
        "mailed_at",
    ]
    list_filter = ["status", "mail_status", "kind", "created_at"]
    search_fields = ["title", "email_to", "object_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Document._meta.fields]
    actions = ["queue_selected_again"]

    def has_queue_permission(self, request):
        return request.user.has_perm("core.change_document")

    @admin.action(
        permissions=["queue"],
        description=_("Render or mail again (failed, or interrupted and not received)"),
    )
    def queue_selected_again(self, request, queryset):
        queued = queue_again(documents=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued again.", "%(count)d documents queued again.", queued
            )
            % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )
