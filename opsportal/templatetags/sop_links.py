"""`{% sop_link "orders.pick" %}`: a link to the SOP a place of work follows, where the work happens.

Quality maps each work key to an SOP (quality.SOPWorkLink); the tag shows that SOP's effective
version ("SOP-WH-001 Picking v2") linking to its page, or nothing when there is none. A key that
is not one of `SOPWorkLink.Key` is a typo in a template and fails when the template compiles.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, Parser, Token
from django.template.loader import render_to_string

register = template.Library()


def _known_keys() -> frozenset[str]:
    from quality.models import SOPWorkLink

    return frozenset(SOPWorkLink.Key.values)


class SOPLinkNode(template.Node):
    def __init__(self, key: FilterExpression) -> None:
        self.key = key

    def render(self, context: template.Context) -> str:
        from quality.selectors import effective_sop_for_work

        key = self.key.resolve(context)
        if key not in _known_keys():
            return ""
        sop = effective_sop_for_work(key)
        if sop is None:
            return ""
        return render_to_string("opsportal/_sop_link.html", {"sop": sop, "work_key": key})


@register.tag
def sop_link(parser: Parser, token: Token) -> SOPLinkNode:
    """`{% sop_link "orders.pick" %}` (a literal key is checked when the template compiles)."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f'{bits[0]} takes one work key, e.g. "orders.pick"')
    literal = bits[1]
    quoted = literal[:1] in ("'", '"') and literal[-1:] == literal[:1]
    if quoted and literal[1:-1] not in _known_keys():
        known = ", ".join(sorted(_known_keys()))
        raise template.TemplateSyntaxError(f"{bits[0]}: unknown work key {literal}; known: {known}")
    return SOPLinkNode(parser.compile_filter(literal))
