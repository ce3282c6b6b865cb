"""The CSV writer every export uses: no cell a spreadsheet would run as a formula."""

import csv
import io

import pytest

from identities.exports import CSVWriter, csv_lines, inert


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_gets_a_leading_quote(start):
    assert inert(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("cell", ["mia", "arn:aws:iam::123456789012:user/mia", "a=b", " =1", "", None, 42])
def test_other_cells_are_written_as_they_are(cell):
    assert inert(cell) == ("" if cell is None else str(cell))


def test_the_writer_and_the_streamed_lines_read_back_as_the_quoted_text():
    rows = [["name", "note"], ["=1+2", "\r\n@cmd"]]
    out = io.StringIO(newline="")
    for row in rows:
        CSVWriter(out).writerow(row)
    streamed = "".join(csv_lines(rows))
    assert streamed == out.getvalue()
    assert list(csv.reader(io.StringIO(streamed, newline=""))) == [["name", "note"], ["'=1+2", "'\r\n@cmd"]]
