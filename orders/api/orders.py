"""Orders and shipments API: reads with everything nested, intake, and the workflow verbs.

`POST /api/v1/orders/` takes DESIGN.md's body and is idempotent on (channel, external_ref):
201 with the order when it was created, 200 with the same body for a repeat (even concurrent).
Errors name the field as DRF nests it: {"lines": {"1": {"sku": ["…"]}}} is `lines[1].sku`.
Workflow verbs are POST actions on the resource (`/orders/{number}/cancel/`,
`/shipments/{id}/pack/`, …); they call orders.services, whose refusals are 400 (bad input) or
409 (the order's or the stock's state). Warehouse staff pick, pack and ship in their warehouses
only (others' shipments are 404); everything else that writes is for managers.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Warehouse
from orders import selectors, services
from orders.api.common import (
    MANAGER,
    STAFF,
    ManagerOnlyFieldsMixin,
    NewestFirstCursorPagination,
    PricesInContextMixin,
    call_service,
)
from orders.api.intake_view import with_fast_intake
from orders.filters import OrderFilter, ShipmentFilter
from orders.intake import OrderIntakeSerializer, fast_order_input, order_input
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from vendors.models import CarrierService

# --- read serializers -------------------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Allocation
        fields = ["warehouse", "quantity"]
        read_only_fields = fields


class OrderLineSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("unit_price",)
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    backordered = serializers.IntegerField(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_name",
            "quantity",
            "unit_price",
            "allocated",
            "shipped",
            "backordered",
            "allocations",
        ]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["order_line", "sku", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("cost", "quotes")
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier = serializers.CharField(
        source="carrier_service.carrier.code", read_only=True, allow_null=True
    )
    service = serializers.CharField(source="carrier_service.code", read_only=True, allow_null=True)
    service_name = serializers.CharField(
        source="carrier_service.name", read_only=True, allow_null=True
    )
    tracking_url = serializers.SerializerMethodField()
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "warehouse",
            "carrier",
            "service",
            "service_name",
            "status",
            "tracking_number",
            "tracking_url",
            "weight_grams",
            "cost",
            "quotes",
            "override_reason",
            "estimated_delivery_date",
            "exception_reason",
            "created_at",
            "shipped_at",
            "delivered_at",
            "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_tracking_url(self, shipment: Shipment) -> str:
        return selectors.tracking_link(shipment)


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["kind", "message", "actor", "data", "created_at"]
        read_only_fields = fields


class OrderSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("total_amount", "currency", "routing")
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "external_ref",
            "customer_name",
            "customer_email",
            "ship_to_name",
            "ship_to_line1",
            "ship_to_line2",
            "ship_to_city",
            "ship_to_region",
            "ship_to_postal_code",
            "ship_to_country",
            "service_level",
            "status",
            "payment_status",
            "hold_kind",
            "hold_reason",
            "promised_ship_date",
            "promised_delivery_date",
            "at_risk",
            "total_amount",
            "currency",
            "routing",
            "placed_at",
            "created_at",
            "updated_at",
            "lines",
            "shipments",
            "events",
        ]
        read_only_fields = fields


# --- intake response --------------------------------------------------------------------------


class IntakeLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    backordered = serializers.IntegerField()

    class Meta:
        model = OrderLine
        fields = ["sku", "quantity", "unit_price", "allocated", "backordered"]
        read_only_fields = fields


class IntakeShipmentSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    carrier = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = ["id", "warehouse", "status", "carrier", "service", "estimated_delivery_date"]
        read_only_fields = fields

    @staticmethod
    def _chosen(shipment: Shipment) -> dict:
        return next((q for q in shipment.quotes or [] if q.get("chosen")), {})

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_carrier(self, shipment: Shipment) -> str | None:
        return self._chosen(shipment).get("carrier")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_service(self, shipment: Shipment) -> str | None:
        return self._chosen(shipment).get("service")


class IntakeResultSerializer(serializers.ModelSerializer):
    """What intake answers: the order as placed (the same body for a repeated post)."""

    customer = serializers.SerializerMethodField()
    ship_to = serializers.SerializerMethodField()
    lines = IntakeLineSerializer(source="intake_lines", many=True)
    shipments = IntakeShipmentSerializer(source="intake_shipments", many=True)
    routing = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "external_ref",
            "status",
            "payment_status",
            "hold_kind",
            "hold_reason",
            "service_level",
            "promised_ship_date",
            "promised_delivery_date",
            "at_risk",
            "total_amount",
            "currency",
            "customer",
            "ship_to",
            "lines",
            "shipments",
            "routing",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}
    )
    def get_customer(self, order: Order) -> dict:
        return {"name": order.customer_name, "email": order.customer_email}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_ship_to(self, order: Order) -> dict:
        return {
            "name": order.ship_to_name,
            "line1": order.ship_to_line1,
            "line2": order.ship_to_line2,
            "city": order.ship_to_city,
            "region": order.ship_to_region,
            "postal_code": order.ship_to_postal_code,
            "country": order.ship_to_country,
        }

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "chosen": {"type": "array", "items": {"type": "string"}},
                "reason": {"type": "string"},
            },
        }
    )
    def get_routing(self, order: Order) -> dict:
        data = order.routing if isinstance(order.routing, dict) else {}
        return {"chosen": data.get("chosen", []), "reason": data.get("reason", "")}


def _money(value) -> str:
    return f"{value:.2f}"


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _intake_body(result: services.IntakeResult) -> dict:
    """The IntakeResultSerializer body, built directly: intake is the hot path, and building
    a ModelSerializer's fields costs more than the rest of the answer (same output, tested)."""
    order = result.order
    if result.created:
        lines, shipments = result.lines, result.shipments
    else:
        lines = list(order.lines.select_related("product").order_by("id"))
        shipments = list(order.shipments.select_related("warehouse").order_by("id"))
    routing = order.routing if isinstance(order.routing, dict) else {}
    return {
        "number": order.number,
        "channel": order.channel,
        "external_ref": order.external_ref,
        "status": order.status,
        "payment_status": order.payment_status,
        "hold_kind": order.hold_kind,
        "hold_reason": order.hold_reason,
        "service_level": order.service_level,
        "promised_ship_date": _day(order.promised_ship_date),
        "promised_delivery_date": _day(order.promised_delivery_date),
        "at_risk": order.at_risk,
        "total_amount": _money(order.total_amount),
        "currency": order.currency,
        "customer": {"name": order.customer_name, "email": order.customer_email},
        "ship_to": {
            "name": order.ship_to_name,
            "line1": order.ship_to_line1,
            "line2": order.ship_to_line2,
            "city": order.ship_to_city,
            "region": order.ship_to_region,
            "postal_code": order.ship_to_postal_code,
            "country": order.ship_to_country,
        },
        "lines": [
            {
                "sku": line.product.sku,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "allocated": line.allocated,
                "backordered": line.backordered,
            }
            for line in lines
        ],
        "shipments": [
            {
                "id": shipment.pk,
                "warehouse": shipment.warehouse.code,
                "status": shipment.status,
                "carrier": IntakeShipmentSerializer._chosen(shipment).get("carrier"),
                "service": IntakeShipmentSerializer._chosen(shipment).get("service"),
                "estimated_delivery_date": _day(shipment.estimated_delivery_date),
            }
            for shipment in shipments
        ],
        "routing": {"chosen": routing.get("chosen", []), "reason": routing.get("reason", "")},
    }


# --- workflow requests ------------------------------------------------------------------------

# Hold kinds a request may name (not "" = no hold); SPECTACULAR_SETTINGS names this enum.
HOLD_CHOICES = [(k.value, k.label) for k in Order.HoldKind if k.value]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class HoldSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HOLD_CHOICES)
    reason = serializers.CharField(max_length=300)


class ReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RerouteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    warehouse = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Warehouse.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Only this warehouse; leave out to route automatically again.",
    )


class PaymentSerializer(serializers.Serializer):
    payment_status = serializers.ChoiceField(choices=Order.PaymentStatus.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PackLineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=0)


class PackSerializer(serializers.Serializer):
    weight_grams = serializers.IntegerField(min_value=1, max_value=services.MAX_PARCEL_GRAMS)
    quantities = PackLineSerializer(
        many=True,
        required=False,
        help_text="Units packed per order line; leave out to pack everything on the shipment.",
    )


class ShipSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=60)


class DeliverSerializer(serializers.Serializer):
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CarrierOverrideSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=CarrierService.objects.filter(is_active=True).select_related("carrier")
    )
    reason = serializers.CharField(max_length=300)


class PickBatchSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)


# --- views ------------------------------------------------------------------------------------


def _valid(serializer_class, request: Request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names each field"),
    409: OpenApiResponse(description="The order's or the stock's state does not allow it"),
}


class OrderViewSet(PricesInContextMixin, viewsets.ReadOnlyModelViewSet):
    """Orders with lines, allocations, shipments and the timeline; staff: their warehouses only.

    Intake (`POST`) and the workflow verbs are for managers."""

    access_roles = (MANAGER, STAFF)
    write_roles = (MANAGER,)
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    pagination_class = NewestFirstCursorPagination
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    search_fields = ("=number", "customer_name", "customer_email", "=external_ref")
    ordering_fields = ("placed_at", "number")
    ordering = selectors.ORDER_LIST_ORDERING
    queryset = Order.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.order_api_queryset(self.request.user)

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        if actions and actions.get("post") == "create":
            return with_fast_intake(view, cls)  # the hot path skips DRF's dispatch when it can
        return view

    @extend_schema(
        request=OrderIntakeSerializer,
        responses={
            201: IntakeResultSerializer,
            200: OpenApiResponse(
                IntakeResultSerializer, description="Already received: the same order"
            ),
            400: _ERRORS[400],
        },
    )
    def create(self, request: Request) -> Response:
        """Take an order (idempotent on channel + external_ref): route, reserve, quote."""
        # The hot path: a strict hand-written check; in any doubt the serializer judges (its
        # errors are the 400s), so both accept and refuse exactly the same bodies.
        data = fast_order_input(request.data)
        if data is None:
            data = order_input(_valid(OrderIntakeSerializer, request))
        result = call_service(services.order_intake, data=data, by=request.user)
        return Response(
            _intake_body(result),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": f"{request.path}{result.order.number}/"},
        )

    def _answer(self, order: Order) -> Response:
        fresh = get_object_or_404(self.get_queryset(), pk=order.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=ReasonSerializer, responses={200: OrderSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, number: str) -> Response:
        """Cancel an order none of which has shipped; its reservations are released."""
        data = _valid(ReasonSerializer, request)
        order = call_service(
            services.order_cancel, order=self.get_object(), by=request.user, reason=data["reason"]
        )
        return self._answer(order)

    @extend_schema(request=HoldSerializer, responses={200: OrderSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, number: str) -> Response:
        """Put the order on hold (payment, address, manual) with a reason."""
        data = _valid(HoldSerializer, request)
        order = call_service(
            services.order_hold,
            order=self.get_object(),
            kind=data["kind"],
            reason=data["reason"],
            by=request.user,
        )
        return self._answer(order)

    @extend_schema(request=ReleaseSerializer, responses={200: OrderSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, number: str) -> Response:
        """Release the order's hold."""
        data = _valid(ReleaseSerializer, request)
        order = call_service(
            services.order_release_hold, order=self.get_object(), by=request.user, note=data["note"]
        )
        return self._answer(order)

    @extend_schema(request=RerouteSerializer, responses={200: OrderSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def reroute(self, request: Request, number: str) -> Response:
        """Route what is not packed again (optionally to one warehouse), with a reason."""
        data = _valid(RerouteSerializer, request)
        order = call_service(
            services.order_reroute,
            order=self.get_object(),
            by=request.user,
            reason=data["reason"],
            warehouse=data["warehouse"],
        )
        return self._answer(order)

    @extend_schema(request=PaymentSerializer, responses={200: OrderSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def payment(self, request: Request, number: str) -> Response:
        """Record the payment status (a failed payment puts the order on hold)."""
        data = _valid(PaymentSerializer, request)
        order = call_service(
            services.order_set_payment_status,
            order=self.get_object(),
            payment_status=data["payment_status"],
            note=data["note"],
            by=request.user,
        )
        return self._answer(order)


class ShipmentViewSet(PricesInContextMixin, viewsets.ReadOnlyModelViewSet):
    """Shipments of the user's warehouses (all for managers), and their fulfilment verbs."""

    access_roles = (MANAGER, STAFF)
    write_roles = (MANAGER,)
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    pagination_class = NewestFirstCursorPagination
    search_fields = ("=tracking_number", "=order__number")
    # Cursor pages need a non-null, indexed ordering: the id (creation order) only.
    ordering_fields = ("id",)
    ordering = selectors.NEWEST_FIRST
    queryset = Shipment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        return selectors.shipment_api_queryset(self.request.user)

    def _answer(self, shipment: Shipment) -> Response:
        fresh = get_object_or_404(self.get_queryset(), pk=shipment.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=PickBatchSerializer,
        responses={200: ShipmentSerializer(many=True), **_ERRORS},
    )
    @action(detail=False, methods=["post"], write_roles=(MANAGER, STAFF))
    def pick(self, request: Request) -> Response:
        """Start a pick batch: the oldest pending shipments of a warehouse become `picking`."""
        data = _valid(PickBatchSerializer, request)
        warehouse = data["warehouse"]
        if not selectors.pick_warehouses_for(request.user).filter(pk=warehouse.pk).exists():
            raise serializers.ValidationError(
                {"warehouse": [f"You do not work in {warehouse.code}."]}
            )
        batch = call_service(
            services.shipments_start_picking,
            warehouse=warehouse,
            by=request.user,
            limit=data["limit"],
        )
        shipments = self.get_queryset().filter(pk__in=[s.pk for s in batch]).order_by("id")
        return Response(self.get_serializer(shipments, many=True).data)

    @extend_schema(request=PackSerializer, responses={200: ShipmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], write_roles=(MANAGER, STAFF))
    def pack(self, request: Request, pk: str) -> Response:
        """Confirm the packed units (fewer go onto a new shipment) and the weight."""
        data = _valid(PackSerializer, request)
        quantities = None
        if data.get("quantities") is not None:
            quantities = {row["order_line"]: row["quantity"] for row in data["quantities"]}
        shipment = call_service(
            services.shipment_pack,
            shipment=self.get_object(),
            by=request.user,
            weight_grams=data["weight_grams"],
            quantities=quantities,
        )
        return self._answer(shipment)

    @extend_schema(request=ShipSerializer, responses={200: ShipmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], write_roles=(MANAGER, STAFF))
    def ship(self, request: Request, pk: str) -> Response:
        """Hand the packed shipment to the carrier with its tracking number (ledger: shipment)."""
        data = _valid(ShipSerializer, request)
        shipment = call_service(
            services.shipment_ship,
            shipment=self.get_object(),
            by=request.user,
            tracking_number=data["tracking_number"],
        )
        return self._answer(shipment)

    @extend_schema(request=DeliverSerializer, responses={200: ShipmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        """Record delivery (repeating it changes nothing)."""
        data = _valid(DeliverSerializer, request)
        shipment = call_service(
            services.shipment_deliver,
            shipment=self.get_object(),
            by=request.user,
            at=data["delivered_at"],
            source="API",
        )
        return self._answer(shipment)

    @extend_schema(request=ReasonSerializer, responses={200: ShipmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def exception(self, request: Request, pk: str) -> Response:
        """Record a delivery exception: the order is flagged at risk."""
        data = _valid(ReasonSerializer, request)
        shipment = call_service(
            services.shipment_exception,
            shipment=self.get_object(),
            by=request.user,
            reason=data["reason"],
            source="API",
        )
        return self._answer(shipment)

    @extend_schema(
        request=CarrierOverrideSerializer, responses={200: ShipmentSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def carrier(self, request: Request, pk: str) -> Response:
        """Choose the carrier service by hand, with a reason."""
        data = _valid(CarrierOverrideSerializer, request)
        shipment = call_service(
            services.shipment_override_carrier,
            shipment=self.get_object(),
            service=data["service"],
            reason=data["reason"],
            by=request.user,
        )
        return self._answer(shipment)


ROUTES = [
    ("orders", OrderViewSet, "order"),
    ("shipments", ShipmentViewSet, "shipment"),
]
