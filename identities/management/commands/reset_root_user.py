"""The server operator's way back into the account: a new password for the root user, its MFA
device removed, its console sessions ended, all in one audited transaction.

No IAM policy can do this (only root manages root); whoever can run commands on the server
can. The new password is printed once, and must be changed at the next sign-in.
"""

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identities import services
from identities.management import system_user


class Command(BaseCommand):
    help = "Reset the account root user's password and remove its MFA device (prints the new password once)."

    def handle(self, *args, **options):
        password = secrets.token_urlsafe(24)
        try:
            root = services.reset_root_user(password=password, system_user=system_user())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"The root user {root.username} now signs in with this password, once, then chooses a new one:\n"
            f"{password}\nIts MFA device was removed and its console sessions ended."
        )
