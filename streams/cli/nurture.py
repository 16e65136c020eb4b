"""`handoff nurture list`: the leads that went back to marketing, and why."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from schemas import Disposition
from streams.cli.dlq import parse_since
from streams.cli.options import JSON, counted
from streams.core.settings import load_settings


@click.group("nurture")
def nurture() -> None:
    """Leads sent back to marketing (nurture, disqualified, duplicate) instead of sales."""


def _newer(record: dict[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    try:
        return datetime.fromisoformat(str(record.get("decided_at"))) >= since
    except ValueError:
        return False


@nurture.command("list")
@click.option("--since", help="Only leads decided after this (15m, 2h, 7d or an ISO time).")
@click.option(
    "--disposition", type=click.Choice([d.value for d in Disposition]), help="Only this disposition."
)
@JSON
def nurture_list(since: str | None, disposition: str | None, as_json: bool) -> None:
    """List nurture events: time, event id, disposition, score, form and the deciding reasons."""
    from streams.kafka.reach import require_broker
    from streams.kafka.trace import find

    settings = load_settings()
    require_broker(settings.kafka.bootstrap_servers)
    moment = parse_since(since)
    found = find(
        settings.kafka.bootstrap_servers,
        settings.topics.nurture,
        lambda doc: (
            "disposition" in doc
            and (disposition is None or doc["disposition"] == disposition)
            and _newer(doc, moment)
        ),
    )
    found.sort(key=lambda f: str(f.record.get("decided_at")))
    if as_json:
        for f in found:
            r = f.record
            keep = ("event_id", "disposition", "score", "rules_version", "decided_at", "reasons")
            click.echo(
                json.dumps({**{k: r.get(k) for k in keep}, "form_id": (r.get("source") or {}).get("form_id")})
            )
    else:
        click.echo(
            f"{'DECIDED (UTC)':<17}  {'EVENT':<36}  {'DISPOSITION':<12}{'SCORE':>5}  {'FORM':<16}REASONS"
        )
        for f in found:
            r = f.record
            reasons = ", ".join(str(x.get("rule")) for x in r.get("reasons") or [])
            form = str((r.get("source") or {}).get("form_id") or "-")
            click.echo(
                f"{str(r.get('decided_at'))[:16].replace('T', ' '):<17}  {str(r.get('event_id')):<36}  "
                f"{str(r.get('disposition')):<12}{int(r.get('score') or 0):>5}  {form:<16}{reasons}"
            )
    click.echo(counted(len(found), "nurtured lead"), err=True)
