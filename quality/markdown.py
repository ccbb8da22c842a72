"""SOP bodies: Markdown → HTML, always sanitised with nh3 before a page, the API or a PDF shows it.

A body is data, never a Django template: `{{ … }}` and `{% … %}` in it print as they are.
`render_markdown` is the only entry point. No Markdown library is installed yet, so
`_markdown_to_html` is a small converter (CommonMark-like: text is escaped, raw HTML tags are
passed on for nh3 to judge, as a Markdown library would). Installing one means replacing that
single function, e.g. `return markdown.markdown(text, extensions=["tables", "fenced_code"])`.
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe

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
    """Markdown to (unsanitised) HTML. Replace this function to use a Markdown library."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    return "\n".join(_blocks(lines))


# --- blocks -----------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_BULLET = re.compile(r"^( {0,3})[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^( {0,3})\d{1,9}[.)]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


def _starts_block(line: str) -> bool:
    return bool(
        _FENCE.match(line)
        or _HEADING.match(line)
        or _RULE.match(line)
        or _QUOTE.match(line)
        or _BULLET.match(line)
        or _ORDERED.match(line)
    )


def _blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif fence := _FENCE.match(line):
            marker = fence.group(1)
            i += 1
            code: list[str] = []
            while i < len(lines) and not lines[i].strip().startswith(marker):
                code.append(lines[i])
                i += 1
            i += 1  # the closing fence (or the end of the text)
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
        elif heading := _HEADING.match(line):
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2) or '')}</h{level}>")
            i += 1
        elif _RULE.match(line):
            out.append("<hr>")
            i += 1
        elif _QUOTE.match(line):
            quoted: list[str] = []
            while i < len(lines) and (match := _QUOTE.match(lines[i])):
                quoted.append(match.group(1))
                i += 1
            out.append("<blockquote>" + "\n".join(_blocks(quoted)) + "</blockquote>")
        elif _BULLET.match(line) or _ORDERED.match(line):
            block, i = _list(lines, i)
            out.append(block)
        elif "|" in line and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            block, i = _table(lines, i)
            out.append(block)
        else:
            paragraph: list[str] = []
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                paragraph.append(lines[i].lstrip())  # trailing spaces may be a hard break
                i += 1
            out.append("<p>" + _inline("\n".join(paragraph)) + "</p>")
    return out


def _list(lines: list[str], i: int) -> tuple[str, int]:
    """A list starting at line i; lines indented under an item are that item's own blocks."""
    ordered = bool(_ORDERED.match(lines[i]))
    pattern = _ORDERED if ordered else _BULLET
    items: list[str] = []
    while i < len(lines) and (match := pattern.match(lines[i])):
        indent = len(match.group(1)) + 2
        text = [match.group(2)]
        nested: list[str] = []
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                # A blank line ends the item unless indented content follows.
                following = lines[i + 1] if i + 1 < len(lines) else ""
                if following.strip() and _indent(following) >= indent:
                    nested.append("")
                    i += 1
                    continue
                break
            if _indent(line) >= indent:
                nested.append(line[indent:])
            elif nested or _starts_block(line):
                break
            else:
                text.append(line.strip())  # a lazy continuation of the item's text
            i += 1
        inner = _inline("\n".join(text)) + "".join(_blocks(nested))
        items.append(f"<li>{inner}</li>")
        # Blank lines between items of the same list keep the list going.
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j > i and j < len(lines) and pattern.match(lines[j]):
            i = j
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(items) + f"</{tag}>", i


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _table(lines: list[str], i: int) -> tuple[str, int]:
    header = _cells(lines[i])
    aligns = [_align(cell) for cell in _cells(lines[i + 1])]
    i += 2
    rows: list[list[str]] = []
    while i < len(lines) and lines[i].strip() and "|" in lines[i]:
        rows.append(_cells(lines[i]))
        i += 1

    def row_html(cells: list[str], tag: str) -> str:
        parts = []
        for index, cell in enumerate(cells):
            align = aligns[index] if index < len(aligns) else ""
            attribute = f' align="{align}"' if align else ""
            parts.append(f"<{tag}{attribute}>{_inline(cell)}</{tag}>")
        return "<tr>" + "".join(parts) + "</tr>"

    body = "".join(row_html(row, "td") for row in rows)
    return (
        f"<table><thead>{row_html(header, 'th')}</thead><tbody>{body}</tbody></table>",
        i,
    )


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line.removeprefix("|")
    line = line.removesuffix("|")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _align(rule: str) -> str:
    if rule.startswith(":") and rule.endswith(":"):
        return "center"
    if rule.endswith(":"):
        return "right"
    if rule.startswith(":"):
        return "left"
    return ""


# --- inline -----------------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|(?P<escape>\\[\\`*_{}\[\]()#+\-.!|<>~])"
    r"|(?P<autolink><(?P<auto_url>(?:https?://|mailto:)[^\s<>]+)>)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<image>!\[(?P<alt>[^\]]*)\]\([^)]*\))"
    r"|(?P<link>\[(?P<link_text>[^\]]+)\]\(\s*<?(?P<href>(?:[^()\s<>]|\([^()\s]*\))*)>?"
    r"(?:\s+\"(?P<title>[^\"]*)\")?\s*\))"
    r"|(?P<strong>(?P<strong_mark>\*\*|__)(?=\S)(?P<strong_text>.+?)(?<=\S)(?P=strong_mark))"
    r"|(?P<em>\*(?=\S)(?P<em_star>.+?)(?<=\S)\*|(?<!\w)_(?=\S)(?P<em_under>.+?)(?<=\S)_(?!\w))"
    r"|(?P<strike>~~(?=\S)(?P<strike_text>.+?)(?<=\S)~~)"
    r"|(?P<hard_break> {2,}\n)",
    re.DOTALL,
)


def _inline(text: str) -> str:
    """Inline Markdown: text escaped; code, links, emphasis made; raw tags left for nh3."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[position : match.start()]))
        position = match.end()
        if match.group("code") is not None:
            out.append(f"<code>{_escape(match.group('code_text').strip())}</code>")
        elif match.group("escape") is not None:
            out.append(_escape(match.group("escape")[1]))
        elif match.group("autolink") is not None:
            url = match.group("auto_url")
            out.append(f'<a href="{_attribute(url)}">{_escape(url)}</a>')
        elif match.group("tag") is not None or match.group("entity") is not None:
            out.append(match.group(0))
        elif match.group("image") is not None:
            out.append(_escape(match.group("alt")))
        elif match.group("link") is not None:
            title = match.group("title")
            title_attribute = f' title="{_attribute(title)}"' if title else ""
            out.append(
                f'<a href="{_attribute(match.group("href"))}"{title_attribute}>'
                f"{_inline(match.group('link_text'))}</a>"
            )
        elif match.group("strong") is not None:
            out.append(f"<strong>{_inline(match.group('strong_text'))}</strong>")
        elif match.group("em") is not None:
            inner = match.group("em_star") or match.group("em_under")
            out.append(f"<em>{_inline(inner)}</em>")
        elif match.group("strike") is not None:
            out.append(f"<del>{_inline(match.group('strike_text'))}</del>")
        elif match.group("hard_break") is not None:
            out.append("<br>\n")
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)
