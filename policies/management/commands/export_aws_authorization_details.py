"""Write this account as `aws iam get-account-authorization-details` prints it.

python manage.py export_aws_authorization_details --output account.json
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policies.aws_import import export_authorization_details


class Command(BaseCommand):
    help = "Export users, groups, roles and managed policies in the format of get-account-authorization-details."

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, **options):
        text = json.dumps(export_authorization_details(), indent=4, ensure_ascii=False) + "\n"
        if options["output"] is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["output"]).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}.") from error
        self.stderr.write(f"Wrote {options['output']}.")
