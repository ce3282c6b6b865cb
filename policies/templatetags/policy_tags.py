import json
import re
from typing import NamedTuple

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from policies.services import finding_in_words

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def outcome_class(decision) -> str:
    return {"Allow": "success", "ExplicitDeny": "danger"}.get(decision.outcome.value, "secondary")


@register.filter
def outcome_label(decision) -> str:
    labels = {"Allow": "Allowed", "ExplicitDeny": "Explicitly denied", "ImplicitDeny": "Implicitly denied"}
    return labels[decision.outcome.value]


@register.filter
def layer_words(layer: str) -> str:
    """An engine layer name as a person says it."""
    if layer.startswith("guardrails["):
        return f"guardrail level {int(layer[len('guardrails[') : -1]) + 1}"
    return {
        "identity": "identity policy",
        "boundary": "permission boundary",
        "session": "session policy",
        "resource": "resource policy",
        "trust": "trust policy",
    }.get(layer, layer)


# Policy documents, coloured on the server: no JavaScript library, no CDN.

_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\\n]|\\.)*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
    r"|(?P<punctuation>[{}\[\],:])"
)


def highlight_line(line: str) -> str:
    """One line of JSON (valid or not) as HTML with keys, strings, numbers and literals in their own classes."""
    parts, position = [], 0
    for match in _TOKEN.finditer(line):
        parts.append(escape(line[position : match.start()]))
        kind = match.lastgroup if match.lastgroup != "colon" else "string"
        if match.group("string") is not None:
            css = "json-key" if match.group("colon") else "json-string"
            parts.append(
                format_html('<span class="{}">{}</span>{}', css, match.group("string"), match.group("colon") or "")
            )
        elif kind == "punctuation":
            parts.append(escape(match.group(0)))
        else:
            parts.append(format_html('<span class="json-{}">{}</span>', kind, match.group(0)))
        position = match.end()
    parts.append(escape(line[position:]))
    return mark_safe("".join(str(part) for part in parts))


@register.filter
def highlight_json(value) -> str:
    """A document (or JSON text) as coloured, escaped HTML for a <pre>."""
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    return mark_safe("\n".join(highlight_line(line) for line in text.splitlines()))


class NumberedLine(NamedTuple):
    number: int
    html: str
    findings: list


def numbered_lines(text: str, findings) -> list[NumberedLine]:
    """The text's lines, highlighted and numbered, each with the findings placed on it;
    findings without a line (a dict source) go on the first line."""
    lines = text.splitlines() or [""]
    by_line: dict[int, list] = {}
    for finding in findings:
        line = min(max(finding.line or 1, 1), len(lines))
        by_line.setdefault(line, []).append(finding)
    return [NumberedLine(number, highlight_line(line), by_line.get(number, [])) for number, line in enumerate(lines, 1)]


@register.filter
def level_class(finding) -> str:
    return {"ERROR": "danger", "SECURITY_WARNING": "warning", "WARNING": "warning"}.get(finding.level.value, "info")


@register.filter
def level_label(finding) -> str:
    return finding.level.value.replace("_", " ").capitalize()


@register.filter
def in_words(finding) -> str:
    """A finding as a sentence with its place; its code is shown apart, as a secondary detail."""
    return finding_in_words(finding)
