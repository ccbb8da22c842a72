"""Text emails are not HTML: their templates switch autoescaping off, or "&" arrives as "&amp;"."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

EMAIL_DIR = Path(settings.BASE_DIR) / "templates" / "emails"
# Partials (name__part.txt) are included from a template that already switched it off.
TEXT_TEMPLATES = sorted(p for p in EMAIL_DIR.glob("*.txt") if "__" not in p.name)


def test_there_are_text_email_templates():
    assert len(TEXT_TEMPLATES) > 10


@pytest.mark.parametrize("path", TEXT_TEMPLATES, ids=lambda p: p.name)
def test_each_text_email_template_turns_autoescape_off(path):
    source = path.read_text(encoding="utf-8")
    assert source.lstrip().startswith("{% autoescape off %}"), path.name


def test_autoescape_off_keeps_ampersands_and_quotes_as_typed():
    template = Template("{% autoescape off %}{{ name }}{% endautoescape %}")
    assert template.render(Context({"name": 'Smith & Sons "Ltd"'})) == 'Smith & Sons "Ltd"'
