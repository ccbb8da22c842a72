"""Emails (CAPA overdue, compliance reviews and certification expiry, SCAR) each sent once;
periodic and pre-shipment inspections; the safety figures for the dashboard."""

import datetime
import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from opsportal import roles
from opsportal.models import OutboundEmail
from orders.models import ShipmentLine
from orders.signals import shipment_packed
from quality import selectors
from quality.models import Inspection, InspectionPlan, NonConformance, SafetyIncident
from quality.services import compliance, inspections, nonconformance
from quality.tasks import capa_overdue_reminders_task, compliance_reminders_task
from tests import factories
from tests.factories import InspectionPlanFactory, NonConformanceFactory, SafetyIncidentFactory
from tests.quality.factories import (
    CertificationFactory,
    ComplianceRequirementFactory,
    CorrectiveActionFactory,
)

TODAY = timezone.localdate()


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.mark.django_db
def test_overdue_actions_email_their_owner_once_per_due_date(django_capture_on_commit_callbacks):
    owner = factories.UserFactory(username="ann", email="ann@example.com")
    late = CorrectiveActionFactory(owner=owner, due_date=_days(-3), action="Fit a guard")
    CorrectiveActionFactory(owner=owner, due_date=_days(2))  # not due
    CorrectiveActionFactory(owner=owner, due_date=_days(-3), status="verified")  # finished
    with django_capture_on_commit_callbacks():
        assert nonconformance.capa_overdue_reminders(today=TODAY) == 1
        assert nonconformance.capa_overdue_reminders(today=TODAY) == 0
        assert nonconformance.capa_overdue_reminders(today=_days(1)) == 0
    email = OutboundEmail.objects.get()
    assert email.key == f"capa:{late.pk}:overdue:{late.due_date.isoformat()}"
    assert email.to == ["ann@example.com"]
    assert "3 days ago" in email.text
    assert "Fit a guard" in email.text
    # A new due date is a new reminder.
    late.due_date = _days(-1)
    late.save()
    with django_capture_on_commit_callbacks():
        assert nonconformance.capa_overdue_reminders(today=TODAY) == 1


@pytest.mark.django_db
def test_reviews_and_expiries_are_reminded_once_each(django_capture_on_commit_callbacks):
    boss = factories.user_with_role(
        roles.OPERATIONS_MANAGER, username="boss", email="boss@example.com"
    )
    owner = factories.UserFactory(username="owner", email="owner@example.com")
    due = ComplianceRequirementFactory(
        standard="ISO 9001:2015", clause="9.2", owner=owner, next_review=_days(20)
    )
    ComplianceRequirementFactory(next_review=_days(90))  # later
    unowned = ComplianceRequirementFactory(next_review=_days(-5))  # overdue, no owner
    expiring = CertificationFactory(name="ISO 9001 certificate", valid_until=_days(45))
    CertificationFactory(valid_until=_days(200))
    with django_capture_on_commit_callbacks():
        assert compliance.compliance_reminders(today=TODAY) == 3
        assert compliance.compliance_reminders(today=TODAY) == 0
    by_key = {e.key: e for e in OutboundEmail.objects.all()}
    assert by_key[f"requirement:{due.pk}:review:{due.next_review.isoformat()}"].to == [
        "owner@example.com"
    ]
    assert by_key[f"requirement:{unowned.pk}:review:{unowned.next_review.isoformat()}"].to == [
        boss.email
    ]
    cert_mail = by_key[f"certification:{expiring.pk}:expiry:{expiring.valid_until.isoformat()}"]
    assert cert_mail.subject == "Certification expires in 45 days: ISO 9001 certificate"
    assert "Review due in 20 days: ISO 9001:2015 9.2" in {e.subject for e in by_key.values()}


@pytest.mark.django_db
def test_a_scar_goes_to_the_primary_contact_once(manager, django_capture_on_commit_callbacks):
    vendor = factories.VendorFactory(name="Acme & Sons")
    factories.VendorContactFactory(vendor=vendor, name="Sales", email="sales@acme.example")
    factories.VendorContactFactory(
        vendor=vendor, name="QA", email="qa@acme.example", is_primary=True
    )
    nc = NonConformanceFactory(vendor=vendor, title="Wrong grade", quantity=12)
    with django_capture_on_commit_callbacks():
        nonconformance.scar_send(nc=nc, by=manager, request_text="Please reply quickly.")
    email = OutboundEmail.objects.get()
    assert email.to == ["qa@acme.example"]
    assert email.subject == f"Supplier corrective action request {nc.number}: Wrong grade"
    assert "Dear Acme & Sons quality team" in email.text  # the text part is not HTML-escaped
    assert "Please reply quickly." in email.text
    assert email.related_id == str(nc.pk)
    with pytest.raises(ValidationError) as caught:
        nonconformance.scar_send(nc=nc, by=manager)
    assert caught.value.error_dict["scar"][0].code == "already_sent"


@pytest.mark.django_db
def test_a_scar_without_any_address_is_refused(manager):
    vendor = factories.VendorFactory(name="Mute Ltd", email="")
    nc = NonConformanceFactory(vendor=vendor)
    with pytest.raises(ValidationError, match="no contact with an email address"):
        nonconformance.scar_send(nc=nc, by=manager)
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_reminder_reaches_the_owner_over_smtp_through_the_worker(celery_worker, smtp_settings):
    owner = factories.UserFactory(username="ann", email="ann@example.com")
    nc = NonConformanceFactory(number="NC-0777", title="Forklift near miss follow-up")
    CorrectiveActionFactory(non_conformance=nc, owner=owner, due_date=_days(-1))
    assert capa_overdue_reminders_task() == 1
    (received,) = smtp_settings.wait_for(1, timeout=60)
    assert received.rcpt_tos == ("ann@example.com",)
    assert received.subject.startswith("Overdue corrective action on NC-0777")
    assert "1 day ago" in received.text
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if OutboundEmail.objects.get().status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.2)
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    assert capa_overdue_reminders_task() == 0
    assert compliance_reminders_task() == 0


@pytest.mark.django_db
def test_the_scar_page_sends_and_shows_it(manager_client):
    vendor = factories.VendorFactory(name="Acme")
    factories.VendorContactFactory(vendor=vendor, email="qa@acme.example", is_primary=True)
    nc = NonConformanceFactory(vendor=vendor)
    url = reverse("quality:nonconformance_scar", args=[nc.pk])
    response = manager_client.post(url, {"request_text": ""}, follow=True)
    assert "Corrective action request queued" in response.content.decode()
    response = manager_client.post(url, {}, follow=True)
    assert "went out on" in response.content.decode()
    assert OutboundEmail.objects.count() == 1


# --- periodic and pre-shipment inspections ------------------------------------------------------


@pytest.mark.django_db
def test_periodic_plans_open_one_inspection_per_warehouse_per_period(warehouse, other_warehouse):
    InspectionPlanFactory(
        name="Scale check",
        trigger=InspectionPlan.Trigger.PERIODIC,
        sampling=InspectionPlan.Sampling.EVERY_UNIT,
        period_days=30,
    )
    InspectionPlanFactory(
        name="Racking", trigger=InspectionPlan.Trigger.PERIODIC, warehouse=warehouse
    )
    created = inspections.inspections_schedule_periodic(today=TODAY)
    assert sorted((i.plan.name, i.warehouse.code) for i in created) == [
        ("Racking", "WH-A"),
        ("Scale check", "WH-A"),
        ("Scale check", "WH-B"),
    ]
    assert inspections.inspections_schedule_periodic(today=TODAY) == []
    assert inspections.inspections_schedule_periodic(today=_days(29)) == []
    Inspection.objects.update(created_at=timezone.now() - datetime.timedelta(days=30))
    assert len(inspections.inspections_schedule_periodic(today=TODAY)) == 3


@pytest.mark.django_db
def test_a_packed_shipment_opens_its_pre_shipment_inspections(warehouse):
    chemical = factories.ProductFactory(sku="CLN-BLEACH")
    other = factories.ProductFactory(sku="BOLT-M8")
    plan = InspectionPlanFactory(
        name="Hazmat check",
        trigger=InspectionPlan.Trigger.PRE_SHIPMENT,
        product=chemical,
        sampling=InspectionPlan.Sampling.EVERY_UNIT,
    )
    order = factories.OrderFactory()
    shipment = factories.ShipmentFactory(order=order, warehouse=warehouse)
    for product, quantity in ((chemical, 3), (other, 5)):
        line = factories.OrderLineFactory(order=order, product=product, quantity=quantity)
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
    shipment_packed.send(sender=type(shipment), shipment=shipment)
    inspection = Inspection.objects.get()
    assert (inspection.plan, inspection.product, inspection.quantity) == (plan, chemical, 3)
    assert inspection.source == shipment
    assert inspection.sample_size == 3


@pytest.mark.django_db
def test_a_pre_shipment_plan_cannot_be_scoped_to_a_vendor(manager):
    with pytest.raises(ValidationError) as caught:
        inspections.plan_save(
            plan=None,
            data={
                "name": "x",
                "trigger": "pre_shipment",
                "vendor": factories.VendorFactory(),
                "criteria": [{"name": "Label", "kind": "pass_fail"}],
            },
            by=manager,
        )
    assert "vendor" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "Add at least one criterion."),
        ([{"name": "", "kind": "pass_fail"}], "Criterion 1: give it a name."),
        ([{"name": "Len", "kind": "measure"}], "Criterion 1 (Len): a measurement needs"),
        (
            [{"name": "Len", "kind": "measure", "min": 5, "max": 1}],
            "Criterion 1 (Len): the minimum 5 is above the maximum 1.",
        ),
        ([{"name": "A"}, {"name": "a"}], "Criterion 2 (a): two criteria have this name."),
        ([{"name": "Len", "kind": "measure", "min": "abc"}], "the minimum must be a number"),
    ],
)
def test_plan_criteria_errors_name_the_criterion(manager, criteria, message):
    with pytest.raises(ValidationError) as caught:
        inspections.plan_save(
            plan=None, data={"name": "P", "trigger": "receipt", "criteria": criteria}, by=manager
        )
    assert any(message in m for m in caught.value.message_dict["criteria"])
    assert not InspectionPlan.objects.exists()


# --- safety figures ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_days_since_the_last_lost_time_incident_and_the_incident_rate(warehouse, other_warehouse):
    assert selectors.days_since_last_lost_time_incident() is None
    now = timezone.now()
    SafetyIncidentFactory(
        warehouse=warehouse,
        kind="injury",
        lost_days=4,
        occurred_at=now - datetime.timedelta(days=40),
    )
    SafetyIncidentFactory(
        warehouse=other_warehouse,
        kind="injury",
        lost_days=1,
        occurred_at=now - datetime.timedelta(days=3),
    )
    SafetyIncidentFactory(warehouse=warehouse, kind="near_miss", occurred_at=now)
    SafetyIncidentFactory(warehouse=warehouse, kind="property", occurred_at=now)
    SafetyIncidentFactory(  # outside the window
        warehouse=warehouse, kind="injury", occurred_at=now - datetime.timedelta(days=400)
    )
    assert selectors.days_since_last_lost_time_incident() == 3
    assert selectors.days_since_last_lost_time_incident({warehouse.pk}) == 40
    rate = selectors.incident_rate({warehouse.pk}, days=365, hours_worked=100_000)
    assert (rate.incidents, rate.near_misses, rate.lost_time_incidents, rate.lost_days) == (
        2,
        1,
        1,
        4,
    )
    assert rate.per_200k_hours == 4.0
    assert rate.per_30_days == round(2 * 30 / 365, 2)
    everywhere = selectors.incident_rate()
    assert (everywhere.incidents, everywhere.per_200k_hours) == (3, None)
    assert SafetyIncident.objects.count() == 5
    assert NonConformance.objects.count() == 0
