"""A seeded corpus of simulate cases across every layer, with real AWS actions and ARNs.

The peer of `benchmarks.simulate` checks each action and resource ARN
against AWS's service data, so the cases use real services (s3, ec2, iam,
dynamodb, sqs, lambda, sns, sts) with resources of the type each action
takes, and only global condition keys, which apply to every action. Each
case carries a `category` annotation naming the layer it exercises:
identity, boundary, guardrails, resource, trust or session.

Standard library only, as the engine.
"""

from __future__ import annotations

import json
import random

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
VERSION = "2012-10-17"
CATEGORIES = ("identity", "boundary", "guardrails", "resource", "trust", "session")

# (service, actions, resource ARNs of the type those actions take)
_OBJECTS = [f"arn:aws:s3:::example-{bucket}/{key}" for bucket in ("reports", "logs") for key in ("q3.csv", "a/b.txt")]
_FAMILIES = [
    ("s3", ("GetObject", "PutObject", "DeleteObject", "GetObjectTagging"), _OBJECTS),
    ("s3", ("ListBucket", "GetBucketPolicy", "GetBucketTagging"), ["arn:aws:s3:::example-reports"]),
    (
        "ec2",
        ("StartInstances", "StopInstances", "TerminateInstances", "RebootInstances"),
        [f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0{n}23456789abcdef0" for n in range(1, 3)],
    ),
    (
        "iam",
        ("GetUser", "CreateAccessKey", "DeleteUser", "ListAccessKeys"),
        [f"arn:aws:iam::{ACCOUNT}:user/{name}" for name in ("alice", "bob", "team/carol")],
    ),
    ("iam", ("GetRole", "PassRole", "UpdateRole"), [f"arn:aws:iam::{ACCOUNT}:role/deploy"]),
    (
        "dynamodb",
        ("GetItem", "PutItem", "Query", "DeleteItem"),
        [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}" for name in ("orders", "users")],
    ),
    ("sqs", ("SendMessage", "ReceiveMessage", "DeleteMessage"), [f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"]),
    ("lambda", ("InvokeFunction", "GetFunction"), [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:resize"]),
    ("sns", ("Publish", "Subscribe"), [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"]),
]
# Services whose resources carry resource-based policies.
_WITH_POLICIES = [family for family in _FAMILIES if family[0] in ("s3", "sqs", "lambda", "sns")]
_USERS = ["alice", "bob", "carol"]
_ROLES = ["deploy", "audit"]
_CONDITIONS = [
    {"StringEquals": {"aws:PrincipalTag/team": ["dev", "ops"]}},
    {"StringLike": {"aws:username": "a*"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
    {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-12-01T00:00:00Z"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"Null": {"aws:MultiFactorAuthAge": "true"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "contractor"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}},
    {"Bool": {"aws:SecureTransport": "false"}},
]


def _document(*statements: dict) -> dict:
    return {"Version": VERSION, "Statement": list(statements)}


def _action_patterns(rng: random.Random, service: str, actions: tuple[str, ...], action: str) -> list[str]:
    """Patterns that usually cover the requested action, sometimes only its neighbours."""
    choices = [f"{service}:{action}", f"{service}:{action[:3]}*", f"{service}:*", f"{service}:{rng.choice(actions)}"]
    return rng.sample(choices, rng.randint(1, 2))


def _resource_patterns(rng: random.Random, resource: str) -> list[str]:
    head, _, tail = resource.rpartition("/") if "/" in resource else resource.rpartition(":")
    separator = "/" if "/" in resource else ":"
    choices = ["*", resource, f"{head}{separator}*", f"{head}{separator}{tail[:2]}*"]
    if ":user/" in resource:
        choices.append(f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")
    return rng.sample(choices, rng.randint(1, 2))


def _statement(rng: random.Random, effect: str, family: tuple, action: str, resource: str) -> dict:
    service, actions, _ = family
    statement: dict = {"Effect": effect}
    if rng.random() < 0.08:
        statement["NotAction"] = [f"{service}:{rng.choice([a for a in actions if a != action] or actions)}"]
    else:
        statement["Action"] = _action_patterns(rng, service, actions, action)
    if rng.random() < 0.06:
        statement["NotResource"] = [f"arn:aws:s3:::example-private/{rng.choice(['*', 'x'])}"]
    else:
        statement["Resource"] = _resource_patterns(rng, resource)
    if rng.random() < 0.45:
        statement["Condition"] = rng.choice(_CONDITIONS)
    return statement


def _policy(rng: random.Random, family: tuple, action: str, resource: str, deny_chance: float = 0.15) -> dict:
    statements = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.2:  # a statement about another service: indexed away, never matches
            other = rng.choice(_FAMILIES)
            statements.append(_statement(rng, "Allow", other, rng.choice(other[1]), rng.choice(other[2])))
            continue
        effect = "Deny" if rng.random() < deny_chance else "Allow"
        statements.append(_statement(rng, effect, family, action, resource))
    return _document(*statements)


def _context(rng: random.Random, principal_arn: str, username: str | None, tag: str) -> dict:
    context = {
        "aws:PrincipalArn": principal_arn,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:SourceIp": rng.choice(["10.1.2.3", "192.168.4.5", "203.0.113.7"]),
        "aws:SecureTransport": rng.choice(["true", "true", "false"]),
        "aws:CurrentTime": rng.choice(["2026-11-28T10:00:00Z", "2026-12-15T08:30:00Z"]),
    }
    if username is not None:
        context["aws:username"] = username
    if tag:
        context["aws:PrincipalTag/team"] = tag
    if rng.random() < 0.7:
        context["aws:MultiFactorAuthPresent"] = rng.choice(["true", "false"])
        context["aws:MultiFactorAuthAge"] = rng.choice(["120", "7200"])
    return context


def _principal(rng: random.Random, session: bool) -> tuple[str, str, str | None]:
    """(the caller's ARN, aws:PrincipalArn, aws:username)."""
    if session:
        role = rng.choice(_ROLES)
        return (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session-{rng.randint(1, 3)}",
            f"arn:aws:iam::{ACCOUNT}:role/{role}",
            None,
        )
    name = rng.choice(_USERS)
    return f"arn:aws:iam::{ACCOUNT}:user/{name}", f"arn:aws:iam::{ACCOUNT}:user/{name}", name


def _names_for(rng: random.Random, caller: str, principal_arn: str) -> dict:
    """A Principal element naming the caller, its role, its account, everyone or someone else."""
    return rng.choice(
        [
            {"AWS": caller},
            {"AWS": principal_arn},
            {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            {"AWS": ACCOUNT},
            "*",
            {"AWS": f"arn:aws:iam::{ACCOUNT}:user/mallory"},
            {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        ]
    )


def _resource_policy(rng: random.Random, family: tuple, action: str, resource: str, caller: str, arn: str) -> dict:
    statements = []
    for _ in range(rng.randint(1, 2)):
        statement = _statement(rng, "Deny" if rng.random() < 0.15 else "Allow", family, action, resource)
        statement["Principal"] = _names_for(rng, caller, arn)
        statements.append(statement)
    return _document(*statements)


def _guardrails(rng: random.Random, family: tuple, action: str, resource: str) -> list[list[dict]]:
    levels = []
    for _ in range(rng.randint(1, 2)):
        level = [_document({"Effect": "Allow", "Action": "*", "Resource": "*"})]
        if rng.random() < 0.6:
            level.append(_policy(rng, family, action, resource, deny_chance=1.0))
        levels.append(level)
    return levels


def _trust_case(rng: random.Random, case: dict, caller: str, principal_arn: str) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(_ROLES)}"
    statement: dict = {
        "Effect": "Allow",
        "Principal": _names_for(rng, caller, principal_arn),
        "Action": "sts:AssumeRole",
    }
    if rng.random() < 0.3:
        statement["Condition"] = rng.choice(_CONDITIONS)
    trust = [statement]
    if rng.random() < 0.15:
        trust.append(
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": rng.choice(_CONDITIONS)}
        )
    case["trust_policy"] = _document(*trust)
    if rng.random() < 0.6:
        pattern = rng.choice([role, f"arn:aws:iam::{ACCOUNT}:role/*", "*"])
        case["identity_policies"].append(
            _document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": pattern})
        )
    case["request"]["action"] = "sts:AssumeRole"
    case["request"]["resource"] = role
    case["request"]["resource_account"] = ACCOUNT


def case(rng: random.Random, number: int, category: str) -> dict:
    """One case of `category`; other layers join at random so the layers also meet each other."""
    session = category == "session" or (category in ("resource", "trust") and rng.random() < 0.3)
    caller, principal_arn, username = _principal(rng, session)
    family = rng.choice(_WITH_POLICIES if category == "resource" else _FAMILIES)
    service, actions, resources = family
    action, resource = rng.choice(actions), rng.choice(resources)
    cross = category == "resource" and rng.random() < 0.2
    result: dict = {
        "id": f"case-{number}",
        "category": category,
        "identity_policies": [_policy(rng, family, action, resource) for _ in range(rng.randint(0, 3))],
        "permission_boundary": None,
        "guardrails": None,
        "resource_policy": None,
        "trust_policy": None,
        "session_policy": None,
        "request": {
            "principal": caller,
            "action": f"{service}:{action}",
            "resource": resource,
            "resource_account": OTHER_ACCOUNT if cross else ACCOUNT,
            "context": _context(rng, principal_arn, username, rng.choice(["dev", "ops", "contractor", ""])),
        },
    }
    if category == "trust":
        _trust_case(rng, result, caller, principal_arn)
    elif category == "resource" or rng.random() < 0.1:
        result["resource_policy"] = _resource_policy(rng, family, action, resource, caller, principal_arn)
    if category == "boundary" or rng.random() < 0.1:
        result["permission_boundary"] = _policy(rng, family, action, resource, deny_chance=0.05)
    if category == "guardrails" or rng.random() < 0.1:
        result["guardrails"] = _guardrails(rng, family, action, resource)
    if session and (category == "session" or rng.random() < 0.3):
        result["session_policy"] = _policy(rng, family, action, resource, deny_chance=0.05)
    return result


def corpus(count: int = 3000, seed: int = 14) -> list[dict]:
    """`count` cases, the categories in turn, from `seed`."""
    rng = random.Random(seed)
    return [case(rng, number, CATEGORIES[number % len(CATEGORIES)]) for number in range(count)]


def lines(cases: list[dict]) -> list[str]:
    return [json.dumps(found, separators=(",", ":")) for found in cases]
