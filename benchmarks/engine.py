"""`python -m benchmarks.engine [--quick]`: the engine's decisions per second and latencies.

Figures only; nothing here asserts a time. Scenarios follow issue 3: one
statement; a principal at AWS's quotas (10 groups x 10 managed policies x
20 statements plus 20 policies of its own, wildcards, conditions on half
the statements) allowed and implicitly denied; the cold parse and compile
of that principal; and the simulate driver's throughput. Then, when vakt is installed
(`pip install -r benchmarks/requirements.txt`), the same decisions side by
side with vakt's: one statement (the same request again, which a policy set
remembers, and a new resource each call, which it cannot), and a 2,400-statement
principal allowed and implicitly denied, each with a fresh request per call as a
caller builds it;
the median of interleaved rounds of the ratio of vakt's time to the engine's.

The standard library and the engine only, as the engine itself: no Django
(vakt is imported only for the comparison).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable

from policies.engine import PolicySet, Request, authorize, compile_policies, conditions, match, variables
from policies.engine.simulate import answer

ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:user/division/alice"
SERVICES = [f"svc{number}" for number in range(40)]
VERBS = ["Get", "List", "Put", "Delete", "Describe", "Create", "Update", "Tag"]
CONTEXT = {
    "aws:username": "alice",
    "aws:PrincipalTag/team": "dev",
    "aws:SourceIp": "10.1.2.3",
    "aws:MultiFactorAuthPresent": "true",
    "aws:SecureTransport": "true",
    "aws:CurrentTime": "2026-11-28T10:00:00Z",
}
CONDITION_BLOCKS = [
    {"StringEquals": {"aws:PrincipalTag/team": ["dev", "ops"]}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "Bool": {"aws:SecureTransport": True}},
]


def _statement(rng: random.Random, index: int) -> dict:
    service = rng.choice(SERVICES)
    actions = [f"{service}:{rng.choice(VERBS)}{rng.choice(['Item', 'Thing', '*'])}" for _ in range(3)]
    resource = f"arn:aws:{service}:*:{ACCOUNT}:item/{rng.choice(['*', 'team-*/*', 'x?/*'])}"
    statement = {"Sid": f"S{index}", "Effect": "Allow", "Action": actions, "Resource": [resource]}
    if index % 2:
        statement["Condition"] = rng.choice(CONDITION_BLOCKS)
    if index % 37 == 0:
        statement["Effect"] = "Deny"
        statement["Action"] = [f"{service}:DeleteEverything"]
    return statement


def quota_documents(seed: int = 7) -> list[tuple[str, str]]:
    """(label, JSON text) for 10 groups x 10 managed x 20 statements and 20 own policies."""
    rng = random.Random(seed)
    documents = []
    counter = 0
    for group in range(10):
        for number in range(10):
            statements = []
            for _ in range(20):
                statements.append(_statement(rng, counter))
                counter += 1
            label = f"arn:aws:iam::{ACCOUNT}:policy/group{group}-policy{number} v1"
            documents.append((label, json.dumps({"Version": "2012-10-17", "Statement": statements})))
    for number in range(20):
        statements = [_statement(rng, counter + i) for i in range(5)]
        counter += 5
        documents.append((f"inline:alice/{number}", json.dumps({"Version": "2012-10-17", "Statement": statements})))
    allow_target = {
        "Sid": "Target",
        "Effect": "Allow",
        "Action": "svc3:GetReport*",
        "Resource": f"arn:aws:svc3:*:{ACCOUNT}:report/${{aws:username}}/*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "dev"}},
    }
    documents.append(("inline:alice/target", json.dumps({"Version": "2012-10-17", "Statement": [allow_target]})))
    return documents


def _measure(call: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    """(operations per second, p50 µs, p99 µs) over `rounds` calls."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(min(rounds // 10, 1000)):
        call()
    started = clock()
    for _ in range(rounds):
        before = clock()
        call()
        samples.append(clock() - before)
    total = clock() - started
    samples.sort()
    return rounds / (total / 1e9), samples[len(samples) // 2] / 1e3, samples[int(len(samples) * 0.99)] / 1e3


def _report(name: str, figures: tuple[float, float, float], unit: str = "decisions") -> None:
    rate, p50, p99 = figures
    print(f"{name:<44} {rate:>11,.0f} {unit}/s   p50 {p50:>9.1f} µs   p99 {p99:>9.1f} µs")


def _cold_compile(documents: list[tuple[str, str]]) -> PolicySet:
    # The engine's own memo caches, which only its modules expose (the package exports no way to empty them).
    for cache in (
        match.compile_arn,
        match.compile_glob,
        match.compile_action,
        variables.parse_template,
        conditions.parse_network,
    ):
        cache.cache_clear()
    return compile_policies(documents)


def _small_policy(rng: random.Random, service: str, effect: str = "Allow") -> dict:
    statements = []
    for _ in range(rng.randint(1, 3)):
        statement = {
            "Effect": effect,
            "Action": [f"{service}:{rng.choice(VERBS)}{rng.choice(['Item', '*'])}" for _ in range(rng.randint(1, 2))],
            "Resource": rng.choice(
                ["*", f"arn:aws:{service}:*:{ACCOUNT}:item/*", f"arn:aws:{service}:*:*:item/team-?/*"]
            ),
        }
        if rng.random() < 0.4:
            statement["Condition"] = rng.choice(CONDITION_BLOCKS)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def simulate_lines(count: int, seed: int = 11) -> list[str]:
    """Typical simulate cases: a few small policies each, sometimes more layers."""
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        service = rng.choice(SERVICES[:5])
        case = {
            "id": f"case-{number}",
            "identity_policies": [_small_policy(rng, service) for _ in range(rng.randint(1, 3))],
            "permission_boundary": _small_policy(rng, service) if rng.random() < 0.3 else None,
            "guardrails": [[_small_policy(rng, service), _small_policy(rng, service, "Deny")]]
            if rng.random() < 0.2
            else None,
            "resource_policy": None,
            "trust_policy": None,
            "session_policy": None,
            "request": {
                "principal": PRINCIPAL,
                "action": f"{service}:{rng.choice(VERBS)}Item",
                "resource": f"arn:aws:{service}:us-east-1:{ACCOUNT}:item/team-a/x",
                "context": CONTEXT,
            },
        }
        lines.append(json.dumps(case))
    return lines


def _quota_scenarios(scale: int) -> None:
    documents = quota_documents()
    quota = compile_policies(documents)
    allowed = Request(PRINCIPAL, "svc3:GetReportSummary", f"arn:aws:svc3:us-east-1:{ACCOUNT}:report/alice/q3", CONTEXT)
    denied = Request(PRINCIPAL, "svc3:GetReportSummary", f"arn:aws:svc3:us-east-1:{ACCOUNT}:report/bob/q3", CONTEXT)
    if not authorize(allowed, identity=quota).allowed or authorize(denied, identity=quota).allowed:
        raise RuntimeError("the quota scenario no longer decides as designed")
    print(f"    quota principal: {len(documents)} policies, {len(quota)} statements")
    _report("(2) quota principal, allowed", _measure(lambda: authorize(allowed, identity=quota), 50_000 // scale))
    _report("(3) quota principal, implicit deny", _measure(lambda: authorize(denied, identity=quota), 50_000 // scale))
    _report("(4) cold parse + compile of (2)", _measure(lambda: _cold_compile(documents), 100 // scale), "compiles")


def _simulate_scenario(scale: int) -> None:
    lines = simulate_lines(2000)
    position = iter(range(10**9))
    call = lambda: answer(lines[next(position) % len(lines)])  # noqa: E731 - a one-line probe
    _report("(5) simulate, typical cases", _measure(call, 20_000 // scale), "cases")
    started = time.perf_counter()
    for line in lines:
        answer(line)
    elapsed = time.perf_counter() - started
    print(f"    simulate end to end: {len(lines) / elapsed:,.0f} cases/s over {len(lines)} cases")


def _call_overhead_ns() -> float:
    """A plain function call's cost, to compare runs on a machine whose speed varies."""

    def nothing() -> None:
        return None

    started = time.perf_counter_ns()
    for _ in range(200_000):
        nothing()
    return (time.perf_counter_ns() - started) / 200_000


ONE_STATEMENT = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"},
}
TARGET = {
    "Sid": "Target",
    "Effect": "Allow",
    "Action": "svc3:GetReport*",
    "Resource": f"arn:aws:svc3:*:{ACCOUNT}:report/${{aws:username}}/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "dev"}},
}


def large_principal(statements: int = 2400, seed: int = 5) -> list[dict]:
    """`statements` statements in policies of 20, the last allowing the compared request."""
    rng = random.Random(seed)
    found = [_statement(rng, index) for index in range(statements - 1)] + [TARGET]
    return [{"Version": "2012-10-17", "Statement": found[start : start + 20]} for start in range(0, statements, 20)]


def _per_call_seconds(call: Callable[[], object], calls: int) -> float:
    clock = time.perf_counter
    started = clock()
    for _ in range(calls):
        call()
    return (clock() - started) / calls


def versus_vakt(*, rounds: int = 5, scale: int = 1, statements: int = 2400) -> dict[str, float] | None:
    """Print and return the median ratio (vakt's time per decision / the engine's) per scenario."""
    try:
        from benchmarks import vakt_peer
    except ImportError:
        print("    vakt is not installed (pip install -r benchmarks/requirements.txt): no comparison")
        return None
    username = {"aws:username": PRINCIPAL.rsplit("/", 1)[1]}
    report = f"arn:aws:svc3:us-east-1:{ACCOUNT}:report/"
    scenarios = []
    # More distinct resources than a policy set remembers decisions for: every call decides afresh.
    fresh_keys = [f"arn:aws:s3:::example-bucket/report-{number}.csv" for number in range(10_000)]
    for name, documents, action, resource, calls in (
        ("one statement, allowed", [ONE_STATEMENT], "s3:GetObject", "arn:aws:s3:::example-bucket/a.csv", 20_000),
        ("one statement, a new resource each call", [ONE_STATEMENT], "s3:GetObject", fresh_keys, 20_000),
        (
            f"{statements} statements, allowed",
            large_principal(statements),
            "svc3:GetReportSummary",
            report + "alice/q3",
            2_000,
        ),
        (
            f"{statements} statements, implicit deny",
            large_principal(statements),
            "svc3:GetReportSummary",
            report + "bob/q3",
            2_000,
        ),
    ):
        policy_set = compile_policies(documents)
        guard = vakt_peer.guard(documents, username)

        resources = [resource] if isinstance(resource, str) else resource
        engine_resource, vakt_resource = (itertools.cycle(resources).__next__ for _ in range(2))

        def engine(action=action, policy_set=policy_set, resource=engine_resource):
            return authorize(Request(PRINCIPAL, action, resource(), dict(CONTEXT)), identity=policy_set).allowed

        def vakt(action=action, guard=guard, resource=vakt_resource):
            return guard.is_allowed(vakt_peer.inquiry(PRINCIPAL, action, resource(), dict(CONTEXT)))

        if engine() != vakt():
            raise RuntimeError(f"vakt and the engine disagree on {name!r}")
        scenarios.append((name, engine, vakt, max(calls // scale, 20), len(policy_set)))
    ratios: dict[str, list[float]] = {name: [] for name, *_ in scenarios}
    for _ in range(rounds):
        for name, engine, vakt, calls, _size in scenarios:
            engine_time = _per_call_seconds(engine, calls)
            vakt_time = _per_call_seconds(vakt, max(calls // 50, 10) if _size > 1 else calls)
            ratios[name].append(vakt_time / engine_time)
    medians = {}
    print(f"    versus vakt 1.6.0, median of {rounds} interleaved rounds (vakt's time / the engine's):")
    for name, found in ratios.items():
        medians[name] = statistics.median(found)
        spread = ", ".join(f"{ratio:.1f}" for ratio in found)
        print(f"(v) {name:<40} {medians[name]:>8.1f} times vakt's speed   rounds: {spread}")
    return medians


def run_all(*, quick: bool = False) -> int:
    scale = 10 if quick else 1
    print(f"    python function call: {_call_overhead_ns():.0f} ns (machine speed reference)")
    one = compile_policies(
        [
            (
                "one",
                {
                    "Version": "2012-10-17",
                    "Statement": {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::example-bucket/*",
                    },
                },
            )
        ]
    )
    one_request = Request(PRINCIPAL, "s3:GetObject", "arn:aws:s3:::example-bucket/report.csv", CONTEXT)
    _report("(1) one statement, allowed", _measure(lambda: authorize(one_request, identity=one), 200_000 // scale))
    _quota_scenarios(scale)
    _simulate_scenario(scale)
    versus_vakt(rounds=3 if quick else 5, scale=scale)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine", description="Print the engine's decisions per second and latencies."
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the rounds")
    arguments = parser.parse_args(argv)
    return run_all(quick=arguments.quick)


if __name__ == "__main__":
    sys.exit(main())
