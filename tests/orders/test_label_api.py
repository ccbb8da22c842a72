"""Labels API: a batch job (202 + the document to poll) and ZPL at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsportal.models import DocumentJob
from orders.models import Shipment
from tests.orders.test_labels import packed_shipments

pytestmark = pytest.mark.django_db


def test_a_batch_is_accepted_as_a_job_to_poll(
    warehouse_client, warehouse, django_capture_on_commit_callbacks
):
    shipments = packed_shipments(2, warehouse=warehouse)
    with django_capture_on_commit_callbacks() as callbacks:
        response = warehouse_client.post(
            reverse("api:label-list"),
            {"shipments": [s.pk for s in shipments]},
            content_type="application/json",
        )
    assert response.status_code == 202, response.json()
    job = DocumentJob.objects.get()
    assert response.json() == {
        "job": job.pk,
        "status": "queued",
        "total": 2,
        "url": reverse("api:documentjob-detail", args=[job.pk]),
    }
    assert len(callbacks) == 1
    assert warehouse_client.get(response.json()["url"]).json()["status"] == "queued"


def test_zpl_comes_back_at_once_with_every_tracking_number(manager_client, warehouse):
    shipments = packed_shipments(3, warehouse=warehouse)
    response = manager_client.post(
        reverse("api:label-zpl"),
        {"shipments": [s.pk for s in shipments]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    zpl = response.content.decode()
    assert zpl.count("^XA") == 3
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.LABELLED
        assert f"^FD{shipment.tracking_number}^FS" in zpl


def test_bad_batches_are_400_naming_the_shipment(warehouse_client, warehouse, other_warehouse):
    (theirs,) = packed_shipments(1, warehouse=other_warehouse)
    response = warehouse_client.post(
        reverse("api:label-list"), {"shipments": [theirs.pk]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"shipments": [f"Shipment {theirs.pk} does not exist."]}
    response = warehouse_client.post(
        reverse("api:label-list"),
        {"shipments": [1], "format": "png"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "format" in response.json()
    assert not DocumentJob.objects.exists()


def test_contract_admins_cannot_print_labels(contracts_client):
    response = contracts_client.post(
        reverse("api:label-zpl"), {"shipments": [1]}, content_type="application/json"
    )
    assert response.status_code == 403
