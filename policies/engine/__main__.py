"""`python -m policies.engine simulate | validate FILE`.

The engine's benchmark lives outside the engine: `python -m benchmarks.engine`.
"""

from __future__ import annotations

import argparse
import sys

from .errors import Level
from .validate import DOCUMENT_KINDS, DocumentKind, validate_policy


def _validate(path: str, kind: str, size_limit: int | None) -> int:
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as error:
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 2
    findings = validate_policy(source, kind=kind, size_limit=size_limit)
    for finding in findings:
        print(finding)
    if not findings:
        print("no findings")
    return 1 if any(finding.level is Level.ERROR for finding in findings) else 0


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of characters above 0")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policies.engine", epilog="The engine's benchmark is python -m benchmarks.engine."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser("simulate", help="decide JSON Lines cases from standard input")
    simulate.add_argument("--explain", action="store_true", help="add the deciding statements")
    validate = commands.add_parser("validate", help="print a policy file's findings")
    validate.add_argument("file")
    kinds = ", ".join(f"{kind.value} {limit or 'none'}" for kind, (_, limit) in DOCUMENT_KINDS.items())
    validate.add_argument(
        "--kind",
        default=DocumentKind.CUSTOMER_MANAGED.value,
        choices=[kind.value for kind in DocumentKind] + ["identity"],
        help=f"what the document is, which sets its grammar and size quota ({kinds}); identity is customer-managed",
    )
    validate.add_argument(
        "--size-limit", type=_positive, help="the quota in characters without white space, instead of the kind's"
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "simulate":
        from .simulate import run

        return run(sys.stdin, sys.stdout, explain=arguments.explain)
    return _validate(arguments.file, arguments.kind, arguments.size_limit)


if __name__ == "__main__":
    sys.exit(main())
