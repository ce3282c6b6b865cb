"""Forms of policies: they validate and normalise, never save."""

import json

from django import forms
from django.core.exceptions import ValidationError

from policies import services
from policies.engine import Level, PolicyKind


class PolicyDocumentField(forms.CharField):
    """A JSON policy document as text, validated by the engine: every ERROR is
    shown with its place (JSON path, line and column); the cleaned value is
    the text, so the services can report places again."""

    widget = forms.Textarea(attrs={"rows": 16, "cols": 90, "spellcheck": "false", "class": "policy-document"})

    def __init__(self, *, kind: PolicyKind = PolicyKind.IDENTITY, size_limit: int | None = None, **kwargs):
        self.kind, self.size_limit = kind, size_limit
        kwargs.setdefault("help_text", "A JSON policy document (Version 2012-10-17).")
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, indent=2)
        return value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return text
        services.check_document(text, kind=self.kind, size_limit=self.size_limit)
        return text


def warnings_of(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> list[str]:
    """The non-error findings of a valid document, for a message after saving."""
    try:
        _, findings = services.check_document(text, kind=kind)
    except ValidationError:
        return []
    return [str(finding) for finding in findings if finding.level is not Level.ERROR]
