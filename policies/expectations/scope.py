"""Which expectations a change can affect: those about the principals it touches.

A change is described by the keyword arguments the rule table performs it with. Each user,
group, role, managed policy (and its versions, inline policies, attachments and boundaries)
among them names principals: a group names its members (a change that also names users, as
adding or removing members does, touches those users only), a user its groups, a managed policy
every identity it is attached to or bounds. A name a change gives (`username`, `group_name`,
`role_name`: a new or renamed principal) is one too. An expectation is affected when it names
one of them by name or by group, and always when it is about "anyone" (every change to anyone
is a change to it). Anything else among the arguments (a guardrail, the catalogue, a session, an
object this module does not know) may touch anyone: then every expectation is affected. The
scope is read before the change, so a deletion still names what it deletes, and a group's
members before the change are among those affected.
"""

import datetime
from typing import NamedTuple

from django.db.models import Model, Q, QuerySet

from identities.models import Group, Membership, Role, User
from policies.expectations.definition import Definition
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment, PolicyVersion

# Arguments that name a principal a change creates or renames.
NAMES = {"username": "users", "group_name": "groups", "role_name": "roles"}
_PLAIN = (str, int, float, bool, dict, datetime.datetime, datetime.date, datetime.timedelta, type(None))


class Scope(NamedTuple):
    """Lower-case names of the principals a change touches; `everyone` when it may touch anyone."""

    everyone: bool
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    def affects(self, definition: Definition) -> bool:
        if self.everyone or definition.anyone:
            return True
        named = definition.principals
        return bool(
            self.users & {name.lower() for name in named.users}
            or self.groups & {name.lower() for name in named.groups}
            or self.roles & {name.lower() for name in named.roles}
        )


EVERYONE = Scope(everyone=True)


class _Found:
    def __init__(self):
        self.ids: dict[type, set[int]] = {User: set(), Group: set(), Role: set(), ManagedPolicy: set()}
        self.names: dict[str, set[str]] = {"users": set(), "groups": set(), "roles": set()}

    def add(self, item) -> bool:
        """Take one argument's value; False when it may touch anyone."""
        kind = next((kind for kind in self.ids if isinstance(item, kind)), None)
        if kind is not None:  # by isinstance: request.user is a lazy object around a User
            self.ids[kind].add(item.pk)
        elif isinstance(item, PolicyVersion):
            self.ids[ManagedPolicy].add(item.policy_id)
        elif isinstance(item, (InlinePolicy, PolicyAttachment)):
            owner = item.owner
            self.ids[next(kind for kind in self.ids if isinstance(owner, kind))].add(owner.pk)
            if isinstance(item, PolicyAttachment):
                self.ids[ManagedPolicy].add(item.policy_id)
        elif isinstance(item, (list, tuple, set, frozenset, QuerySet)):
            return all(self.add(each) for each in item)
        elif isinstance(item, Model) or not isinstance(item, _PLAIN):
            return False
        return True


def scope_of(arguments: dict) -> Scope:
    """The principals the change with these arguments touches, read now (before it)."""
    found = _Found()
    for key, value in arguments.items():
        if key in NAMES and isinstance(value, str):
            found.names[NAMES[key]].add(value.lower())
        elif not found.add(value):
            return EVERYONE
    if not any(found.ids.values()) and not any(found.names.values()):
        return EVERYONE
    ids, names = found.ids, found.names
    attached = PolicyAttachment.objects.filter(policy_id__in=ids[ManagedPolicy])
    bounded = PermissionBoundary.objects.filter(policy_id__in=ids[ManagedPolicy])
    # Subqueries, not lists of IDs: a group may have a hundred thousand members.
    groups = Q(pk__in=ids[Group]) | Q(pk__in=attached.values("group_id"))
    users = Q(pk__in=ids[User]) | Q(pk__in=attached.values("user_id")) | Q(pk__in=bounded.values("user_id"))
    # A change of a group's members names the users it adds or removes: the others keep their access.
    if not (ids[Group] and ids[User]) or ids[ManagedPolicy]:
        users |= Q(pk__in=Membership.objects.filter(group__in=Group.objects.filter(groups)).values("user_id"))
    users = User.objects.filter(users)
    # A user's change touches each group it is in: "members of" an expectation names them.
    groups |= Q(pk__in=Membership.objects.filter(user__in=users).values("group_id"))
    roles = Q(pk__in=ids[Role]) | Q(pk__in=attached.values("role_id")) | Q(pk__in=bounded.values("role_id"))
    names["users"] |= {name.lower() for name in users.values_list("username", flat=True)}
    names["groups"] |= {name.lower() for name in Group.objects.filter(groups).values_list("group_name", flat=True)}
    names["roles"] |= {name.lower() for name in Role.objects.filter(roles).values_list("role_name", flat=True)}
    return Scope(False, frozenset(names["users"]), frozenset(names["groups"]), frozenset(names["roles"]))
