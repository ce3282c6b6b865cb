"""Check every access expectation on the account as it stands, for CI and cron.

python manage.py check_expectations                  # the stored ones; their state is kept
python manage.py check_expectations --file access.json   # a file's, stored or not; nothing is kept

Exit status 0 when every expectation holds, 1 when one fails (or the file is refused).
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from policies import expectations, services
from policies.expectations.files import read_path
from policies.models import AccessExpectation

FAILURES_PRINTED = 10


class Command(BaseCommand):
    help = "Check the access expectations (stored, or a file's) and exit 1 when any fails."

    def add_arguments(self, parser):
        parser.add_argument("--file", metavar="PATH", help="check this file's expectations instead of the stored ones")

    def handle(self, *args, **options):
        if options["file"]:
            try:
                results = expectations.check_all(read_path(Path(options["file"])))
            except ValidationError as error:
                raise CommandError("The file was refused:\n" + "\n".join(error.messages), returncode=1) from None
        else:
            rows = list(AccessExpectation.objects.all())
            found = services.record_expectation_checks(rows=rows)
            results = [found[row.pk] for row in rows]
        for result in results:
            self._print(result)
        failing = [result for result in results if not result.held]
        if failing:
            raise CommandError(f"{len(failing)} of {len(results)} access expectations failed.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"All {len(results)} access expectations hold."))

    def _print(self, result: expectations.Result) -> None:
        definition = result.definition
        if result.held:
            self.stdout.write(f"holds  {definition.name}: {definition.in_words()}")
            return
        self.stdout.write(f"FAILS  {definition.name}: {definition.in_words()}")
        for failure in result.failures[:FAILURES_PRINTED]:
            self.stdout.write(f"       {failure.in_words()}")
        if len(result.failures) > FAILURES_PRINTED:
            self.stdout.write(f"       and {len(result.failures) - FAILURES_PRINTED} more")
