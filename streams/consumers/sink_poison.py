"""Tell a store that is down from a handoff the store will never take, and set the latter aside.

A connection failure is retried from Kafka for as long as it lasts. Any other failure that
repeats is a poison handoff (a bug or a constraint it breaks): the batch is written one
handoff at a time, and the ones that still fail become dead letters, so one bad record
cannot stall its partition for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exc as sa_exc

from sinks.writer import SalesQueueSink

# Failures of the same batch, other than a lost connection, before it is split up.
POISON_STRIKES = 3


def is_transient(error: BaseException) -> bool:
    """True when the store is unreachable or busy, rather than refusing this data."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(
        error,
        (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.DisconnectionError,
            sa_exc.TimeoutError,
            ConnectionError,
            OSError,
        ),
    )


def write_one_by_one(writer: SalesQueueSink[Any], items: Sequence[Any]) -> list[tuple[Any, BaseException]]:
    """Write each item in its own transaction; return the ones the store refused.

    A transient failure is raised: the whole batch is then retried from Kafka.
    """
    refused: list[tuple[Any, BaseException]] = []
    for item in items:
        try:
            result = writer.write([item])
        except Exception as error:  # noqa: BLE001 - sorted into transient (raised) and poison
            if is_transient(error):
                raise
            refused.append((item, error))
            continue
        writer.totals.queued += result.queued
        writer.totals.attached += result.attached
        writer.totals.duplicates += result.duplicates
    return refused
