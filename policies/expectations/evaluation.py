"""Checking expectations on the account as it stands (in this transaction): every decision
through the one door (`authorization.decide` on the bulk loader's layers).

The principals of an expectation are read with `authorization.Account` in a constant number
of queries, and users whose layers hold the same documents are decided once per run of
equal keys (`Sharing`), so "anyone" costs about as many decisions as there are distinct
sets of policies, not users.

How an expectation is decided, each (principal, action, resource):
- "may": the principal is allowed the action on the resource as written (a pattern is
  asked as its own text: a policy must grant the whole of it).
- "may not": no allow for the action on the resource as written, nor on any resource the
  principal's own Allow statements name within it (`production-*` covers a policy's
  `production-data`). A principal none of whose layers could allow the action is passed
  over (exact: the engine's may_allow is never wrong in the negative).
- Actions with wildcards stand for the catalogue's actions they match.
- Request keys are the expectation's `context`; the server adds the time and the
  principal's own keys, as for every decision.
"""

import re
from functools import cache, cached_property
from typing import NamedTuple

from django.conf import settings

from identities.models import Group, Role
from policies import authorization
from policies.engine import Outcome, allow_resources
from policies.expectations.definition import Definition
from policies.models import CatalogAction

NO_SUCH_PRINCIPAL = "NoSuchPrincipal"


class Failure(NamedTuple):
    """One decision against the expectation: `decision` is the engine's outcome, or
    NO_SUCH_PRINCIPAL for a principal an expectation that they may do something names."""

    principal: str
    action: str
    resource: str
    decision: str

    def as_json(self) -> dict:
        return self._asdict()

    def in_words(self) -> str:
        if self.decision == NO_SUCH_PRINCIPAL:
            return f"{self.principal} is no active user or role"
        return f"{self.principal}: {self.decision} for {self.action} on {self.resource}"


class Result(NamedTuple):
    definition: Definition
    failures: tuple[Failure, ...]

    @property
    def held(self) -> bool:
        return not self.failures


class _Principals(NamedTuple):
    """Principals the engine cannot tell apart: one decision answers for all of them."""

    arns: tuple[str, ...]
    layers: authorization.Layers


@cache
def _pattern(text: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text), re.DOTALL)


def _in_this_account(pattern: str) -> str:
    """A policy's resource pattern as a resource of this account: `arn:aws:iam::*:user/mia` is
    tried as `arn:aws:iam::<account>:user/mia` (asked with `*` there, it would be another
    account's); "" for a pattern of an account that cannot be this one."""
    parts = pattern.split(":", 5)
    if len(parts) < 6 or not ("*" in parts[4] or "?" in parts[4]):
        return pattern
    account = settings.IAM_ACCOUNT_ID
    return ":".join([*parts[:4], account, parts[5]]) if covers(parts[4], account) else ""


def covers(pattern: str, text: str, *, case: bool = True) -> bool:
    """Whether `pattern` (with * and ?) covers all of `text`."""
    if not case:
        pattern, text = pattern.lower(), text.lower()
    return _pattern(pattern).fullmatch(text) is not None


class Checker:
    """The account read once, for checking any number of expectations."""

    def __init__(self):
        self.account = authorization.Account()
        self.users = self.account.active_users()
        self._users_by_name = {user.username.lower(): user for user in self.users}
        self._groups = {name.lower(): pk for pk, name in Group.objects.values_list("pk", "group_name")}
        self._members: dict[int, set[int]] = {}
        for user_id, group_ids in self.account.memberships.items():
            for group_id in group_ids:
                self._members.setdefault(group_id, set()).add(user_id)
        self.roles = {role.role_name.lower(): role for role in Role.objects.all()}

    @cached_property
    def _catalogue(self) -> list[str]:
        """The catalogue's actions, read only when an expectation names actions by a wildcard."""
        return [f"{prefix}:{name}" for prefix, name in CatalogAction.objects.values_list("service__prefix", "name")]

    def check(self, definition: Definition) -> Result:
        failures: list[Failure] = []
        principals, missing = self._principals(definition)
        if definition.may:
            failures += [Failure(name, "", "", NO_SUCH_PRINCIPAL) for name in missing]
        actions = self._actions(definition.actions)
        for principal in principals:
            failures += self._decide(definition, principal, actions)
        return Result(definition, tuple(failures))

    def _actions(self, written: tuple[str, ...]) -> list[str]:
        found = []
        for action in written:
            if "*" in action or "?" in action:
                found += [name for name in self._catalogue if covers(action, name, case=False)]
            else:
                found.append(action)
        return list(dict.fromkeys(found))

    def _decide(self, definition: Definition, principal: _Principals, actions: list[str]) -> list[Failure]:
        layers, failures = principal.layers, []
        for action in actions:
            if definition.may:
                tried = definition.resources
            elif not layers.may_allow(action):
                continue
            else:
                tried = self._tried(definition.resources, layers, action)
            for resource in tried:
                decision = authorization.decide(layers, action, resource, context=definition.context)
                if (decision.outcome is Outcome.ALLOW) is not definition.may:
                    outcome = decision.outcome.value
                    failures += [Failure(arn, action, resource, outcome) for arn in principal.arns]
        return failures

    @staticmethod
    def _tried(resources: tuple[str, ...], layers: authorization.Layers, action: str) -> list[str]:
        """The resources as written, and those the principal's Allows name within them."""
        named = [_in_this_account(name) for name in allow_resources(layers.identity, action, layers.keys) or ()]
        within = [name for name in named if name and any(covers(pattern, name) for pattern in resources)]
        return list(dict.fromkeys([*resources, *within]))

    def _principals(self, definition: Definition) -> tuple[list[_Principals], list[str]]:
        """The principals' layers (users decided once per run of users the engine cannot tell
        apart), and the names of those an expectation names that do not exist."""
        excluded_users = self._user_ids(definition.excluded)[0]
        excluded_roles = {name.lower() for name in definition.excluded.roles}
        if definition.anyone:
            user_ids, missing = {user.pk for user in self.users}, []
            roles = [role for name, role in self.roles.items() if name not in excluded_roles]
        else:
            user_ids, missing = self._user_ids(definition.principals)
            roles, missing_roles = [], []
            for name in definition.principals.roles:
                role = self.roles.get(name.lower())
                (roles.append(role) if role is not None else missing_roles.append(f"role {name}"))
            roles = [role for role in roles if role.role_name.lower() not in excluded_roles]
            missing += missing_roles
        kept = user_ids - excluded_users  # once: inside the comprehension it would be rebuilt per user
        users = [user for user in self.users if user.pk in kept]
        found = []
        for sharing in self.account.sharing(users) if users else ():
            found += [_Principals(tuple(u.arn for u in run), sharing.layers_of(run[0])) for run in sharing.alike()]
        found += [_Principals((role.arn,), self.account.role_layers(role)) for role in roles]
        return found, missing

    def _user_ids(self, principals) -> tuple[set[int], list[str]]:
        ids, missing = set(), []
        for name in principals.users:
            user = self._users_by_name.get(name.lower())
            (ids.add(user.pk) if user is not None else missing.append(f"user {name}"))
        for name in principals.groups:
            group = self._groups.get(name.lower())
            (ids.update(self._members.get(group, ())) if group is not None else missing.append(f"group {name}"))
        return ids, missing


def check_all(definitions: list[Definition]) -> list[Result]:
    """Each expectation's result, the account read once."""
    if not definitions:
        return []
    checker = Checker()
    return [checker.check(definition) for definition in definitions]
