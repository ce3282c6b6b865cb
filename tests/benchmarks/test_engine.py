"""The engine's benchmark: valid scenarios, run as `python -m benchmarks.engine`, without Django."""

import pathlib
import re
import subprocess
import sys

from benchmarks.engine import ACCOUNT, CONTEXT, PRINCIPAL, large_principal, quota_documents, simulate_lines, versus_vakt
from policies.engine import Outcome, Request, authorize, compile_policies
from policies.engine.simulate import answer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def python(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_benchmark_scenarios_are_valid_inputs():
    quota = compile_policies(quota_documents())
    assert len(quota) == 10 * 10 * 20 + 20 * 5 + 1
    resource = f"arn:aws:svc3:us-east-1:{ACCOUNT}:report/alice/q3"
    decision = authorize(Request(PRINCIPAL, "svc3:GetReportSummary", resource, CONTEXT), identity=quota)
    assert decision.outcome is Outcome.ALLOW
    answers = [answer(line) for line in simulate_lines(50)]
    assert all(result["error"] is None and result["decision"] for result in answers)


def test_the_benchmark_imports_no_django():
    code = (
        "import sys, benchmarks.engine;"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not loaded, loaded"
    )
    result = python("-c", code)
    assert result.returncode == 0, result.stderr


def test_python_m_benchmarks_engine_prints_a_figure_for_every_scenario():
    result = python("-m", "benchmarks.engine", "--quick")
    assert result.returncode == 0, result.stderr
    numbered = re.findall(r"^\((\d)\) .+ [\d,]+ \w+/s +p50 +[\d.]+ µs +p99 +[\d.]+ µs$", result.stdout, re.M)
    assert numbered == ["1", "2", "3", "4", "5"]


def test_the_engines_own_command_line_no_longer_benchmarks_and_says_where_it_went():
    result = python("-m", "policies.engine", "--help")
    assert result.returncode == 0
    assert "{simulate,validate}" in result.stdout
    assert "python -m benchmarks.engine" in result.stdout
    assert python("-m", "policies.engine", "bench").returncode == 2


def test_the_comparison_with_vakt_agrees_with_the_engine_and_prints_a_ratio_per_scenario(capsys):
    ratios = versus_vakt(rounds=1, scale=1000, statements=40)
    printed = re.findall(r"^\(v\) (.+?) +([\d.]+) times vakt's speed", capsys.readouterr().out, re.M)
    assert [name for name, _ in printed] == [
        "one statement, allowed",
        "one statement, a new resource each call",
        "40 statements, allowed",
        "40 statements, implicit deny",
    ]
    # the figures themselves, not their one-decimal print (a descheduled round on a loaded machine prints 0.0)
    assert len(ratios) == 4 and all(ratio > 0 for ratio in ratios.values())


def test_the_large_principal_has_the_statements_asked_for_and_allows_the_compared_request():
    documents = large_principal(60)
    assert len(compile_policies(documents)) == 60
    resource = f"arn:aws:svc3:us-east-1:{ACCOUNT}:report/alice/q3"
    assert authorize(Request(PRINCIPAL, "svc3:GetReportSummary", resource, CONTEXT), identity=documents).allowed
    assert not authorize(
        Request(PRINCIPAL, "svc3:GetReportSummary", resource.replace("alice", "bob"), CONTEXT), identity=documents
    ).allowed
