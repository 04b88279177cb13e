"""Whatever this app writes as CSV has spreadsheet formulas neutralised (CSV injection)."""

import csv
import io

import pytest

from buddy.csv_output import csv_writer, neutralise_formula


@pytest.mark.parametrize(
    "cell",
    [
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_cell_a_spreadsheet_would_evaluate_gets_a_leading_quote(cell):
    assert neutralise_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Coffee and a walk", "a=b", "", "'quoted", 3, -3, 0.5, None])
def test_other_cells_and_numbers_are_left_alone(cell):
    assert neutralise_formula(cell) == cell


def test_the_writer_neutralises_every_cell_it_writes():
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["title", '=HYPERLINK("x")', -1])
    writer.writerows([["@x", "ok", 2]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["title", '\'=HYPERLINK("x")', "-1"], ["'@x", "ok", "2"]]
