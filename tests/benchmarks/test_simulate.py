"""The simulate benchmark: its corpus, our side without Node, and the peer where npm can install it."""

import pathlib
import re
import subprocess
import sys

import pytest

from benchmarks.simulate import Peer, PeerUnavailable, engine_round, install_peer, peer_simulation
from benchmarks.simulate_corpus import ACCOUNT, CATEGORIES, corpus, lines

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTCOMES = {"Allow", "ExplicitDeny", "ImplicitDeny"}


def test_the_corpus_is_the_same_for_a_seed_and_reaches_every_layer():
    cases = corpus(60, seed=3)
    assert lines(cases) == lines(corpus(60, seed=3))
    assert lines(cases) != lines(corpus(60, seed=4))
    assert {case["category"] for case in cases} == set(CATEGORIES)
    for layer in ("permission_boundary", "guardrails", "resource_policy", "trust_policy", "session_policy"):
        assert any(case[layer] is not None for case in cases), layer
    trust = [case for case in cases if case["category"] == "trust"]
    assert {case["request"]["action"] for case in trust} == {"sts:AssumeRole"}
    assert all(case["resource_policy"] is None and ":role/" in case["request"]["resource"] for case in trust)
    sessions = [case for case in cases if case["session_policy"] is not None]
    assert all(":assumed-role/" in case["request"]["principal"] for case in sessions)


def test_our_side_decides_every_generated_case_without_an_error():
    seconds, decisions = engine_round(lines(corpus(120, seed=5)))
    assert seconds > 0
    assert set(decisions) <= OUTCOMES
    assert {"Allow", "ImplicitDeny", "ExplicitDeny"} == set(decisions)


def test_a_case_reaches_the_peer_with_the_same_layers_under_its_names():
    case = next(case for case in corpus(60, seed=3) if case["guardrails"] and case["permission_boundary"])
    simulation = peer_simulation(case)
    assert simulation["request"]["resource"] == {
        "resource": case["request"]["resource"],
        "accountId": case["request"]["resource_account"],
    }
    assert [policy["policy"] for policy in simulation["identityPolicies"]] == case["identity_policies"]
    levels = simulation["serviceControlPolicies"]
    assert [[policy["policy"] for policy in level["policies"]] for level in levels] == case["guardrails"]
    assert simulation["permissionBoundaryPolicies"][0]["policy"] == case["permission_boundary"]
    trust = next(case for case in corpus(60, seed=3) if case["trust_policy"])
    assert peer_simulation(trust)["resourcePolicy"] == trust["trust_policy"]


def _peer_prefix() -> pathlib.Path:
    try:
        return install_peer()
    except PeerUnavailable as error:
        # Never a skip: the README's set-up and .ci/run give every machine node and npm.
        pytest.fail(f"the peer must run here (node and npm install it): {error}")


def _case(number: int, effect: str | None, action: str = "s3:GetObject") -> dict:
    statements = [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::example-reports/*"}]
    if effect == "Deny":
        statements.append({"Effect": "Deny", "Action": action, "Resource": "*"})
    return {
        "id": f"hand-{number}",
        "category": "identity",
        "identity_policies": [{"Version": "2012-10-17", "Statement": statements}] if effect else [],
        "permission_boundary": None,
        "guardrails": None,
        "resource_policy": None,
        "trust_policy": None,
        "session_policy": None,
        "request": {
            "principal": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "action": action,
            "resource": "arn:aws:s3:::example-reports/q3.csv",
            "resource_account": ACCOUNT,
            "context": {"aws:username": "alice"},
        },
    }


def test_the_peer_decides_cases_in_a_separate_node_process_as_written():
    cases = [_case(1, "Allow"), _case(2, "Deny"), _case(3, None), *corpus(24, seed=9)]
    peer = Peer(_peer_prefix(), cases)
    try:
        seconds, theirs = peer.round()
    finally:
        peer.close()
    assert seconds > 0 and len(theirs) == len(cases)
    assert theirs[:3] == ["Allow", "ExplicitDeny", "ImplicitDeny"]
    assert set(theirs) <= OUTCOMES, [found for found in theirs if found not in OUTCOMES]
    _, ours = engine_round(lines(cases))
    assert ours[:3] == theirs[:3]


def test_python_m_benchmarks_simulate_without_the_peer_prints_our_rate():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.simulate", "--no-peer", "--cases", "60", "--rounds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^    engine: [\d,]+ cases/s", result.stdout, re.M), result.stdout


def test_the_benchmark_imports_no_django():
    code = (
        "import sys, benchmarks.simulate;"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_fewer_than_three_rounds_are_refused():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.simulate", "--rounds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "at least 3 rounds" in result.stderr
