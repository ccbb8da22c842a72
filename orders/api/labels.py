"""Shipping labels API: a batch as a background PDF (or ZPL) job, or ZPL at once."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from orders import labels
from orders.api.common import MANAGER, STAFF, call_service


class LabelBatchSerializer(serializers.Serializer):
    shipments = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=labels.MAX_BATCH
    )
    format = serializers.ChoiceField(choices=labels.FORMAT_CHOICES, default="pdf")


class ZPLBatchSerializer(serializers.Serializer):
    shipments = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=labels.MAX_BATCH
    )


class LabelJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    url = serializers.CharField(help_text="Poll this document for progress and the file")


class LabelBatchViewSet(viewsets.ViewSet):
    """Labels for packed shipments of the caller's warehouses (staff) or any (managers)."""

    access_roles = (MANAGER, STAFF)

    @extend_schema(
        request=LabelBatchSerializer,
        responses={202: LabelJobSerializer, 400: OpenApiResponse(description="Names the shipment")},
    )
    def create(self, request: Request) -> Response:
        """Queue one label document for the batch; poll /api/v1/documents/{job}/ for it."""
        data = LabelBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = call_service(
            labels.labels_request,
            shipment_ids=data.validated_data["shipments"],
            by=request.user,
            fmt=data.validated_data["format"],
        )
        body = {
            "job": job.pk,
            "status": job.status,
            "total": job.total,
            "url": reverse("api:documentjob-detail", args=[job.pk]),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ZPLBatchSerializer,
        responses={(200, "text/plain"): OpenApiTypes.STR, 400: OpenApiResponse()},
    )
    @action(detail=False, methods=["post"])
    def zpl(self, request: Request) -> HttpResponse:
        """ZPL II for the batch, at once (thermal printers draw it themselves: no rendering)."""
        data = ZPLBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = call_service(
            labels.labels_prepare, shipment_ids=data.validated_data["shipments"], by=request.user
        )
        response = HttpResponse(
            labels.render_zpl(labels.labels_for(ids)), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="labels.zpl"'
        return response


ROUTES = [("labels", LabelBatchViewSet, "label")]
