"""Template filters for the customer email outbox."""

from django import template

from orders.notifications import RESENDABLE

register = template.Library()


@register.filter
def can_resend(email) -> bool:
    """A manager may send an email again on purpose once it was sent or has failed."""
    return email.status in RESENDABLE
