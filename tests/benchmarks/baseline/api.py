"""The baseline's serializer and view: what a minimal DRF app writes for a nested order POST."""

from django.db import transaction
from rest_framework import generics, serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from .models import Order, OrderLine


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "line_number", "item", "warehouse", "quantity"]
        read_only_fields = ["id", "line_number"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True)

    class Meta:
        model = Order
        fields = ["id", "customer", "requested_ship_date", "created_at", "lines"]
        read_only_fields = ["id", "created_at"]

    def create(self, validated_data):
        lines = validated_data.pop("lines")
        with transaction.atomic():
            order = Order.objects.create(**validated_data)
            OrderLine.objects.bulk_create(
                OrderLine(order=order, line_number=number, **line)
                for number, line in enumerate(lines, start=1)
            )
        return order


class OrderCreateView(generics.CreateAPIView):
    """DRF's stock settings, spelled out so that the project's API defaults do not apply."""

    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
