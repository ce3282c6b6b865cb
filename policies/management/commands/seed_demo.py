"""The demo organisation with its policies; running it twice changes nothing.

Extends identities' seed_demo (this app comes first in INSTALLED_APPS) with
the catalogue's demo storage service, a policy per team, the IAM
administrator's and the delegated service administrator's permissions, and
the self-service policy for everyone.
"""

from django.conf import settings
from django.db import transaction

from identities.management.commands.seed_demo import PEOPLE
from identities.management.commands.seed_demo import Command as IdentitiesCommand
from identities.models import Group, Role, User
from policies import services
from policies.builtins import load_builtins
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

SERVICE_ADMIN = ("dev-admin", "dev-admin-demo-password")
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


def delegated_group_policy(group_name: str) -> dict:
    group_arn = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:group/{group_name}"
    return _document(
        _allow("ListIdentities", ["iam:ListUsers", "iam:ListGroups"], "*"),
        _allow("ManageOneGroup", ["iam:GetGroup", "iam:AddUserToGroup", "iam:RemoveUserFromGroup"], group_arn),
    )


class Command(IdentitiesCommand):
    def handle(self, *args, **options):
        with transaction.atomic():
            self.seed()
            load_builtins()
            self.seed_policies()
        self.print_personas(
            {**PEOPLE, SERVICE_ADMIN[0]: SERVICE_ADMIN[1]},
            {"iam-admin": "IAM administrator", SERVICE_ADMIN[0]: "service administrator: Developers members only"},
        )

    def seed_policies(self) -> None:
        for name, (description, document, group_name) in TEAM_POLICIES.items():
            policy = self._policy(name, description, document)
            self._attach(policy, Group.objects.get(group_name=group_name))
        self._attach(self._builtin("ReadOnlyAccess"), Group.objects.get(group_name="AuditTeam"))
        self._attach(self._builtin("ReadOnlyAccess"), Role.objects.get(role_name="AuditReviewer"))
        release = Role.objects.get(role_name="ReleaseManager")
        if not InlinePolicy.objects.filter(role=release, policy_name="ShipReleases").exists():
            services.put_inline_policy(
                identity=release, policy_name="ShipReleases", document=ROLE_POLICIES["ReleaseManager"], actor=None
            )
        administrator = User.objects.get(username="iam-admin")
        self._attach(self._builtin("IAMFullAccess"), administrator)
        self._attach(self._builtin("ReadOnlyAccess"), administrator)
        service_admin = self.user(*SERVICE_ADMIN)
        if not InlinePolicy.objects.filter(user=service_admin, policy_name="ManageDevelopers").exists():
            services.put_inline_policy(
                identity=service_admin,
                policy_name="ManageDevelopers",
                document=delegated_group_policy("Developers"),
                actor=None,
            )
        for person in User.objects.filter(is_superuser=False):
            self._attach(self._builtin("SelfService"), person)

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
