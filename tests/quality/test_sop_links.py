"""`{% sop_link key %}`: the effective SOP of a place of work, or nothing."""

import pytest
from django.template import Context, Template, TemplateSyntaxError

from quality.models import SOPVersion, SOPWorkLink
from tests.factories import SOPDocumentFactory, SOPVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _render(text: str, **context) -> str:
    return Template("{% load sop_links %}" + text).render(Context(context)).strip()


@pytest.fixture
def picking():
    document = SOPDocumentFactory(code="SOP-WH-001", title="Picking")
    author, approver = UserFactory(), UserFactory()
    SOPVersionFactory(
        document=document, number=3, status=SOPVersion.Status.SUPERSEDED, author=author
    )
    SOPVersionFactory(
        document=document,
        number=4,
        status=SOPVersion.Status.EFFECTIVE,
        author=author,
        approver=approver,
    )
    SOPVersionFactory(document=document, number=5, status=SOPVersion.Status.DRAFT, author=author)
    SOPWorkLink.objects.create(key=SOPWorkLink.Key.ORDERS_PICK, document=document)
    return document


def test_it_links_the_effective_version_of_the_mapped_sop(picking):
    html = _render('{% sop_link "orders.pick" %}')
    assert 'href="/quality/sops/SOP-WH-001/"' in html
    assert ">SOP-WH-001 Picking v4</a>" in html


def test_it_shows_nothing_for_a_key_with_no_sop(picking):
    assert _render('{% sop_link "orders.pack" %}') == ""


def test_it_shows_nothing_when_the_sop_has_no_effective_version(picking):
    picking.versions.filter(status=SOPVersion.Status.EFFECTIVE).update(
        status=SOPVersion.Status.SUPERSEDED
    )
    assert _render('{% sop_link "orders.pick" %}') == ""


def test_a_key_from_a_variable_works_and_an_unknown_one_shows_nothing(picking):
    assert "SOP-WH-001" in _render("{% sop_link key %}", key="orders.pick")
    assert _render("{% sop_link key %}", key="orders.nope") == ""


def test_a_literal_unknown_key_fails_when_the_template_compiles():
    with pytest.raises(TemplateSyntaxError, match="unknown work key"):
        Template('{% load sop_links %}{% sop_link "orders.picking" %}')
    with pytest.raises(TemplateSyntaxError, match="one work key"):
        Template("{% load sop_links %}{% sop_link %}")


def test_the_title_is_escaped(picking):
    picking.title = "<script>alert(1)</script>"
    picking.save()
    html = _render('{% sop_link "orders.pick" %}')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_it_costs_one_query(picking, django_assert_num_queries):
    with django_assert_num_queries(1):
        _render('{% sop_link "orders.pick" %}')
