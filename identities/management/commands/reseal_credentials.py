"""Seal every access-key and live session secret again under the current credential key.

Rotation: put a new key first in IAM_CREDENTIAL_KEYS (the old one after it), restart, run
this, and once it reports nothing left unopenable the old key can be removed.
"""

from django.core.management.base import BaseCommand

from identities import sealed, services
from identities.management import system_user


class Command(BaseCommand):
    help = "Re-encrypt access-key and role-session secrets under the current key of IAM_CREDENTIAL_KEYS."

    def handle(self, *args, **options):
        counts = services.reseal_credential_secrets(system_user=system_user())
        self.stdout.write(
            f"Sealed under {sealed.current_key_id()}: {counts['access_keys']} access key(s), "
            f"{counts['role_sessions']} live role session(s)."
        )
        if counts["unopenable"]:
            self.stderr.write(
                f"{counts['unopenable']} secret(s) were sealed under a key IAM_CREDENTIAL_KEYS no longer has "
                "and were left as they are: add that key back (after the current one) and run this again."
            )
