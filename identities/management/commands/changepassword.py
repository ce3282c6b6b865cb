"""A user's new password, set through the password service: this replaces Django's changepassword.

Django's own writes the hash straight to the row: no audit record and no password history, so
the account's password policy (its reuse rule among others) could be walked around from the
server. This one sets the password with the service the console uses: checked against the
password policy, remembered for the reuse check, recorded as UpdateLoginProfile by the operator,
all in one transaction. The root user is refused here: its way back in is `reset_root_user`,
which also removes its MFA device and ends its sessions.

    python manage.py changepassword mia
"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identities import services
from identities.models import User

ATTEMPTS = 3


class Command(BaseCommand):
    help = "Set an IAM user's password through the password service (the root user: reset_root_user)."
    requires_migrations_checks = True
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username", help="The IAM user whose password to set.")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username__lower=username.lower()).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}; nothing was changed.")
        if user.is_superuser:
            raise CommandError(
                f"{user.username} is the account root user; nothing was changed. "
                "`manage.py reset_root_user` gives it a new password (and removes its MFA device)."
            )
        stdin = options.get("stdin", sys.stdin)
        if hasattr(stdin, "isatty") and not stdin.isatty():
            raise CommandError("Not in a terminal, so no password can be asked; nothing was changed.")
        self._set(user)
        self.stdout.write(f"The password of {user.username} is changed (recorded as UpdateLoginProfile).")

    def _set(self, user: User) -> None:
        try:
            for _ in range(ATTEMPTS):
                password = getpass.getpass(f"New password for {user.username}: ")
                if getpass.getpass("Password (again): ") != password:
                    self.stderr.write("Error: the two passwords differ.")
                    continue
                try:
                    services.set_password(user=user, password=password, actor=None)
                    return
                except ValidationError as error:
                    self.stderr.write(f"Error: {' '.join(error.messages)}")
        except (KeyboardInterrupt, EOFError):
            raise CommandError("Cancelled; nothing was changed.") from None
        raise CommandError(f"{ATTEMPTS} attempts without an accepted password; nothing was changed.")
