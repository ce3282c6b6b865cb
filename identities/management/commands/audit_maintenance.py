"""Delete audit events older than a cut-off: the one sanctioned way past the append-only triggers.

It runs in one transaction with audit maintenance switched on, and leaves its own
DeleteAuditEvents event (which the cut-off never reaches) saying how many went and who ran it.
"""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from identities import audit
from identities.audit import AuditEvent
from identities.management import system_user


class Command(BaseCommand):
    help = "Delete audit events that occurred before a date (UTC); events are never edited."

    def add_arguments(self, parser):
        parser.add_argument("--delete-before", required=True, help="A date, YYYY-MM-DD (UTC); earlier events go.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, delete_before: str, dry_run: bool, **options):
        try:
            cutoff = datetime.strptime(delete_before, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise CommandError(f"--delete-before is a date like 2025-01-31, not {delete_before!r}.") from None
        doomed = AuditEvent.objects.filter(occurred_at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{doomed.count()} audit events occurred before {cutoff:%Y-%m-%d}; nothing was deleted.")
            return
        with audit.maintenance():
            deleted, _ = doomed.delete()
            after = {"delete_before": cutoff.isoformat(), "deleted": deleted, "system_user": system_user()}
            audit.record("DeleteAuditEvents", actor=None, after=after)
        self.stdout.write(f"Deleted {deleted} audit events that occurred before {cutoff:%Y-%m-%d}.")
