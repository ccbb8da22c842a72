"""The quality admin: every changelist and add form opens; acknowledgements are evidence, read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from quality.models import Acknowledgement
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    ProductFactory,
    SafetyIncidentFactory,
    SOPVersionFactory,
    UserFactory,
    VendorFactory,
    WarehouseFactory,
)
from tests.quality.factories import (
    AcknowledgementFactory,
    CertificationFactory,
    CorrectiveActionFactory,
    InspectionFactory,
)

QUALITY_MODELS = [model for model in admin.site._registry if model._meta.app_label == "quality"]


@pytest.mark.parametrize("model", QUALITY_MODELS, ids=lambda m: m.__name__)
def test_the_changelist_and_add_form_open(superuser_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    add = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == (403 if model is Acknowledgement else 200)


def test_a_non_conformance_shows_its_corrective_actions_inline(superuser_client):
    action = CorrectiveActionFactory(
        non_conformance=NonConformanceFactory(), root_cause="Worn forks"
    )
    url = reverse("admin:quality_nonconformance_change", args=[action.non_conformance.pk])
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert "Worn forks" in response.content.decode()


def test_an_sop_shows_its_versions_inline(superuser_client):
    version = SOPVersionFactory(change_summary="Added a scanner step")
    response = superuser_client.get(
        reverse("admin:quality_sopdocument_change", args=[version.document.pk])
    )
    assert "Added a scanner step" in response.content.decode()


def test_acknowledgements_cannot_be_changed_or_deleted(superuser_client):
    acknowledgement = AcknowledgementFactory()
    change = reverse("admin:quality_acknowledgement_change", args=[acknowledgement.pk])
    response = superuser_client.get(change)
    assert response.status_code == 200  # viewable
    assert 'name="_save"' not in response.content.decode()
    assert superuser_client.post(change, {}).status_code == 403
    delete = reverse("admin:quality_acknowledgement_delete", args=[acknowledgement.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert Acknowledgement.objects.filter(pk=acknowledgement.pk).exists()


def test_every_quality_model_has_an_admin():
    from django.apps import apps

    missing = [
        model.__name__
        for model in apps.get_app_config("quality").get_models()
        if model not in admin.site._registry and not model.__name__.startswith("Historical")
    ]
    assert missing == []


def _make_inspection():
    InspectionFactory(
        warehouse=WarehouseFactory(),
        plan=InspectionPlanFactory(),
        product=ProductFactory(),
        vendor=VendorFactory(),
        inspector=UserFactory(),
    )


_ROWS = {
    "inspection": _make_inspection,
    "nonconformance": lambda: NonConformanceFactory(
        vendor=VendorFactory(), product=ProductFactory(), owner=UserFactory()
    ),
    "correctiveaction": lambda: CorrectiveActionFactory(verified_by=UserFactory()),
    "safetyincident": lambda: SafetyIncidentFactory(
        warehouse=WarehouseFactory(), reported_by=UserFactory()
    ),
    "sopversion": lambda: SOPVersionFactory(approver=UserFactory()),
    "acknowledgement": AcknowledgementFactory,
    "certification": lambda: CertificationFactory(warehouse=WarehouseFactory()),
}


@pytest.mark.parametrize("model_name", sorted(_ROWS))
def test_changelists_cost_the_same_queries_for_1_and_20_rows(
    superuser_client, model_name, queries_for
):
    url = reverse(f"admin:quality_{model_name}_changelist")
    _ROWS[model_name]()
    one = queries_for(superuser_client, url)
    for _ in range(19):
        _ROWS[model_name]()
    assert queries_for(superuser_client, url) == one
