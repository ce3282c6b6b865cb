"""The console's forms for access requests: they validate and normalise, and never save."""

from django import forms
from django.core.exceptions import ValidationError

from access.models import AccessRequest
from identities.models import Group, Role


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class AccessRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="I ask for", choices=AccessRequest.Kind.choices, initial=AccessRequest.Kind.PERMISSION
    )
    group = forms.CharField(label="Group", required=False, help_text="For membership: the group's name.")
    role = forms.CharField(label="Role", required=False, help_text="For a role: the role's name.")
    actions = forms.CharField(
        label="Actions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line: storage:PutObject.",
    )
    resources = forms.CharField(
        label="Resources", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="ARNs, one a line."
    )
    justification = forms.CharField(label="Why", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.IntegerField(label="For (minutes)", min_value=1, initial=60, required=False)
    until_revoked = forms.BooleanField(label="Until revoked", required=False)

    def clean_group(self) -> Group | None:
        return self._named(Group, "group_name", self.cleaned_data["group"], "group")

    def clean_role(self) -> Role | None:
        return self._named(Role, "role_name", self.cleaned_data["role"], "role")

    @staticmethod
    def _named(model, field: str, name: str, what: str):
        name = name.strip().rsplit("/", 1)[-1]
        if not name:
            return None
        found = model.objects.filter(**{f"{field}__iexact": name}).first()
        if found is None:
            raise ValidationError(f"No {what} is named {name}.")
        return found

    def clean(self):
        data = super().clean()
        if not data.get("until_revoked") and not data.get("minutes"):
            raise ValidationError("Say for how long, or ask until revoked.")
        return data

    def arguments(self) -> dict:
        """The keyword arguments of services.create_request."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "group": data.get("group"),
            "role": data.get("role"),
            "actions": _lines(data.get("actions", "")),
            "resources": _lines(data.get("resources", "")),
            "justification": data["justification"],
            "duration": None if data.get("until_revoked") else data["minutes"] * 60,
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")], required=False)
    reason = forms.CharField(label="Reason", max_length=1000, required=False)
    minutes = forms.IntegerField(label="For (minutes)", min_value=1, required=False)
