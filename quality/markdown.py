"""SOP bodies: Markdown → HTML, always sanitised with nh3 before a page, the API or a PDF shows it.

A body is data, never a Django template: `{{ … }}` and `{% … %}` in it print as they are.
`render_markdown` is the only entry point: Python-Markdown converts, nh3 keeps only the tags,
attributes and URL schemes Markdown itself produces.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.tables import TableExtension

# What Markdown produces, nothing more: no images (the portal fetches nothing from outside),
# no style, no forms, no script.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(text: str) -> SafeString:
    """The sanitised HTML of a Markdown text, safe to put in a page as it is."""
    cleaned = nh3.clean(
        _markdown_to_html(text or ""),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    # nh3 has just removed every tag, attribute and URL scheme outside the lists above.
    return mark_safe(cleaned)  # noqa: S308


def _markdown_to_html(text: str) -> str:
    """Markdown to (unsanitised) HTML; raw HTML passes through for nh3 to judge."""
    # align= rather than style=: nh3 allows no inline styles.
    tables = TableExtension(use_align_attribute=True)
    return markdown.markdown(text, extensions=[tables, "fenced_code", "sane_lists"])
