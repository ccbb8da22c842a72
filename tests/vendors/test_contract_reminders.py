"""Contract reminders: 90/60/30 days before the end and the notice date, each once."""

import datetime
import time

import pytest
from django.db import transaction
from django.utils import timezone

from opsportal.models import OutboundEmail
from tests import factories
from vendors import services, tasks
from vendors.models import VendorContract

END = datetime.date(2026, 12, 31)


def _contract(**kwargs):
    owner = kwargs.pop("owner", None) or factories.UserFactory(
        username="carla", email="carla@ops.example.com", first_name="Carla"
    )
    defaults = {
        "number": "C-REM",
        "end_date": END,
        "notice_days": 45,  # notice date 2026-11-16
        "owner": owner,
    }
    return factories.VendorContractFactory(**{**defaults, **kwargs})


def _keys() -> list[str]:
    return sorted(OutboundEmail.objects.values_list("key", flat=True))


def test_reminders_go_at_each_step_once_even_when_the_task_runs_twice(db):
    contract = _contract()
    day = datetime.date

    assert services.contract_reminders_queue(today=day(2026, 8, 1)) == 0  # 152 days out
    # 2026-08-18: the notice date is 90 days away; the end is 135 days away.
    assert services.contract_reminders_queue(today=day(2026, 8, 18)) == 1
    assert services.contract_reminders_queue(today=day(2026, 8, 18)) == 0
    assert services.contract_reminders_queue(today=day(2026, 8, 19)) == 0
    # 2026-10-02: end in 90 days (and the notice date in 45: its 60-day step).
    assert services.contract_reminders_queue(today=day(2026, 10, 2)) == 2
    assert services.contract_reminders_queue(today=day(2026, 10, 2)) == 0
    for today in (day(2026, 10, 17), day(2026, 11, 1), day(2026, 12, 1)):
        services.contract_reminders_queue(today=today)
        services.contract_reminders_queue(today=today)

    pk = contract.pk
    assert _keys() == sorted(
        [
            f"contract:{pk}:end:2026-12-31:30d",
            f"contract:{pk}:end:2026-12-31:60d",
            f"contract:{pk}:end:2026-12-31:90d",
            f"contract:{pk}:notice:2026-11-16:30d",
            f"contract:{pk}:notice:2026-11-16:60d",
            f"contract:{pk}:notice:2026-11-16:90d",
        ]
    )
    email = OutboundEmail.objects.get(key=f"contract:{pk}:end:2026-12-31:90d")
    assert email.to == ["carla@ops.example.com"]
    assert email.subject == f"Contract ends in 90 days: C-REM ({contract.vendor.name})"
    assert "ends on 2026-12-31, in 90 days" in email.text
    assert f"/vendors/contracts/{pk}/" in email.text
    assert email.html.startswith("<!doctype html>")


def test_a_contract_found_late_gets_only_the_nearest_step(db):
    contract = _contract(notice_days=0)
    services.contract_reminders_queue(today=END - datetime.timedelta(days=20))
    assert _keys() == [
        f"contract:{contract.pk}:end:2026-12-31:30d",
        f"contract:{contract.pk}:notice:2026-12-31:30d",
    ]


def test_no_reminders_for_drafts_ended_or_ownerless_contracts(db):
    today = END - datetime.timedelta(days=30)
    _contract(number="C-DRAFT", status=VendorContract.Status.DRAFT)
    _contract(
        number="C-TERM",
        status=VendorContract.Status.TERMINATED,
        owner=factories.UserFactory(email="t@ops.example.com"),
    )
    _contract(number="C-NOOWNER", owner=factories.UserFactory(email=""))
    assert services.contract_reminders_queue(today=today) == 0
    assert not OutboundEmail.objects.exists()


def test_a_new_end_date_gets_its_own_reminders(db):
    contract = _contract(notice_days=0)
    services.contract_reminders_queue(today=END - datetime.timedelta(days=30))
    services.contract_update(
        contract=contract, version=1, data={"end_date": datetime.date(2027, 1, 15)}, by=None
    )
    services.contract_reminders_queue(today=END - datetime.timedelta(days=30))
    assert f"contract:{contract.pk}:end:2027-01-15:60d" in _keys()


def test_the_beat_schedule_runs_the_reminder_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["vendors-contract-reminders"]
    assert entry["task"] == "vendors.tasks.contract_reminders_send_task"
    assert entry["task"] == tasks.contract_reminders_send_task.name


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_owner_receives_the_reminder_over_real_smtp_once(celery_worker, smtp_server):
    smtp_server.clear()
    today = timezone.localdate()
    owner = factories.UserFactory(
        username="owner", email="owner@ops.example.com", first_name="Olive"
    )
    contract = _contract(owner=owner, end_date=today + datetime.timedelta(days=25), notice_days=0)

    with transaction.atomic():
        first = tasks.contract_reminders_send_task()
    with transaction.atomic():
        second = tasks.contract_reminders_send_task()

    assert (first, second) == (2, 0)
    received = smtp_server.wait_for(2, timeout=60)
    subjects = sorted(r.subject for r in received)
    assert subjects == [
        f"Contract ends in 25 days: C-REM ({contract.vendor.name})",
        f"Notice date in 25 days: C-REM ({contract.vendor.name})",
    ]
    assert all(r.rcpt_tos == ("owner@ops.example.com",) for r in received)
    assert "Hello Olive" in received[0].text
    time.sleep(2)
    assert len(smtp_server.messages) == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
