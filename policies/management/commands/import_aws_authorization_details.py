"""Load the JSON that `aws iam get-account-authorization-details` prints, in one transaction.

python manage.py import_aws_authorization_details account.json --dry-run
python manage.py import_aws_authorization_details account.json --as alice
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from identities.management import system_user
from identities.models import User
from policies.aws_import import ImportRefused, apply_import, plan_import, read_authorization_details


class Command(BaseCommand):
    help = "Import users, groups, roles and managed policies from get-account-authorization-details output."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON file the AWS CLI wrote")
        parser.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
        parser.add_argument(
            "--as", dest="actor", metavar="USERNAME", help="the IAM user the audit trail names as the actor"
        )
        parser.add_argument(
            "--progress-every", type=int, default=100, metavar="N", help="print a progress line every N changes"
        )

    def handle(self, *args, **options):
        actor = self._actor(options["actor"])
        path = Path(options["file"])
        try:
            source = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            plan = plan_import(read_authorization_details(source))
            self._print_plan(plan)
            if options["dry_run"] or plan.is_empty:
                self.stdout.write("Dry run: nothing was changed." if options["dry_run"] else "Nothing to change.")
                return
            applied = apply_import(
                plan,
                actor=actor,
                source_name=path.name,
                system_user="" if actor else system_user(),
                progress=self._progress(options["progress_every"]),
            )
        except ImportRefused as refusal:
            raise CommandError(
                "The import was refused; nothing was imported.\n" + "\n".join(refusal.messages)
            ) from refusal
        self.stdout.write(self.style.SUCCESS(f"Imported {path.name}: {len(applied.steps)} changes."))

    def _actor(self, username: str | None) -> User | None:
        if username is None:
            return None
        actor = User.objects.filter(username__lower=username.lower()).first()
        if actor is None:
            raise CommandError(f"No IAM user named {username} (--as).")
        return actor

    def _print_plan(self, plan) -> None:
        for line in plan.lines():
            self.stdout.write(line)

    def _progress(self, every: int):
        every = max(every, 1)

        def report(done: int, total: int, description: str) -> None:
            if done % every == 0 or done == total:
                self.stdout.write(f"[{done}/{total}] {description}")

        return report
