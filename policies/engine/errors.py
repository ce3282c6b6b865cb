"""Findings and the engine's own error types."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.Enum):
    """How serious a finding is, in IAM Access Analyzer's words."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or remark about a document, with its place in it.

    `path` is a JSON path such as `Statement[0].Condition.StringEquals`;
    `line` and `column` (1-based) are known only when the document was text.
    """

    level: Level
    code: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict:
        return {
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
        }

    def __str__(self) -> str:
        place = self.path or "(document)"
        if self.line is not None:
            place = f"{place} (line {self.line}, column {self.column})"
        return f"{self.level.value} {self.code} at {place}: {self.message}"


class PolicyError(ValueError):
    """A document that cannot be read; `findings` lists every problem found."""

    def __init__(self, findings: list[Finding] | tuple[Finding, ...]):
        self.findings = tuple(findings)
        super().__init__("; ".join(str(finding) for finding in self.findings))


class RequestError(ValueError):
    """A request that cannot be evaluated (missing or ill-typed fields)."""
