"""Migration policies 0013 (and access 0002): the access expectation actions move from iam to
iamconsole, and every stored list of actions is rewritten so that each principal is allowed and
denied exactly what it was, the moved actions under their new names."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from access.models import AccessRequest
from identities import services as identity_services
from policies import authorization
from policies.builtins import load_builtins
from policies.catalogue_data import service
from policies.engine import Outcome
from policies.models import (
    AccessExpectation,
    CatalogAction,
    CatalogService,
    Guardrail,
    InlinePolicy,
    LastAccessed,
    ManagedPolicy,
    PreviewJob,
)
from policies.services import attachments, managed

BEFORE = [("policies", "0012_interface_condition_key"), ("access", "0001_access_requests")]
AFTER = [("policies", "0013_access_expectation_actions"), ("access", "0002_access_expectation_actions")]
NAMES = ("ListAccessExpectations", "PutAccessExpectation", "DeleteAccessExpectation", "OverrideAccessExpectation")
# Actions beside the moved ones whose decisions must not move either.
OTHERS = ("iamconsole:ApproveAccessRequest", "iam:ListUsers", "iam:PutUserPolicy", "iam:DeleteUser", "iam:GetUser")
EVERYWHERE = "arn:aws:iam::123456789012:access-expectation/any"


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def allow(*actions, not_action=False, effect="Allow") -> dict:
    key = "NotAction" if not_action else "Action"
    value = actions[0] if len(actions) == 1 else list(actions)
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, key: value, "Resource": "*"}]}


# One user per kind of list, each with the one inline policy an earlier release stored.
DOCUMENTS = {
    "exact": allow("iam:PutAccessExpectation"),
    "putstar": allow("iam:Put*"),
    "iamstar": allow("iam:*"),
    "notdelete": allow("iam:Delete*", "sts:*", "storage:*", not_action=True),
    "consolestar": allow("iamconsole:*"),
    "consoleonly": allow("iamconsole:Put*"),
}


def outcomes(users, named) -> dict:
    found = {}
    for user in users:
        layers = authorization.layers_of(user)
        for label, action in named.items():
            found[user.username, label] = authorization.decide(layers, action, EVERYWHERE).outcome
    return found


def earlier_catalogue() -> None:
    """The catalogue as a release before the move held it: the four actions in iam."""
    CatalogAction.objects.filter(service__prefix="iamconsole", name__in=NAMES).delete()
    iam = CatalogService.objects.get(prefix="iam")
    CatalogAction.objects.bulk_create(
        CatalogAction(service=iam, name=name, access_level="Permissions management") for name in NAMES
    )


@pytest.mark.django_db(transaction=True)
def test_stored_documents_decide_as_before_with_the_actions_under_their_new_names():
    load_builtins()
    migrate(BEFORE)
    try:
        earlier_catalogue()
        users = [identity_services.create_user(username=name, actor=None) for name in DOCUMENTS]
        for user, document in zip(users, DOCUMENTS.values(), strict=True):
            InlinePolicy.objects.create(user=user, policy_name="Earlier", document=document)
        # A guardrail denying one moved action by a wildcard, and a managed policy naming one exactly.
        Guardrail.objects.create(guardrail_name="NoOverrides", level=1, document=allow("iam:Override*", effect="Deny"))
        policy, _ = managed.create_policy(policy_name="Lister", document=allow("iam:ListUsers"), actor=None)
        policy.versions.update(document=allow("iam:ListAccessExpectations"))
        attachments.attach_policy(policy=policy, identity=users[0], actor=None)
        authorization.clear_caches()
        before = outcomes(users, {name: f"iam:{name}" for name in NAMES} | {name: name for name in OTHERS})

        migrate(AFTER)
        authorization.clear_caches()
        after = outcomes(users, {name: f"iamconsole:{name}" for name in NAMES} | {name: name for name in OTHERS})
    finally:
        migrate(latest())
    assert after == before
    # Not a comparison of nothing: the lists' meanings as AWS matches them.
    assert before["exact", "PutAccessExpectation"] is Outcome.ALLOW
    assert before["exact", "ListAccessExpectations"] is Outcome.ALLOW  # the managed policy
    assert before["putstar", "PutAccessExpectation"] is Outcome.ALLOW
    assert before["putstar", "DeleteAccessExpectation"] is Outcome.IMPLICIT_DENY
    assert before["iamstar", "DeleteAccessExpectation"] is Outcome.ALLOW
    assert before["iamstar", "OverrideAccessExpectation"] is Outcome.EXPLICIT_DENY  # the guardrail
    # iam:* never matched the console's approval, nor does it now.
    assert before["iamstar", "iamconsole:ApproveAccessRequest"] is Outcome.IMPLICIT_DENY
    assert before["notdelete", "PutAccessExpectation"] is Outcome.ALLOW
    assert before["notdelete", "DeleteAccessExpectation"] is Outcome.IMPLICIT_DENY
    # iamconsole:* matched the approval only: it must not start to grant the moved actions.
    assert before["consolestar", "iamconsole:ApproveAccessRequest"] is Outcome.ALLOW
    assert before["consolestar", "PutAccessExpectation"] is Outcome.IMPLICIT_DENY
    assert before["consoleonly", "PutAccessExpectation"] is Outcome.IMPLICIT_DENY
    assert after["notdelete", "iamconsole:ApproveAccessRequest"] is Outcome.ALLOW


def _stored(name: str) -> dict:
    return InlinePolicy.objects.get(user__username=name).document["Statement"][0]


@pytest.mark.django_db(transaction=True)
def test_the_catalogue_documents_expectations_requests_and_history_take_the_new_names():
    load_builtins()
    migrate(BEFORE)
    try:
        earlier_catalogue()
        mia = identity_services.create_user(username="mia", actor=None)
        for name, document in DOCUMENTS.items():
            user = mia if name == "exact" else identity_services.create_user(username=name, actor=None)
            InlinePolicy.objects.create(user=user, policy_name="Earlier", document=document)
        definition = {"principals": {"users": ["mia"]}, "may": False, "actions": ["iam:OverrideAccessExpectation"]}
        AccessExpectation.objects.create(name="NoOverride", definition=definition)
        AccessRequest.objects.create(
            requester=mia,
            kind="permission",
            actions=["iam:PutAccessExpectation", "iam:ListUsers"],
            resources=["*"],
            requested_as=mia.arn,
            justification="to write tests of access",
            decide_by=timezone.now() + timezone.timedelta(days=1),
        )
        LastAccessed.objects.create(
            principal_id=mia.iam_id,
            principal_arn=mia.arn,
            service="iam",
            action="iam:PutAccessExpectation",
            resource=EVERYWHERE,
            last_allowed_at=timezone.now(),
        )
        PreviewJob.objects.create(
            actor=mia,
            description={"change": "put-inline-policy", "document": allow("iam:DeleteAccessExpectation")},
        )
        migrate(AFTER)
        iam = set(CatalogAction.objects.filter(service__prefix="iam").values_list("name", flat=True))
        ours = set(CatalogAction.objects.filter(service__prefix="iamconsole").values_list("name", flat=True))
        statements = {name: _stored(name) for name in DOCUMENTS if name != "exact"} | {"exact": _stored("mia")}
        expectation = AccessExpectation.objects.get().definition["actions"]
        request_actions = AccessRequest.objects.get().actions
        history = list(LastAccessed.objects.values_list("service", "action"))
        job = PreviewJob.objects.get().description["document"]["Statement"][0]["Action"]
    finally:
        migrate(latest())
    assert not iam & set(NAMES) and set(NAMES) <= ours
    assert statements["exact"]["Action"] == "iamconsole:PutAccessExpectation"
    assert statements["putstar"]["Action"] == ["iam:Put*", "iamconsole:PutAccessExpectation"]
    assert statements["iamstar"]["Action"] == ["iam:*", *(f"iamconsole:{name}" for name in NAMES)]
    assert statements["notdelete"]["NotAction"] == [
        "iam:Delete*",
        "sts:*",
        "storage:*",
        "iamconsole:DeleteAccessExpectation",
    ]
    # Spelled out as what it matched: the service's other actions.
    spelled = statements["consolestar"]["Action"]
    assert ([spelled] if isinstance(spelled, str) else spelled) == [
        f"iamconsole:{action.name}" for action in service("iamconsole").actions if action.name not in NAMES
    ]
    # It matched nothing before, and still does: the old name names no action now.
    assert statements["consoleonly"]["Action"] == "iam:PutAccessExpectation"
    assert expectation == ["iamconsole:OverrideAccessExpectation"]
    assert request_actions == ["iamconsole:PutAccessExpectation", "iam:ListUsers"]
    assert history == [("iamconsole", "iamconsole:PutAccessExpectation")]
    assert job == "iamconsole:DeleteAccessExpectation"
    assert ManagedPolicy.objects.get(policy_name="IAMFullAccess").versions.get(is_default=True).document["Statement"][
        0
    ]["Action"] == ["iam:*", *(f"iamconsole:{name}" for name in NAMES)]
