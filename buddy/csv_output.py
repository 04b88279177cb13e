"""Every CSV this app writes (impact exports, reports, matching's explanations) goes
through ``csv_writer``: a cell a spreadsheet would run as a formula is neutralised.

Imported text is stored as it arrived (``=HYPERLINK(…)`` may be a participant's note); it
is only made harmless where it leaves the app as CSV. A text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP, "CSV
injection"); numbers written as numbers are left alone (``-3`` stays a number).
"""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell is passed through ``neutralise_formula``."""

    def __init__(self, file, **kwargs):
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise_formula(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **kwargs) -> SafeCsvWriter:
    """The CSV writer to use for anything this app writes (same arguments as ``csv.writer``)."""
    return SafeCsvWriter(file, **kwargs)
