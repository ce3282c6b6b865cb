import json

from django import template

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
