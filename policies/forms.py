"""Forms of policies: they validate and normalise, never save."""

import fnmatch
import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from identities import jsoninput, naming, staleness
from identities.models import Role
from policies import services
from policies.engine import DocumentKind, Level, PolicyKind
from policies.models import POLICY_NAME_MAX_LENGTH, CatalogAction, ManagedPolicy, validate_policy_name

_DOCUMENT_ATTRS = {"rows": 16, "cols": 90, "spellcheck": "false", "class": "policy-document"}


class PolicyDocumentField(forms.CharField):
    """A JSON policy document as text, validated by the engine: every ERROR is
    shown with its place (JSON path, line and column); the cleaned value is
    the text, so the services can report places again."""

    widget = forms.Textarea(attrs=_DOCUMENT_ATTRS)

    def __init__(
        self,
        *,
        kind: DocumentKind | PolicyKind = DocumentKind.CUSTOMER_MANAGED,
        size_limit: int | None = None,
        **kwargs,
    ):
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


def warnings_of(text: str, kind: DocumentKind | PolicyKind = DocumentKind.CUSTOMER_MANAGED) -> list[str]:
    """The non-error findings of a valid document, for a message after saving."""
    try:
        _, findings = services.check_document(text, kind=kind)
    except ValidationError:
        return []
    return [services.finding_in_words(finding) for finding in findings if finding.level is not Level.ERROR]


# The session lengths the switch page offers, each only to a role whose maximum allows it.
USUAL_DURATIONS = (900, 3600, 4 * 3600, 12 * 3600)


def duration_label(seconds: int) -> str:
    """3600 as "1 hour", 5400 as "1 hour 30 minutes"."""
    hours, minutes = divmod(seconds // 60, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes or not hours else []
    return " ".join(parts)


def duration_choices(maximum: int) -> list[tuple[int, str]]:
    """The usual durations up to a role's maximum, and the maximum itself when it is none of them."""
    durations = [seconds for seconds in USUAL_DURATIONS if seconds <= maximum]
    if maximum not in durations:
        return [(seconds, duration_label(seconds)) for seconds in durations] + [
            (maximum, f"{duration_label(maximum)} (the role's maximum)")
        ]
    return [(seconds, duration_label(seconds)) for seconds in durations]


class SwitchRoleForm(forms.Form):
    """Switching to one role. The page has one of these for every role the user may assume,
    each offering only the durations its role allows, so no choice on the page is refused
    and no script is needed to narrow the choices once a role is picked."""

    duration = forms.TypedChoiceField(coerce=int, label="Session length")

    def __init__(self, *args, role: Role, **kwargs):
        super().__init__(*args, auto_id=f"id_role{role.pk}_%s", **kwargs)
        self.role, self.maximum_label = role, duration_label(role.max_session_duration)
        field = self.fields["duration"]
        field.choices = duration_choices(role.max_session_duration)
        field.initial = 3600
        field.error_messages["invalid_choice"] = (
            f"Choose one of the durations offered: {role.role_name} allows sessions of at most {self.maximum_label}."
        )


PRINCIPAL_KINDS = [
    ("user", "User"),
    ("group", "Group (its policies alone)"),
    ("role", "Role"),
    ("session", "Role session"),
    ("oidc-provider", "OpenID Connect provider (its tokens)"),
    ("custom", "Policies pasted below"),
]
CHECK_LIMIT = 400


def _lines(text: str) -> list[str]:
    return [item for item in (part.strip() for part in text.replace(",", "\n").splitlines()) if item]


class PolicyCheckForm(forms.Form):
    """What to check; everything but pasted documents travels in the URL (a permalink)."""

    kind = forms.ChoiceField(choices=PRINCIPAL_KINDS, label="Principal type", initial="user")
    principal = forms.CharField(
        required=False,
        label="Principal",
        help_text="A name (mia, Developers, ReleaseManager), or an ARN; a role session as its ARN "
        "(arn:aws:sts::…:assumed-role/Role/session).",
    )
    actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Actions",
        help_text="One per line, such as storage:DeleteBucket; a wildcard (storage:Get*) expands to the "
        "catalogue's matching actions.",
    )
    resources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Resources", initial="*", help_text="ARNs, one per line."
    )
    context = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Other context keys",
        help_text="key=value, one per line; repeat a key for several values (aws:TagKeys=team).",
    )

    def clean_actions(self):
        actions = expand_actions(_lines(self.cleaned_data["actions"]))
        if not actions:
            raise ValidationError("Name at least one action, such as storage:GetObject.")
        return actions

    def clean_resources(self):
        return _lines(self.cleaned_data["resources"]) or ["*"]

    def clean_context(self):
        values: dict[str, list[str]] = {}
        for number, line in enumerate(self.cleaned_data["context"].splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, value = line.partition("=")
            if not separator or not key.strip():
                raise ValidationError(f"Line {number} is not key=value: {line!r}.")
            values.setdefault(key.strip(), []).append(value.strip())
        return values

    def clean(self):
        cleaned = super().clean()
        actions, resources = cleaned.get("actions") or [], cleaned.get("resources") or []
        if len(actions) * len(resources) > CHECK_LIMIT:
            raise ValidationError(f"At most {CHECK_LIMIT} action and resource pairs at once.")
        if cleaned.get("kind") != "custom" and not cleaned.get("principal"):
            self.add_error("principal", "Choose whom to check.")
        return cleaned


class PastedPoliciesForm(forms.Form):
    """Documents to try that are never saved: they go by POST only, never into the URL."""

    custom_policies = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "policy-document"}),
        required=False,
        label="Identity policies to try",
        help_text="A policy document, or a JSON list of them.",
    )
    resource_policy = PolicyDocumentField(kind=DocumentKind.RESOURCE, required=False, label="Resource-based policy")
    permission_boundary = PolicyDocumentField(kind=DocumentKind.BOUNDARY, required=False, label="Permission boundary")

    def clean_custom_policies(self):
        text = self.cleaned_data["custom_policies"].strip()
        if not text:
            return []
        try:
            parsed = jsoninput.loads(text)
        except jsoninput.TooDeep as error:
            raise ValidationError(f"The JSON is {error}.") from None
        except ValueError as error:
            raise ValidationError(f"Not JSON: {error}.") from None
        documents = parsed if isinstance(parsed, list) else [parsed]
        for document in documents:
            services.check_document(document, kind=PolicyKind.IDENTITY)
        return documents

    def clean_resource_policy(self):
        return json.loads(self.cleaned_data["resource_policy"]) if self.cleaned_data["resource_policy"] else None

    def clean_permission_boundary(self):
        text = self.cleaned_data["permission_boundary"]
        return json.loads(text) if text else None


def expand_actions(patterns: list[str]) -> list[str]:
    """Wildcards expand to the catalogue's matching actions; other names stay as written."""
    known = [action.full_name for action in CatalogAction.objects.select_related("service")]
    expanded: list[str] = []
    for pattern in patterns:
        if "*" in pattern or "?" in pattern:
            matches = sorted(name for name in known if fnmatch.fnmatchcase(name.lower(), pattern.lower()))
            expanded.extend(matches or [pattern])
        else:
            expanded.append(pattern)
    return list(dict.fromkeys(expanded))


class WhatCanForm(forms.Form):
    kind = forms.ChoiceField(choices=PRINCIPAL_KINDS[:4], label="Principal type", initial="user")
    principal = forms.CharField(label="Principal", help_text="A name or an ARN.")
    q = forms.CharField(
        required=False,
        label="Search actions",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Part of an action, such as Object"}),
    )


class WhoCanForm(forms.Form):
    """One catalogue action on one resource, as AWS's policy simulator asks: the question
    names a request, so wildcards, which belong in policies, are refused in both."""

    action = forms.CharField(label="Action", help_text="One action of the catalogue, such as storage:DeleteBucket.")
    resource = forms.CharField(
        label="Resource",
        initial="*",
        help_text="One ARN, such as arn:aws:storage:::dev-app, or * for any resource.",
    )

    def clean_action(self) -> str:
        text = self.cleaned_data["action"].strip()
        prefix, colon, name = text.partition(":")
        if "*" in text or "?" in text:
            raise ValidationError("Give one action without wildcards, such as storage:GetObject.")
        if not (colon and prefix and name):
            raise ValidationError("Give an action as service:Name, such as storage:GetObject.")
        found = (
            CatalogAction.objects.filter(service__prefix=prefix.lower(), name__iexact=name)
            .select_related("service")
            .first()
        )
        if found is None:
            raise ValidationError(f"{text} is not an action of the catalogue.")
        return found.full_name

    def clean_resource(self) -> str:
        text = self.cleaned_data["resource"].strip()
        if text == "*":
            return text
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
            raise ValidationError(
                "Give the resource as an ARN (arn:partition:service:region:account:resource, "
                "such as arn:aws:storage:::dev-app) or * for any resource."
            )
        if "*" in text or "?" in text:
            raise ValidationError("Give one resource without wildcards, or * alone for any resource.")
        return text


# The policies pages and the identity fragment


def findings_of(
    text: str, kind: DocumentKind | PolicyKind = DocumentKind.CUSTOMER_MANAGED, size_limit: int | None = None
) -> list:
    """Every finding of a document as typed, each with its JSON path and, for text, its line."""
    return services.document_findings(text, kind=kind, size_limit=size_limit)


class PolicyFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Part of a name or description", "type": "search"}),
    )
    kind = forms.ChoiceField(
        required=False,
        label="Kind",
        choices=[("", "Any kind"), ("customer", "Customer managed"), ("aws", "AWS managed"), ("builtin", "Built-in")],
    )
    attached = forms.ChoiceField(
        required=False, label="Attached", choices=[("", "Attached or not"), ("yes", "Attached"), ("no", "Not attached")]
    )


def _policy_name_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label="Policy name",
        max_length=POLICY_NAME_MAX_LENGTH,
        validators=[validate_policy_name],
        help_text=f"1 to {POLICY_NAME_MAX_LENGTH} characters: {naming.NAME_CHARACTERS}. "
        "Unique in the account without regard to case.",
        **kwargs,
    )


def _managed_document_field(**kwargs) -> PolicyDocumentField:
    return PolicyDocumentField(
        label="Policy document",
        kind=DocumentKind.CUSTOMER_MANAGED,
        size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE,
        **kwargs,
    )


def inline_document_field(**kwargs) -> PolicyDocumentField:
    """An inline policy's document, before the identity is known: refused here only past the
    largest identity's quota; the service applies the identity's own, to the total of its
    inline policies."""
    return PolicyDocumentField(
        label="Policy document",
        kind=DocumentKind.INLINE_ROLE,
        size_limit=max(settings.IAM_INLINE_POLICY_MAX_SIZE.values()),
        **kwargs,
    )


class PolicyCreateForm(forms.Form):
    policy_name = _policy_name_field()
    path = forms.CharField(
        initial="/",
        max_length=naming.PATH_MAX_LENGTH,
        validators=[naming.validate_path],
        help_text="/ or a path that starts and ends with /, such as /teams/storage/; printable ASCII between.",
    )
    description = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    document = _managed_document_field()


class PolicyVersionForm(forms.Form):
    document = _managed_document_field()
    set_as_default = forms.BooleanField(required=False, initial=True, label="Make this version the default")
    # The number of the default version the editor showed (identities.staleness).
    based_on = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @classmethod
    def editing(cls, default) -> "PolicyVersionForm":
        """The editor showing the default version (a PolicyVersion, or None), based on it."""
        if default is None:
            return cls(initial={"document": ""})
        return cls(initial={"document": default.document, "based_on": default.number})


class PolicyDeleteForm(forms.Form):
    detach_everywhere = forms.BooleanField(
        required=False, label="Detach it from every identity above and remove it as their permission boundary"
    )


CHOOSE_A_POLICY = "Choose a policy…"


class AskedFirst(forms.Form):
    """A change made only when the POST says `confirm=yes`; the first POST answers with the question."""

    confirm = forms.ChoiceField(choices=[("", "not yet"), ("yes", "yes")], required=False, widget=forms.HiddenInput)

    @property
    def confirmed(self) -> bool:
        return self.cleaned_data.get("confirm") == "yes"


class PowerConfirmation(AskedFirst):
    """A change that would give `*`, `iam:*` or a route to more (policies.authorization.grants_power)
    is asked first; any other is made at once."""


class AttachPolicyForm(PowerConfirmation):
    # No policy is chosen until the user chooses one: the first in name order is AdministratorAccess.
    policy = forms.ModelChoiceField(
        queryset=ManagedPolicy.objects.all(),
        label="Managed policy to attach",
        empty_label=CHOOSE_A_POLICY,
        error_messages={"required": "Choose a policy to attach."},
    )


class DetachPolicyForm(AskedFirst):
    """Asked first, with the change preview of who loses what."""

    policy = forms.ModelChoiceField(queryset=ManagedPolicy.objects.all(), widget=forms.HiddenInput)


class InlinePolicyForm(PowerConfirmation):
    policy_name = _policy_name_field(initial="")
    document = inline_document_field(widget=forms.Textarea(attrs=_DOCUMENT_ATTRS | {"rows": 8}))
    # The token of each inline policy the identity had when the form was opened, by name:
    # the one named at save must still be as it was, or still be absent (identities.staleness).
    shown = forms.JSONField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_name"].help_text = (
            f"{self.fields['policy_name'].help_text.split(' Unique')[0]} Unique among this identity's inline "
            "policies; an existing name is replaced."
        )

    @classmethod
    def showing(cls, inline_policies, **initial) -> "InlinePolicyForm":
        """The form opened on an identity that has these inline policies."""
        shown = {inline.policy_name: services.inline_policy_token(inline) for inline in inline_policies}
        return cls(initial={"shown": shown, **initial})

    def clean(self):
        cleaned = super().clean()
        shown, name = cleaned.get("shown"), cleaned.get("policy_name")
        # No token (a form that did not say what it showed): the save is not checked.
        based_on = shown.get(name, staleness.ABSENT) if isinstance(shown, dict) and name else None
        cleaned["based_on"] = based_on if isinstance(based_on, str) else None
        return cleaned


class DeleteInlinePolicyForm(AskedFirst):
    """Asked first, with the change preview of who loses what."""

    policy_name = forms.CharField(widget=forms.HiddenInput)


class BoundaryForm(PowerConfirmation):
    policy = forms.ModelChoiceField(
        queryset=ManagedPolicy.objects.all(),
        label="Permission boundary",
        help_text="The most this identity's own policies can ever grant.",
        empty_label=CHOOSE_A_POLICY,
        error_messages={"required": "Choose a policy to set as the permission boundary."},
    )


# The console import of `aws iam get-account-authorization-details` output.

IMPORT_MAX_BYTES = 5 * 1024 * 1024


class ImportUploadForm(forms.Form):
    """The uploaded file, as text; its contents are checked by the import's reader, not here."""

    file = forms.FileField(
        label="Authorization details file",
        help_text="The JSON that aws iam get-account-authorization-details prints, at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Skip what is invalid",
        help_text=(
            "Import every valid user, group, role and policy and list each one skipped, with why. "
            "Whatever a skipped policy or group could restrict is skipped too."
        ),
    )
    replace_builtins = forms.BooleanField(
        required=False,
        label="Replace built-in policies",
        help_text=(
            "Let an AWS managed policy of the file replace iamconsole's built-in policy of its ARN where their "
            "documents differ; what everyone it is attached to may do changes, and the preview lists them."
        ),
    )

    def clean_file(self) -> tuple[str, str]:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; the console takes at most 5 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(f"The file is not UTF-8 text (byte {error.start}).") from None
        return upload.name, text


class ImportConfirmForm(forms.Form):
    """Which previewed file to apply: its SHA-256, checked against the copy the server kept."""

    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


# The Access Advisor (policies.lastaccess)


class AccessAdvisorFilterForm(forms.Form):
    unused_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Granted but unused for days",
        help_text="Only the actions granted and not used for this many days, or never.",
    )


class ActivityWindowForm(forms.Form):
    days = forms.IntegerField(
        initial=90,
        min_value=1,
        max_value=365,
        label="Activity of the last days",
        help_text="The actions used in this many days, on the resources they were used on.",
    )
