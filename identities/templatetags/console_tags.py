"""Filters every console template has (settings adds this library to the built-ins): a
moment with its zone, an ARN that wraps at its separators, text with its bidirectional
controls written out."""

from datetime import date, datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from identities.naming import shown_safely

register = template.Library()


@register.filter
def when(value: datetime | date | None) -> str:
    """A moment in the one format of the console and the admin, "2026-12-02 14:55 UTC"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


@register.filter(is_safe=True)
def arn(value: object) -> SafeString:
    """The ARN escaped, with a line-break opportunity after each : and /, so a long ARN breaks
    between its parts instead of inside a name."""
    escaped = str(conditional_escape(value))
    return mark_safe(escaped.replace(":", ":<wbr>").replace("/", "/<wbr>"))


@register.filter
def bidi_escaped(value: object) -> str:
    """Text a person wrote (a description), with each bidirectional control shown as U+202E
    instead of silently reordering what follows it."""
    return shown_safely(str(value)) if value is not None else ""
