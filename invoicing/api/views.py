from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, get_object_or_404
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Customer
from orders.models import SalesOrder
from salesmkt.core.api.filters import refuse_unknown_query_parameters
from salesmkt.core.api.permissions import require_perms
from salesmkt.core.api.schema import ErrorSerializer, ValidationErrorSerializer
from salesmkt.core.api.viewsets import ServiceModelViewSet
from salesmkt.core.errors import ConflictError

from ..einvoice.exports import einvoice_file
from ..models import CustomerTransaction, Invoice, InvoiceLine, Payment
from ..services import credit_notes, invoices, payments
from . import serializers


def _free_text(*, data, actor):
    data = dict(data)
    pro_forma = data.pop("kind", Invoice.Kind.FREE_TEXT) == Invoice.Kind.PRO_FORMA
    return invoices.free_text_invoice_create(data=data, actor=actor, pro_forma=pro_forma)


class CreditLineSerializer(serializers.serializers.Serializer):
    invoice_line = serializers.serializers.PrimaryKeyRelatedField(
        queryset=InvoiceLine.objects.all()
    )
    quantity = serializers.serializers.DecimalField(max_digits=20, decimal_places=4)


class CreditSerializer(serializers.serializers.Serializer):
    lines = CreditLineSerializer(
        many=True, required=False, help_text="Empty: credit the whole invoice."
    )


class CreditNoteCreateSerializer(serializers.serializers.Serializer):
    invoice = serializers.serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(),
        required=False,
        help_text="A posted invoice to credit: all of it, or the given lines and quantities.",
    )
    lines = CreditLineSerializer(
        many=True, required=False, help_text="With `invoice`; empty: credit the whole invoice."
    )
    order = serializers.serializers.PrimaryKeyRelatedField(
        queryset=SalesOrder.objects.all(),
        required=False,
        help_text="A returned order: credit what arrived back and was not credited yet.",
    )

    def validate(self, attrs):
        if ("invoice" in attrs) == ("order" in attrs):
            message = _("Give the invoice to credit or the returned order, not both.")
            raise serializers.serializers.ValidationError(
                {"invoice": [message]} if "invoice" not in attrs else {"order": [message]}
            )
        if "order" in attrs and "lines" in attrs:
            raise serializers.serializers.ValidationError(
                {"lines": [_("Lines are chosen of an invoice; a return credits what arrived.")]}
            )
        return attrs


class CreditActionsMixin:
    @extend_schema(request=CreditSerializer, responses={201: serializers.InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def credit(self, request, pk=None):
        """Draft a credit note of the invoice: all of it, or the given lines and quantities."""
        data = self.validated(CreditSerializer)
        note = credit_notes.credit_note_create(
            invoice=self.get_object(), actor=request.user, lines=data.get("lines")
        )
        return self._respond(note, status=201)

    @extend_schema(request=None, responses={201: serializers.InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an unpaid posted invoice: a full credit note is posted."""
        return self._respond(
            credit_notes.invoice_cancel(invoice=self.get_object(), actor=request.user), status=201
        )

    @extend_schema(request=None, responses={201: serializers.InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Cancel, and open a new draft copy to fix."""
        return self._respond(
            credit_notes.invoice_correct(invoice=self.get_object(), actor=request.user), status=201
        )


class SendActionMixin:
    @extend_schema(request=serializers.SendSerializer, responses={202: None})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Render the PDF and mail it to the customer (or the given address)."""
        data = self.validated(serializers.SendSerializer)
        invoices.invoice_send(
            invoice=self.get_object(), actor=request.user, email_to=data.get("email_to", "")
        )
        return Response(status=202)


class XMLFileRenderer(BaseRenderer):
    """Lets a client that accepts only application/xml reach the e-invoice downloads."""

    media_type = "application/xml"
    format = "xml"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def _einvoice_schema(syntax: str, description: str):
    errors = {
        401: "Not authenticated.",
        403: "Authenticated, but not allowed.",
        404: "Not found.",
        409: "`not_posted`: a draft or a pro forma has no e-invoice.",
    }
    return extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description=description),
            **{
                (status, "application/json"): OpenApiResponse(ErrorSerializer, description=text)
                for status, text in errors.items()
            },
        },
        summary=f"{syntax} XML of a posted invoice or credit note",
    )


class EInvoiceDownloadsMixin:
    """The e-invoice XML of a posted invoice or credit note: ubl/ (Peppol BIS Billing 3.0) and
    cii/ (the Factur-X XML its PDF carries). 409 `not_posted` for drafts and pro formas."""

    def _download(self, syntax):
        file = einvoice_file(invoice=self.get_object(), syntax=syntax)
        return HttpResponse(
            file.content,
            content_type=file.content_type,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )

    def finalize_response(self, request, response, *args, **kwargs):
        if self.action in ("ubl", "cii") and isinstance(response, Response):
            # An error of a download answers in JSON like every API error, whatever was accepted.
            request.accepted_renderer, request.accepted_media_type = (
                JSONRenderer(),
                JSONRenderer.media_type,
            )
        return super().finalize_response(request, response, *args, **kwargs)

    @_einvoice_schema("UBL", "Peppol BIS Billing 3.0 UBL: an Invoice or a CreditNote.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLFileRenderer])
    def ubl(self, request, pk=None):
        """The Peppol BIS Billing 3.0 UBL of a posted invoice or credit note."""
        return self._download("ubl")

    @_einvoice_schema("CII", "The Factur-X (EN16931 profile) CII XML its PDF carries.")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XMLFileRenderer])
    def cii(self, request, pk=None):
        """The Factur-X CII XML of a posted invoice or credit note, as its PDF carries it."""
        return self._download("cii")


LINE_ID = OpenApiParameter("line_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class InvoiceViewSet(
    EInvoiceDownloadsMixin, SendActionMixin, CreditActionsMixin, ServiceModelViewSet
):
    """Customer, free text and pro forma invoices. POST here makes a free text (or free text pro
    forma) invoice; customer invoices come from an order or packing slips."""

    # The open item and the lines' orders: what `allowed_actions` asks (apply_credit, post).
    queryset = Invoice.objects.select_related("customer__party", "open_item").prefetch_related(
        "packing_slips",
        Prefetch(
            "lines",
            queryset=InvoiceLine.objects.select_related("order_line__order").order_by(
                "line_number"
            ),
        ),
        "allowance_charges",
    )
    serializer_class = serializers.InvoiceSerializer
    filterset_fields = {
        "kind": ["exact"],
        "status": ["exact"],
        "customer": ["exact"],
        "payment_state": ["exact"],
        "invoice_date": ["exact", "gte", "lte"],
        "sales_order": ["exact"],
    }
    search_fields = ["number", "customer__party__name", "customer__account_number"]
    ordering_fields = ["number", "invoice_date", "due_date", "total_amount", "created_at"]
    create_service = _free_text
    update_service = invoices.free_text_invoice_update
    delete_service = invoices.invoice_delete
    action_permissions = {
        "post_invoice": ["invoicing.post_invoice"],
        "cancel": ["invoicing.post_invoice"],
        "correct": ["invoicing.post_invoice"],
    }

    # The line endpoints: only the draft's own row is read, not its lines.
    LINE_ACTIONS = ("add_line", "change_line", "delete_line")
    refusal_codes = dict.fromkeys(LINE_ACTIONS, ("invoice_posted", "invoice_not_editable"))

    def get_queryset(self):
        if getattr(self, "action", None) in self.LINE_ACTIONS:
            return Invoice.objects.all()
        return super().get_queryset()

    def _respond(self, invoice, status=200):
        return Response(
            self.get_serializer(self.get_queryset().get(pk=invoice.pk)).data, status=status
        )

    def _line_result(self, line, status=200):
        return Response(serializers.InvoiceLineSerializer(line).data, status=status)

    @extend_schema(
        request=serializers.InvoiceLineSerializer,
        responses={201: serializers.InvoiceLineSerializer},
    )
    @action(detail=True, methods=["post"], url_path="lines")
    def add_line(self, request, pk=None):
        """Add one line to a draft free text invoice (or its pro forma), numbered after its last
        line. The other lines are not touched; the invoice's totals are summed again. Answers
        the line."""
        data = self.validated(serializers.InvoiceLineSerializer)
        line = invoices.free_text_invoice_line_add(
            invoice=self.get_object(), data=data, actor=request.user
        )
        return self._line_result(line, status=201)

    @extend_schema(
        parameters=[LINE_ID],
        request=serializers.InvoiceLineSerializer(partial=True),
        responses={200: serializers.InvoiceLineSerializer},
    )
    @action(detail=True, methods=["patch"], url_path=r"lines/(?P<line_id>[0-9]+)")
    def change_line(self, request, pk=None, line_id=None):
        """Change the given fields of one line of a draft free text invoice (or its pro forma).
        The other lines are not touched; the invoice's totals are summed again. Answers the
        line."""
        serializer = serializers.InvoiceLineSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            line = invoices.free_text_invoice_line_update(
                invoice=self.get_object(),
                line=int(line_id),
                data=dict(serializer.validated_data),
                actor=request.user,
            )
        except InvoiceLine.DoesNotExist as exc:
            raise Http404 from exc
        return self._line_result(line)

    @extend_schema(
        parameters=[LINE_ID],
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="`lines`: the invoice's last line; delete the invoice instead.",
            ),
        },
    )
    @change_line.mapping.delete
    def delete_line(self, request, pk=None, line_id=None):
        """Delete one line of a draft free text invoice (or its pro forma); the others keep
        their numbers. Its last line is not deleted (400 naming `lines`): delete the invoice."""
        try:
            invoices.free_text_invoice_line_delete(
                invoice=self.get_object(), line=int(line_id), actor=request.user
            )
        except InvoiceLine.DoesNotExist as exc:
            raise Http404 from exc
        return Response(status=204)

    @extend_schema(
        request=serializers.FromOrderSerializer, responses={201: serializers.InvoiceSerializer}
    )
    @action(detail=False, methods=["post"], url_path="from-order")
    def from_order(self, request):
        """Draft an invoice of what the order delivered (or ordered) and did not invoice."""
        data = self.validated(serializers.FromOrderSerializer)
        return self._respond(invoices.invoice_from_order(actor=request.user, **data), status=201)

    @extend_schema(
        request=serializers.FromPackingSlipsSerializer,
        responses={201: serializers.InvoiceSerializer},
    )
    @action(detail=False, methods=["post"], url_path="from-packing-slips")
    def from_packing_slips(self, request):
        """One invoice from the chosen packing slips of one customer."""
        data = self.validated(serializers.FromPackingSlipsSerializer)
        return self._respond(
            invoices.invoice_from_packing_slips(actor=request.user, **data), status=201
        )

    @extend_schema(
        request=serializers.PostSerializer, responses={200: serializers.InvoiceSerializer}
    )
    @action(detail=True, methods=["post"], url_path="post")
    def post_invoice(self, request, pk=None):
        """Post: gapless number, balanced ledger voucher, open item, order remainders."""
        data = self.validated(serializers.PostSerializer)
        return self._respond(
            invoices.invoice_post(invoice=self.get_object(), actor=request.user, **data)
        )


class CreditNoteViewSet(InvoiceViewSet):
    """Credit notes (their own gapless series). POST here drafts one of a posted invoice (all of
    it or chosen lines; also invoices/{id}/credit/) or of a returned order (what arrived back); a
    posted one's open credit is applied to the customer's open invoices (apply/, auto-apply/)."""

    # Invoices of orders and packing slips are made at invoices/: nothing here makes one. A
    # credit note's lines are those it credits: none is entered by hand.
    from_order = None
    from_packing_slips = None
    add_line = None
    change_line = None
    delete_line = None

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        **InvoiceViewSet.action_permissions,
        "apply": ["invoicing.add_paymentapplication"],
        "auto_apply": ["invoicing.add_paymentapplication"],
    }

    def get_queryset(self):
        return super().get_queryset().filter(kind=Invoice.Kind.CREDIT_NOTE)

    @extend_schema(
        request=CreditNoteCreateSerializer,
        responses={
            201: serializers.InvoiceSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_creditable`, `nothing_to_credit`, `over_crediting`: the "
                "invoice cannot be credited so; `not_a_return`: the order is not a return; "
                "`nothing_to_invoice`: nothing arrived back that is not credited.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Draft a credit note: of a posted `invoice` (all of it, or the given `lines`), or of a
        returned `order` (what arrived back and was not credited yet)."""
        data = self.validated(CreditNoteCreateSerializer)
        if "order" in data:
            order = data["order"]
            if not order.is_return:  # its invoice is made at invoices/from-order/
                raise ConflictError(
                    _("Only a returned order is credited; invoice the others."),
                    code="not_a_return",
                )
            note = invoices.invoice_from_order(order=order, actor=request.user)
        else:
            note = credit_notes.credit_note_create(
                invoice=data["invoice"], actor=request.user, lines=data.get("lines")
            )
        return self._respond(note, status=201)

    def _applied(self, note, applications):
        remaining = (
            CustomerTransaction.objects.filter(invoice=note).values_list("remaining", flat=True)
        ).first()
        return Response(
            serializers.CreditApplicationResultSerializer(
                {"remaining_credit": remaining, "applications": applications}
            ).data
        )

    @extend_schema(
        request=serializers.CreditApplySerializer,
        responses={200: serializers.CreditApplicationResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the credit note's open credit (or part of it) to one open invoice of the same
        customer. 409 `over_application` beyond what is open, `other_customer` for another
        customer's item."""
        data = self.validated(serializers.CreditApplySerializer)
        note = self.get_object()
        application = payments.credit_note_apply(
            credit_note=note, item=data["item"], amount=data.get("amount"), actor=request.user
        )
        return self._applied(note, [application])

    @extend_schema(request=None, responses={200: serializers.CreditApplicationResultSerializer})
    @action(detail=True, methods=["post"], url_path="auto-apply")
    def auto_apply(self, request, pk=None):
        """Apply the open credit to the customer's oldest open invoices first."""
        note = self.get_object()
        applications = payments.credit_note_auto_apply(credit_note=note, actor=request.user)
        return self._applied(note, applications)


class PaymentViewSet(ServiceModelViewSet):
    """Customer payments: POST registers one; apply/ and auto-apply/ settle open items."""

    http_method_names = ["get", "post", "head", "options"]
    queryset = Payment.objects.select_related("customer__party")
    serializer_class = serializers.PaymentSerializer
    filterset_fields = ["customer", "date"]
    search_fields = ["number", "reference", "customer__party__name"]
    ordering_fields = ["date", "amount", "number"]
    create_service = payments.payment_register
    # Settling open items is its own permission, apart from registering and changing payments.
    action_permissions = {
        "apply": ["invoicing.add_paymentapplication"],
        "auto_apply": ["invoicing.add_paymentapplication"],
    }

    @extend_schema(
        request=serializers.ApplySerializer, responses={200: serializers.PaymentSerializer}
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the payment (or part of it) to one open item."""
        data = self.validated(serializers.ApplySerializer)
        payment = self.get_object()
        payments.payment_apply(
            payment=payment, item=data["item"], amount=data.get("amount"), actor=request.user
        )
        return Response(self.get_serializer(Payment.objects.get(pk=payment.pk)).data)

    @extend_schema(request=None, responses={200: serializers.PaymentSerializer})
    @action(detail=True, methods=["post"], url_path="auto-apply")
    def auto_apply(self, request, pk=None):
        """Invoice number in the reference first, then an exact open amount, then oldest first."""
        payment = self.get_object()
        payments.payment_auto_apply(payment=payment, actor=request.user)
        return Response(self.get_serializer(Payment.objects.get(pk=payment.pk)).data)


class ReceivablesView(APIView):
    """A customer's balance, open items and aging (current, 1-30, 31-60, 61-90, over 90 days)."""

    permission_classes = [require_perms("invoicing.view_customertransaction")]

    @extend_schema(responses={200: serializers.ReceivablesSerializer})
    def get(self, request, customer: int):
        data = payments.receivables(get_object_or_404(Customer, pk=customer))
        return Response(serializers.ReceivablesSerializer(data).data)


class ReceivablesBalanceView(APIView):
    """What the customer owes: open items less unapplied payments."""

    permission_classes = [require_perms("invoicing.view_customertransaction")]

    @extend_schema(responses={200: serializers.BalanceSerializer})
    def get(self, request, customer: int):
        customer = get_object_or_404(Customer.objects.select_related("currency"), pk=customer)
        data = {
            "customer": customer.pk,
            "currency": customer.currency.code,
            **payments.customer_balance(customer),
        }
        return Response(serializers.BalanceSerializer(data).data)


class ReceivablesOpenItemsView(ListAPIView):
    """The customer's open items, oldest due first: invoices positive, credit notes negative."""

    permission_classes = [require_perms("invoicing.view_customertransaction")]
    serializer_class = serializers.OpenItemSerializer
    queryset = CustomerTransaction.objects.none()  # narrowed to the customer in get_queryset
    filter_backends = []

    def get_queryset(self):
        refuse_unknown_query_parameters(self.request, self)
        return payments.open_items(get_object_or_404(Customer, pk=self.kwargs["customer"]))


class ReceivablesAgingView(APIView):
    """The customer's open amounts by days past due: current, 1-30, 31-60, 61-90, over 90."""

    permission_classes = [require_perms("invoicing.view_customertransaction")]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of",
                # An empty value is today, as the description says: the schema admits it too.
                {
                    "anyOf": [
                        {"type": "string", "format": "date"},
                        {"type": "string", "maxLength": 0},
                    ]
                },
                description="The day to age against; empty: today.",
            )
        ],
        responses={200: serializers.AgingSerializer},
    )
    def get(self, request, customer: int):
        refuse_unknown_query_parameters(request, self, "as_of")
        customer = get_object_or_404(Customer, pk=customer)
        as_of = timezone.localdate()
        if request.query_params.get("as_of"):
            field = serializers.serializers.DateField()
            try:
                as_of = field.to_internal_value(request.query_params["as_of"])
            except ValidationError as exc:
                raise ValidationError({"as_of": exc.detail}) from exc
        buckets = payments.aging(payments.open_items(customer), as_of)
        data = {
            "customer": customer.pk,
            "as_of": as_of,
            "total": sum(buckets.values()),
            "buckets": [{"bucket": name, "amount": amount} for name, amount in buckets.items()],
        }
        return Response(serializers.AgingSerializer(data).data)
