"""The checks of users and their credentials: root, MFA, passwords, access keys, groups, own policies."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Case, Exists, OuterRef, When
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import naming
from identities.credentials import AccessKey
from identities.models import Membership, User
from identities.passwords import PasswordPolicy
from policies.assessment.checks import KEY_ROTATION_DAYS, ROOT_RECENT_DAYS, Finding
from policies.models import InlinePolicy, PolicyAttachment


def user_findings(at: datetime):
    max_age = PasswordPolicy.current().max_age_days
    # At 100,000 users the columns read are most of the time: the password's dates only when the
    # policy limits its age, whether it is usable (a console user) and in a group from the database.
    dates = ("password_changed_at", "created_at") if max_age else ()
    rows = (
        User.objects.filter(is_active=True)
        .annotate(
            console=Case(When(password__startswith=UNUSABLE_PASSWORD_PREFIX, then=False), default=True),
            in_group=Exists(Membership.objects.live(at).filter(user=OuterRef("pk"))),
        )
        .order_by()
        .values_list("pk", "username", "path", "is_superuser", "console", "in_group", *dates)
    )
    with_mfa = set(TOTPDevice.objects.filter(confirmed=True).order_by().values_list("user_id", flat=True))
    own = defaultdict(list)
    attachments = PolicyAttachment.objects.filter(user__isnull=False).order_by()
    for user_id, name in attachments.values_list("user_id", "policy__policy_name"):
        own[user_id].append(name)
    for user_id, name in (
        InlinePolicy.objects.filter(user__isnull=False).order_by().values_list("user_id", "policy_name")
    ):
        own[user_id].append(f"{name} (inline)")
    keys = defaultdict(list)
    for row in AccessKey.objects.order_by().values_list("user_id", "key_id", "status", "created_at", "last_used_at"):
        keys[row[0]].append(row[1:])
    root_login = User.objects.filter(is_superuser=True).values_list("last_login", flat=True).first()
    for pk, username, path, is_root, console, in_group, *changed_created in rows:
        arn = naming.root_arn() if is_root else naming.build_arn("user", path, username)
        entity, fix = ("root user" if is_root else username), ("user", pk)
        if is_root:
            yield from _root_findings(arn, fix, pk in with_mfa, bool(keys.get(pk)), root_login, at)
        else:
            if console and pk not in with_mfa:
                yield Finding("user-no-mfa", entity, arn, "Signs in with a password alone.", fix)
            if not in_group:
                yield Finding("user-in-no-group", entity, arn, "Is a member of no group.", fix)
            if own.get(pk):
                yield Finding("user-direct-policies", entity, arn, "Holds " + ", ".join(sorted(own[pk])) + ".", fix)
        if console and max_age:
            set_at = changed_created[0] or changed_created[1]
            if set_at + timedelta(days=max_age) <= at:
                detail = f"Password set {(at - set_at).days} days ago; the password policy allows {max_age}."
                yield Finding("password-too-old", entity, arn, detail, fix)
        if pk in keys:
            yield from _key_findings(entity, arn, fix, keys[pk], at)


def _root_findings(arn, fix, has_mfa: bool, has_keys: bool, last_login, at: datetime):
    if has_keys:
        yield Finding("root-access-keys", "root user", arn, "Holds access keys.", fix)
    if not has_mfa:
        yield Finding("root-no-mfa", "root user", arn, "Signs in with a password alone.", fix)
    if last_login is not None and at - last_login < timedelta(days=ROOT_RECENT_DAYS):
        detail = f"Signed in at {last_login:%Y-%m-%d %H:%M} UTC, within the last {ROOT_RECENT_DAYS} days."
        yield Finding("root-used-recently", "root user", arn, detail, fix)


def _key_findings(entity: str, arn: str, fix, keys, at: datetime):
    for key_id, status, created, last_used in keys:
        if status != AccessKey.Status.ACTIVE:
            continue
        age = (at - created).days
        if age > KEY_ROTATION_DAYS:
            detail = f"Access key {key_id} was created {age} days ago."
            yield Finding("access-key-old", entity, arn, detail, fix, part=key_id)
        if last_used is None:
            detail = f"Access key {key_id}, created {age} days ago, has never been used."
            yield Finding("access-key-unused", entity, arn, detail, fix, part=key_id)
