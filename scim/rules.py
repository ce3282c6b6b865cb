"""Which IAM actions each SCIM change needs: exactly those the console asks for the same
change, taken from identities' rule table, so both ask the same."""

from identities import rules
from identities import services as identity_services
from identities.rules import Check, rule
from scim import services
from scim.models import SCIM_PATH


@rule(services.create_user)
def _create_user(*, user_name=None, **_):
    yield from rules.required(identity_services.create_console_user, username=user_name, path=SCIM_PATH)


@rule(services.update_user)
def _update_user(*, row=None, user_name=None, active=None, **_):
    user = row.user if row is not None else None
    renamed = user_name if user is not None and user_name != user.username else None
    yield from rules.required(identity_services.update_user, user=user, username=renamed, is_active=active)


@rule(services.delete_user)
def _delete_user(*, row=None, **_):
    user = row.user if row is not None else None
    yield from rules.required(
        identity_services.delete_user, user=user, with_credentials_and_memberships=True, with_policies=True
    )


@rule(services.create_group)
def _create_group(*, display_name=None, members=(), **_):
    yield from rules.required(identity_services.create_group, group_name=display_name, path=SCIM_PATH)
    if members:
        # The group does not exist yet: AddUserToGroup on the ARN it will have.
        yield Check("iam:AddUserToGroup", rules.new_target("group", SCIM_PATH, display_name))


@rule(services.update_group)
def _update_group(*, row=None, display_name=None, members=None, **_):
    group = row.group if row is not None else None
    if group is None or display_name != group.group_name:
        yield from rules.required(identity_services.update_group, group=group, group_name=display_name)
    if group is None or members is None:
        return
    wanted = {user.pk for user in members}
    made = services.scim_members(group)
    if any(pk not in wanted for pk in made):
        yield from rules.required(identity_services.remove_members_made_by, group=group)
    if any(pk not in made for pk in wanted):
        yield from rules.required(identity_services.add_members, group=group)


@rule(services.delete_group)
def _delete_group(*, row=None, **_):
    group = row.group if row is not None else None
    yield from rules.required(identity_services.delete_group, group=group, with_members=True, with_policies=True)
