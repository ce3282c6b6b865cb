"""The account password policy, the password history, and the validator that enforces both.

The policy is one row (like AWS's account password policy); without it the
defaults below apply. The history keeps password *hashes* only, newest
first, so "reuse of the last N passwords" can be refused without ever
keeping a password in clear.
"""

import secrets
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

MINIMUM_LENGTH_RANGE = (6, 128)
MAX_AGE_RANGE = (1, 1095)
REUSE_PREVENTION_RANGE = (1, 24)
# AWS's symbols: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


def _range(bounds: tuple[int, int]) -> list:
    return [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]


class PasswordPolicy(models.Model):
    """The account's password policy: one row, pk 1."""

    minimum_length = models.PositiveSmallIntegerField(
        "minimum password length", default=8, validators=_range(MINIMUM_LENGTH_RANGE), help_text="6 to 128."
    )
    require_uppercase = models.BooleanField("require at least one uppercase letter (A–Z)", default=False)
    require_lowercase = models.BooleanField("require at least one lowercase letter (a–z)", default=False)
    require_numbers = models.BooleanField("require at least one number (0–9)", default=False)
    require_symbols = models.BooleanField(
        "require at least one symbol", default=False, help_text=f"One of {' '.join(SYMBOLS)}"
    )
    max_age_days = models.PositiveSmallIntegerField(
        "password expires after (days)",
        null=True,
        blank=True,
        validators=_range(MAX_AGE_RANGE),
        help_text="1 to 1095; leave empty for passwords that never expire.",
    )
    reuse_prevention = models.PositiveSmallIntegerField(
        "prevent reuse of the last N passwords",
        null=True,
        blank=True,
        validators=_range(REUSE_PREVENTION_RANGE),
        help_text="1 to 24; leave empty to allow reuse.",
    )
    allow_users_to_change_password = models.BooleanField(
        "allow users to change their own password",
        default=True,
        help_text="When off, only users whose policies allow iam:ChangePassword may change their own.",
    )
    hard_expiry = models.BooleanField(
        "expired passwords need an administrator reset",
        default=False,
        help_text="When on, a user whose password expired cannot sign in until an administrator sets a new one.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "account password policy"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="password_policy_single_row"),
            models.CheckConstraint(
                condition=Q(minimum_length__gte=MINIMUM_LENGTH_RANGE[0], minimum_length__lte=MINIMUM_LENGTH_RANGE[1]),
                name="password_policy_minimum_length_range",
            ),
            models.CheckConstraint(
                condition=Q(max_age_days__isnull=True)
                | Q(max_age_days__gte=MAX_AGE_RANGE[0], max_age_days__lte=MAX_AGE_RANGE[1]),
                name="password_policy_max_age_range",
            ),
            models.CheckConstraint(
                condition=Q(reuse_prevention__isnull=True)
                | Q(reuse_prevention__gte=REUSE_PREVENTION_RANGE[0], reuse_prevention__lte=REUSE_PREVENTION_RANGE[1]),
                name="password_policy_reuse_range",
            ),
        ]

    def __str__(self) -> str:
        return "Account password policy"

    @classmethod
    def current(cls) -> "PasswordPolicy":
        """The stored policy, or the defaults (unsaved, pk 1) when none was ever saved."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def rules(self) -> list[str]:
        """The policy in words, as the change-password form shows it."""
        rules = [f"At least {self.minimum_length} characters."]
        classes = [
            (self.require_uppercase, "uppercase letter (A–Z)"),
            (self.require_lowercase, "lowercase letter (a–z)"),
            (self.require_numbers, "number (0–9)"),
            (self.require_symbols, f"symbol ({' '.join(SYMBOLS)})"),
        ]
        rules += [f"At least one {name}." for required, name in classes if required]
        if self.reuse_prevention:
            rules.append(f"Not one of your last {self.reuse_prevention} passwords.")
        if self.max_age_days:
            rules.append(f"Expires after {self.max_age_days} days.")
        return rules

    def expires_at(self, user) -> datetime | None:
        if not self.max_age_days or not user.has_usable_password():
            return None
        changed = user.password_changed_at or user.created_at
        return changed + timedelta(days=self.max_age_days)

    def is_expired(self, user, at: datetime | None = None) -> bool:
        expires = self.expires_at(user)
        return expires is not None and expires <= (at or timezone.now())


class PasswordHistory(models.Model):
    """One password a user has had, as its hash (never the password)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("password hash", max_length=128, editable=False)
    set_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "password history"
        ordering = ["user", "-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at"], name="password_history_user_time")]

    def __str__(self) -> str:
        return f"password of {self.user} set {self.set_at:%Y-%m-%d}"


def _character_problems(policy: PasswordPolicy, password: str) -> list[str]:
    checks = [
        (policy.require_uppercase, any("A" <= c <= "Z" for c in password), "uppercase letter (A–Z)"),
        (policy.require_lowercase, any("a" <= c <= "z" for c in password), "lowercase letter (a–z)"),
        (policy.require_numbers, any("0" <= c <= "9" for c in password), "number (0–9)"),
        (policy.require_symbols, any(c in SYMBOLS for c in password), f"symbol ({' '.join(SYMBOLS)})"),
    ]
    return [
        f"The password must contain at least one {name}."
        for required, present, name in checks
        if required and not present
    ]


def reused(policy: PasswordPolicy, password: str, user) -> bool:
    if not policy.reuse_prevention or user is None or user.pk is None:
        return False
    hashes = list(
        PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: policy.reuse_prevention]
    )
    if user.has_usable_password():
        hashes.append(user.password)
    return any(check_password(password, encoded) for encoded in dict.fromkeys(hashes))


class AccountPasswordPolicyValidator:
    """A Django password validator (AUTH_PASSWORD_VALIDATORS) enforcing the account's policy."""

    def validate(self, password: str, user=None) -> None:
        policy = PasswordPolicy.current()
        problems = []
        if len(password) < policy.minimum_length:
            problems.append(f"The password must be at least {policy.minimum_length} characters long.")
        problems += _character_problems(policy, password)
        if len(password) > MINIMUM_LENGTH_RANGE[1]:
            problems.append(f"The password must be at most {MINIMUM_LENGTH_RANGE[1]} characters long.")
        if not problems and reused(policy, password, user):
            problems.append(f"The password must not be one of your last {policy.reuse_prevention} passwords.")
        if problems:
            raise ValidationError(problems, code="password_policy")

    def get_help_text(self) -> str:
        return " ".join(PasswordPolicy.current().rules())


GENERATED_LENGTH = 20


def generate_password() -> str:
    """A password the account's policy accepts whatever it requires: every class of character
    at least once, at least GENERATED_LENGTH long (or the policy's minimum), from `secrets`."""
    policy = PasswordPolicy.current()
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS]
    length = max(GENERATED_LENGTH, policy.minimum_length)
    alphabet = "".join(classes)
    characters = [secrets.choice(each) for each in classes]
    characters += [secrets.choice(alphabet) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)
