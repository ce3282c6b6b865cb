"""Load AWS managed policies from the copy iamconsole ships, for accounts that attach them.

python manage.py load_aws_managed_policies arn:aws:iam::aws:policy/AmazonS3FullAccess
python manage.py load_aws_managed_policies --for account.json
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from policies.aws_import import ImportRefused, find_policy, read_authorization_details
from policies.aws_import.aws_managed import load_aws_managed_policy, shipped_document, shipped_source
from policies.models import AWS_POLICY_PREFIX


class Command(BaseCommand):
    help = "Store AWS managed policies from the documents iamconsole ships (named ARNs, or those a file attaches)."

    def add_arguments(self, parser):
        parser.add_argument("arn", nargs="*", help="an AWS managed policy's ARN")
        parser.add_argument(
            "--for",
            dest="files",
            nargs="+",
            default=[],
            metavar="FILE",
            help="every AWS managed policy these get-account-authorization-details files attach but do not list",
        )

    def handle(self, *args, **options):
        wanted = list(dict.fromkeys([*options["arn"], *self._attached(options["files"])]))
        unknown = [arn for arn in wanted if shipped_document(arn) is None]
        if unknown:
            raise CommandError(f"iamconsole does not ship {', '.join(unknown)}; nothing was loaded.")
        with transaction.atomic():
            for arn in wanted:
                if find_policy(arn) is not None:
                    self.stdout.write(f"{arn} is here already")
                else:
                    load_aws_managed_policy(arn=arn, actor=None)
                    self.stdout.write(f"loaded {arn}")
        self.stdout.write(f"Documents from {shipped_source()}.")

    def _attached(self, names: list[str]) -> list[str]:
        if not names:
            return []
        try:
            sources = [Path(name).read_bytes() for name in names]
            details = read_authorization_details(sources if len(sources) > 1 else sources[0], skip_invalid=True)
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}.") from error
        except ImportRefused as refused:
            raise CommandError("\n".join(refused.messages)) from refused
        listed = {policy.arn for policy in details.policies}
        arns = []
        for identity in (*details.users, *details.groups, *details.roles):
            used = (*identity.policies.attached, *([identity.policies.boundary] if identity.policies.boundary else []))
            arns += [arn for arn in used if arn.startswith(f"{AWS_POLICY_PREFIX}/") and arn not in listed]
        return sorted(set(arns))
