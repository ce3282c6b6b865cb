"""`python -m policies.engine simulate | validate FILE`.

The engine's benchmark lives outside the engine: `python -m benchmarks.engine`.
"""

from __future__ import annotations

import argparse
import sys

from .document import PolicyKind
from .errors import Level
from .validate import validate_policy


def _validate(path: str, kind: str) -> int:
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as error:
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 2
    findings = validate_policy(source, kind=kind)
    for finding in findings:
        print(finding)
    if not findings:
        print("no findings")
    return 1 if any(finding.level is Level.ERROR for finding in findings) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policies.engine", epilog="The engine's benchmark is python -m benchmarks.engine."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser("simulate", help="decide JSON Lines cases from standard input")
    simulate.add_argument("--explain", action="store_true", help="add the deciding statements")
    validate = commands.add_parser("validate", help="print a policy file's findings")
    validate.add_argument("file")
    validate.add_argument("--kind", default="identity", choices=[kind.value for kind in PolicyKind])
    arguments = parser.parse_args(argv)
    if arguments.command == "simulate":
        from .simulate import run

        return run(sys.stdin, sys.stdout, explain=arguments.explain)
    return _validate(arguments.file, arguments.kind)


if __name__ == "__main__":
    sys.exit(main())
