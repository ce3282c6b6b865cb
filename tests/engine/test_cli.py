"""The command line: simulate (JSON Lines), validate, and the engine's purity."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

CASES = [
    {
        "id": "allowed",
        "identity_policies": [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}
                ],
            }
        ],
        "permission_boundary": None,
        "guardrails": None,
        "resource_policy": None,
        "trust_policy": None,
        "session_policy": None,
        "category": "ignored",
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::example-bucket/report.csv",
            "context": {},
        },
    },
    {
        "id": 7,
        "identity_policies": [
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ],
        "guardrails": [
            [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                    ],
                }
            ]
        ],
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/x",
        },
    },
    {
        "id": "bad-doc",
        "identity_policies": [
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Conditon": {}}],
            }
        ],
        "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*"},
    },
    {"id": "no-request", "identity_policies": []},
    {
        "id": "unfit-value",
        "identity_policies": [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}},
                    }
                ],
            }
        ],
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "s3:ListBucket",
            "resource": "*",
            "context": {"s3:max-keys": "5"},
        },
    },
    {
        "id": "trust",
        "identity_policies": [],
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}],
        },
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "sts:AssumeRole",
            "resource": "arn:aws:iam::111122223333:role/admin",
        },
    },
]


def run(arguments, stdin_text=""):
    return subprocess.run(
        [sys.executable, "-m", "policies.engine", *arguments],
        input=stdin_text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_simulate_answers_every_line_in_order_and_goes_on_after_errors():
    lines = [json.dumps(case) for case in CASES[:3]] + ["this is not json", ""] + [json.dumps(c) for c in CASES[3:]]
    result = run(["simulate"], "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["id"], a["decision"]) for a in answers] == [
        ("allowed", "Allow"),
        (7, "ExplicitDeny"),
        ("bad-doc", None),
        (None, None),
        ("no-request", None),
        ("unfit-value", "ImplicitDeny"),
        ("trust", "ImplicitDeny"),
    ]
    assert answers[0]["error"] is None
    assert "Conditon" in answers[2]["error"]
    assert answers[3]["error"] and answers[4]["error"]
    assert answers[5]["findings"][0]["code"] == "BAD_CONDITION_VALUE"
    assert "explanation" not in answers[0]


def test_simulate_explain_adds_deciding_statements_and_blocking_layers():
    result = run(["simulate", "--explain"], "\n".join(json.dumps(c) for c in (CASES[1], CASES[5])))
    denied, trust = [json.loads(line) for line in result.stdout.splitlines()]
    assert denied["explanation"]["deciding"] == [
        {
            "layer": "guardrails[0]",
            "source": "guardrails[0][0]",
            "policy_index": 0,
            "statement_index": 1,
            "sid": None,
            "effect": "Deny",
        }
    ]
    assert trust["explanation"]["blocking_layers"] == ["identity"]


def test_validate_command_prints_findings_and_fails_on_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}}')
    result = run(["validate", str(bad)])
    assert result.returncode == 1
    assert "MISSING_RESOURCE" in result.stdout
    good = tmp_path / "good.json"
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    good.write_text(json.dumps({"Version": "2012-10-17", "Statement": statement}))
    assert run(["validate", str(good)]).returncode == 0


def test_engine_imports_without_django():
    code = (
        "import sys, policies.engine, policies.engine.simulate;"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


SIMULATED = [
    # (case without id, expected decision), each reasoned from AWS's rules (docs/policy-evaluation.md)
    (
        {
            "identity_policies": [],
            "guardrails": [
                [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]
            ],
            "request": {"principal": "arn:aws:iam::111122223333:root", "action": "iam:CreateUser", "resource": "*"},
        },
        "Allow",
    ),
    (
        {
            "identity_policies": [
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
            ],
            "request": {
                "principal": "arn:aws:iam::444455556666:user/bob",
                "action": "sqs:SendMessage",
                "resource": "arn:aws:sqs:us-east-1:111122223333:queue",
            },
        },
        "ImplicitDeny",
    ),
    (
        {
            "identity_policies": [],
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
                    "Action": "sts:AssumeRole",
                },
            },
            "request": {
                "principal": "arn:aws:iam::111122223333:user/alice",
                "action": "sts:AssumeRole",
                "resource": "arn:aws:iam::111122223333:role/admin",
            },
        },
        "Allow",
    ),
    (
        {
            "identity_policies": [
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}
            ],
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
            },
            "request": {
                "principal": "arn:aws:iam::111122223333:user/alice",
                "action": "sts:AssumeRole",
                "resource": "arn:aws:iam::111122223333:role/admin",
            },
        },
        "ImplicitDeny",
    ),
]


def test_simulate_layers_end_to_end():
    lines = "\n".join(json.dumps({"id": str(index), **case}) for index, (case, _) in enumerate(SIMULATED))
    result = run(["simulate"], lines)
    decisions = [json.loads(line)["decision"] for line in result.stdout.splitlines()]
    assert decisions == [expected for _, expected in SIMULATED]


def test_simulate_takes_documents_as_json_text_and_null_context_values_as_absent():
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:x": "true"}}},
        }
    )
    case = {
        "id": "text",
        "identity_policies": [document],
        "request": {
            "principal": "arn:aws:iam::1:user/a",
            "action": "s3:X",
            "resource": "*",
            "context": {"aws:x": None},
        },
    }
    result = run(["simulate"], json.dumps(case))
    assert json.loads(result.stdout) == {"id": "text", "decision": "Allow", "error": None}


def test_validate_command_takes_the_kind_of_document_and_a_size_limit(tmp_path):
    # 7,000 characters: over the customer managed quota (6,144), which AWS's own policies escape.
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/" + "x" * 6900}
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"Version": "2012-10-17", "Statement": statement}))
    refused = run(["validate", str(big)])
    assert (refused.returncode, "SIZE_LIMIT" in refused.stdout) == (1, True)
    assert run(["validate", "--kind", "aws-managed", str(big)]).returncode == 0
    assert run(["validate", "--kind", "inline-role", str(big)]).returncode == 0
    assert run(["validate", "--kind", "inline-group", str(big)]).returncode == 1
    limited = run(["validate", "--kind", "aws-managed", "--size-limit", "5000", str(big)])
    assert (limited.returncode, "the limit is 5000" in limited.stdout) == (1, True)
    wrong = run(["validate", "--size-limit", "0", str(big)])
    assert (wrong.returncode, "is not a whole number of characters above 0" in wrong.stderr) == (2, True)
