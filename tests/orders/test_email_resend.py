"""A manager resends an outbox email on purpose: counted, on the timeline, sent once more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import CustomerEmail, OrderEvent
from tests.factories import CustomerEmailFactory

pytestmark = pytest.mark.django_db


def test_a_manager_resends_a_sent_email_from_the_outbox(
    manager_client, manager, django_capture_on_commit_callbacks
):
    email = CustomerEmailFactory(status=CustomerEmail.Status.SENT, attempts=1)
    outbox = manager_client.get(reverse("orders:email_list"))
    assert b'data-testid="resend"' in outbox.content
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(
            reverse("orders:email_resend", args=[email.pk]), {"next": "/orders/emails/?q=x"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/orders/emails/?q=x"
    email.refresh_from_db()
    assert (email.status, email.resends, email.attempts) == ("pending", 1, 0)
    assert len(callbacks) == 1
    event = OrderEvent.objects.get(order=email.order)
    assert event.actor == manager
    assert "resent" in event.message


def test_an_email_on_its_way_cannot_be_resent(manager_client):
    email = CustomerEmailFactory(status=CustomerEmail.Status.PENDING)
    outbox = manager_client.get(reverse("orders:email_list"))
    assert b'data-testid="resend"' not in outbox.content
    response = manager_client.post(
        reverse("orders:email_resend", args=[email.pk]),
        {"next": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("orders:email_list")
    assert "only a sent or failed email can be sent again" in response.content.decode()
    email.refresh_from_db()
    assert (email.status, email.resends) == ("pending", 0)


def test_staff_cannot_resend(warehouse_client):
    email = CustomerEmailFactory(status=CustomerEmail.Status.FAILED)
    assert warehouse_client.post(reverse("orders:email_resend", args=[email.pk])).status_code == 403
    assert warehouse_client.get(reverse("orders:email_resend", args=[email.pk])).status_code == 403
    email.refresh_from_db()
    assert email.resends == 0
