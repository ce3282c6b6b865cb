"""Who: IAM users (the custom user model), groups, memberships, roles, assignments."""

from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import _user_has_module_perms, _user_has_perm
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from identities import naming
from identities.audit import AuditEvent  # noqa: F401  (registers the model)
from identities.credentials import AccessKey, ConsoleSession, RoleSession  # noqa: F401  (registers the models)
from identities.passwords import PasswordHistory, PasswordPolicy  # noqa: F401  (registers the models)

USER_NAME_MAX_LENGTH = 64
GROUP_NAME_MAX_LENGTH = 128
ROLE_NAME_MAX_LENGTH = 64
# Longer than any AWS region's name (ap-southeast-2, us-gov-west-1, ...).
REGION_MAX_LENGTH = 32
SESSION_DURATION_MIN = 3600
SESSION_DURATION_MAX = 12 * 3600
SESSION_HASH_SALT = "identities.models.User.session_generation"
_DUPLICATE = "A {kind} with this name already exists (names are compared without regard to case)."


def _name_validator(max_length: int, kind: str):
    return partial(naming.validate_name, max_length=max_length, kind=kind)


class IAMIdentity(models.Model):
    """What users, groups and roles share: an IAM ID, a path and an ARN."""

    arn_kind = ""
    path = models.CharField(max_length=naming.PATH_MAX_LENGTH, default="/", validators=[naming.validate_path])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def arn(self) -> str:
        return naming.build_arn(self.arn_kind, self.path, self.name)


class UserManager(BaseUserManager):
    """Reads only: every user is created by identities.services, validated and audited."""

    def get_by_natural_key(self, username: str):
        return self.get(username__lower=username.lower())

    def create_user(self, username: str, password: str | None = None, **fields):
        raise NotImplementedError(
            "Users are created through the services, validated and audited: identities.services.create_user "
            "(create_console_user for a user created in the console)."
        )

    def create_superuser(self, username: str, password: str | None = None, **fields):
        raise NotImplementedError(
            "The account root user is created through the services, validated and audited: "
            "identities.services.create_root_user, or `manage.py createsuperuser`."
        )


class User(IAMIdentity, AbstractBaseUser):
    """An IAM user; the one user with is_superuser is the account's root user."""

    arn_kind = "user"
    iam_id = models.CharField("unique ID", max_length=32, unique=True, editable=False, default=naming.new_user_id)
    username = models.CharField(
        "user name",
        max_length=USER_NAME_MAX_LENGTH,
        unique=True,
        validators=[_name_validator(USER_NAME_MAX_LENGTH, "user name")],
        help_text=f"1 to {USER_NAME_MAX_LENGTH} {naming.NAME_CHARACTERS}; unique without regard to case.",
    )
    tags = models.JSONField(default=dict, blank=True, validators=[naming.validate_tags])
    is_active = models.BooleanField(
        "enabled", default=True, help_text="A disabled user cannot sign in and has no permissions."
    )
    is_superuser = models.BooleanField(
        "account root user",
        default=False,
        editable=False,
        help_text="The account owner: not restricted by IAM policies, only by guardrails.",
    )
    password_changed_at = models.DateTimeField("password last changed", null=True, blank=True, editable=False)
    password_reset_required = models.BooleanField(
        "require a new password at next sign-in",
        default=False,
        help_text="The user must choose a new password right after signing in.",
    )
    mfa_required = models.BooleanField(
        "require MFA",
        default=False,
        help_text="At sign-in, a user without an MFA device is sent to set one up before anything else.",
    )
    contact_email = models.EmailField(
        "contact address",
        blank=True,
        default="",
        help_text="Where notices (of access requests) are sent. Never used to sign in or to identify anyone.",
    )
    # Replaced with a random value when the user is disabled. The session auth hash that
    # each console session stores covers it, so those sessions end for good. Empty until
    # the first time: the hash is then Django's own, of the password alone.
    session_generation = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["username"]
        # The console's user list sorts by these.
        indexes = [
            models.Index(fields=["created_at"], name="user_created_at"),
            models.Index(fields=["last_login"], name="user_last_login"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_name_unique_ignoring_case",
                violation_error_message=_DUPLICATE.format(kind="user"),
            ),
            models.UniqueConstraint(
                fields=["is_superuser"],
                condition=Q(is_superuser=True),
                name="one_account_root_user",
                violation_error_message="The account already has its root user.",
            ),
        ]

    @property
    def name(self) -> str:
        return self.username

    @property
    def arn(self) -> str:
        if self.is_superuser:
            return naming.root_arn()
        return super().arn

    @property
    def is_root(self) -> bool:
        return self.is_superuser

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django checks every request's session against this (and against it under each
        # of SECRET_KEY_FALLBACKS, which is why this hook rather than the public one). It
        # covers the password; with the generation too, disabling the user ends its
        # sessions, and enabling it again brings none back.
        password_hash = super()._get_session_auth_hash(secret)
        if not self.session_generation:
            return password_hash
        value = f"{password_hash}:{self.session_generation}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        # No PermissionsMixin: nobody passes before the backends are asked, root
        # included (guardrails bind root), and a PermissionDenied from a backend
        # (an explicit deny) becomes False here, as Django's own helper does.
        return self.is_active and _user_has_perm(self, perm, obj)

    def has_perms(self, perm_list, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and _user_has_module_perms(self, app_label)


class Group(IAMIdentity):
    """A set of users (never of groups) that share policies."""

    arn_kind = "group"
    iam_id = models.CharField("unique ID", max_length=32, unique=True, editable=False, default=naming.new_group_id)
    group_name = models.CharField(
        "group name",
        max_length=GROUP_NAME_MAX_LENGTH,
        validators=[_name_validator(GROUP_NAME_MAX_LENGTH, "group name")],
        help_text=f"1 to {GROUP_NAME_MAX_LENGTH} {naming.NAME_CHARACTERS}; unique without regard to case.",
    )
    description = models.CharField(max_length=1000, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("group", "user"),
        related_name="iam_groups",
        blank=True,
    )

    class Meta:
        ordering = ["group_name"]
        # The group list sorts by name (the unique index is on its lower case).
        indexes = [models.Index(fields=["group_name"], name="group_name_order")]
        constraints = [
            models.UniqueConstraint(
                Lower("group_name"),
                name="group_name_unique_ignoring_case",
                violation_error_message=_DUPLICATE.format(kind="group"),
            ),
        ]

    @property
    def name(self) -> str:
        return self.group_name


def live_at(moment=None, prefix: str = "") -> Q:
    """Rows without an expiry or whose expiry is still to come (`prefix`: the relation
    to them, "memberships__" from a user or a group)."""
    return Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": moment or timezone.now()})


class MembershipQuerySet(models.QuerySet):
    def live(self, at=None):
        return self.filter(live_at(at))

    def expired(self, at=None):
        return self.filter(expires_at__lte=at or timezone.now())


class Membership(models.Model):
    class Source(models.TextChoices):
        """Who made the membership; a writer removes only what it made. Identity-provider
        rules write none yet: their value is here so that it needs no migration when they do."""

        MANUAL = "manual", "by hand"
        ACCESS_REQUEST = "access_request", "access request"
        IDP_RULE = "idp_rule", "identity-provider rule"
        SCIM = "scim", "SCIM provisioning"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Leave empty for no expiry.")
    source = models.CharField(max_length=32, choices=Source.choices, default=Source.MANUAL, editable=False)
    source_ref = models.CharField(
        "source reference",
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="What in the source made it (an access request's ID, say).",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group__group_name", "user__username"]
        # remove_expired looks for the rows that have an expiry, few among many.
        indexes = [models.Index(fields=["expires_at"], name="membership_expiry", condition=Q(expires_at__isnull=False))]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"],
                name="membership_unique_pair",
                violation_error_message="This user is already a member of this group.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"

    def is_live(self, at=None) -> bool:
        return self.expires_at is None or self.expires_at > (at or timezone.now())


class Role(IAMIdentity):
    """A set of permissions that users take on for a while, decided by its trust policy."""

    arn_kind = "role"
    iam_id = models.CharField("unique ID", max_length=32, unique=True, editable=False, default=naming.new_role_id)
    role_name = models.CharField(
        "role name",
        max_length=ROLE_NAME_MAX_LENGTH,
        validators=[_name_validator(ROLE_NAME_MAX_LENGTH, "role name")],
        help_text=f"1 to {ROLE_NAME_MAX_LENGTH} {naming.NAME_CHARACTERS}; unique without regard to case.",
    )
    description = models.CharField(max_length=1000, blank=True)
    trust_policy = models.JSONField(
        "trust policy", default=dict, blank=True, help_text="Who may assume the role (a policy document)."
    )
    max_session_duration = models.PositiveIntegerField(
        "maximum session duration (seconds)",
        default=SESSION_DURATION_MIN,
        help_text="3600 (1 hour) to 43200 (12 hours).",
    )
    tags = models.JSONField(default=dict, blank=True, validators=[naming.validate_tags])
    # AWS's RoleLastUsed, as an imported account's file gives it: when the role was last used
    # and in which region. Both empty when no use is recorded.
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)
    last_used_region = models.CharField(
        "last used in region", max_length=REGION_MAX_LENGTH, blank=True, default="", editable=False
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="RoleAssignment",
        through_fields=("role", "user"),
        related_name="assigned_roles",
        blank=True,
    )

    class Meta:
        ordering = ["role_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("role_name"),
                name="role_name_unique_ignoring_case",
                violation_error_message=_DUPLICATE.format(kind="role"),
            ),
            models.CheckConstraint(
                condition=Q(max_session_duration__gte=SESSION_DURATION_MIN)
                & Q(max_session_duration__lte=SESSION_DURATION_MAX),
                name="role_session_duration_range",
                violation_error_message="The maximum session duration is 1 to 12 hours (3600 to 43200 seconds).",
            ),
        ]

    @property
    def name(self) -> str:
        return self.role_name


ISSUER_MAX_LENGTH = 255
CLIENT_ID_MAX_LENGTH = 255
CLIENT_IDS_MAX = 100


class OpenIDConnectProvider(models.Model):
    """An OpenID provider whose ID tokens workloads trade for role sessions
    (AssumeRoleWithWebIdentity). As in AWS, its name is the issuer URL without its scheme
    (host and path), and its ARN `arn:aws:iam::<account>:oidc-provider/<name>`."""

    url = models.CharField(
        "issuer URL",
        max_length=ISSUER_MAX_LENGTH,
        unique=True,
        validators=[naming.validate_issuer_url],
        help_text="The issuer (the iss of its tokens), https://host/path, exactly as its tokens write it.",
    )
    client_ids = models.JSONField(
        "client IDs",
        default=list,
        blank=True,
        validators=[naming.validate_client_ids],
        help_text="The audiences (the aud of its tokens) accepted.",
    )
    tags = models.JSONField(default=dict, blank=True, validators=[naming.validate_tags])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["url"]
        verbose_name = "OpenID Connect provider"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return naming.issuer_name(self.url)

    @property
    def arn(self) -> str:
        return naming.oidc_provider_arn(self.name)


class RoleAssignment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Leave empty for no expiry.")

    class Meta:
        ordering = ["role__role_name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                name="role_assignment_unique_pair",
                violation_error_message="This user is already assigned this role.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} may assume {self.role}"

    def is_live(self, at=None) -> bool:
        return self.expires_at is None or self.expires_at > (at or timezone.now())


class PermissionsGeneration(models.Model):
    """One value, set to a new random number in the same transaction as any change
    that can alter a decision (memberships, assignments, policies, attachments,
    boundaries, guardrails, an identity's name, path, tags or enabled flag), by
    database triggers. Compiled policy sets are cached per process under it, so
    no stale allow survives a commit (identities.generation)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="permissions_generation_single_row")]

    def __str__(self) -> str:
        return f"generation {self.value}"
