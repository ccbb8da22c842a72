"""Quality under concurrency on PostgreSQL, with real threads: an inspection is recorded once,
NCR numbers never repeat, every Nth receipt counts each receipt once, a version is approved once."""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from inventory import services as stock
from inventory.models import StockLevel, StockMovement
from opsportal import roles
from quality.models import Inspection, InspectionPlan, NonConformance, SOPVersion
from quality.services import inspections, nonconformance, sops
from tests import factories
from tests.factories import InspectionPlanFactory, SOPDocumentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TIMEOUT = 60


def _race(count: int, work: Callable[[int], object]) -> list[tuple[str, object]]:
    barrier = threading.Barrier(count)
    results: list[tuple[str, object]] = [("error", "did not finish")] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = ("ok", work(index))
        except ValidationError as exc:
            results[index] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - a deadlock or a crash must show up
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "threads still running: a deadlock?"
    return results


def _outcomes(results) -> list[str]:
    return sorted(outcome for outcome, _ in results)


def test_two_inspectors_recording_at_once_quarantine_once(warehouse):
    product = factories.ProductFactory()
    InspectionPlanFactory(criteria=[{"name": "Seal", "kind": "pass_fail"}])
    stock.stock_receive(warehouse=warehouse, product=product, quantity=20, actor=None)
    inspection = Inspection.objects.get()
    users = [factories.UserFactory(username=f"i{n}") for n in range(4)]
    results = _race(
        4,
        lambda n: inspections.inspection_record(
            inspection=inspection, results=[{"name": "Seal", "passed": False}], by=users[n]
        ),
    )
    assert _outcomes(results) == ["ok", "refused", "refused", "refused"]
    assert StockLevel.objects.get().quarantined == 20
    assert StockMovement.objects.filter(kind="quarantine").count() == 1
    assert NonConformance.objects.count() == 1


def test_ncrs_opened_at_once_get_distinct_numbers():
    by = factories.UserFactory()
    results = _race(6, lambda n: nonconformance.nc_open(title=f"Finding {n}", by=by).number)
    assert _outcomes(results) == ["ok"] * 6
    numbers = sorted(value for _, value in results)
    assert numbers == [f"NC-{n:04d}" for n in range(1, 7)]


def test_every_nth_counts_concurrent_receipts_exactly(warehouse):
    plan = InspectionPlanFactory(sampling=InspectionPlan.Sampling.EVERY_NTH, every_nth=3)
    products = [factories.ProductFactory() for _ in range(9)]
    results = _race(
        9,
        lambda n: stock.stock_receive(
            warehouse=warehouse, product=products[n], quantity=1, actor=None
        ),
    )
    assert _outcomes(results) == ["ok"] * 9
    plan.refresh_from_db()
    assert plan.receipts_seen == 9
    assert Inspection.objects.filter(plan=plan).count() == 3


def test_a_version_in_review_is_approved_once():
    author = factories.user_with_role(roles.OPERATIONS_MANAGER, username="author")
    reviewers = [
        factories.user_with_role(roles.OPERATIONS_MANAGER, username=f"r{n}") for n in range(3)
    ]
    document = SOPDocumentFactory(code="SOP-WH-001")
    version = sops.version_draft(document=document, by=author, body="Text")
    sops.version_edit(version=version, by=author, body="Text", change_summary="First")
    sops.version_submit(version=version, by=author)
    results = _race(3, lambda n: sops.version_approve(version=version, by=reviewers[n]))
    assert _outcomes(results) == ["ok", "refused", "refused"]
    assert SOPVersion.objects.filter(status=SOPVersion.Status.EFFECTIVE).count() == 1
