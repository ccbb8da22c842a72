"""SOP versions: draft → in review → effective (approved by another user) → superseded; read and
acknowledge; who has not; text stays text."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from opsportal import roles
from quality import selectors
from quality.models import Acknowledgement, SOPVersion
from quality.services import sops
from tests import factories

pytestmark = pytest.mark.django_db
Status = SOPVersion.Status


@pytest.fixture
def author(manager):
    return manager


@pytest.fixture
def reviewer():
    return factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")


@pytest.fixture
def picking(author):
    from django.contrib.auth.models import Group

    document = sops.sop_save(
        document=None,
        code="sop-wh-001",
        title="Picking",
        area="warehouse",
        owner=author,
        roles=list(Group.objects.filter(name=roles.WAREHOUSE_STAFF)),
        by=author,
    )
    return document


def _effective_v1(document, author, reviewer) -> SOPVersion:
    version = sops.version_draft(document=document, by=author, body="# Pick\n\nScan the bin.")
    sops.version_edit(version=version, by=author, body=version.body, change_summary="First issue")
    sops.version_submit(version=version, by=author)
    return sops.version_approve(version=version, by=reviewer)


def test_codes_are_checked_and_upper_cased(picking, author):
    assert picking.code == "SOP-WH-001"
    with pytest.raises(ValidationError, match="already exists"):
        sops.sop_save(
            document=None,
            code="SOP-WH-001",
            title="x",
            area="warehouse",
            owner=None,
            roles=None,
            by=author,
        )
    with pytest.raises(ValidationError, match="SOP-AREA-NNN"):
        sops.sop_save(
            document=None,
            code="PICKING",
            title="x",
            area="warehouse",
            owner=None,
            roles=None,
            by=author,
        )


def test_a_version_goes_from_draft_through_review_to_effective(picking, author, reviewer):
    version = _effective_v1(picking, author, reviewer)
    assert version.status == Status.EFFECTIVE
    assert version.approver == reviewer
    assert version.effective_at is not None
    assert version.submitted_at is not None


def test_the_author_cannot_approve_with_a_clear_error(picking, author):
    version = sops.version_draft(document=picking, by=author, body="Text")
    version.change_summary = "x"
    version.save()
    sops.version_submit(version=version, by=author)
    with pytest.raises(ValidationError) as caught:
        sops.version_approve(version=version, by=author)
    assert caught.value.message_dict["approver"] == [
        "The author cannot approve their own version; another user must approve it."
    ]
    version.refresh_from_db()
    assert version.status == Status.IN_REVIEW


def test_the_database_refuses_an_approver_who_is_the_author(picking, author):
    version = sops.version_draft(document=picking, by=author, body="Text")
    with pytest.raises(IntegrityError), transaction.atomic():
        SOPVersion.objects.filter(pk=version.pk).update(approver=author)


def test_the_next_version_supersedes_the_previous(picking, author, reviewer):
    first = _effective_v1(picking, author, reviewer)
    second = sops.version_draft(document=picking, by=reviewer)
    assert second.number == 2
    assert second.body == first.body  # starts from the effective text
    with pytest.raises(ValidationError, match="still draft"):
        sops.version_draft(document=picking, by=author)
    sops.version_edit(
        version=second, by=reviewer, body=first.body + "\n\nWear gloves.", change_summary="Gloves"
    )
    sops.version_submit(version=second, by=reviewer)
    sops.version_approve(version=second, by=author)
    statuses = dict(picking.versions.values_list("number", "status"))
    assert statuses == {1: Status.SUPERSEDED, 2: Status.EFFECTIVE}


def test_only_the_author_edits_and_a_reviewer_can_send_it_back(picking, author, reviewer):
    version = sops.version_draft(document=picking, by=author, body="Text")
    with pytest.raises(ValidationError, match="Only the author"):
        sops.version_edit(version=version, by=reviewer, body="Mine now", change_summary="x")
    with pytest.raises(ValidationError, match="Say what changed"):
        sops.version_submit(version=version, by=author)
    sops.version_edit(version=version, by=author, body="Text", change_summary="First")
    sops.version_submit(version=version, by=author)
    with pytest.raises(ValidationError, match="review_note|required"):
        sops.version_reject(version=version, by=reviewer, note="")
    sops.version_reject(version=version, by=reviewer, note="Add the scanner step")
    version.refresh_from_db()
    assert (version.status, version.review_note) == (Status.DRAFT, "Add the scanner step")


def test_readers_of_its_roles_are_asked_to_acknowledge(picking, author, reviewer, warehouse):
    staff = [factories.user_with_role(roles.WAREHOUSE_STAFF, username=f"w{n}") for n in range(3)]
    contracts = factories.user_with_role(roles.CONTRACT_ADMIN, username="c1")
    version = _effective_v1(picking, author, reviewer)
    assert list(selectors.sops_to_acknowledge(staff[0])) == [version]
    assert list(selectors.sops_to_acknowledge(contracts)) == []  # not one of its roles
    sops.sop_acknowledge(version=version, user=staff[0])
    sops.sop_acknowledge(version=version, user=staff[0])  # idempotent
    assert Acknowledgement.objects.count() == 1
    assert list(selectors.sops_to_acknowledge(staff[0])) == []
    pending = list(selectors.readers_pending(version).values_list("username", flat=True))
    assert pending == ["w1", "w2"]


def test_a_new_effective_version_asks_everyone_again(picking, author, reviewer):
    reader = factories.user_with_role(roles.WAREHOUSE_STAFF, username="w0")
    first = _effective_v1(picking, author, reviewer)
    sops.sop_acknowledge(version=first, user=reader)
    second = sops.version_draft(document=picking, by=author)
    sops.version_edit(version=second, by=author, body="New", change_summary="New")
    sops.version_submit(version=second, by=author)
    sops.version_approve(version=second, by=reviewer)
    assert list(selectors.sops_to_acknowledge(reader)) == [SOPVersion.objects.get(pk=second.pk)]
    with pytest.raises(ValidationError, match="not the effective version"):
        sops.sop_acknowledge(version=SOPVersion.objects.get(pk=first.pk), user=reader)


# --- pages -------------------------------------------------------------------------------------


def test_the_workflow_through_the_pages(client, picking, author, reviewer, warehouse_staff):
    client.force_login(author)
    response = client.post(reverse("quality:version_create", args=[picking.code]))
    assert response.status_code == 302
    version = picking.versions.get()
    edit = reverse("quality:version_edit", args=[picking.code, version.number])
    body = "# Pick\n\n{{ settings.SECRET_KEY }} {% debug %} <script>alert(1)</script>"
    assert client.post(edit, {"body": body, "change_summary": "First"}).status_code == 302
    client.post(reverse("quality:version_submit", args=[picking.code, 1]))
    # The author sees no approve button and cannot approve through the URL either.
    detail = client.get(reverse("quality:version_detail", args=[picking.code, 1])).content.decode()
    assert 'data-testid="approve"' not in detail
    assert "an author never approves their own version" in detail
    client.post(reverse("quality:version_approve", args=[picking.code, 1]), follow=True)
    version.refresh_from_db()
    assert version.status == Status.IN_REVIEW

    client.force_login(reviewer)
    response = client.post(reverse("quality:version_approve", args=[picking.code, 1]), follow=True)
    assert "v1 is effective" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.EFFECTIVE

    # The staff member is asked, on the home page and the to-read list; the text stays text.
    client.force_login(warehouse_staff)
    home = client.get(reverse("home")).content.decode()
    assert "SOPs to read and acknowledge" in home
    todo = client.get(reverse("quality:sop_todo")).content.decode()
    assert "SOP-WH-001 Picking" in todo
    page = client.get(reverse("quality:sop_detail", args=[picking.code])).content.decode()
    assert "{{ settings.SECRET_KEY }}" in page
    assert "{% debug %}" in page
    assert settings.SECRET_KEY not in page
    assert "<script>alert" not in page
    response = client.post(
        reverse("quality:sop_acknowledge", args=[picking.code]), {"next": "todo"}
    )
    assert response["Location"] == reverse("quality:sop_todo")
    assert Acknowledgement.objects.filter(user=warehouse_staff, version=version).exists()
    assert "Nothing to read" in client.get(reverse("quality:sop_todo")).content.decode()

    # The manager sees who has not acknowledged yet.
    other = factories.user_with_role(roles.WAREHOUSE_STAFF, username="latecomer")
    client.force_login(reviewer)
    page = client.get(reverse("quality:sop_detail", args=[picking.code])).content.decode()
    assert "latecomer" in page
    assert f"({warehouse_staff.username})" not in page
    assert other.username in page


def test_staff_cannot_start_or_approve_versions(client, picking, warehouse_staff):
    client.force_login(warehouse_staff)
    assert client.post(reverse("quality:version_create", args=[picking.code])).status_code == 403
    assert client.get(reverse("quality:sop_create")).status_code == 403


def test_a_new_sop_through_the_page_opens_its_first_draft(client, author):
    client.force_login(author)
    response = client.post(
        reverse("quality:sop_create"),
        {"code": "SOP-QA-009", "title": "Calibration", "area": "quality"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("quality:version_edit", args=["SOP-QA-009", 1])
    bad = client.post(reverse("quality:sop_create"), {"code": "nope", "title": "", "area": "x"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "This field is required." in text
