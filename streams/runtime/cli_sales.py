"""`handoff queue`, `handoff report funnel`, `handoff erase` and `handoff db`: the sales side."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from schemas import FeedbackAction
from sinks.transitions import QueueError
from streams.runtime.settings import Settings, load_settings

_REP = click.option("--rep", envvar="HANDOFF_REP", required=True,
                    help="Who you are in the queue roster (or set HANDOFF_REP).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _desk(settings: Settings | None = None) -> Any:
    from streams.runtime.sales_desk import SalesDesk

    return SalesDesk(settings or load_settings())


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def render_items(items: list[dict[str, Any]]) -> str:
    """A queue as a fixed-width table."""
    if not items:
        return "no handoffs match"
    head = f"{'HANDOFF':<36}  {'QUEUE':<13}{'STAGE':<6}{'SCORE':>5}  {'STATUS':<9}{'OWNER':<15}" \
           f"{'DUE (UTC)':<18}{'COMPANY / NAME'}"
    lines = [head]
    for i in items:
        who = " / ".join(x for x in (i["company"], i["full_name"]) if x) or "(erased)"
        lines.append(f"{i['handoff_id']:<36}  {i['queue']:<13}{i['stage']:<6}{i['score']:>5}  "
                     f"{i['status']:<9}{(i['owner'] or '-'):<15}{_when(i['sla_due_at']):<18}{who}")
    return "\n".join(lines)


def _print_done(done: Any, as_json: bool) -> None:
    item = done.item
    if as_json:
        click.echo(json.dumps({**item, "published": done.published}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_items([item]))
    if not done.published:
        click.echo("warning: recorded, but the broker did not confirm the feedback event; "
                   "it will be re-sent", err=True)


@click.group("queue")
def queue() -> None:
    """Work a sales queue: list, claim the next lead, accept, reject, record the outcome."""


@queue.command("list")
@click.option("--queue", "queue_name", help="Only this queue.")
@click.option("--owner", help="Only this rep's handoffs.")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "claimed", "accepted", "rejected", "closed"]),
              help="Only these statuses (repeatable; default open, claimed and accepted).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_JSON
def list_cmd(queue_name: str | None, owner: str | None, statuses: tuple[str, ...], limit: int,
             as_json: bool) -> None:
    """List handoffs, most urgent first."""
    with _desk() as desk:
        items = desk.items(queue=queue_name, owner=owner,
                           status=statuses or ("open", "claimed", "accepted"), limit=limit)
    click.echo(json.dumps(items, ensure_ascii=False, indent=2) if as_json else render_items(items))


@queue.command("next")
@click.option("--queue", "queue_name", required=True, help="The queue to take from.")
@_REP
@_JSON
def next_cmd(queue_name: str, rep: str, as_json: bool) -> None:
    """Claim the most urgent open lead of a queue (one that is unassigned or already yours)."""
    with _desk() as desk:
        done = desk.claim_next(queue=queue_name, rep=rep)
    if done is None:
        click.echo(f"nothing to claim in {queue_name}", err=True)
        sys.exit(3)
    _print_done(done, as_json)


def _action_command(name: str, action: FeedbackAction, help_text: str, with_reason: bool) -> click.Command:
    @click.argument("handoff_id")
    @_REP
    @_JSON
    def command(handoff_id: str, rep: str, as_json: bool, reason: str | None = None) -> None:
        with _desk() as desk:
            try:
                done = desk.act(handoff_id=handoff_id, action=action, rep=rep, reason=reason)
            except QueueError as exc:
                raise click.ClickException(str(exc)) from None
        _print_done(done, as_json)

    if with_reason:
        # Checked against the configured codes when run, so a bad setting never breaks --help.
        command = click.option("--reason", required=True,
                               help="A reason code (see `handoff queue reasons`).")(command)
    return click.command(name, help=help_text)(command)


for _name, _action, _help, _reason in (
    ("claim", FeedbackAction.CLAIMED, "Claim a particular open lead (see also `next`).", False),
    ("accept", FeedbackAction.ACCEPTED, "Accept a lead: you will work it.", False),
    ("reject", FeedbackAction.REJECTED, "Reject a lead, with a reason marketing can learn from.", True),
    ("contacted", FeedbackAction.CONTACTED,
     "Record that you contacted the lead (the first contact is the first touch).", False),
    ("won", FeedbackAction.WON, "Close an accepted lead as won.", False),
    ("lost", FeedbackAction.LOST, "Close an accepted lead as lost, with a reason.", True),
):
    queue.add_command(_action_command(_name, _action, _help, _reason))


@queue.command("reasons")
def reasons_cmd() -> None:
    """The reason codes for reject and lost (HANDOFF_REJECT_REASONS, HANDOFF_LOST_REASONS)."""
    settings = load_settings()
    click.echo("reject: " + ", ".join(settings.reject_reasons))
    click.echo("lost:   " + ", ".join(settings.lost_reasons))


@click.group("report")
def report() -> None:
    """Reports for marketing and sales."""


def render_funnel(rows: list[Any], by: str) -> str:
    """Funnel rows as a fixed-width table."""
    if not rows:
        return "no handoffs yet"
    lines = [f"{by.upper():<34}{'HANDED':>7}{'ACCEPT':>7}{'ACC%':>6}{'REJECT':>7}{'WON':>5}{'LOST':>5}"
             f"{'TOUCH(h)':>9}  TOP REJECT REASONS"]
    for r in rows:
        rate = f"{100 * r.accepted / r.handed_off:.0f}" if r.handed_off else "-"
        touch = "-" if r.median_first_touch_s is None else f"{r.median_first_touch_s / 3600:.1f}"
        reasons = ", ".join(f"{k} {n}" for k, n in r.rejected_by_reason.most_common(3))
        lines.append(f"{r.key[:33]:<34}{r.handed_off:>7}{r.accepted:>7}{rate:>6}{r.rejected:>7}"
                     f"{r.won:>5}{r.lost:>5}{touch:>9}  {reasons}")
    return "\n".join(lines)


@report.command("funnel")
@click.option("--by", default="rule", show_default=True,
              type=click.Choice(["rule", "form", "source", "campaign", "queue"]))
@_JSON
def funnel_cmd(by: str, as_json: bool) -> None:
    """What sales did with the leads each rule, form, source, campaign or queue produced."""
    with _desk() as desk:
        rows = desk.funnel(by)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(render_funnel(rows, by))


@click.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, yes: bool) -> None:
    """Erase a person's data from the sales queue store and announce it on the erasure topic.

    Counts stay (the rows are kept, anonymous). Safe to run again.
    """
    from streams.client import DeliveryError
    from streams.logic.normalise import InvalidEmail

    if not yes:
        click.confirm(f"erase every handoff of {email}?", abort=True)
    with _desk() as desk:
        try:
            result, event = desk.erase(email)
        except InvalidEmail as exc:
            raise click.ClickException(f"not an email address: {exc}") from None
        except DeliveryError as exc:
            raise click.ClickException(f"erased in the database, but not announced ({exc}); "
                                       "run the command again") from None
    click.echo(f"erased {result.queue_rows} handoffs ({result.ledger_rows} ledger entries) of "
               f"person {event.lead_id}; announced on {desk.settings.topic_erasure}")


@click.group("db")
def db() -> None:
    """The sales queue database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate HANDOFF_DATABASE_URL to the newest schema (safe to run again)."""
    from sinks.migrate import upgrade
    from sinks.store import make_engine

    engine = make_engine(load_settings().database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"database schema: {before or 'empty'} -> {after}" if before != after
               else f"database schema already at {after}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, e.g. 'accounts table'.")
def db_revision(message: str) -> None:
    """Write the next migration from the models into sinks/migrations/versions (for developers).

    Compares the models with a database at the current head (HANDOFF_DATABASE_URL; a scratch
    SQLite file is fine after `handoff db upgrade`); review the file before committing it.
    """
    from sinks.migrate import SchemaOutOfDate, new_revision
    from sinks.store import make_engine

    engine = make_engine(load_settings().database_url)
    try:
        click.echo(new_revision(engine, message))
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@db.command("current")
def db_current() -> None:
    """Print the database's schema revision and the one this code needs."""
    from sinks.migrate import current_revision, head_revision
    from sinks.store import make_engine

    engine = make_engine(load_settings().database_url)
    try:
        click.echo(f"database: {current_revision(engine) or 'not migrated'}; code: {head_revision()}")
    finally:
        engine.dispose()


commands: list[click.Command] = [queue, report, erase, db]
