"""Vendors API views: reads for managers and contract admins (POs also for warehouse staff of
their warehouses, without prices), writes for contract admins, receiving for warehouse staff.
Every write calls vendors.services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from opsportal import roles
from vendors import imports, selectors, services
from vendors.api import serializers as s
from vendors.api.common import (
    NATURAL_KEY_PATTERN,
    PO_READERS,
    PO_RECEIVERS,
    VENDOR_READERS,
    VENDOR_WRITERS,
    call_service,
)
from vendors.filters import CarrierFilter, ContractFilter, PurchaseOrderFilter, VendorFilter
from vendors.models import PurchaseOrder, VendorContract


def _valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class VendorViewSet(viewsets.ReadOnlyModelViewSet):
    """Vendors with contacts and counts of active contracts and open purchase orders.
    Contract admins create and change them (contacts replaced when given)."""

    access_roles = VENDOR_READERS
    write_roles = VENDOR_WRITERS
    queryset = selectors.vendors_with_contacts()
    serializer_class = s.VendorSerializer
    filterset_class = VendorFilter
    search_fields = ["name", "email"]
    ordering_fields = ["name", "kind", "status", "active_contracts", "open_purchase_orders"]

    def _saved(self, vendor_id: int, code: int = status.HTTP_200_OK) -> Response:
        vendor = selectors.vendors_with_contacts().get(pk=vendor_id)
        return Response(s.VendorSerializer(vendor).data, status=code)

    @staticmethod
    def _contacts(data: dict) -> list[services.ContactData] | None:
        if "contacts" not in data:
            return None
        return [
            services.ContactData(
                pk=c.get("id"),
                name=c["name"],
                role=c.get("role", ""),
                email=c.get("email", ""),
                phone=c.get("phone", ""),
                is_primary=c.get("is_primary", False),
            )
            for c in data.pop("contacts")
        ]

    @extend_schema(request=s.VendorInputSerializer, responses={201: s.VendorSerializer})
    def create(self, request: Request) -> Response:
        data = dict(_valid(s.VendorInputSerializer, request))
        contacts = self._contacts(data)
        vendor = call_service(
            services.vendor_save, vendor=None, data=data, contacts=contacts, by=request.user
        )
        return self._saved(vendor.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.VendorInputSerializer, responses=s.VendorSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        vendor = self.get_object()
        data = dict(_valid(s.VendorInputSerializer, request, partial=True))
        data.pop("status", None)
        data.pop("status_reason", None)
        contacts = self._contacts(data)
        call_service(
            services.vendor_save, vendor=vendor, data=data, contacts=contacts, by=request.user
        )
        return self._saved(vendor.pk)

    @extend_schema(request=s.VendorStatusInputSerializer, responses=s.VendorSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        """Put the vendor on the approved-supplier list as qualified, conditional or disqualified."""
        vendor = self.get_object()
        data = _valid(s.VendorStatusInputSerializer, request)
        call_service(
            services.vendor_set_status,
            vendor=vendor,
            status=data["status"],
            reason=data["reason"],
            by=request.user,
        )
        return self._saved(vendor.pk)


class ContractViewSet(viewsets.ReadOnlyModelViewSet):
    """Vendor contracts; the detail carries the price lines. Never for warehouse staff.
    Contract admins write: a change carries the `version` it was read at; a stale one is a 409."""

    access_roles = VENDOR_READERS
    write_roles = VENDOR_WRITERS
    queryset = selectors.contracts()
    filterset_class = ContractFilter
    search_fields = ["number", "title", "vendor__name"]
    ordering_fields = ["number", "start_date", "end_date", "value", "status"]

    def get_queryset(self) -> QuerySet[VendorContract]:
        if self.action == "list":
            return selectors.contracts()
        return selectors.contracts_with_prices()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return s.ContractSerializer if self.action == "list" else s.ContractDetailSerializer

    def _saved(self, contract_id: int, code: int = status.HTTP_200_OK) -> Response:
        contract = selectors.contracts_with_prices().get(pk=contract_id)
        return Response(s.ContractDetailSerializer(contract).data, status=code)

    @staticmethod
    def _prices(data: dict) -> list[services.PriceLine] | None:
        if "prices" not in data:
            return None
        return [
            services.PriceLine(p["sku"], p["price"], p["min_qty"], p["lead_time_days"])
            for p in data.pop("prices")
        ]

    @extend_schema(request=s.ContractInputSerializer, responses={201: s.ContractDetailSerializer})
    def create(self, request: Request) -> Response:
        data = dict(_valid(s.ContractInputSerializer, request))
        data.pop("version", None)
        missing = [
            n for n in ("vendor", "number", "title", "start_date", "end_date") if n not in data
        ]
        if missing:
            raise serializers.ValidationError({n: ["This field is required."] for n in missing})
        prices = self._prices(data)
        contract = call_service(services.contract_create, data=data, prices=prices, by=request.user)
        return self._saved(contract.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.ContractInputSerializer, responses=s.ContractDetailSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        data = dict(_valid(s.ContractInputSerializer, request, partial=True))
        if "version" not in data:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        version = data.pop("version")
        data.pop("number", None)  # fixed once created
        prices = self._prices(data)
        call_service(
            services.contract_update,
            contract=contract,
            version=version,
            data=data,
            prices=prices,
            by=request.user,
        )
        return self._saved(contract.pk)

    @extend_schema(request=s.VersionInputSerializer, responses=s.ContractDetailSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.VersionInputSerializer, request)
        contract = call_service(
            services.contract_activate,
            contract=self.get_object(),
            version=data["version"],
            by=request.user,
        )
        return self._saved(contract.pk)

    @extend_schema(request=s.TerminateInputSerializer, responses=s.ContractDetailSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.TerminateInputSerializer, request)
        contract = call_service(
            services.contract_terminate,
            contract=self.get_object(),
            version=data["version"],
            reason=data["reason"],
            by=request.user,
        )
        return self._saved(contract.pk)

    @extend_schema(request=s.RenewInputSerializer, responses={201: s.ContractDetailSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str | None = None) -> Response:
        """Renew: the contract becomes `renewed`; the answer is the next term (a new contract)."""
        data = _valid(s.RenewInputSerializer, request)
        successor = call_service(
            services.contract_renew,
            contract=self.get_object(),
            version=data["version"],
            by=request.user,
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
        )
        return self._saved(successor.pk, status.HTTP_201_CREATED)


class CarrierViewSet(viewsets.ReadOnlyModelViewSet):
    """Carriers by code, each with its services and their rate cards. Contract admins create and
    change carriers and services, and import rate cards (CSV; all rows or none)."""

    access_roles = VENDOR_READERS
    write_roles = VENDOR_WRITERS
    queryset = selectors.carriers_with_rates()
    serializer_class = s.CarrierSerializer
    filterset_class = CarrierFilter
    lookup_field = "code"
    lookup_value_regex = NATURAL_KEY_PATTERN
    search_fields = ["code", "vendor__name"]
    ordering_fields = ["code"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _saved(self, code: str, status_code: int = status.HTTP_200_OK) -> Response:
        carrier = selectors.carriers_with_rates().get(code=code)
        return Response(s.CarrierSerializer(carrier).data, status=status_code)

    @extend_schema(request=s.CarrierInputSerializer, responses={201: s.CarrierSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.CarrierInputSerializer, request)
        carrier = call_service(services.carrier_save, carrier=None, data=data, by=request.user)
        return self._saved(carrier.code, status.HTTP_201_CREATED)

    @extend_schema(request=s.CarrierInputSerializer, responses=s.CarrierSerializer)
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        carrier = self.get_object()
        data = dict(_valid(s.CarrierInputSerializer, request, partial=True))
        data.pop("vendor_name", None)
        data.setdefault("tracking_url_template", carrier.tracking_url_template)
        saved = call_service(services.carrier_save, carrier=carrier, data=data, by=request.user)
        return self._saved(saved.code)

    @extend_schema(request=s.CarrierServiceInputSerializer, responses={201: s.CarrierSerializer})
    @action(detail=True, methods=["post"])
    def services(self, request: Request, code: str | None = None) -> Response:
        """Add a service (or change the one with the same code)."""
        carrier = self.get_object()
        data = _valid(s.CarrierServiceInputSerializer, request)
        existing = carrier.services.filter(code__iexact=data["code"].strip()).first()
        call_service(
            services.carrier_service_save,
            carrier=carrier,
            service=existing,
            data=data,
            by=request.user,
        )
        return self._saved(
            carrier.code, status.HTTP_200_OK if existing else status.HTTP_201_CREATED
        )

    @extend_schema(request=s.RateImportInputSerializer, responses=s.RateImportResultSerializer)
    @action(detail=True, methods=["post"], url_path="rates/import", url_name="rate-import")
    def rate_import(self, request: Request, code: str | None = None) -> Response:
        """Replace the rate cards of the services a CSV names (service, zone, max_weight_grams,
        price, transit_days). A bad row: 400 with `problems` [{row, column, message}]."""
        carrier = self.get_object()
        data = _valid(s.RateImportInputSerializer, request)
        raw = (
            data["file"].read(imports.MAX_BYTES + 1)
            if data.get("file")
            else data["csv"].encode("utf-8")
        )
        try:
            summary = imports.rate_card_import_csv(carrier=carrier, data=raw)
        except DjangoValidationError as exc:
            problems = [p.as_dict() for p in imports.problems_of(exc)]
            return Response({"problems": problems}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            s.RateImportResultSerializer(
                {"services": summary.services, "rates": summary.rates, "replaced": summary.replaced}
            ).data
        )


class PurchaseOrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Purchase orders by number. Warehouse staff: their warehouses only, and no prices.
    Contract admins create drafts (priced from the contract), send and cancel them; warehouse
    staff of the PO's warehouse receive them."""

    access_roles = PO_READERS
    write_roles = VENDOR_WRITERS
    queryset = PurchaseOrder.objects.none()
    filterset_class = PurchaseOrderFilter
    lookup_field = "number"
    lookup_value_regex = NATURAL_KEY_PATTERN
    search_fields = ["number", "vendor__name"]
    ordering_fields = ["number", "created_at", "expected_date", "status"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Receiving is stock work: warehouse staff (checked against the PO's warehouse below).
        if getattr(self, "action", None) == "receive":
            self.write_roles = PO_RECEIVERS
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        if getattr(self, "swagger_fake_view", False):
            return PurchaseOrder.objects.none()
        return selectors.purchase_orders_for(
            self.request.user, today=timezone.localdate(), with_lines=True
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The schema documents the full (priced) shape; staff get the same minus the prices.
        if getattr(self, "swagger_fake_view", False) or selectors.can_see_prices(self.request.user):
            return s.PricedPurchaseOrderSerializer
        return s.PurchaseOrderSerializer

    def _saved(self, number: str, code: int = status.HTTP_200_OK) -> Response:
        try:
            po = self.get_queryset().get(number=number)
        except PurchaseOrder.DoesNotExist:
            raise Http404 from None
        return Response(self.get_serializer_class()(po).data, status=code)

    @extend_schema(
        request=s.PurchaseOrderInputSerializer, responses={201: s.PricedPurchaseOrderSerializer}
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.PurchaseOrderInputSerializer, request)
        po = call_service(
            services.purchase_order_create,
            vendor=data["vendor"],
            warehouse=data["warehouse"],
            lines=[services.OrderLineData(line["sku"], line["quantity"]) for line in data["lines"]],
            expected_date=data.get("expected_date"),
            notes=data.get("notes", ""),
            allow_off_contract=data.get("allow_off_contract", False),
            by=request.user,
        )
        return self._saved(po.number, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PricedPurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, number: str | None = None) -> Response:
        """draft → sent: the PDF is rendered in the background and emailed to the vendor."""
        po = call_service(
            services.purchase_order_send, purchase_order=self.get_object(), by=request.user
        )
        return self._saved(po.number)

    @extend_schema(request=s.ReceiveInputSerializer, responses=s.PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, number: str | None = None) -> Response:
        """Receive quantities by SKU or barcode into the PO's warehouse (all lines or none)."""
        po = self.get_object()
        warehouse_ids = roles.warehouse_ids_for(request.user)
        if warehouse_ids is not None and po.warehouse_id not in warehouse_ids:
            raise PermissionDenied("You do not work in this warehouse.")
        data = _valid(s.ReceiveInputSerializer, request)
        call_service(
            services.purchase_order_receive,
            purchase_order=po,
            receipts=[services.Receipt(line["sku"], line["quantity"]) for line in data["lines"]],
            by=request.user,
        )
        return self._saved(po.number)

    @extend_schema(request=s.CancelInputSerializer, responses=s.PricedPurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, number: str | None = None) -> Response:
        data = _valid(s.CancelInputSerializer, request)
        po = call_service(
            services.purchase_order_cancel,
            purchase_order=self.get_object(),
            reason=data["reason"],
            by=request.user,
        )
        return self._saved(po.number)
