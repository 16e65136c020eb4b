"""`handoff trace`: what happened to a lead, end to end, found by event id or email."""

from __future__ import annotations

import json
from typing import Any

import click

from schemas.errors import HandoffError, StoreError
from streams.cli.options import JSON
from streams.core.settings import Settings, load_settings
from streams.kafka.trace import Found, by_event_ids, find


class NothingFound(HandoffError):
    """No record of the lead on any of the pipeline's topics."""

    exit_code = 3


def _where(found: Found) -> str:
    p = found.position
    return f"{p.topic}/{p.partition}/{p.offset}"


def _reasons(record: dict[str, Any]) -> list[str]:
    return [
        f"{r.get('rule')} ({int(r.get('points') or 0):+d})" + (f": {r['detail']}" if r.get("detail") else "")
        for r in record.get("reasons") or []
    ]


def _outcome(kind: str, found: Found) -> dict[str, Any]:
    r = found.record
    out: dict[str, Any] = {"kind": kind, "at": _where(found)}
    if kind == "handoff":
        out |= {k: r.get(k) for k in ("handoff_id", "queue", "owner", "stage", "score", "rules_version")}
        out["sla_due_at"] = r.get("sla_due_at")
    elif kind == "nurture":
        out |= {k: r.get(k) for k in ("disposition", "score", "rules_version", "decided_at")}
    else:
        out |= {k: r.get(k) for k in ("error", "detail", "fields", "failed_at")}
    if kind != "dead_letter":
        out["reasons"] = _reasons(r)
    return out


def _stored(settings: Settings, event_ids: list[str]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Queue state per event id, or why the store was not read."""
    from sqlalchemy.orm import Session

    from sinks.preflight import require_store
    from sinks.store import make_engine
    from sinks.trace import stored_for
    from streams.desk.lead_view import view

    try:
        require_store(settings.database.url)
    except StoreError as exc:
        return {}, str(exc)
    engine = make_engine(settings.database.url)
    try:
        with Session(engine) as session:
            stored = stored_for(session=session, event_ids=event_ids)
            return {
                event_id: {
                    "now": {
                        k: view(s.item)[k]
                        for k in (
                            "handoff_id",
                            "queue",
                            "owner",
                            "status",
                            "outcome",
                            "sla_due_at",
                            "submissions",
                        )
                    },
                    "feedback": [
                        {"at": f.at.isoformat(), "action": f.action, "by": f.by, "reason": f.reason}
                        for f in s.feedback
                    ],
                    "sla": [
                        {
                            "breached_at": b.breached_at.isoformat(),
                            "breach": b.breach,
                            "action": b.action,
                            "from": f"{b.from_queue}/{b.from_owner or '-'}",
                            "to": f"{b.to_queue}/{b.to_owner or '-'}",
                        }
                        for b in s.breaches
                    ],
                }
                for event_id, s in stored.items()
            }, None
    finally:
        engine.dispose()


def _email_match(address: str) -> Any:
    from streams.logic.normalise import InvalidEmail, normalise_email

    def match(doc: dict[str, Any]) -> bool:
        raw = doc.get("email")
        if not isinstance(raw, str):
            return False
        try:
            return normalise_email(raw) == address
        except InvalidEmail:
            return False

    return match


def trace_leads(settings: Settings, *, event_id: str | None, email: str | None) -> list[dict[str, Any]]:
    """One report per event id: submission, outcome, queue state, feedback and SLA history."""
    from streams.kafka.reach import require_broker
    from streams.logic.lead import lead_id_for
    from streams.logic.normalise import InvalidEmail, normalise_email

    servers, topics = settings.kafka.bootstrap_servers, settings.topics
    require_broker(servers)
    lead_id = None
    if email is not None:
        try:
            address = normalise_email(email)
        except InvalidEmail as exc:
            raise click.ClickException(f"not an email address: {exc}") from None
        lead_id = lead_id_for(address)
        submitted = find(servers, topics.submitted, _email_match(address))
    else:
        submitted = find(servers, topics.submitted, by_event_ids([event_id or ""]))
    ids = {str(s.record["event_id"]) for s in submitted if s.record.get("event_id")} | (
        {event_id} if event_id else set()
    )
    positions = {(s.position.partition, s.position.offset) for s in submitted}

    def ours(doc: dict[str, Any]) -> bool:
        return doc.get("event_id") in ids or (lead_id is not None and doc.get("lead_id") == lead_id)

    def dead(doc: dict[str, Any]) -> bool:
        source = doc.get("source") or {}
        at = (source.get("partition"), source.get("offset"))
        return doc.get("event_id") in ids or (source.get("topic") == topics.submitted and at in positions)

    outcomes = (
        [("handoff", f) for f in find(servers, topics.handoff, ours)]
        + [("nurture", f) for f in find(servers, topics.nurture, ours)]
        + [("dead_letter", f) for f in find(servers, topics.dlq, dead)]
    )
    for _, f in outcomes:
        if f.record.get("event_id"):
            ids.add(str(f.record["event_id"]))
    if not submitted and not outcomes:
        what = f"event id {event_id}" if event_id else f"email {email}"
        raise NothingFound(
            f"no record of {what} on {topics.submitted}, {topics.handoff}, {topics.nurture} or {topics.dlq} "
            f"at {servers}; check the id (a 202 answer carries it) and HANDOFF_KAFKA_BOOTSTRAP_SERVERS"
        )
    stored, store_note = _stored(settings, sorted(ids))
    reports = []
    for eid in sorted(ids):
        subs = [s for s in submitted if s.record.get("event_id") == eid]
        decided = [_outcome(k, f) for k, f in outcomes if f.record.get("event_id") == eid]
        if not decided and subs and len(subs) == 1:
            decided = [
                {"kind": "pending", "detail": "no outcome yet: see `handoff lag` for the stream workers"}
            ]
        elif not decided and len(subs) > 1:
            decided = [{"kind": "no_op", "detail": "a repeat of an event id already decided: dropped"}]
        reports.append(
            {
                "event_id": eid,
                "submitted": [
                    {
                        "at": _where(s),
                        "form_id": s.record.get("form_id"),
                        "submitted_at": s.record.get("submitted_at"),
                    }
                    for s in subs
                ],
                "outcomes": decided,
                **stored.get(eid, {"now": None, "feedback": [], "sla": []}),
                **({"store": store_note} if store_note else {}),
            }
        )
    # Dead letters of records without a readable event id belong to the submission they came from.
    for kind, f in outcomes:
        if kind == "dead_letter" and not f.record.get("event_id"):
            reports.append(
                {
                    "event_id": None,
                    "submitted": [],
                    "outcomes": [_outcome(kind, f)],
                    "now": None,
                    "feedback": [],
                    "sla": [],
                }
            )
    return reports


def render(reports: list[dict[str, Any]]) -> str:
    """Reports as indented text, one block per event id."""
    lines: list[str] = []
    for r in reports:
        lines.append(f"event {r['event_id'] or '(unreadable)'}")
        for s in r["submitted"]:
            lines.append(f"  submitted  {s['at']}  form {s['form_id']}  at {s['submitted_at']}")
        for o in r["outcomes"]:
            kind = o["kind"]
            if kind == "handoff":
                lines.append(
                    f"  outcome    handoff {o['handoff_id']} to {o['queue']} ({o['stage']}, "
                    f"score {o['score']}, owner {o['owner'] or '-'}, due {o['sla_due_at']})  [{o['at']}]"
                )
            elif kind == "nurture":
                lines.append(f"  outcome    nurture: {o['disposition']} (score {o['score']})  [{o['at']}]")
            elif kind == "dead_letter":
                fields = ", ".join(o.get("fields") or [])
                lines.append(
                    f"  outcome    dead letter: {o['error']}: {o['detail']}"
                    + (f" (fields: {fields})" if fields else "")
                    + f"  [{o['at']}]"
                )
            else:
                lines.append(f"  outcome    {kind}: {o['detail']}")
            lines += [f"    reason   {x}" for x in o.get("reasons", [])]
        now = r.get("now")
        if now:
            lines.append(
                f"  now        {now['queue']}, owner {now['owner'] or '-'}, status {now['status']}"
                + (f" ({now['outcome']})" if now.get("outcome") else "")
                + f", due {now['sla_due_at']}, {now['submissions']} submission(s)"
            )
        lines += [
            f"  feedback   {f['at']}  {f['action']}"
            + (f" by {f['by']}" if f["by"] else "")
            + (f" ({f['reason']})" if f["reason"] else "")
            for f in r["feedback"]
        ]
        lines += [
            f"  sla        {b['breached_at']}  breach {b['breach']}: {b['action']} {b['from']} -> {b['to']}"
            for b in r["sla"]
        ]
        if r.get("store"):
            lines.append(f"  store      not read: {r['store']}")
    return "\n".join(lines)


@click.command("trace")
@click.argument("event_id", required=False)
@click.option("--email", help="Every submission of this person instead of one event id.")
@JSON
def trace(event_id: str | None, email: str | None, as_json: bool) -> None:
    """What happened to a lead: its submission, outcome with reasons and score, where it is now,
    its feedback and SLA history. Reads the topics from the beginning (slow on large topics).

    Exits 3 when no topic holds a record of it.
    """
    if (event_id is None) == (email is None):
        raise click.UsageError("give an EVENT_ID or --email ADDRESS")
    reports = trace_leads(load_settings(), event_id=event_id, email=email)
    click.echo(json.dumps(reports, ensure_ascii=False, indent=2) if as_json else render(reports))
