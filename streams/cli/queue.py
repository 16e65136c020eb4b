"""`handoff queue`: work a sales queue; every action emits feedback."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from schemas import FeedbackAction
from sinks.transitions import QueueError
from streams.cli.options import JSON, open_desk
from streams.core.settings import load_settings

_REP = click.option(
    "--rep", envvar="HANDOFF_REP", required=True, help="Who you are in the queue roster (or set HANDOFF_REP)."
)


def _when(iso: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M") if iso else "-"


def render_items(items: list[dict[str, Any]], zone: str = "UTC") -> str:
    """A queue as a fixed-width table, deadlines in ``zone``."""
    if not items:
        return "no handoffs match"
    tz = ZoneInfo(zone)
    due = f"DUE ({zone})"
    head = (
        f"{'HANDOFF':<36}  {'QUEUE':<13}{'STAGE':<6}{'SCORE':>5}  {'STATUS':<9}{'OWNER':<15}"
        f"{due:<{max(18, len(due) + 2)}}{'COMPANY / NAME'}"
    )
    lines = [head]
    for i in items:
        who = " / ".join(x for x in (i["company"], i["full_name"]) if x) or "(erased)"
        # A closed row says how it closed: won, lost or erased.
        status = (i.get("outcome") or i["status"]) if i["status"] == "closed" else i["status"]
        lines.append(
            f"{i['handoff_id']:<36}  {i['queue']:<13}{i['stage']:<6}{i['score']:>5}  "
            f"{status:<9}{(i['owner'] or '-'):<15}{_when(i['sla_due_at'], tz):<{max(18, len(due) + 2)}}{who}"
        )
    return "\n".join(lines)


def _print_done(done: Any, as_json: bool) -> None:
    item = done.item
    if as_json:
        click.echo(json.dumps({**item, "published": done.published}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_items([item]))
    if not done.published:
        click.echo(
            "warning: recorded, but the broker did not confirm the feedback event; it will be re-sent",
            err=True,
        )


@click.group("queue")
def queue() -> None:
    """Work a sales queue: list, claim the next lead, accept, reject, record the outcome."""


@queue.command("list")
@click.option("--queue", "queue_name", help="Only this queue.")
@click.option("--owner", help="Only this rep's handoffs.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["open", "claimed", "accepted", "rejected", "closed"]),
    help="Only these statuses (repeatable; default open, claimed and accepted).",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--tz",
    "zone",
    help="Time zone of the deadlines (default: the --owner's in the policy, or HANDOFF_DESK_TIMEZONE).",
)
@JSON
def list_cmd(
    queue_name: str | None,
    owner: str | None,
    statuses: tuple[str, ...],
    limit: int,
    zone: str | None,
    as_json: bool,
) -> None:
    """List handoffs, most urgent first."""
    from streams.desk.access import zone_of

    with open_desk() as desk:
        items = desk.items(
            queue=queue_name, owner=owner, status=statuses or ("open", "claimed", "accepted"), limit=limit
        )
        tz = zone or zone_of(desk.policy, owner or "", desk.settings.desk.timezone)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    try:
        click.echo(render_items(items, tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise click.UsageError(f"--tz {tz}: not a time zone name like Asia/Tokyo") from None


@queue.command("next")
@click.option("--queue", "queue_name", help="The queue to take from (default: every queue that lists you).")
@_REP
@JSON
def next_cmd(queue_name: str | None, rep: str, as_json: bool) -> None:
    """Claim the most urgent open lead (unassigned or already yours) of a queue, or of all your queues."""
    from streams.desk.access import queues_of

    with open_desk() as desk:
        if queue_name:
            done = desk.claim_next(queue=queue_name, rep=rep)
        else:
            mine = queues_of(desk.policy, rep, "rep")
            if not mine:
                raise click.ClickException(f"{rep} is on no queue roster of the policy: pass --queue")
            done = desk.claim_most_urgent(queues=mine, rep=rep)
    if done is None:
        click.echo(f"nothing to claim in {queue_name or ', '.join(mine)}", err=True)
        sys.exit(3)
    _print_done(done, as_json)


@queue.command("show")
@click.argument("handoff_id")
@click.option("--tz", "zone", help="Time zone for the deadline (default: the rep's in the policy, or UTC).")
@click.option("--rep", envvar="HANDOFF_REP", help="Whose time zone to use (or set HANDOFF_REP).")
@JSON
def show_cmd(handoff_id: str, zone: str | None, rep: str | None, as_json: bool) -> None:
    """Everything needed to call a lead: contact, message, reasons, deadline in your time zone."""
    from streams.cli.lead_text import render_lead
    from streams.desk.access import zone_of

    with open_desk() as desk:
        try:
            item = desk.item(handoff_id)
        except QueueError as exc:
            raise click.ClickException(str(exc)) from None
        tz = zone or zone_of(desk.policy, rep or "", desk.settings.desk.timezone)
    click.echo(json.dumps(item, ensure_ascii=False, indent=2) if as_json else render_lead(item, tz))


def _action_command(name: str, action: FeedbackAction, help_text: str, with_reason: bool) -> click.Command:
    @click.argument("handoff_id")
    @_REP
    @JSON
    def command(handoff_id: str, rep: str, as_json: bool, reason: str | None = None) -> None:
        with open_desk() as desk:
            try:
                done = desk.act(handoff_id=handoff_id, action=action, rep=rep, reason=reason)
            except QueueError as exc:
                raise click.ClickException(str(exc)) from None
        _print_done(done, as_json)

    if with_reason:
        # Checked against the configured codes when run, so a bad setting never breaks --help.
        command = click.option(
            "--reason", required=True, help="A reason code (see `handoff queue reasons`)."
        )(command)
    return click.command(name, help=help_text)(command)


for _name, _action, _help, _reason in (
    ("claim", FeedbackAction.CLAIMED, "Claim a particular open lead (see also `next`).", False),
    ("accept", FeedbackAction.ACCEPTED, "Accept a lead: you will work it.", False),
    ("reject", FeedbackAction.REJECTED, "Reject a lead, with a reason marketing can learn from.", True),
    (
        "contacted",
        FeedbackAction.CONTACTED,
        "Record that you contacted the lead (the first contact is the first touch).",
        False,
    ),
    ("won", FeedbackAction.WON, "Close an accepted lead as won.", False),
    ("lost", FeedbackAction.LOST, "Close an accepted lead as lost, with a reason.", True),
):
    queue.add_command(_action_command(_name, _action, _help, _reason))


@queue.command("reasons")
def reasons_cmd() -> None:
    """The reason codes for reject and lost (HANDOFF_REJECT_REASONS, HANDOFF_LOST_REASONS)."""
    settings = load_settings()
    click.echo("reject: " + ", ".join(settings.desk.reject_reasons))
    click.echo("lost:   " + ", ".join(settings.desk.lost_reasons))
