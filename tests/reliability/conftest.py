"""Fixtures of the fault-injection suite: a fresh PostgreSQL schema with the queue tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from sinks.store import create_schema, make_engine
from tests.conftest import PG_URL, _pg_available


def pg_schema_url(base: str, schema: str) -> str:
    """A database URL whose connections use ``schema``."""
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema with the queue tables; dropped afterwards."""
    why = _pg_available()
    if why:
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable ({why})")
    schema = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_schema_url(PG_URL, schema))
    create_schema(engine)
    engine.dispose()
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
