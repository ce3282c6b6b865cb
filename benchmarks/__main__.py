"""`python -m benchmarks <command> [options]`: Django's command line with the benchmarks' settings.

    python -m benchmarks bench_pages --repeat 3
    python -m benchmarks help          # every command, the benchmarks' among them

It is manage.py with DJANGO_SETTINGS_MODULE set to benchmarks.settings (always:
under the product's settings the benchmark commands do not exist).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["python -m benchmarks", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
