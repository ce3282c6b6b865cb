"""Forms of the sign-in and account pages: they validate and normalise, and never save."""

import json

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.forms.fields import InvalidJSONInput
from django.utils import timezone
from django.utils.module_loading import import_string

from identities import jsoninput, naming, trust
from identities.audit import AuditEvent
from identities.models import Group, User
from identities.queries import AuditFilter, UserFilters, groups_named, users_named

MAX_USERS_AT_ONCE = 200


class SignInForm(AuthenticationForm):
    # The name as typed, not NFKC-normalised as Django's UsernameField does: a fullwidth
    # ＭＩＡ would become MIA and sign in as mia. Names are ASCII (naming.sign_in_key).
    username = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "autocapitalize": "none", "autocomplete": "username"})
    )
    # The same words for an unknown name and a wrong password; names are not case-sensitive.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The user name or password is not right.",
    }

    def confirm_login_allowed(self, user):
        """The password was right; another app may still refuse this user a password sign-in
        (IAM_PASSWORD_SIGN_IN_HOOKS: a user the identity provider signs in, when passwords are off)."""
        super().confirm_login_allowed(user)
        for hook in settings.IAM_PASSWORD_SIGN_IN_HOOKS:
            reason = import_string(hook)(user)
            if reason:
                raise forms.ValidationError(reason, code="password_sign_in_off")


class MFACodeForm(forms.Form):
    code = forms.CharField(
        label="MFA code",
        max_length=12,
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code


class PasswordChangeForm(forms.Form):
    """The user's own new password; the account policy is checked by the service that sets it."""

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label="New password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your current password is not right.")
        return password

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", "The two new passwords differ.")
        if new and new == cleaned.get("current_password"):
            self.add_error("new_password", "Choose a password other than your current one.")
        return cleaned


# Console forms of users, groups and roles. Names are checked by the model's
# validators when a service saves; the help text explains AWS's rules at the field.

_PATH_HELP = "Optional. / or a path that starts and ends with /, such as /division/team/; it becomes part of the ARN."
_TAGS_HELP = "One tag a line, as key=value. Keys are unique without regard to case and may not start with aws:."


def _name_help(max_length: int, kind: str) -> str:
    return (
        f"1 to {max_length} {naming.NAME_CHARACTERS}; no spaces. Unique without regard to case, "
        f"so you cannot have both Admins and ADMINS. It is part of the {kind}'s ARN."
    )


class TagsField(forms.CharField):
    """Tags as lines of key=value, normalised to a dict; AWS's rules are checked here too."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _TAGS_HELP)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key}={text}" for key, text in value.items())
        return value

    def to_python(self, value) -> dict[str, str]:
        tags: dict[str, str] = {}
        for number, line in enumerate((super().to_python(value) or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, text = line.partition("=")
            if not separator:
                raise forms.ValidationError(f"Line {number} has no = between key and value: {line.strip()!r}.")
            tags[key.strip()] = text.strip()
        naming.validate_tags(tags)
        return tags


class BoundedJSONField(forms.JSONField):
    """Django's JSON field, refusing text nested deeper than jsoninput.MAX_DEPTH before it is decoded
    (the decoder recurses per level) and strings holding NUL (PostgreSQL cannot store them)."""

    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            try:
                jsoninput.check_depth(value)
            except jsoninput.TooDeep as error:
                raise forms.ValidationError(f"The JSON is {error}.", code="too_deep") from None
        converted = super().to_python(value)
        if jsoninput.contains_nul(converted):
            raise forms.ValidationError("Text in the JSON may not contain NUL characters.", code="null_characters")
        return converted

    def bound_data(self, data, initial):
        # Shown again as typed; Django's own would decode it once more.
        if isinstance(data, str) and not self.disabled and jsoninput.too_deep_at(data) is not None:
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)


class BasedOnField(forms.CharField):
    """The token of what the form showed (identities.staleness), carried back hidden, so
    the service can refuse the save if the stored value changed in between."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)


def refused_as_stale(current: forms.Form, problem: str) -> forms.Form:
    """`current` (unbound, showing what is stored now) bound to what it shows, with
    `problem` as its non-field error: the page that refuses a stale save shows the
    current values, and their tokens, to apply the change to again."""
    data = {name: current[name].value() for name in current.fields if current[name].value() is not None}
    form = type(current)(data, initial=current.initial)
    form.is_valid()
    form.add_error(None, problem)
    return form


class TrustPolicyField(BoundedJSONField):
    """A trust policy as people write it, with ARNs: each user or role of this account
    it names must exist, as AWS refuses an invalid principal (identities.trust)."""

    def bound_data(self, data, initial):
        # Shown again exactly as typed, so the lines and columns of its problems still match.
        if isinstance(data, str) and not self.disabled:
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)

    def prepare_value(self, value):
        # Shown in the policy editor, one element a line, as the managed-policy editor shows documents.
        if isinstance(value, InvalidJSONInput) or value in (None, ""):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.disabled:
            try:
                jsoninput.check_depth(value)
            except jsoninput.TooDeep as error:
                raise forms.ValidationError(f"The JSON is {error}.", code="too_deep") from None
            # The text, not the decoded value, so each problem (broken JSON too) comes with its line and column.
            trust.check_text(value)
        return super().to_python(value)

    def validate(self, value) -> None:
        super().validate(value)
        trust.stored_form(value)


class UserForm(forms.Form):
    username = forms.CharField(label="User name", max_length=64, help_text=_name_help(64, "user"))
    path = forms.CharField(
        label="Path", max_length=naming.PATH_MAX_LENGTH, initial="/", required=False, help_text=_PATH_HELP
    )
    is_active = forms.BooleanField(
        label="Enabled",
        required=False,
        initial=True,
        help_text="A disabled user cannot sign in and has no permissions.",
    )

    def clean_username(self) -> str:
        name = self.cleaned_data["username"].strip()
        naming.validate_name(name, max_length=64, kind="user name")
        return name

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip() or "/"
        naming.validate_path(path)
        return path


class UserEditForm(UserForm):
    mfa_required = forms.BooleanField(
        label="Require MFA",
        required=False,
        help_text="They must sign in with an MFA device; one who has none sets it up at their next sign-in.",
    )
    contact_email = forms.EmailField(
        label="Contact address",
        required=False,
        help_text="Where notices of access requests are sent; it is never used to sign in or to identify anyone.",
    )


NO_PASSWORD, TYPED_PASSWORD, GENERATED_PASSWORD = "none", "typed", "generated"


class ConsolePasswordForm(forms.Form):
    """A console password typed or generated (the page generates it and shows it once), and
    whether it must be changed at the next sign-in. The account password policy is checked
    by the service that sets it."""

    password_choice = forms.ChoiceField(
        label="Console password",
        choices=[(GENERATED_PASSWORD, "Generate a password (shown once)"), (TYPED_PASSWORD, "Type a password")],
        initial=GENERATED_PASSWORD,
        widget=forms.RadioSelect,
    )
    console_password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Only with “Type a password”; the account password policy applies.",
    )
    password_reset_required = forms.BooleanField(
        label="Require a new password at next sign-in",
        required=False,
        initial=True,
        help_text="They choose their own password when they first sign in with this one.",
    )

    def clean(self):
        cleaned = super().clean()
        choice, typed = cleaned.get("password_choice"), cleaned.get("console_password")
        if choice == TYPED_PASSWORD and not typed:
            self.add_error("console_password", "Type the password, or choose to generate one.")
        if choice != TYPED_PASSWORD:
            cleaned["console_password"] = ""
        if choice == NO_PASSWORD:
            cleaned["password_reset_required"] = False
        return cleaned

    def wants_generated(self) -> bool:
        return self.cleaned_data["password_choice"] == GENERATED_PASSWORD


class GroupNamesField(forms.CharField):
    """Groups named one a line or separated by commas, normalised to the groups (each must exist)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[Group]:
        text = (super().to_python(value) or "").replace(",", "\n")
        names = list(dict.fromkeys(name.strip() for name in text.splitlines() if name.strip()))
        if len(names) > settings.IAM_MAX_GROUPS_PER_USER:
            raise forms.ValidationError(f"A user may be in {settings.IAM_MAX_GROUPS_PER_USER} groups at most.")
        groups = {group.group_name.lower(): group for group in groups_named(names)}
        missing = [name for name in names if name.lower() not in groups]
        if missing:
            raise forms.ValidationError(f"No such group: {', '.join(missing)}.")
        return list({group.pk: group for group in groups.values()}.values())


class UserCreateForm(UserForm, ConsolePasswordForm):
    """A new user with all it starts with: password, groups, boundary and tags, created at once."""

    password_choice = forms.ChoiceField(
        label="Console password",
        choices=[
            (NO_PASSWORD, "None: access keys only, no console sign-in"),
            *ConsolePasswordForm.base_fields["password_choice"].choices,
        ],
        initial=NO_PASSWORD,
        required=False,
        widget=forms.RadioSelect,
    )
    groups = GroupNamesField(
        label="Groups",
        help_text="Optional. Group names, separated by commas; the user starts with their permissions.",
    )
    boundary = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Permission boundary",
        empty_label="No boundary",
        help_text="Optional. The most this user's own policies can ever give them.",
    )
    tags = TagsField(label="Tags")
    mfa_required = UserEditForm.base_fields["mfa_required"]

    field_order = [
        "username",
        "path",
        "password_choice",
        "console_password",
        "password_reset_required",
        "mfa_required",
        "groups",
        "boundary",
        "tags",
        "is_active",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Named in settings: the boundaries are the policies app's, which identities does not import.
        self.fields["boundary"].queryset = import_string(settings.IAM_BOUNDARY_POLICIES)()

    def clean(self):
        cleaned = super().clean()
        typed = cleaned.get("console_password")
        if typed:
            # Said at the field before anything is created; the service checks it again when it saves.
            try:
                password_validation.validate_password(typed, User(username=cleaned.get("username") or ""))
            except forms.ValidationError as error:
                self.add_error("console_password", error)
        return cleaned

    def clean_password_choice(self) -> str:
        # A form that names no choice (a script, an older page) means the password typed, if any.
        typed = self.data.get(self.add_prefix("console_password"))
        return self.cleaned_data["password_choice"] or (TYPED_PASSWORD if typed else NO_PASSWORD)


class GroupForm(forms.Form):
    group_name = forms.CharField(label="Group name", max_length=128, help_text=_name_help(128, "group"))
    path = forms.CharField(
        label="Path", max_length=naming.PATH_MAX_LENGTH, initial="/", required=False, help_text=_PATH_HELP
    )
    description = forms.CharField(label="Description", max_length=1000, required=False)

    def clean_group_name(self) -> str:
        name = self.cleaned_data["group_name"].strip()
        naming.validate_name(name, max_length=128, kind="group name")
        return name

    clean_path = UserForm.clean_path


class RoleForm(forms.Form):
    role_name = forms.CharField(label="Role name", max_length=64, help_text=_name_help(64, "role"))
    path = forms.CharField(
        label="Path", max_length=naming.PATH_MAX_LENGTH, initial="/", required=False, help_text=_PATH_HELP
    )
    description = forms.CharField(label="Description", max_length=1000, required=False)
    max_session_duration = forms.IntegerField(
        label="Maximum session duration (seconds)",
        min_value=3600,
        max_value=43200,
        initial=3600,
        help_text="3600 (1 hour) to 43200 (12 hours): how long a session of this role may last.",
    )
    tags = TagsField(label="Tags")

    def clean_role_name(self) -> str:
        name = self.cleaned_data["role_name"].strip()
        naming.validate_name(name, max_length=64, kind="role name")
        return name

    clean_path = UserForm.clean_path


class RoleCreateForm(RoleForm):
    trust_policy = TrustPolicyField(
        label="Trust policy",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "font-monospace"}),
        help_text="Who may assume the role (a policy document), besides the users assigned it. Empty: only "
        "those users.",
    )


class RoleEditForm(RoleCreateForm):
    """A role keeps its name and path for life, as in AWS (UpdateRole changes neither)."""

    tags_based_on = BasedOnField()
    trust_policy_based_on = BasedOnField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["role_name"], self.fields["path"]


class TagsForm(forms.Form):
    tags = TagsField(label="Tags")
    based_on = BasedOnField()


class NameForm(forms.Form):
    """One group or role chosen by name (the user's page adds them by name, never from an unbounded list)."""

    name = forms.CharField(label="Name", max_length=128)

    def __init__(self, *args, model, label: str, **kwargs):
        self.model = model
        super().__init__(*args, **kwargs)
        self.fields["name"].label = label

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        field = "group_name" if self.model.__name__ == "Group" else "role_name"
        found = self.model.objects.filter(**{f"{field}__lower": name.lower()}).first()
        if found is None:
            raise forms.ValidationError(f"There is no {self.model.__name__.lower()} named {name!r}.")
        return found


class ExpiryField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Expires (UTC)")
        kwargs.setdefault("help_text", "Optional. After this moment the assignment no longer lets them assume it.")
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
        super().__init__(**kwargs)

    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and moment <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return moment


class RoleForUserForm(NameForm):
    expires_at = ExpiryField()


class UsersByNameForm(forms.Form):
    """Users chosen by name: ticked search results or names typed one a line."""

    users = forms.CharField(label="User names", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            data = {"users": "\n".join(data.getlist("users")), "expires_at": data.get("expires_at", "")}
        super().__init__(data, **kwargs)

    def clean_users(self) -> list[User]:
        text = self.cleaned_data["users"].replace(",", "\n")
        names = sorted({name.strip() for name in text.splitlines() if name.strip()}, key=str.lower)
        if len(names) > MAX_USERS_AT_ONCE:
            raise forms.ValidationError(f"Choose at most {MAX_USERS_AT_ONCE} users at once.")
        users = users_named(names)
        found = {user.username.lower() for user in users}
        missing = [name for name in names if name.lower() not in found]
        if missing:
            raise forms.ValidationError(f"No such user: {', '.join(missing)}.")
        return users


class AssignUsersForm(UsersByNameForm):
    expires_at = ExpiryField()


MEMBERSHIP_EXPIRY_HELP = "Optional. After this moment the membership gives them nothing of the group's."


class AddMembersForm(UsersByNameForm):
    expires_at = ExpiryField(help_text=MEMBERSHIP_EXPIRY_HELP)


class GroupForUserForm(NameForm):
    expires_at = ExpiryField(help_text=MEMBERSHIP_EXPIRY_HELP)


_YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class UserFilterForm(forms.Form):
    """The user list's search, filters and sort, from the query string."""

    q = forms.CharField(label="Search", required=False, help_text="Part of a user name, or a tag key or value.")
    group = forms.CharField(label="In group", required=False, help_text="A group's name.")
    no_group = forms.BooleanField(label="In no group", required=False)
    enabled = forms.ChoiceField(label="Enabled", choices=_YES_NO, required=False)
    password = forms.ChoiceField(label="Console password", choices=_YES_NO, required=False)
    keys = forms.ChoiceField(label="Access keys", choices=_YES_NO, required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, key) for key in ("name", "-name", "created", "-created", "last-sign-in", "-last-sign-in")],
    )

    def clean_group(self) -> Group | None:
        name = self.cleaned_data["group"].strip()
        if not name:
            return None
        group = Group.objects.filter(group_name__lower=name.lower()).first()
        if group is None:
            raise forms.ValidationError(f"There is no group named {name!r}.")
        return group

    def filters(self):
        data = self.cleaned_data
        return UserFilters(
            search=data["q"].strip(),
            group=data["group"],
            in_no_group=data["no_group"],
            enabled=_yes_no(data["enabled"]),
            has_password=_yes_no(data["password"]),
            has_access_keys=_yes_no(data["keys"]),
            sort=data["sort"] or "name",
        )


class AuditFilterForm(forms.Form):
    """The audit page's search: every field optional, times in UTC."""

    _time_widget = {"type": "datetime-local", "step": 1}

    actor = forms.CharField(
        required=False, max_length=2048, help_text="An ARN, or a user name.", widget=forms.TextInput({"size": 24})
    )
    target = forms.CharField(required=False, max_length=2048, label="Target ARN")
    event = forms.CharField(required=False, max_length=64, label="Event name")
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices])
    since = forms.DateTimeField(required=False, label="From (UTC)", widget=forms.DateTimeInput(_time_widget))
    until = forms.DateTimeField(required=False, label="To (UTC)", widget=forms.DateTimeInput(_time_widget))
    cursor = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", "Choose a time after the start of the range.")
        return cleaned

    def filters(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            actor=data["actor"].strip(),
            target_arn=data["target"].strip(),
            event_name=data["event"].strip(),
            outcome=data["outcome"],
            since=data["since"],
            until=data["until"],
        )


class OpenIDConnectProviderForm(forms.Form):
    url = forms.CharField(
        label="Issuer URL",
        max_length=255,
        help_text="The provider's issuer exactly as its tokens' iss writes it, https://host/path "
        "(for example https://token.actions.githubusercontent.com).",
    )
    client_ids = forms.CharField(
        label="Client IDs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="The audiences accepted (a token's aud must be one of them), one a line.",
    )

    def clean_client_ids(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["client_ids"].splitlines()]
        return list(dict.fromkeys(line for line in lines if line))


class ClientIDForm(forms.Form):
    client_id = forms.CharField(label="Client ID", max_length=255)
