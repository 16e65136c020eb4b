"""The `handoff` command line: every command group, added by name."""

from __future__ import annotations

import traceback
from typing import Any, NoReturn

import click

from schemas.errors import HandoffError
from streams.cli.accounts import accounts
from streams.cli.db import db
from streams.cli.dlq import dlq
from streams.cli.erase import erase
from streams.cli.lag import lag
from streams.cli.nurture import nurture
from streams.cli.queue import queue
from streams.cli.report import report
from streams.cli.rules import rules
from streams.cli.run import broker, demo, sink, up, worker
from streams.cli.schemas import schemas
from streams.cli.send import send
from streams.cli.serve import serve
from streams.cli.sinks import sinks
from streams.cli.trace import trace
from streams.cli.users import users

EXIT_CODES = """\b
Exit codes:
  0  done
  1  a user error: a bad option, value, file or policy, or a database not migrated
  2  a probe failed (handoff lag: a partition is STALL or STOP)
  3  nothing to do
  4  a dependency cannot be reached (Kafka, the database)
  70 a bug in Handoff (the traceback is printed; please report it)
"""
EXIT_BUG = 70


class HandoffGroup(click.Group):
    """The top-level group: turns a Handoff error into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HandoffError as exc:
            click.echo(f"handoff: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except click.UsageError as exc:
            # One line that names the option and where to read about it, exit 1 as documented.
            where = exc.ctx.command_path if exc.ctx else "handoff"
            click.echo(f"handoff: {exc.format_message().rstrip('.')}; see `{where} --help`", err=True)
            ctx.exit(1)
        except click.ClickException as exc:
            # The same one line as a Handoff error, whichever way a command reported it.
            click.echo(f"handoff: {exc.format_message()}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            if exc.filename is None:
                _report_bug(ctx)
            # A file the user named is missing, unreadable or unwritable: their fix, not a bug.
            click.echo(
                f"handoff: {exc.filename}: {exc.strerror}; check the path and its permissions", err=True
            )
            ctx.exit(1)
        except Exception:  # noqa: BLE001 - the last resort: say it is a bug, never hide the traceback
            _report_bug(ctx)


def _report_bug(ctx: click.Context) -> NoReturn:
    """Print the traceback being handled, say it is a bug, exit 70."""
    traceback.print_exc()
    click.echo(
        "handoff: this is a bug in Handoff, not something you did; please report it with the traceback above",
        err=True,
    )
    ctx.exit(EXIT_BUG)


@click.group(cls=HandoffGroup, epilog=EXIT_CODES)
@click.version_option(package_name="handoff")
def main() -> None:
    """Handoff: route website leads to sales queues within seconds, with a reason for every decision."""


for command in (
    demo,
    up,
    broker,
    worker,
    sink,
    send,
    serve,
    lag,
    dlq,
    rules,
    accounts,
    queue,
    report,
    erase,
    db,
    schemas,
    trace,
    nurture,
    users,
    sinks,
):
    main.add_command(command)
