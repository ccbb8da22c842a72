"""SOP bodies: Markdown → HTML, always sanitised with nh3 before a page, the API or a PDF shows it.

A body is data, never a Django template: `{{ … }}` and `{% … %}` in it print as they are.
`render_markdown` is the only entry point: Python-Markdown converts, nh3 keeps only the tags,
attributes and URL schemes Markdown itself produces.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

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
        attribute_filter=_drop_private_links,
    )
    # nh3 has just removed every tag, attribute and URL scheme outside the lists above.
    return mark_safe(cleaned)  # noqa: S308


def _markdown_to_html(text: str) -> str:
    """Markdown to (unsanitised) HTML; raw HTML passes through for nh3 to judge."""
    # align= rather than style=: nh3 allows no inline styles.
    tables = TableExtension(use_align_attribute=True)
    return markdown.markdown(text, extensions=[tables, "fenced_code", "sane_lists"])


# Host names that only ever mean "this machine" or a private network.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _drop_private_links(tag: str, attribute: str, value: str) -> str | None:
    """Keep an href only if it is relative, mailto:, or points at a public host: a link to
    127.0.0.1, 169.254.169.254 (cloud metadata), a private network or localhost is removed, so
    neither a page nor a printed manual offers it (file: and other schemes nh3 drops already)."""
    if attribute != "href":
        return value
    try:
        parts = urlsplit(value.strip())
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not parts.scheme and not parts.netloc:
        return value  # relative: #section, /quality/sops/...
    if parts.scheme.lower() == "mailto":
        return value
    if not host or host == "localhost" or host.endswith(_PRIVATE_SUFFIXES):
        return None
    return value if _is_public_host(host) else None


def _is_public_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Legacy IPv4 spellings browsers still accept: 2130706433, 0x7f.1, 0177.0.0.1.
        if all(char in "0123456789abcdefx." for char in host):
            try:
                address = ipaddress.ip_address(socket.inet_aton(host))
            except OSError:
                return True  # not an address at all: a host name
        else:
            return True
    return address.is_global
