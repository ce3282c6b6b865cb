"""Load the JSON that `aws iam get-account-authorization-details` prints, in one transaction.

python manage.py import_aws_authorization_details account.json --dry-run
python manage.py import_aws_authorization_details account.json --as alice
python manage.py import_aws_authorization_details page1.json page2.json --skip-invalid

Several files are the pages of one answer (IsTruncated, Marker), read as one account.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from identities import guards
from identities.guards import ChangeRefused
from identities.management import system_user
from policies.aws_import import ImportRefused, apply_import, plan_import, read_authorization_details
from policies.management.actors import acting_as


class Command(BaseCommand):
    help = "Import users, groups, roles and managed policies from get-account-authorization-details output."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="+", help="the JSON file the AWS CLI wrote, or its pages in the order it wrote them"
        )
        parser.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import every valid entity and report each one skipped, with why, instead of refusing the file",
        )
        parser.add_argument(
            "--replace-builtins",
            action="store_true",
            help="let an AWS managed policy of the file replace iamconsole's built-in policy of its ARN",
        )
        parser.add_argument(
            "--as", dest="actor", metavar="USERNAME", help="the IAM user the audit trail names as the actor"
        )
        parser.add_argument(
            "--progress-every", type=int, default=100, metavar="N", help="print a progress line every N changes"
        )

    def handle(self, *args, **options):
        actor = acting_as(options["actor"])
        paths = [Path(name) for name in options["file"]]
        sources = [self._read(path) for path in paths]
        skip_invalid = options["skip_invalid"]
        try:
            details = read_authorization_details(sources if len(sources) > 1 else sources[0], skip_invalid=skip_invalid)
            plan = plan_import(details, skip_invalid=skip_invalid, replace_builtins=options["replace_builtins"])
            self._print_plan(plan)
            if options["dry_run"] or plan.is_empty:
                self.stdout.write("Dry run: nothing was changed." if options["dry_run"] else "Nothing to change.")
                return
            # Checked against the access expectations as the console's import is (identities.guards).
            with transaction.atomic(), guards.around(actor, apply_import):
                applied = apply_import(
                    plan,
                    actor=actor,
                    source_name=", ".join(path.name for path in paths),
                    system_user="" if actor else system_user(),
                    progress=self._progress(options["progress_every"]),
                )
        except ChangeRefused as refusal:
            raise CommandError("The import was refused.\n" + "\n".join(refusal.messages)) from refusal
        except ImportRefused as refusal:
            raise CommandError(
                "The import was refused; nothing was imported.\n" + "\n".join(refusal.messages)
            ) from refusal
        skipped = f", {len(applied.skipped)} skipped" if skip_invalid else ""
        names = ", ".join(path.name for path in paths)
        self.stdout.write(self.style.SUCCESS(f"Imported {names}: {len(applied.steps)} changes{skipped}."))

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error

    def _print_plan(self, plan) -> None:
        for line in plan.lines():
            self.stdout.write(line)

    def _progress(self, every: int):
        every = max(every, 1)

        def report(done: int, total: int, description: str) -> None:
            if done % every == 0 or done == total:
                self.stdout.write(f"[{done}/{total}] {description}")

        return report
