"""The portal works offline: no page loads a script, style, font or image from elsewhere."""

import re

import pytest
from django.urls import reverse

# src=, href= of <link>, and CSS url(...) pointing at another host.
EXTERNAL = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src)=["'](?:https?:)?//|url\(["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", ["home", "api-docs", "api-redoc", "document_list"])
def test_pages_load_nothing_from_outside(superuser_client, name):
    response = superuser_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)


def test_the_sign_in_page_loads_nothing_from_outside(client, db):
    html = client.get(reverse("login")).content.decode()
    assert not EXTERNAL.findall(html)


def test_the_stylesheet_fetches_nothing_from_outside():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/portal.css")).read_text(encoding="utf-8")
    assert "//" not in re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
