"""SOP bodies: Markdown made HTML, then sanitised; never a template."""

import re

import pytest

from quality.markdown import render_markdown


@pytest.mark.smoke
def test_it_strips_script_tags_and_their_content():
    html = render_markdown("Before\n\n<script>alert(1)</script>\n\nAfter")
    assert "<script" not in html
    assert "alert(1)" not in html
    assert "Before" in html
    assert "After" in html


def test_it_keeps_template_syntax_as_text():
    html = render_markdown("Key: {{ settings.SECRET_KEY }} and {% debug %}")
    assert "{{ settings.SECRET_KEY }}" in html
    assert "{% debug %}" in html


def test_it_escapes_text():
    assert render_markdown("a < b & c") == "<p>a &lt; b &amp; c</p>"


def test_it_renders_headings_paragraphs_and_emphasis():
    html = render_markdown("# Purpose\n\nShip **today**, check *twice*.")
    assert html == "<h1>Purpose</h1>\n<p>Ship <strong>today</strong>, check <em>twice</em>.</p>"


def _tight(html: str) -> str:
    """The HTML without the newlines the converter puts between tags."""
    return re.sub(r">\s+<", "><", html)


def test_it_renders_nested_and_ordered_lists():
    html = _tight(render_markdown("- Pick\n- Pack\n    - Weigh\n\n1. First\n2. Second"))
    assert "<ul><li>Pick</li><li>Pack<ul><li>Weigh</li></ul></li></ul>" in html
    assert "<ol><li>First</li><li>Second</li></ol>" in html


def test_code_is_shown_not_run():
    html = render_markdown("```\n<b>not bold</b>\n```\n\nInline `<i>x</i>` too")
    assert "<pre><code>&lt;b&gt;not bold&lt;/b&gt;\n</code></pre>" in html
    assert "<code>&lt;i&gt;x&lt;/i&gt;</code>" in html


def test_links_keep_safe_schemes_only():
    html = render_markdown("[manual](https://example.com/m) [bad](javascript:alert(1))")
    assert 'href="https://example.com/m"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "javascript" not in html


def test_raw_html_loses_event_handlers_and_images():
    html = render_markdown('<em onclick="steal()">hi</em> <img src="http://evil/x.png">')
    assert html == "<p><em>hi</em> </p>"


def test_tables_render():
    html = _tight(render_markdown("| Step | Minutes |\n|---|--:|\n| Pick | 5 |"))
    assert '<th align="right">Minutes</th>' in html
    assert '<td>Pick</td><td align="right">5</td>' in html


def test_an_empty_body_renders_nothing():
    assert render_markdown("") == ""
