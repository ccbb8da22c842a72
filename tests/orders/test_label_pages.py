"""The label page: packed shipments of the user's warehouses, a batch → the document page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsportal.models import DocumentJob
from orders.models import Shipment
from tests.orders.helpers import count_rows
from tests.orders.test_labels import packed_shipments

pytestmark = pytest.mark.django_db
URL = reverse("orders:label_batch")


def test_staff_see_only_packed_shipments_of_their_warehouses(
    warehouse_client, warehouse, other_warehouse
):
    mine = packed_shipments(2, warehouse=warehouse)
    packed_shipments(1, warehouse=other_warehouse)
    Shipment.objects.filter(pk=mine[1].pk).update(status=Shipment.Status.SHIPPED)
    page = warehouse_client.get(URL)
    assert page.status_code == 200
    assert count_rows(page, "label-row") == 1
    assert f'value="{mine[0].pk}"' in page.content.decode()
    reprint = warehouse_client.get(URL, {"show": "all", "warehouse": "x"})
    assert count_rows(reprint, "label-row") == 2


def test_printing_a_batch_sends_to_the_document_page(
    warehouse_client, warehouse, django_capture_on_commit_callbacks
):
    shipments = packed_shipments(2, warehouse=warehouse)
    with django_capture_on_commit_callbacks():
        response = warehouse_client.post(
            URL, {"shipment": [s.pk for s in shipments], "format": "zpl"}
        )
    job = DocumentJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("document_detail", args=[job.pk])
    assert job.params["format"] == "zpl"
    assert warehouse_client.get(response["Location"]).status_code == 200


def test_a_bad_batch_shows_the_reason_and_keeps_the_choice(
    warehouse_client, warehouse, other_warehouse
):
    (mine,) = packed_shipments(1, warehouse=warehouse)
    (theirs,) = packed_shipments(1, warehouse=other_warehouse)
    response = warehouse_client.post(URL, {"shipment": [mine.pk, theirs.pk]})
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Shipment {theirs.pk} does not exist" in body
    assert f'value="{mine.pk}" id="s{mine.pk}" aria-label="Shipment {mine.pk}" checked' in body
    assert not DocumentJob.objects.exists()


def test_the_label_page_costs_the_same_queries_for_1_and_25_shipments(manager_client, warehouse):
    from tests.orders.helpers import queries_for

    packed_shipments(1, warehouse=warehouse)
    one = queries_for(manager_client, URL)
    packed_shipments(24, warehouse=warehouse)
    assert queries_for(manager_client, URL) == one
