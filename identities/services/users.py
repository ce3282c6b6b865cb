"""Writes to users and the account root user."""

from django.core.exceptions import ValidationError
from django.db import transaction

from identities.audit import record
from identities.models import User
from identities.services._common import (
    _apply,
    _clean,
    _remember_password,
    _set_password,
    _user_state,
    bump_permissions_generation,
)

# Users


@transaction.atomic
def create_user(
    *,
    username: str,
    actor: User | None,
    path: str = "/",
    tags: dict[str, str] | None = None,
    password: str | None = None,
    is_active: bool = True,
    iam_id: str | None = None,
) -> User:
    user = User(username=username, path=path, tags=tags or {}, is_active=is_active)
    if iam_id:  # an imported account keeps AWS's unique IDs
        user.iam_id = iam_id
    _clean(user)
    _set_password(user, password)
    user.save()
    _remember_password(user)
    record("CreateUser", actor=actor, target=user, after=_user_state(user))
    return user


@transaction.atomic
def create_root_user(*, username: str, password: str | None, actor: User | None) -> User:
    existing = User.objects.filter(is_superuser=True).first()
    if existing is not None:
        raise ValidationError(
            f"The account already has its root user ({existing.username}); there is only one. "
            "Create an IAM administrator for daily work instead."
        )
    user = User(username=username, is_superuser=True)
    _clean(user)
    _set_password(user, password)
    user.save()
    _remember_password(user)
    record("CreateAccountRootUser", actor=actor, target=user, after=_user_state(user))
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User | None,
    username: str | None = None,
    path: str | None = None,
    is_active: bool | None = None,
) -> User:
    before = _user_state(user)
    _apply(user, {"username": username, "path": path, "is_active": is_active})
    _clean(user)
    user.save()
    bump_permissions_generation()
    record("UpdateUser", actor=actor, target=user, before=before, after=_user_state(user))
    return user


@transaction.atomic
def set_user_tags(*, user: User, tags: dict[str, str], actor: User | None) -> User:
    before = {"tags": user.tags}
    user.tags = tags
    _clean(user)
    user.save(update_fields=["tags"])
    bump_permissions_generation()
    record("TagUser", actor=actor, target=user, before=before, after={"tags": user.tags})
    return user


@transaction.atomic
def set_password(*, user: User, password: str | None, actor: User | None) -> User:
    had_password = user.has_usable_password()
    _set_password(user, password)
    own = actor is not None and actor.pk == user.pk
    if own:
        user.password_reset_required = False
    user.save(update_fields=["password", "password_changed_at", "password_reset_required"])
    _remember_password(user)
    event = "ChangePassword" if own else "UpdateLoginProfile"
    record(
        event,
        actor=actor,
        target=user,
        before={"console_access": had_password},
        after={"console_access": password is not None},
    )
    return user


@transaction.atomic
def delete_user(*, user: User, actor: User | None) -> None:
    if user.is_superuser:
        raise ValidationError("The account root user cannot be deleted.")
    before = _user_state(user) | {
        "groups": sorted(user.iam_groups.values_list("group_name", flat=True)),
        "roles": sorted(user.assigned_roles.values_list("role_name", flat=True)),
    }
    bump_permissions_generation()
    record("DeleteUser", actor=actor, target=user, before=before)
    user.delete()
