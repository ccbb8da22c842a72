"""The customer email outbox: a manager sends an email again, on purpose."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opsportal import roles
from orders import notifications, selectors


@roles.allow(roles.OPERATIONS_MANAGER)
@require_POST
def email_resend(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(selectors.customer_emails(), pk=pk)
    try:
        notifications.customer_email_resend(email=email, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{email.get_kind_display()} email to {email.to} will be sent again."
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("orders:email_list")
