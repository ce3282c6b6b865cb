"""Create the demo organisation from the article; running it twice changes nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from identities import services
from identities.models import Group, Membership, Role, RoleAssignment, User

ROOT = ("root", "root-demo-password")
PEOPLE = {
    "iam-admin": "admin-demo-password",
    "mia": "mia-demo-password",
    "oliver": "oliver-demo-password",
    "charles": "charles-demo-password",
    "lucas": "lucas-demo-password",
    "james": "james-demo-password",
    "henry": "henry-demo-password",
}
GROUPS = {
    "Developers": ("Builds and ships the organisation's services.", ["mia", "oliver", "charles"]),
    "Operations": ("Runs production.", ["lucas", "james"]),
    # The article calls it "Audit Team"; IAM names have no spaces.
    "AuditTeam": ("The Audit Team: reviews who did what; members keep their primary group.", ["charles", "lucas"]),
    "IAMPublishers": ("Publishes IAM changes prepared by the teams.", []),
}
ROLES = {
    "ReleaseManager": ("Ships releases to production for a while.", ["mia"]),
    "AuditReviewer": ("Reads every team's records during an audit.", ["charles", "lucas"]),
}


def trust_this_account() -> dict:
    """A trust policy naming this account: the caller's own policies then decide."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


class Command(BaseCommand):
    help = "Create the demo organisation: Mia, Oliver, Charles, Lucas, James, Henry and their groups."

    def handle(self, *args, **options):
        with transaction.atomic():
            self.seed()
        self.print_personas()

    def seed(self) -> None:
        if not User.objects.filter(is_superuser=True).exists():
            services.create_root_user(username=ROOT[0], password=ROOT[1], actor=None)
        users = {name: self.user(name, password) for name, password in PEOPLE.items()}
        for group_name, (description, members) in GROUPS.items():
            group = Group.objects.filter(group_name__lower=group_name.lower()).first() or services.create_group(
                group_name=group_name, description=description, actor=None
            )
            present = set(Membership.objects.filter(group=group).values_list("user__username", flat=True))
            missing = [users[name] for name in members if name not in present]
            if missing:
                services.add_members(group=group, users=missing, actor=None)
        for role_name, (description, assignees) in ROLES.items():
            role = Role.objects.filter(role_name__lower=role_name.lower()).first() or services.create_role(
                role_name=role_name, description=description, trust_policy=trust_this_account(), actor=None
            )
            for name in assignees:
                if not RoleAssignment.objects.filter(role=role, user=users[name]).exists():
                    services.assign_role(role=role, user=users[name], actor=None)

    @staticmethod
    def user(name: str, password: str) -> User:
        existing = User.objects.filter(username__lower=name.lower()).first()
        return existing or services.create_user(username=name, password=password, actor=None)

    def print_personas(self, people: dict[str, str] | None = None, roles: dict[str, str] | None = None) -> None:
        self.stdout.write(self.style.SUCCESS("Demo organisation ready. Sign in at /sign-in/ as (demo passwords only):"))
        self.stdout.write(f"  {ROOT[0]:<10} {ROOT[1]:<24} the account root user")
        for name, password in (people or PEOPLE).items():
            self.stdout.write(f"  {name:<10} {password:<24} {(roles or {}).get(name, '')}".rstrip())
