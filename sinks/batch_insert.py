"""Batch INSERTs written once per table and run with one call per batch.

- SQLite: executemany, which the driver runs row by row inside SQLite.
- PostgreSQL: the whole batch bound as one JSON array that ``json_populate_recordset``
  reads into the table's own column types (so an over-long value is refused, never cut
  short): one parameter per statement, where an executemany sends and encodes a statement
  per row, and a multi-row VALUES list is compiled afresh for every batch size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, TextClause, text


def recordset_insert(table: Table, columns: Sequence[str], tail: str = "") -> TextClause:
    """PostgreSQL: INSERT of a batch bound as one JSON array, read into the table's own column types."""
    names = ", ".join(columns)
    rows = f"json_populate_recordset(NULL::{table.name}, CAST(:rows AS json))"
    # Names from the table definitions only; the rows are one bound parameter.
    return text(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {rows}{tail}")  # noqa: S608


class SqliteRows:
    """SQLite: an INSERT written once and run by the driver's executemany.

    Each value is converted by its column type's own bind processor, as SQLAlchemy would,
    once per distinct value (a batch shares its ``now``); a column named ``handoff`` holds
    the event's JSON, which is text already.
    """

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str], tail: str = "") -> None:
        marks = ", ".join("?" for _ in columns)
        # Names from the table definitions only; every value is bound.
        self.sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}){tail}"  # noqa: S608
        self.columns = [
            (c, None if c == "handoff" else table.c[c].type.dialect_impl(dialect).bind_processor(dialect))
            for c in columns
        ]

    def run(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        """Insert the rows; how many were new."""
        converted: list[dict[Any, Any]] = [{} for _ in self.columns]

        def value(row: dict[str, Any], i: int) -> Any:
            column, process = self.columns[i]
            raw = row[column]
            if process is None or raw is None:
                return raw
            seen = converted[i]
            if raw not in seen:
                seen[raw] = process(raw)
            return seen[raw]

        span = range(len(self.columns))
        params = [tuple(value(row, i) for i in span) for row in rows]
        return int(conn.exec_driver_sql(self.sql, params).rowcount)
