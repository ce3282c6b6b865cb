"""The console's own access expectation actions move from `iam` to `iamconsole` (issue 17's
names: iamconsole:PutAccessExpectation, iamconsole:DeleteAccessExpectation,
iamconsole:OverrideAccessExpectation, and iamconsole:ListAccessExpectations beside them), and
every stored list of actions is rewritten so that nothing allowed or denied changes.

Rewritten: the Action and NotAction of every policy version (customer managed, built-in and
imported AWS managed alike), inline policy, guardrail and trust policy, the documents of queued
change previews, the actions of access expectations, and (access 0002) of access requests; the
last-accessed data keeps its history under the new names. Audit events stay as they were written.

How a list changes (`rewrite_actions`), matching as AWS does (whole name, any case, `*` and `?`):
- an old name, exactly, becomes the new name;
- a wildcard that matched an old name (`iam:*`, `iam:Put*`, `iam:*AccessExpectation`) is kept,
  for the other actions it matches, and the new names it matched are added after it. `iam:*`
  therefore keeps granting the moved actions, and only those: it does not start to grant
  iamconsole:ApproveAccessRequest, which it never matched. In a NotAction list the same
  addition keeps an excluded action excluded;
- a wildcard that matched no old name but matches a new one (`iamconsole:*`, `iamconsole:Put*`)
  would widen an Allow or narrow a Deny or a NotAction: it is spelled out as the catalogue's
  actions it matches, less the moved ones. It then no longer covers actions the service adds
  later: the price of changing no decision now, said here rather than hidden;
- a list left empty that way keeps the old name it could have meant, which names no action any
  more, so its statement still matches nothing.

Reversed, nothing is rewritten back (the spelled-out wildcards cannot be told from a list
written that way); the catalogue of an earlier release is restored by its own migrations.
The rewrite is written out here rather than imported, so that it keeps meaning what it meant.
"""

import json
import re
from collections.abc import Iterable
from functools import cache

from django.db import migrations

# Each moved action: its old name, and its new one.
ACCESS_EXPECTATION_MOVES: dict[str, str] = {
    f"iam:{name}": f"iamconsole:{name}"
    for name in (
        "ListAccessExpectations",
        "PutAccessExpectation",
        "DeleteAccessExpectation",
        "OverrideAccessExpectation",
    )
}


@cache
def _pattern(text: str) -> re.Pattern:
    """An action pattern as AWS matches it: the whole name, without regard to case, `*` any run of
    characters (colons too) and `?` one."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, action: str) -> bool:
    return _pattern(pattern).fullmatch(action) is not None


def rewrite_actions(patterns: list[str], moves: dict[str, str], catalogue: Iterable[str]) -> list[str]:
    """`patterns` (an Action, NotAction or expectation's list) rewritten so that, once each old
    name of `moves` is known by its new one, it matches every action it matched before: the new
    name where it matched the old, and nothing else added or lost.

    - A pattern equal to an old name becomes the new name.
    - A wildcard that matched an old name (`iam:*`, `iam:Put*`) is kept, for the other actions
      it matches, and the new names it matched are added after it: `iam:*` keeps every iam action
      and adds the moved ones, but does not start to match the rest of the new service.
    - A wildcard that did not match an old name but matches a new one (`iamconsole:*`) would widen
      (an Allow) or narrow (a Deny, or a NotAction): it is spelled out as the actions of
      `catalogue` (every action the catalogue holds after the move) it matches but the moved
      ones. It then no longer covers actions the service adds later; that is the cost of
      changing no decision now.
    - A list left with nothing (a wildcard that matched only moved names' new forms) keeps the
      first old name it would have matched, which names no action any more, so the statement
      still matches nothing.
    """
    new_names = {new.lower() for new in moves.values()}
    found: list[str] = []
    for pattern in patterns:
        renamed = next((new for old, new in moves.items() if old.lower() == pattern.lower()), None)
        if renamed is not None:
            found.append(renamed)
        elif ("*" in pattern or "?" in pattern) and _gains(pattern, moves):
            found += [name for name in catalogue if name.lower() not in new_names and matches(pattern, name)]
        else:
            found.append(pattern)
    for old, new in moves.items():
        if any(matches(pattern, old) for pattern in patterns) and not any(matches(p, new) for p in found):
            found.append(new)
    if not found:
        found = [next(old for old, new in moves.items() if any(matches(p, new) for p in patterns))]
    return list(dict.fromkeys(found))


def _gains(pattern: str, moves: dict[str, str]) -> bool:
    return any(matches(pattern, new) and not matches(pattern, old) for old, new in moves.items())


def rewrite_document(document, moves: dict[str, str], catalogue: Iterable[str]):
    """A policy document with each statement's Action and NotAction rewritten (`rewrite_actions`);
    anything that is not a document's shape is returned as it was."""
    if not isinstance(document, dict):
        return document
    statements = document.get("Statement")
    if isinstance(statements, dict):
        return {**document, "Statement": _rewrite_statement(statements, moves, catalogue)}
    if isinstance(statements, list):
        return {**document, "Statement": [_rewrite_statement(item, moves, catalogue) for item in statements]}
    return document


def _rewrite_statement(statement, moves: dict[str, str], catalogue: Iterable[str]):
    if not isinstance(statement, dict):
        return statement
    rewritten = dict(statement)
    for element in ("Action", "NotAction"):
        value = statement.get(element)
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not all(isinstance(item, str) for item in patterns) or not patterns:
            continue
        if not any(matches(pattern, name) for pattern in patterns for pair in moves.items() for name in pair):
            continue
        after = rewrite_actions(patterns, moves, catalogue)
        rewritten[element] = after[0] if isinstance(value, str) and len(after) == 1 else after
    return rewritten


def _catalogue(apps) -> list[str]:
    action_model = apps.get_model("policies", "CatalogAction")
    rows = action_model.objects.values_list("service__prefix", "name")
    return [f"{prefix}:{name}" for prefix, name in rows]


def _walk(value, moves: dict[str, str], catalogue: list[str]):
    """Every policy document inside a change preview's description, as an object or as its text."""
    if isinstance(value, dict):
        if "Statement" in value:
            return rewrite_document(value, moves, catalogue)
        return {key: _walk_text(item, moves, catalogue) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, moves, catalogue) for item in value]
    return value


def _walk_text(value, moves, catalogue):
    if isinstance(value, str) and value.lstrip().startswith("{") and "Statement" in value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        rewritten = rewrite_document(parsed, moves, catalogue)
        return value if rewritten == parsed else json.dumps(rewritten, indent=2)
    return _walk(value, moves, catalogue)


def _rewrite_rows(model, field: str, rewrite) -> None:
    for row in model.objects.only("pk", field).iterator():
        before = getattr(row, field)
        after = rewrite(before)
        if after != before:
            model.objects.filter(pk=row.pk).update(**{field: after})


def move(apps, schema_editor):
    from policies.builtins import load_builtins

    moves = ACCESS_EXPECTATION_MOVES
    load_builtins(apps)  # the new service's actions and resource type, the built-ins' documents
    old_names = [old.partition(":")[2] for old in moves]
    apps.get_model("policies", "CatalogAction").objects.filter(service__prefix="iam", name__in=old_names).delete()
    apps.get_model("policies", "CatalogResourceType").objects.filter(
        service__prefix="iam", name="access-expectation"
    ).delete()
    catalogue = _catalogue(apps)

    def document(value):
        return rewrite_document(value, moves, catalogue)

    for app, model, field in (
        ("policies", "PolicyVersion", "document"),
        ("policies", "InlinePolicy", "document"),
        ("policies", "Guardrail", "document"),
        ("identities", "Role", "trust_policy"),
    ):
        _rewrite_rows(apps.get_model(app, model), field, document)
    _rewrite_rows(apps.get_model("policies", "PreviewJob"), "description", lambda value: _walk(value, moves, catalogue))
    _rewrite_rows(
        apps.get_model("policies", "AccessExpectation"),
        "definition",
        lambda value: _definition(value, moves, catalogue),
    )
    _move_last_accessed(apps.get_model("policies", "LastAccessed"), moves)


def _definition(value, moves, catalogue):
    actions = value.get("actions") if isinstance(value, dict) else None
    patterns = [actions] if isinstance(actions, str) else actions
    if not isinstance(patterns, list) or not patterns or not all(isinstance(item, str) for item in patterns):
        return value
    return {**value, "actions": rewrite_actions(patterns, moves, catalogue)}


def _move_last_accessed(model, moves: dict[str, str]) -> None:
    """The history of the old names is the new names' history (a row already kept under a new name,
    from a request since the release, is the later one and wins)."""
    for old, new in moves.items():
        for row in model.objects.filter(action__iexact=old):
            newer = model.objects.filter(principal_id=row.principal_id, action=new, resource=row.resource).first()
            if newer is not None:
                if newer.last_allowed_at < row.last_allowed_at:
                    model.objects.filter(pk=newer.pk).update(
                        last_allowed_at=row.last_allowed_at, credential=row.credential
                    )
                row.delete()
            else:
                model.objects.filter(pk=row.pk).update(action=new, service=new.partition(":")[0])


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0012_interface_condition_key"),
        ("identities", "0014_user_contact_email"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
