"""Which IAM actions each change of federation needs (identities.rules explains the table).

Binding a user to an identity at the provider lets whoever holds that identity sign in as
the user, so it is an action of its own, iamconsole:BindFederatedIdentity on the user (the
escalation report knows it as a way to take a user over). A group claim rule adds people to
its group at every sign-in, so saving one needs what adding them by hand needs,
iam:AddUserToGroup on the group; deleting one removes the members it made.
"""

from federation import services
from identities.rules import Check, rule, subject

BIND_ACTION = "iamconsole:BindFederatedIdentity"
UNBIND_ACTION = "iamconsole:UnbindFederatedIdentity"


@rule(services.bind_federated_identity)
def _bind(*, user=None, **_):
    yield Check(BIND_ACTION, subject(user))


@rule(services.unbind_federated_identity)
def _unbind(*, user=None, **_):
    yield Check(UNBIND_ACTION, subject(user))


@rule(services.create_group_rule)
def _create_group_rule(*, group=None, **_):
    yield Check("iam:AddUserToGroup", subject(group))


@rule(services.delete_group_rule)
def _delete_group_rule(*, rule=None, **_):
    yield Check("iam:RemoveUserFromGroup", subject(rule.group if rule is not None else None))
