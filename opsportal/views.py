"""Portal-wide pages: sign in/out, the start page, the health check, background documents."""

from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from opsportal import redis_client, roles
from opsportal.listing import paginate
from opsportal.models import DocumentJob
from opsportal.signals import HEARTBEAT_KEY_PREFIX

logger = logging.getLogger(__name__)


def _get_job_for_user(request: HttpRequest, pk: int) -> DocumentJob:
    """A job its requester, a manager or a superuser may see; 404 for anyone else."""
    job = get_object_or_404(DocumentJob.objects.select_related("requested_by"), pk=pk)
    user = request.user
    if job.requested_by_id != user.pk and not roles.has_role(user, roles.OPERATIONS_MANAGER):
        raise Http404("No such document.")
    return job


login_view = roles.allow(roles.PUBLIC)(
    auth_views.LoginView.as_view(redirect_authenticated_user=True)
)
logout_view = roles.allow(roles.PUBLIC)(
    require_http_methods(["POST"])(auth_views.LogoutView.as_view())
)


@roles.allow(roles.AUTHENTICATED)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from opsportal.selectors import work_summary_for

    user = request.user
    context = {
        "roles": sorted(roles.user_roles(user)),
        "warehouses": list(user.warehouses.order_by("code")) if not user.is_superuser else [],
        "summary": work_summary_for(user),
    }
    return render(request, "opsportal/home.html", context)


@roles.allow(roles.PUBLIC)
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer: database, Redis and a fresh Celery worker heartbeat. 503 if any fails."""
    import redis

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy, and is logged
        logger.exception("healthz: database check failed")
        checks["database"] = "fail"
    workers: list[str] = []
    try:
        client = redis_client.client(timeout=1)
        client.ping()
        checks["redis"] = "ok"
        workers = sorted(
            key.decode()[len(HEARTBEAT_KEY_PREFIX) :]
            for key in client.scan_iter(match=HEARTBEAT_KEY_PREFIX + "*", count=100)
        )
        checks["worker"] = "ok" if workers else "fail"
    except redis.RedisError:
        logger.warning("healthz: Redis unreachable")
        checks["redis"] = "fail"
        checks["worker"] = "fail"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks, "workers": len(workers)},
        status=200 if healthy else 503,
    )


@roles.allow(*roles.ROLES)
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    jobs = DocumentJob.objects.select_related("requested_by")
    if not roles.has_role(request.user, roles.OPERATIONS_MANAGER):
        jobs = jobs.filter(requested_by=request.user)
    status = request.GET.get("status", "")
    if status in DocumentJob.Status.values:
        jobs = jobs.filter(status=status)
    page_obj = paginate(request, jobs)
    return render(
        request,
        "opsportal/document_list.html",
        {"page_obj": page_obj, "statuses": DocumentJob.Status.choices, "status": status},
    )


@roles.allow(*roles.ROLES)
@require_GET
@vary_on_headers("HX-Request")
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job_for_user(request, pk)
    template = "opsportal/document_detail.html"
    if request.htmx:
        template += "#job-status"
    return render(request, template, {"job": job})


@roles.allow(*roles.ROLES)
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _get_job_for_user(request, pk)
    if job.status != DocumentJob.Status.DONE or not job.file:
        raise Http404("This document is not ready.")
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
    )
