"""Base viewsets every API resource builds on.

They bring the Idempotency-Key handling and route writes through services: a resource's viewset
names its `create_service`, `update_service` and `delete_service`; serializers only shape input.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from .. import services
from ..actions import actions_of
from . import idempotency


class IdempotentMixin:
    """POSTs with an Idempotency-Key run once per user and key; retries replay the answer.

    Such a request runs in one transaction: the key's record, the work and the stored answer
    commit together or not at all (`salesmkt.core.api.idempotency`); what the services queue
    on commit goes out after it.
    """

    _idempotency_record = None

    def _idempotent(self, request) -> bool:
        return request.method == "POST" and bool(request.headers.get(idempotency.HEADER))

    def dispatch(self, request, *args, **kwargs):
        if not self._idempotent(request):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotent(request):
            key = request.headers[idempotency.HEADER]
            self._idempotency_record = idempotency.claim(request, key[:255])

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            response = Response(exc.record.response_body, status=exc.record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            return super().handle_exception(exc)
        except Exception:
            # An unhandled error rolls the request's transaction back, the key's claim with it,
            # so that the client's retry can run.
            self._idempotency_record = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None:
            idempotency.complete(self._idempotency_record, response)
            self._idempotency_record = None
        return response


class PreparedPageMixin:
    """A page of documents gets what their `allowed_actions` need in one go
    (`DocumentActions.preparer`), instead of a query per document."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        declared = actions_of(queryset.model)
        if page is not None and declared is not None:
            declared.prepare(page)
        return page


class ActionInputMixin:
    def validated(self, serializer_class) -> dict:
        """The validated input of an action (400 naming the fields otherwise)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class ServiceModelViewSet(
    PreparedPageMixin,
    IdempotentMixin,
    ActionInputMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD whose writes go through services (validation, audit, rules) and never bypass them.

    Subclasses set `create_service(*, data, actor)` / `update_service(*, instance, data, actor)`
    for entities with rules; others use the generic `record_save` / `record_delete`.
    """

    create_service = None
    update_service = None
    delete_service = None

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if self.create_service is not None:
            serializer.instance = type(self).create_service(data=data, actor=self.request.user)
        else:
            model = serializer.Meta.model
            serializer.instance = services.record_save(
                instance=model(**data), actor=self.request.user
            )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        instance = serializer.instance
        if self.update_service is not None:
            serializer.instance = type(self).update_service(
                instance=instance, data=data, actor=self.request.user
            )
        else:
            for name, value in data.items():
                setattr(instance, name, value)
            serializer.instance = services.record_save(instance=instance, actor=self.request.user)

    def perform_destroy(self, instance):
        if self.delete_service is not None:
            type(self).delete_service(instance=instance, actor=self.request.user)
        else:
            services.record_delete(instance=instance, actor=self.request.user)
