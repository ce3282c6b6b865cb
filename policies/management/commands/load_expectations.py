"""Store a file's access expectations through the governed actions, in one transaction.

python manage.py load_expectations access.json               # as the operator (no IAM user)
python manage.py load_expectations access.json --as iam-admin   # iamconsole:PutAccessExpectation decides
python manage.py load_expectations access.json --prune        # also delete those the file leaves out

Each expectation replaces the stored one of its name; running it again changes nothing
but the audit trail's record of each put.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from identities import rules
from identities.models import User
from policies import services
from policies.expectations.files import read_path
from policies.management.actors import acting_as
from policies.models import AccessExpectation


class Command(BaseCommand):
    help = "Store the access expectations of a JSON file (docs/expectations.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the expectations file")
        parser.add_argument("--as", dest="actor", metavar="USERNAME", help="the IAM user whose policies decide")
        parser.add_argument("--prune", action="store_true", help="delete the stored expectations the file leaves out")

    def handle(self, *args, **options):
        actor = acting_as(options["actor"])
        try:
            definitions = read_path(Path(options["file"]))
            with transaction.atomic():
                for definition in definitions:
                    self._change(actor, services.put_access_expectation, definition=definition)
                named = {definition.name.lower() for definition in definitions}
                pruned = [row for row in AccessExpectation.objects.all() if row.name.lower() not in named]
                for row in pruned if options["prune"] else ():
                    self._change(actor, services.delete_access_expectation, expectation=row)
        except ValidationError as error:
            raise CommandError("Nothing was stored:\n" + "\n".join(error.messages)) from None
        except PermissionDenied as refusal:
            raise CommandError(f"Nothing was stored: {refusal}") from None
        deleted = f", deleted {len(pruned)}" if options["prune"] else ""
        self.stdout.write(self.style.SUCCESS(f"Stored {len(definitions)} access expectations{deleted}."))

    @staticmethod
    def _change(actor: User | None, change, **arguments):
        if actor is None:
            return change(actor=None, **arguments)
        return rules.perform(actor, change, **arguments)
