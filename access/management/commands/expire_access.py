"""Remove what has expired: memberships and role assignments past their expiry, the policies
of access requests past theirs, and undecided requests past their time; then tell holders
whose grants end soon. Safe to run from cron as often as wanted: each removal is recorded
once, and a second run finds nothing left to do.

Correctness never waits for it: the decision path stops honouring an expired grant the
moment it expires (a request's policy carries its own DateLessThan condition)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from access import services
from identities import services as identity_services


class Command(BaseCommand):
    help = "Remove expired access (memberships, role assignments, access request grants) and expire undecided requests."

    def handle(self, *args, **options):
        at = timezone.now()
        removed = self._remove_expired(at)
        done = services.expire_requests(actor=None, at=at)
        told = services.send_expiry_notices(actor=None, at=at)
        self.stdout.write(
            f"Removed {removed} expired memberships and role assignments; ended {done['ended']} grants of access "
            f"requests; expired {done['expired']} undecided requests; told {told} holders their access ends soon."
        )

    def _remove_expired(self, at) -> int:
        memberships, assignments = identity_services.remove_expired(at=at, actor=None)
        return len(memberships or ()) + len(assignments or ())
