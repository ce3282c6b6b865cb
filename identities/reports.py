"""Reads about credentials for the home page and the credential report.

Each reads in a constant number of queries whatever the number of users.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities.credentials import AccessKey
from identities.models import User
from identities.passwords import PasswordPolicy

UNUSED_KEY_DAYS = 90
SHOWN = 10
# Counts stop here ("1000+"): an exact count would read every user of a large account.
COUNT_CAP = 1000


def capped_count(queryset) -> int:
    """How many rows, reading at most COUNT_CAP + 1 of them."""
    return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()


class Warnings(NamedTuple):
    root_has_keys: bool
    root_without_mfa: bool
    users_without_mfa: list[str]
    users_without_mfa_count: int
    stale_keys: list[AccessKey]
    stale_keys_count: int
    old_passwords: list[str]
    old_passwords_count: int
    password_max_age_days: int | None


def _has_mfa() -> Exists:
    return Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))


def security_warnings(now=None) -> Warnings:
    """What the home page flags, as AWS's IAM dashboard and Trusted Advisor do."""
    now = now or timezone.now()
    root = User.objects.filter(is_superuser=True).annotate(mfa=_has_mfa()).first()
    console_users = User.objects.filter(is_superuser=False, is_active=True).exclude(password__startswith="!")
    without_mfa = console_users.annotate(mfa=_has_mfa()).filter(mfa=False).order_by("username")
    cutoff = now - timedelta(days=UNUSED_KEY_DAYS)
    stale = AccessKey.objects.filter(status=AccessKey.Status.ACTIVE, user__is_active=True).filter(
        Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
    )
    policy = PasswordPolicy.current()
    old = console_users.none()
    if policy.max_age_days:
        old = console_users.filter(password_changed_at__lt=now - timedelta(days=policy.max_age_days))
    return Warnings(
        root_has_keys=root is not None and AccessKey.objects.filter(user=root).exists(),
        root_without_mfa=root is not None and not root.mfa,
        users_without_mfa=list(without_mfa.values_list("username", flat=True)[:SHOWN]),
        users_without_mfa_count=capped_count(without_mfa),
        stale_keys=list(stale.select_related("user").order_by("created_at")[:SHOWN]),
        stale_keys_count=capped_count(stale),
        old_passwords=list(old.order_by("password_changed_at").values_list("username", flat=True)[:SHOWN]),
        old_passwords_count=capped_count(old),
        password_max_age_days=policy.max_age_days,
    )


# AWS's credential report columns that apply here, in AWS's order.
CREDENTIAL_REPORT_COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_service",
]


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else "N/A"


def credential_report_rows(batch: int = 2000) -> Iterator[list[str]]:
    """One row a user, root first as `<root_account>`, read in keyset batches."""
    policy = PasswordPolicy.current()
    keys = Prefetch("access_keys", queryset=AccessKey.objects.order_by("created_at"))
    users = User.objects.annotate(mfa=_has_mfa()).prefetch_related(keys).order_by("pk")
    for root in users.filter(is_superuser=True):
        yield _row(root, policy)
    last = 0
    while True:
        chunk = list(users.filter(is_superuser=False, pk__gt=last)[:batch])
        for user in chunk:
            yield _row(user, policy)
        if len(chunk) < batch:
            return
        last = chunk[-1].pk


def _row(user: User, policy: PasswordPolicy) -> list[str]:
    has_password = user.has_usable_password()
    changed = getattr(user, "password_changed_at", None)
    rotation = (
        changed + timedelta(days=policy.max_age_days) if has_password and changed and policy.max_age_days else None
    )
    row = [
        "<root_account>" if user.is_superuser else user.username,
        user.arn,
        _when(user.created_at),
        str(has_password).lower(),
        _when(user.last_login) if has_password else "N/A",
        _when(changed) if has_password else "N/A",
        _when(rotation),
        str(user.mfa).lower(),
    ]
    keys = list(user.access_keys.all())[:2]
    for index in range(2):
        key = keys[index] if index < len(keys) else None
        row += [
            str(key is not None and key.is_active).lower(),
            _when(key.created_at) if key else "N/A",
            _when(key.last_used_at) if key else "N/A",
            (key.last_used_service or "N/A") if key else "N/A",
        ]
    return row
