"""Access expectations: stored tests of access ("mia may storage:GetObject on
production-data/*", "anyone but Operations may not storage:DeleteBucket on production-*")
that every change through the rule table must keep (docs/expectations.md).

`definition` reads their JSON form, `evaluation` decides them through the one door,
`state` keeps their latest state and holds the guard that refuses a change breaking one.
"""

from policies.expectations.definition import Definition, read_definition, read_file
from policies.expectations.evaluation import NO_SUCH_PRINCIPAL, Failure, Result, check_all
from policies.expectations.state import OVERRIDE_ACTION, check_rows, definition_of

__all__ = [
    "NO_SUCH_PRINCIPAL",
    "OVERRIDE_ACTION",
    "Definition",
    "Failure",
    "Result",
    "check_all",
    "check_rows",
    "definition_of",
    "read_definition",
    "read_file",
]
