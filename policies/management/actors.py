"""The IAM user a command acts as (`--as NAME`), shared by the commands that take one."""

from django.core.management.base import CommandError

from identities.models import User


def acting_as(username: str | None) -> User | None:
    """The user named (any case), None without a name; a CommandError for a name no user has."""
    if username is None:
        return None
    actor = User.objects.filter(username__lower=username.lower()).first()
    if actor is None:
        raise CommandError(f"No IAM user named {username} (--as).")
    return actor
