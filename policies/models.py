"""What identities may do: managed policies and their versions, inline
policies, attachments, permission boundaries, guardrails and the catalogue."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from identities import naming
from identities.models import Group, Role, User

POLICY_NAME_MAX_LENGTH = 128
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy"


def validate_policy_name(value: str) -> None:
    naming.validate_name(value, max_length=POLICY_NAME_MAX_LENGTH, kind="policy name")


def new_policy_id() -> str:
    return naming.new_unique_id("policy")


class ManagedPolicy(models.Model):
    """A standalone policy, attachable to many identities, with up to five versions."""

    policy_name = models.CharField(
        "policy name",
        max_length=POLICY_NAME_MAX_LENGTH,
        validators=[validate_policy_name],
        help_text=f"1 to {POLICY_NAME_MAX_LENGTH} {naming.NAME_CHARACTERS}; unique without regard to case.",
    )
    path = models.CharField(max_length=naming.PATH_MAX_LENGTH, default="/", validators=[naming.validate_path])
    description = models.CharField(max_length=1000, blank=True)
    iam_id = models.CharField("unique ID", max_length=32, unique=True, editable=False, default=new_policy_id)
    aws_managed = models.BooleanField(
        "AWS managed",
        default=False,
        editable=False,
        help_text="Lives at arn:aws:iam::aws:policy/...: AWS's own (or iamconsole's built-in) policies.",
    )
    builtin = models.BooleanField(default=False, editable=False, help_text="Shipped with iamconsole; read-only.")
    next_version_number = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["policy_name"]
        verbose_name = "managed policy"
        verbose_name_plural = "managed policies"
        constraints = [
            models.UniqueConstraint(
                Lower("policy_name"),
                "aws_managed",
                name="policy_name_unique_ignoring_case",
                violation_error_message=(
                    "A policy with this name already exists (names are compared without regard to case)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.policy_name

    @property
    def name(self) -> str:
        return self.policy_name

    @property
    def arn(self) -> str:
        if self.aws_managed:
            return f"{AWS_POLICY_PREFIX}{self.path}{self.policy_name}"
        return naming.build_arn("policy", self.path, self.policy_name)

    @property
    def read_only(self) -> bool:
        return self.builtin or self.aws_managed


class PolicyVersion(models.Model):
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(editable=False)
    document = models.JSONField()
    is_default = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique_number"),
            models.UniqueConstraint(fields=["policy"], condition=Q(is_default=True), name="policy_version_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.version_id}"

    @property
    def version_id(self) -> str:
        return f"v{self.number}"

    @property
    def label(self) -> str:
        """The source label the engine reports deciding statements under."""
        return f"{self.policy.arn} {self.version_id}"


class OwnedByIdentity(models.Model):
    """Belongs to exactly one user, group or role."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    @property
    def owner(self):
        return self.user or self.group or self.role

    @property
    def owner_kind(self) -> str:
        return "user" if self.user_id else "group" if self.group_id else "role"


def _owner_check(name: str) -> models.CheckConstraint:
    one = Q(user__isnull=False, group__isnull=True, role__isnull=True)
    two = Q(user__isnull=True, group__isnull=False, role__isnull=True)
    three = Q(user__isnull=True, group__isnull=True, role__isnull=False)
    return models.CheckConstraint(condition=one | two | three, name=name)


class InlinePolicy(OwnedByIdentity):
    """A policy embedded in one user, group or role; its name is unique per identity."""

    policy_name = models.CharField(
        "policy name",
        max_length=POLICY_NAME_MAX_LENGTH,
        validators=[validate_policy_name],
    )
    document = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["policy_name"]
        verbose_name = "inline policy"
        verbose_name_plural = "inline policies"
        constraints = [
            _owner_check("inline_policy_one_owner"),
            models.UniqueConstraint(fields=["user", "policy_name"], name="inline_policy_unique_user"),
            models.UniqueConstraint(fields=["group", "policy_name"], name="inline_policy_unique_group"),
            models.UniqueConstraint(fields=["role", "policy_name"], name="inline_policy_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_name} (inline, {self.owner})"

    @property
    def label(self) -> str:
        return f"{self.owner.arn} inline {self.policy_name}"


class PolicyAttachment(OwnedByIdentity):
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="attachments")
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    attached_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["policy__policy_name"]
        constraints = [
            _owner_check("attachment_one_owner"),
            models.UniqueConstraint(fields=["policy", "user"], name="attachment_unique_user"),
            models.UniqueConstraint(fields=["policy", "group"], name="attachment_unique_group"),
            models.UniqueConstraint(fields=["policy", "role"], name="attachment_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} attached to {self.owner}"


class PermissionBoundary(models.Model):
    """The managed policy that bounds one user's or role's identity permissions."""

    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.OneToOneField(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="boundaries")
    set_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "permission boundary"
        verbose_name_plural = "permission boundaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, role__isnull=True) | Q(user__isnull=True, role__isnull=False),
                name="boundary_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} bounds {self.user or self.role}"


class Guardrail(models.Model):
    """Like a service control policy: binds every principal, the root user included.

    Guardrails come in levels; a request needs an Allow at every level, and a
    Deny in any guardrail wins."""

    guardrail_name = models.CharField(
        "guardrail name",
        max_length=POLICY_NAME_MAX_LENGTH,
        unique=True,
        validators=[validate_policy_name],
    )
    description = models.CharField(max_length=1000, blank=True)
    level = models.PositiveSmallIntegerField(
        default=1, help_text="Guardrails of one level are ORed; every level must allow."
    )
    document = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["level", "guardrail_name"]
        constraints = [models.CheckConstraint(condition=Q(level__gte=1), name="guardrail_level_positive")]

    def __str__(self) -> str:
        return self.guardrail_name

    @property
    def arn(self) -> str:
        return naming.build_arn("guardrail", "/", self.guardrail_name)

    @property
    def label(self) -> str:
        return self.arn


class CatalogOrigin(models.TextChoices):
    """Where a catalogue entry comes from. AWS's entries are reference data for reading real
    AWS documents: nothing here performs their actions (catalogue_data.has_feature)."""

    OWN = "own", "iamconsole or an administrator"
    AWS = "aws", "AWS's service authorization reference"


def _origin_field() -> models.CharField:
    return models.CharField(max_length=8, choices=CatalogOrigin.choices, default=CatalogOrigin.OWN, editable=False)


class CatalogService(models.Model):
    prefix = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9-]+$", "A service prefix is lowercase letters, digits and hyphens.")],
        help_text="The action prefix, such as iam or storage: lowercase letters, digits and hyphens.",
    )
    name = models.CharField(max_length=200)
    builtin = models.BooleanField(default=False, editable=False)
    origin = _origin_field()

    class Meta:
        ordering = ["prefix"]
        verbose_name = "catalogue service"

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"

    @property
    def arn(self) -> str:
        return naming.build_arn("catalog-service", "/", self.prefix)


class CatalogAction(models.Model):
    class AccessLevel(models.TextChoices):
        LIST = "List"
        READ = "Read"
        WRITE = "Write"
        PERMISSIONS = "Permissions management"
        TAGGING = "Tagging"

    service = models.ForeignKey(CatalogService, on_delete=models.CASCADE, related_name="actions")
    name = models.CharField(
        max_length=128,
        validators=[RegexValidator(r"^[A-Za-z0-9]+$", "An action name is letters and digits, such as GetObject.")],
    )
    access_level = models.CharField(max_length=32, choices=AccessLevel.choices)
    resource_types = models.JSONField(default=list, blank=True)
    condition_keys = models.JSONField(default=list, blank=True)
    # AWS's longest description runs past 500 characters.
    description = models.CharField(max_length=1000, blank=True)
    origin = _origin_field()

    class Meta:
        ordering = ["service__prefix", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), "service", name="catalog_action_unique")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.service.prefix}:{self.name}"


class CatalogResourceType(models.Model):
    service = models.ForeignKey(CatalogService, on_delete=models.CASCADE, related_name="resource_types")
    name = models.CharField(max_length=128)
    arn_pattern = models.CharField(max_length=1000)
    condition_keys = models.JSONField(default=list, blank=True)
    origin = _origin_field()

    class Meta:
        ordering = ["service__prefix", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="catalog_resource_type_unique")]

    def __str__(self) -> str:
        return f"{self.service.prefix} {self.name}"


class CatalogConditionKey(models.Model):
    service = models.ForeignKey(
        CatalogService, null=True, blank=True, on_delete=models.CASCADE, related_name="condition_keys"
    )
    key = models.CharField(max_length=256)
    value_type = models.CharField(max_length=32)
    origin = _origin_field()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(Lower("key"), name="catalog_condition_key_unique")]

    def __str__(self) -> str:
        return self.key


class CatalogueVersion(models.Model):
    """One value, set to a new random one in the same transaction as any change of the
    catalogue's rows (policies.catalogue_version): each process keeps the catalogue as
    validation reads it under this value, so it reads one row per validation, not the catalogue."""

    value = models.CharField(max_length=32)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="catalogue_version_single_row")]

    def __str__(self) -> str:
        return f"catalogue version {self.value}"


class FindingAcknowledgement(models.Model):
    """An assessment finding someone has looked at and accepts for a while (policies.assessment):
    the report keeps showing it, marked, and leaves it out of the open counts until it expires."""

    finding_key = models.CharField(max_length=2400, unique=True, editable=False)
    target_arn = models.CharField(max_length=2048, blank=True, editable=False)
    reason = models.CharField(max_length=1000)
    expires_at = models.DateTimeField()
    acknowledged_by_arn = models.CharField(max_length=2048, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["finding_key"]

    def __str__(self) -> str:
        return f"{self.finding_key} acknowledged until {self.expires_at:%Y-%m-%d}"

    def is_live(self, at=None) -> bool:
        return self.expires_at > (at or timezone.now())


EXPECTATION_NAME_MAX_LENGTH = 128


def validate_expectation_name(value: str) -> None:
    naming.validate_name(value, max_length=EXPECTATION_NAME_MAX_LENGTH, kind="expectation name")


class AccessExpectation(models.Model):
    """A stored test of access (policies.expectations): who may, or may not, do which actions on
    which resources. `definition` is the expectation as its JSON file writes it; the rest is
    the state its latest check found, and the generation it was checked at."""

    name = models.CharField(max_length=EXPECTATION_NAME_MAX_LENGTH, validators=[validate_expectation_name])
    description = models.CharField(max_length=1000, blank=True)
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by_arn = models.CharField(max_length=2048, blank=True, editable=False)
    held = models.BooleanField(null=True, editable=False, help_text="Whether it held at its latest check.")
    failures = models.JSONField(default=list, editable=False)
    failure_count = models.PositiveIntegerField(default=0, editable=False)
    checked_at = models.DateTimeField(null=True, editable=False)
    checked_generation = models.BigIntegerField(null=True, editable=False)
    last_held_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="access_expectation_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return naming.build_arn("access-expectation", "/", self.name)


class LastAccessed(models.Model):
    """When a real request of a principal was last allowed an action on a resource, and with
    which credential (policies.lastaccess): the decision API's answers, assume-role and the
    console's own checks of a change or an object page it opens, never simulations or reports.
    Kept by the principal's unique ID, so a renamed user or role keeps its history and a new
    one given an old name inherits none. Statistics, not the trail: written in batches."""

    # A user's or a role's unique ID (a role's sessions count for the role).
    principal_id = models.CharField(max_length=32, editable=False)
    principal_arn = models.CharField(max_length=2048, editable=False)
    service = models.CharField(max_length=64, editable=False)
    action = models.CharField(max_length=128, editable=False)
    # At most IAM_LAST_ACCESSED_RESOURCES_PER_ACTION per principal and action; the rest are "*".
    resource = models.CharField(max_length=512, editable=False)
    # The access key ID or role session key ID that made the request, "session <name>" for a role
    # session another caller asked about, "console" for a console sign-in.
    credential = models.CharField(max_length=80, blank=True, editable=False)
    last_allowed_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["principal_id", "action", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["principal_id", "action", "resource"], name="last_accessed_unique")
        ]
        indexes = [models.Index(fields=["principal_id", "last_allowed_at"], name="last_accessed_principal_time")]

    def __str__(self) -> str:
        return f"{self.principal_arn} {self.action} on {self.resource} at {self.last_allowed_at:%Y-%m-%d %H:%M}"


class PreviewJob(models.Model):
    """A change preview too large to make while the page waits (past IAM_PREVIEW_INLINE_MAX
    principals): queued by the console, made by `run_preview_jobs` as `actor`, read back
    by the actor's page. `description` is the change as policies.preview.requests reads it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", editable=False)
    description = models.JSONField(editable=False)
    resources = models.JSONField(default=list, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, editable=False)
    result = models.JSONField(null=True, editable=False)
    problem = models.CharField(max_length=2000, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When a runner last took it, and how many times one has: a job still running long after
    # it was taken lost its runner, and is taken again (policies.preview.jobs.claim).
    started_at = models.DateTimeField(null=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    finished_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="policies_previewjob_queue")]

    def __str__(self) -> str:
        return f"preview {self.pk} ({self.status})"
