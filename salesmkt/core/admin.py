from django.contrib import admin

from .admin_base import ReadOnlyAdmin, ServiceAdmin
from .models import AuditEvent, IdempotencyRecord, NumberSeries


@admin.register(NumberSeries)
class NumberSeriesAdmin(ServiceAdmin):
    list_display = ["code", "name", "prefix", "padding", "next_value"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # The counter only moves forward through next_number(): editing it could repeat numbers.
        return ["next_value"] if obj else []


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "action",
        "content_type",
        "object_repr",
        "from_status",
        "to_status",
        "actor",
    ]
    list_filter = ["action", "content_type", "occurred_at"]
    search_fields = ["object_repr", "object_id", "action"]
    date_hierarchy = "occurred_at"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditevent")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "state", "response_status", "created_at"]
    list_filter = ["state", "method"]
    search_fields = ["key", "path"]
