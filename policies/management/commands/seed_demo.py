"""Create the demo organisation of the article for `make run`; running it twice changes nothing.

Its people, groups and roles; the built-in policies and the catalogue (with its demo
storage service); a policy per team, the IAM administrator's and the delegated
service administrator's permissions, the self-service policy for everyone, and a few
access expectations that describe the organisation.
It lives here, not in `identities`, because it creates policies.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from identities import services as identity_services
from identities.models import Group, Membership, Role, RoleAssignment, User
from policies import services
from policies.builtins import load_builtins
from policies.models import AccessExpectation, InlinePolicy, ManagedPolicy, PolicyAttachment

ROOT = ("root", "root-demo-password")
PEOPLE = {
    "iam-admin": "admin-demo-password",
    "mia": "mia-demo-password",
    "oliver": "oliver-demo-password",
    "charles": "charles-demo-password",
    "lucas": "lucas-demo-password",
    "james": "james-demo-password",
    "henry": "henry-demo-password",
    "dev-admin": "dev-admin-demo-password",
}
DUTIES = {"iam-admin": "IAM administrator", "dev-admin": "service administrator: Developers members only"}
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
PRODUCTION_BUCKET = "arn:aws:storage:::production-data"


def _document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(sid: str, actions, resources) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


TEAM_POLICIES = {
    "DevelopersStorageAccess": (
        "Developers: everything on the development buckets, read the rest.",
        _document(
            _allow("DevBuckets", "storage:*", ["arn:aws:storage:::dev-*", "arn:aws:storage:::dev-*/*"]),
            _allow("ReadEverything", ["storage:List*", "storage:Get*"], "*"),
        ),
        "Developers",
    ),
    "OperationsStorageAccess": (
        "Operations: run every bucket, but never delete the production bucket.",
        _document(
            _allow("RunStorage", "storage:*", "*"),
            {
                "Sid": "KeepProduction",
                "Effect": "Deny",
                "Action": ["storage:DeleteBucket", "storage:DeleteObject"],
                "Resource": [PRODUCTION_BUCKET, f"{PRODUCTION_BUCKET}/*"],
            },
        ),
        "Operations",
    ),
    "PublishingAccess": (
        "IAMPublishers: publish to the public site bucket.",
        _document(
            _allow(
                "Publish",
                ["storage:PutObject", "storage:GetObject", "storage:ListBucket"],
                ["arn:aws:storage:::public-site", "arn:aws:storage:::public-site/*"],
            )
        ),
        "IAMPublishers",
    ),
}
ROLE_POLICIES = {
    "ReleaseManager": _document(_allow("ShipReleases", "storage:PutObject", f"{PRODUCTION_BUCKET}/releases/*")),
}


def trust_this_account() -> dict:
    """A trust policy naming this account: the caller's own policies then decide."""
    account = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:root"
    return _document({"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"})


def delegated_group_policy(group_name: str) -> dict:
    group_arn = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:group/{group_name}"
    return _document(
        _allow("ListIdentities", ["iam:ListUsers", "iam:ListGroups"], "*"),
        _allow("ManageOneGroup", ["iam:GetGroup", "iam:AddUserToGroup", "iam:RemoveUserFromGroup"], group_arn),
    )


# Access expectations that describe the article's organisation (docs/examples/access-expectations.json
# is the same file, for load_expectations); each holds on the demo.
EXPECTATIONS = [
    {
        "name": "mia-reads-production-data",
        "description": "Developers read every bucket, production's objects included.",
        "principals": {"users": ["mia"]},
        "may": True,
        "actions": ["storage:GetObject"],
        "resources": [f"{PRODUCTION_BUCKET}/*"],
    },
    {
        "name": "lucas-keeps-production-data",
        "description": "Operations run the buckets, but never delete the production bucket.",
        "principals": {"users": ["lucas"]},
        "may": False,
        "actions": ["storage:DeleteBucket"],
        "resources": [PRODUCTION_BUCKET],
    },
    {
        "name": "only-operations-delete-production-buckets",
        "description": "No one outside Operations deletes a production bucket.",
        "principals": "*",
        "except": {"groups": ["Operations"]},
        "may": False,
        "actions": ["storage:DeleteBucket"],
        "resources": ["arn:aws:storage:::production-*"],
    },
    {
        "name": "henry-grants-no-access",
        "description": "Henry, in no group, manages his own credentials and gives no one any access.",
        "principals": {"users": ["henry"]},
        "may": False,
        "actions": ["iam:Attach*", "iam:Put*", "iam:CreatePolicy*", "iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy"],
        "resources": ["*"],
    },
]


class Command(BaseCommand):
    help = "Create the demo organisation: Mia, Oliver, Charles, Lucas, James, Henry, their groups, roles and policies."

    def handle(self, *args, **options):
        with transaction.atomic():
            self.seed_identities()
            load_builtins()
            self.seed_policies()
            self.seed_expectations()
        self.print_personas()

    def seed_identities(self) -> None:
        if not User.objects.filter(is_superuser=True).exists():
            identity_services.create_root_user(username=ROOT[0], password=ROOT[1], actor=None)
        users = {name: self._user(name, password) for name, password in PEOPLE.items()}
        for group_name, (description, members) in GROUPS.items():
            group = self._group(group_name, description)
            present = set(Membership.objects.live().filter(group=group).values_list("user__username", flat=True))
            missing = [users[name] for name in members if name not in present]
            if missing:
                identity_services.add_members(group=group, users=missing, actor=None)
        for role_name, (description, assignees) in ROLES.items():
            role = self._role(role_name, description)
            for name in assignees:
                if not RoleAssignment.objects.filter(role=role, user=users[name]).exists():
                    identity_services.assign_role(role=role, user=users[name], actor=None)

    def seed_policies(self) -> None:
        for name, (description, document, group_name) in TEAM_POLICIES.items():
            self._attach(self._policy(name, description, document), Group.objects.get(group_name=group_name))
        self._attach(self._builtin("ReadOnlyAccess"), Group.objects.get(group_name="AuditTeam"))
        self._attach(self._builtin("ReadOnlyAccess"), Role.objects.get(role_name="AuditReviewer"))
        self._inline(Role.objects.get(role_name="ReleaseManager"), "ShipReleases", ROLE_POLICIES["ReleaseManager"])
        administrator = User.objects.get(username="iam-admin")
        self._attach(self._builtin("IAMFullAccess"), administrator)
        self._attach(self._builtin("ReadOnlyAccess"), administrator)
        service_admin = User.objects.get(username="dev-admin")
        self._inline(service_admin, "ManageDevelopers", delegated_group_policy("Developers"))
        for person in User.objects.filter(is_superuser=False):
            self._attach(self._builtin("SelfService"), person)

    def seed_expectations(self) -> None:
        stored = {name.lower() for name in AccessExpectation.objects.values_list("name", flat=True)}
        for definition in EXPECTATIONS:
            if definition["name"].lower() not in stored:
                services.put_access_expectation(definition=definition, actor=None)

    def print_personas(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo organisation ready. Sign in at /sign-in/ as (demo passwords only):"))
        self.stdout.write(f"  {ROOT[0]:<10} {ROOT[1]:<24} the account root user")
        for name, password in PEOPLE.items():
            self.stdout.write(f"  {name:<10} {password:<24} {DUTIES.get(name, '')}".rstrip())

    @staticmethod
    def _user(name: str, password: str) -> User:
        existing = User.objects.filter(username__lower=name.lower()).first()
        return existing or identity_services.create_user(username=name, password=password, actor=None)

    @staticmethod
    def _group(name: str, description: str) -> Group:
        existing = Group.objects.filter(group_name__lower=name.lower()).first()
        return existing or identity_services.create_group(group_name=name, description=description, actor=None)

    @staticmethod
    def _role(name: str, description: str) -> Role:
        existing = Role.objects.filter(role_name__lower=name.lower()).first()
        return existing or identity_services.create_role(
            role_name=name, description=description, trust_policy=trust_this_account(), actor=None
        )

    @staticmethod
    def _policy(name: str, description: str, document: dict) -> ManagedPolicy:
        existing = ManagedPolicy.objects.filter(policy_name=name, aws_managed=False).first()
        if existing:
            return existing
        return services.create_policy(policy_name=name, description=description, document=document, actor=None)[0]

    @staticmethod
    def _builtin(name: str) -> ManagedPolicy:
        return ManagedPolicy.objects.get(policy_name=name, aws_managed=True)

    @staticmethod
    def _attach(policy: ManagedPolicy, identity) -> None:
        owner = {type(identity).__name__.lower(): identity}
        if not PolicyAttachment.objects.filter(policy=policy, **owner).exists():
            services.attach_policy(policy=policy, identity=identity, actor=None)

    @staticmethod
    def _inline(identity, policy_name: str, document: dict) -> None:
        owner = {type(identity).__name__.lower(): identity}
        if not InlinePolicy.objects.filter(policy_name=policy_name, **owner).exists():
            services.put_inline_policy(identity=identity, policy_name=policy_name, document=document, actor=None)
