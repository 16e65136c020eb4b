"""Scorecard tables as CSV: UTF-8 with a byte-order mark, so Excel reads Japanese correctly."""

from __future__ import annotations

import csv
import io

from streams.desk.scorecard_tables import Table
from streams.web.scorecard_text import translate

BOM = "\ufeff"


def to_csv(table: Table, lang: str) -> str:
    """The table with translated headers and group names; numbers as they are, empty for none."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate(lang, c) for c in table.columns])
    for row in table.rows:
        first = translate(lang, str(row[0])) if row and row[0] is not None else ""
        writer.writerow([first, *("" if v is None else v for v in row[1:])])
    return out.getvalue()
