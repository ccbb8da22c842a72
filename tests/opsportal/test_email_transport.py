"""Mail leaves through real SMTP: the settings' backend talks to a server on loopback."""

import pytest
from django.core.mail import EmailMultiAlternatives

pytestmark = pytest.mark.services


def test_an_html_and_text_email_reaches_the_smtp_server(smtp_settings, settings):
    message = EmailMultiAlternatives(
        subject="Your order SO-1 has shipped",
        body="Tracking: 1Z999",
        to=["ada@example.com"],
    )
    message.attach_alternative("<p>Tracking: <b>1Z999</b></p>", "text/html")
    assert message.send() == 1
    (received,) = smtp_settings.wait_for(1)
    assert received.rcpt_tos == ("ada@example.com",)
    assert received.subject == "Your order SO-1 has shipped"
    assert "1Z999" in received.text
    assert "<b>1Z999</b>" in received.html
    assert settings.DEFAULT_FROM_EMAIL in received.message["From"]
