"""The outbox API: managers read it and resend on purpose; 409 while an email is on its way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import CustomerEmail
from tests.factories import CustomerEmailFactory

pytestmark = pytest.mark.django_db


def test_a_manager_resends_a_failed_email(manager_client, django_capture_on_commit_callbacks):
    email = CustomerEmailFactory(status=CustomerEmail.Status.FAILED, last_error="550 no")
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(reverse("api:customeremail-resend", args=[email.pk]))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resends"]) == ("pending", 1)
    assert len(callbacks) == 1


def test_an_email_on_its_way_is_409_and_staff_are_refused(manager_client, warehouse_client):
    email = CustomerEmailFactory(status=CustomerEmail.Status.SENDING)
    response = manager_client.post(reverse("api:customeremail-resend", args=[email.pk]))
    assert response.status_code == 409
    assert "only a sent or failed email" in response.json()["status"][0]
    assert (
        warehouse_client.post(reverse("api:customeremail-resend", args=[email.pk])).status_code
        == 403
    )
    email.refresh_from_db()
    assert email.resends == 0
