"""`GET /api/v1/role-centre/`: the signed-in user's work queues (`salesmkt.core.role_centre`),
each with its count, its amounts per currency where it has any, and the filtered list page it
opens."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import role_centre
from .filters import refuse_unknown_query_parameters


class CueAmountSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code.")
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class CueSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Stable name of the work queue, e.g. `orders_late`.")
    name = serializers.CharField(source="label", help_text="In the user's language.")
    count = serializers.IntegerField()
    amounts = CueAmountSerializer(
        many=True, help_text="The queue's open amount per currency; empty when it has none."
    )
    url = serializers.CharField(help_text="The list page filtered to exactly these records.")


class RoleSectionSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="The user group, e.g. `sales clerk`.")
    name = serializers.CharField(source="label")
    cues = CueSerializer(many=True)


class RoleCentreSerializer(serializers.Serializer):
    roles = RoleSectionSerializer(many=True)


class RoleCentreView(APIView):
    """The work queues of each of the user's roles (a superuser: every role's); a queue appears
    once, under the first of the user's roles that has it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RoleCentreSerializer}, operation_id="role_centre_retrieve")
    def get(self, request):
        refuse_unknown_query_parameters(request, self)
        sections = role_centre.role_sections(request.user)
        return Response(RoleCentreSerializer({"roles": sections}).data)
