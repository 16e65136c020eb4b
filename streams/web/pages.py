"""Server-rendered pages for reps: my queue, claim the next lead, accept or reject with a reason.

Plain HTML forms (POST, then redirect back), no JavaScript; every value is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from schemas import FeedbackAction
from sinks.transitions import QueueError
from streams.core.settings import Settings
from streams.web.queue_api import ACTIONS, desk_of, ensure_desk, in_thread

_STYLE = """
body{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;
text-align:left;vertical-align:top}form{display:inline}.msg{padding:.5rem;background:#e8f5e9}
.err{padding:.5rem;background:#fdecea}.overdue{color:#b00020;font-weight:bold}
"""


def _page(title: str, body: str) -> web.Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


def _hidden(**fields: str) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def _button(
    action: str, label: str, item: dict[str, Any], rep: str, queue: str, reasons: tuple[str, ...] = ()
) -> str:
    select = ""
    if reasons:
        options = "".join(f'<option value="{escape(r)}">{escape(r)}</option>' for r in reasons)
        select = (
            f'<select name="reason" aria-label="{escape(label)} reason" required>'
            f'<option value="">reason…</option>{options}</select>'
        )
    return (
        f'<form method="post" action="/queue/act">'
        f"{_hidden(handoff_id=item['handoff_id'], action=action, rep=rep, queue=queue)}"
        f'{select}<button type="submit" name="do" value="{escape(action)}">{escape(label)}</button>'
        "</form>"
    )


def _actions(item: dict[str, Any], rep: str, queue: str, settings: Settings) -> str:
    if item["status"] in ("open", "claimed"):
        return (
            _button("accept", "Accept", item, rep, queue)
            + " "
            + _button("reject", "Reject", item, rep, queue, settings.desk.reject_reasons)
        )
    if item["status"] == "accepted":
        return (
            _button("contacted", "Contacted", item, rep, queue)
            + " "
            + _button("won", "Won", item, rep, queue)
            + " "
            + _button("lost", "Lost", item, rep, queue, settings.desk.lost_reasons)
        )
    return ""


def _row(item: dict[str, Any], rep: str, queue: str, settings: Settings) -> str:
    who = " / ".join(x for x in (item["company"], item["full_name"], item["job_title"]) if x)
    return (
        f'<tr id="h-{escape(item["handoff_id"])}"><td>{escape(who)}<br><small>'
        f"{escape(item['email'] or '')} · {escape(item['form_id'] or '')}</small></td>"
        f"<td>{escape(item['stage'])} {item['score']}</td>"
        f'<td class="status">{escape(item["status"])}</td>'
        f"<td>{escape((item['sla_due_at'] or '')[:16].replace('T', ' '))} UTC</td>"
        f"<td>{_actions(item, rep, queue, settings)}</td></tr>"
    )


async def queue_page(request: web.Request) -> web.Response:
    """GET /queue?rep=&queue=: the rep's leads and a button to claim the next one."""
    rep, queue = request.query.get("rep", "").strip(), request.query.get("queue", "").strip()
    if not rep or not queue:
        form = (
            '<form method="get" action="/queue"><label>Rep <input name="rep" required></label> '
            '<label>Queue <input name="queue" required></label> <button>Open my queue</button></form>'
        )
        return _page("Sales queue", form)
    desk = desk_of(request)
    mine = await in_thread(request, desk.items, owner=rep, status=("open", "claimed", "accepted"))
    free = await in_thread(request, desk.claimable, queue=queue, rep=rep)
    notes = "".join(
        f'<p class="{cls}" role="status">{escape(request.query[key])}</p>'
        for key, cls in (("msg", "msg"), ("error", "err"))
        if request.query.get(key)
    )
    claim = (
        f'<form method="post" action="/queue/claim">{_hidden(rep=rep, queue=queue)}'
        f'<button type="submit">Claim next</button></form> {free} waiting in {escape(queue)}'
    )
    rows = "".join(_row(i, rep, queue, desk.settings) for i in mine)
    table = (
        "<table><thead><tr><th>Lead</th><th>Stage</th><th>Status</th><th>Due</th><th></th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No leads yet: claim one.</p>"
    )
    return _page(f"{rep} · {queue}", notes + claim + "<h2>My leads</h2>" + table)


def _back(rep: str, queue: str, **note: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther("/queue?" + urlencode({"rep": rep, "queue": queue, **note}))


async def claim(request: web.Request) -> web.Response:
    """POST /queue/claim: claim the next lead, then back to the queue."""
    form = await request.post()
    rep, queue = str(form.get("rep", "")), str(form.get("queue", ""))
    done = await in_thread(request, desk_of(request).claim_next, queue=queue, rep=rep) if rep else None
    raise _back(
        rep,
        queue,
        **(
            {"msg": f"claimed {done.item['company'] or done.item['handoff_id']}"}
            if done
            else {"error": "nothing to claim"}
        ),
    )


async def act(request: web.Request) -> web.Response:
    """POST /queue/act: accept, reject, contacted, won or lost, then back to the queue."""
    form = await request.post()
    rep, queue = str(form.get("rep", "")), str(form.get("queue", ""))
    action: FeedbackAction | None = ACTIONS.get(str(form.get("action", "")))
    if action is None:
        raise _back(rep, queue, error="unknown action")
    reason = str(form.get("reason", "")) or None
    try:
        done = await in_thread(
            request,
            desk_of(request).act,
            handoff_id=str(form.get("handoff_id", "")),
            action=action,
            rep=rep,
            reason=reason,
        )
    except QueueError as exc:
        raise _back(rep, queue, error=str(exc)) from None
    raise _back(rep, queue, msg=f"{done.item['company'] or done.item['handoff_id']}: {action.value}")


def setup(app: web.Application, settings: Settings) -> None:
    """Add the rep pages."""
    ensure_desk(app, settings)
    app.router.add_get("/queue", queue_page)
    app.router.add_post("/queue/claim", claim)
    app.router.add_post("/queue/act", act)
