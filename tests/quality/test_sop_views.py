"""SOP list and detail: every role reads; the body is sanitised Markdown, never a template."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from quality.models import SOPDocument, SOPVersion
from tests.factories import SOPDocumentFactory, SOPVersionFactory, UserFactory
from tests.quality.factories import AcknowledgementFactory

URL = reverse("quality:sop_list")


def _detail(document) -> str:
    return reverse("quality:sop_detail", kwargs={"code": document.code})


def _effective(document, number: int = 1, **kwargs) -> SOPVersion:
    return SOPVersionFactory(
        document=document,
        number=number,
        status=SOPVersion.Status.EFFECTIVE,
        approver=UserFactory(),
        effective_at=timezone.now(),
        **kwargs,
    )


def test_anonymous_is_sent_to_login(client, db):
    document = SOPDocumentFactory()
    for url in (URL, _detail(document)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_users_without_a_role_are_refused(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(URL).status_code == 403


def test_it_refuses_post(manager_client):
    document = SOPDocumentFactory()
    assert manager_client.post(URL).status_code == 405
    assert manager_client.post(_detail(document)).status_code == 405


@pytest.mark.parametrize(
    "client_fixture", ["manager_client", "warehouse_client", "contracts_client"]
)
def test_every_role_reads_the_sops(request, db, client_fixture):
    document = SOPDocumentFactory(code="SOP-ORD-001", title="Order intake")
    client = request.getfixturevalue(client_fixture)
    assert client.get(URL).status_code == 200
    assert client.get(_detail(document)).status_code == 200


def test_the_list_shows_the_effective_version_and_the_number_of_versions(warehouse_client):
    document = SOPDocumentFactory(
        code="SOP-WH-001", title="Receiving", area=SOPDocument.Area.WAREHOUSE
    )
    SOPVersionFactory(document=document, number=1, status=SOPVersion.Status.SUPERSEDED)
    effective = _effective(document, number=2)
    SOPVersionFactory(document=document, number=3)
    SOPDocumentFactory(code="SOP-WH-002", title="Drafting only")
    response = warehouse_client.get(URL)
    rows = {d.code: (d.effective_number, d.versions_count) for d in response.context["page_obj"]}
    assert rows == {"SOP-WH-001": (2, 3), "SOP-WH-002": (None, 0)}
    body = response.content.decode()
    assert "v2" in body
    assert effective.effective_at.strftime("%Y-%m-%d") in body
    assert "Warehouse" in body


def test_it_filters_by_area_and_search(manager_client):
    SOPDocumentFactory(code="SOP-ORD-001", title="Order intake", area=SOPDocument.Area.ORDERS)
    SOPDocumentFactory(code="SOP-SAF-001", title="Forklift safety", area=SOPDocument.Area.SAFETY)
    codes = lambda response: {d.code for d in response.context["page_obj"]}  # noqa: E731
    assert codes(manager_client.get(URL, {"area": "safety"})) == {"SOP-SAF-001"}
    assert codes(manager_client.get(URL, {"q": "intake"})) == {"SOP-ORD-001"}
    assert codes(manager_client.get(URL, {"q": "sop-saf"})) == {"SOP-SAF-001"}


def test_the_list_costs_the_same_queries_for_1_and_20_rows(manager_client, queries_for):
    def make():
        document = SOPDocumentFactory()
        SOPVersionFactory(document=document, number=1, status=SOPVersion.Status.SUPERSEDED)
        _effective(document, number=2)

    make()
    one = queries_for(manager_client, URL)
    for _ in range(19):
        make()
    assert queries_for(manager_client, URL) == one


def test_the_detail_renders_the_effective_body_as_sanitised_markdown(contracts_client):
    document = SOPDocumentFactory(code="SOP-ORD-002")
    SOPVersionFactory(
        document=document,
        number=1,
        body="# Old\n\nSuperseded text",
        status=SOPVersion.Status.SUPERSEDED,
    )
    _effective(document, number=2, body="# Picking\n\n1. Scan the **bin**\n2. Scan the item")
    body = contracts_client.get(_detail(document)).content.decode()
    assert "<h1>Picking</h1>" in body
    assert "<ol>\n<li>Scan the <strong>bin</strong></li>\n<li>Scan the item</li>\n</ol>" in body
    assert "Superseded text" not in body


def test_template_syntax_in_a_body_prints_literally(manager_client):
    document = SOPDocumentFactory()
    _effective(
        document, body="Secret: {{ settings.SECRET_KEY }}\n\n{% debug %}\n\n{{ request.user }}"
    )
    response = manager_client.get(_detail(document))
    body = response.content.decode()
    assert "{{ settings.SECRET_KEY }}" in body
    assert "{% debug %}" in body
    assert "{{ request.user }}" in body
    assert settings.SECRET_KEY not in body


def test_a_script_in_a_body_is_stripped(manager_client):
    document = SOPDocumentFactory()
    _effective(
        document, body='Safe\n\n<script>alert(1)</script>\n\n<a href="javascript:alert(2)">x</a>'
    )
    body = manager_client.get(_detail(document)).content.decode()
    article = body.split('data-testid="sop-body">', 1)[1].split("</article>", 1)[0]
    assert "<script" not in article
    assert "alert(" not in article
    assert "Safe" in article


def test_the_detail_shows_the_revision_history(manager_client):
    author = UserFactory(first_name="Ada", last_name="Author")
    approver = UserFactory(first_name="Abe", last_name="Approver")
    document = SOPDocumentFactory()
    SOPVersionFactory(
        document=document,
        number=1,
        status=SOPVersion.Status.SUPERSEDED,
        author=author,
        approver=approver,
        change_summary="First issue",
    )
    _effective(document, number=2, author=author, change_summary="Scanner step added")
    SOPVersionFactory(document=document, number=3, author=author, change_summary="Work in progress")
    response = manager_client.get(_detail(document))
    assert [v.number for v in response.context["versions"]] == [3, 2, 1]
    body = response.content.decode()
    for text in (
        "First issue",
        "Scanner step added",
        "Work in progress",
        "Ada Author",
        "Abe Approver",
        "Superseded",
        "Draft",
    ):
        assert text in body


def test_the_detail_lists_who_acknowledged_the_effective_version(warehouse_client, warehouse_staff):
    document = SOPDocumentFactory()
    old = SOPVersionFactory(document=document, number=1, status=SOPVersion.Status.SUPERSEDED)
    current = _effective(document, number=2)
    rita = UserFactory(first_name="Rita", last_name="Reader")
    AcknowledgementFactory(user=rita, version=current)
    AcknowledgementFactory(user=warehouse_staff, version=current)
    AcknowledgementFactory(user=UserFactory(first_name="Olga", last_name="Oldtimer"), version=old)
    response = warehouse_client.get(_detail(document))
    assert {a.user for a in response.context["acknowledgements"]} == {rita, warehouse_staff}
    assert response.context["acknowledged_by_me"]
    body = response.content.decode()
    assert "Rita Reader" in body
    assert "Olga Oldtimer" not in body


def test_an_sop_without_an_effective_version_says_so(manager_client):
    document = SOPDocumentFactory()
    SOPVersionFactory(document=document, body="Draft body text")
    body = manager_client.get(_detail(document)).content.decode()
    assert "no effective version yet" in body
    assert "Draft body text" not in body


def test_an_unknown_code_is_404(manager_client, db):
    assert (
        manager_client.get(reverse("quality:sop_detail", kwargs={"code": "SOP-NOPE"})).status_code
        == 404
    )
