"""CSV that a spreadsheet opens as data, never as formulas.

A cell starting with = + - @, a tab or a carriage return may be evaluated by a
spreadsheet (OWASP, CSV injection), and names, tags, ARNs and typed actions
can start so. Every CSV the console exports writes its rows through here, so
each such cell gets a leading single quote and is shown as the text it was.
"""

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: object) -> str:
    """The cell as text, with a leading ' when a spreadsheet would run it as a formula."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class CSVWriter:
    """csv.writer whose every cell is made inert first."""

    def __init__(self, out) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([inert(cell) for cell in row])


class _Line:
    """A file-like object whose write() hands back the line, for a streamed answer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, for a StreamingHttpResponse."""
    writer = CSVWriter(_Line())
    for row in rows:
        yield writer.writerow(row)
