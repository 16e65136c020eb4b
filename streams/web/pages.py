"""Server-rendered desk pages for reps: my queues, a queue's leads, claim, accept or reject.

Plain HTML forms (POST with the session's CSRF token, then redirect back), no JavaScript,
every value escaped, strings from the one catalog, times in the viewer's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from aiohttp import web

from schemas import FeedbackAction
from sinks.models import STATUSES
from sinks.transitions import BadReason, InvalidTransition, NotFound, NotYours, QueueError
from streams.core.settings import Settings
from streams.desk.access import may_see, queues_of, zone_of
from streams.web.desk_auth import CSRF
from streams.web.desk_html import hidden, page, viewer
from streams.web.i18n import Translator
from streams.web.identity import Identity, require_role
from streams.web.lead_card import card
from streams.web.queue_api import ACTIONS, desk_of, ensure_desk, in_thread, visibility

WORKING = ("open", "claimed", "accepted")
_NOTES = {
    "claimed": "Claimed: the lead is yours.",
    "nothing": "Nothing to claim right now.",
    "done": "Saved.",
    "NotFound": "That lead is no longer in the queue.",
    "NotYours": "That lead belongs to someone else.",
    "InvalidTransition": "That lead has moved on: look again.",
    "BadReason": "Pick a reason first.",
    "QueueError": "The lead changed while you acted on it: look again.",
    "forbidden": "You are not on that queue's roster.",
}


def _who(request: web.Request) -> tuple[Identity, Translator, str]:
    who = require_role(request, "rep", "manager")
    desk = desk_of(request)
    t = viewer(request, zone_of(desk.policy, who.name, desk.settings.desk.timezone))
    return who, t, str(request.get(CSRF, ""))


def _notes(request: web.Request, t: Translator) -> str:
    out = ""
    for key, cls in (("note", "msg"), ("error", "err")):
        code = request.query.get(key, "")
        if code in _NOTES:
            out += f'<p class="{cls}" role="status">{escape(t(_NOTES[code]))}</p>'
    return out


def _claim_form(t: Translator, csrf: str, queue: str, waiting: int) -> str:
    label = t("Claim next") if queue else t("Claim the most urgent")
    return (
        f'<form method="post" action="/queue/claim" class="claim">{hidden(queue=queue, csrf=csrf)}'
        f'<button type="submit">{escape(label)}</button></form>'
        f'<p class="count">{escape(t("{n} waiting", n=t.number(waiting)))}</p>'
    )


async def landing(request: web.Request) -> web.Response:
    """GET /: the signed-in rep's queues, with how many leads wait and how many are theirs."""
    who, t, csrf = _who(request)
    desk = desk_of(request)
    queues = queues_of(desk.policy, who.name, who.role)
    seen = visibility(desk, who)
    rows = ""
    for q in queues:
        waiting = await in_thread(request, desk.count, queue=q, status=("open",), visible_to=seen)
        mine = await in_thread(request, desk.count, queue=q, owner=who.name, status=WORKING)
        rows += (
            f'<li><a href="/queue?{urlencode({"queue": q})}">{escape(q)}</a> '
            f"{escape(t('{n} waiting', n=t.number(waiting)))} · "
            f"{escape(t('{n} mine', n=t.number(mine)))}</li>"
        )
    if not queues:
        body = f'<p class="err">{escape(t("You are on no queue roster: ask your manager."))}</p>'
    else:
        total = await in_thread(request, desk.count, status=("open",), visible_to=seen)
        body = _claim_form(t, csrf, "", total) + f'<ul class="queues">{rows}</ul>'
    return page(request, t, t("My queues"), _notes(request, t) + body, csrf=csrf)


def _filters(t: Translator, queue: str, statuses: list[str]) -> str:
    links = []
    for label, chosen in ((t("Working"), []), *((t(s), [s]) for s in STATUSES)):
        query = urlencode([("queue", queue), *(("status", s) for s in chosen)])
        current = ' aria-current="page"' if chosen == statuses else ""
        links.append(f'<a href="/queue?{escape(query)}"{current}>{escape(label)}</a>')
    return f'<nav class="filters">{" ".join(links)}</nav>'


def _pager(t: Translator, request: web.Request, page_no: int, pages: int) -> str:
    if pages <= 1:
        return ""
    links = {}
    for n, label in ((page_no - 1, t("Previous")), (page_no + 1, t("Next"))):
        query = urlencode([*((k, v) for k, v in request.query.items() if k != "page"), ("page", str(n))])
        links[n] = f'<a href="/queue?{escape(query)}">{escape(label)}</a>' if 1 <= n <= pages else ""
    here = escape(t("Page {page} of {pages}", page=page_no, pages=pages))
    return f'<nav class="pager">{links[page_no - 1]} <span>{here}</span> {links[page_no + 1]}</nav>'


async def queue_page(request: web.Request) -> web.Response:
    """GET /queue?queue=&status=&page=: the leads a rep may work in one queue, a page at a time."""
    who, t, csrf = _who(request)
    desk = desk_of(request)
    queue = request.query.get("queue", "").strip()
    mine = queues_of(desk.policy, who.name, who.role)
    if queue not in mine:
        known = queue in desk.policy.queues
        text = t("You are not on that queue's roster.") if known else t("There is no queue {q}.", q=queue)
        links = "".join(f'<li><a href="/queue?{urlencode({"queue": q})}">{escape(q)}</a></li>' for q in mine)
        body = f'<p class="err" role="alert">{escape(text)}</p><ul class="queues">{links}</ul>'
        response = page(request, t, t("My queues"), body, csrf=csrf)
        response.set_status(403 if known else 404)
        return response
    statuses = [s for s in request.query.getall("status", []) if s in STATUSES]
    filters = {"queue": queue, "status": statuses or WORKING, "visible_to": visibility(desk, who)}
    size = desk.settings.desk.page_size
    total = await in_thread(request, desk.count, **filters)
    pages = max(1, -(-total // size))
    try:
        page_no = min(max(1, int(request.query.get("page", "1"))), pages)
    except ValueError:
        page_no = 1
    items = await in_thread(request, desk.items, limit=size, offset=(page_no - 1) * size, **filters)
    waiting = await in_thread(
        request, desk.count, queue=queue, status=("open",), visible_to=filters["visible_to"]
    )
    back = request.path_qs
    now = datetime.now(UTC)
    # Managers move leads between the reps of the queue's roster.
    roster = desk.policy.queues[queue].reps if who.role == "manager" else None
    cards = "".join(card(t, i, desk.settings, csrf, back, now, roster) for i in items)
    shown = escape(t("{n} leads", n=t.number(total)))
    body = (
        _notes(request, t)
        + _claim_form(t, csrf, queue, waiting)
        + _filters(t, queue, statuses)
        + f'<p class="count">{shown}</p>'
        + (cards or f"<p>{escape(t('No leads here yet: claim one.'))}</p>")
        + _pager(t, request, page_no, pages)
    )
    return page(request, t, queue, body, csrf=csrf)


def _back(form_back: str, **note: str) -> web.HTTPSeeOther:
    # Only a path of our own: never an open redirect.
    own = form_back.startswith("/") and not form_back.startswith("//") and "\\" not in form_back
    back = form_back if own else "/"
    path, _, query = back.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("note=", "error="))]
    return web.HTTPSeeOther(path + "?" + "&".join([*kept, urlencode(note)]))


async def claim(request: web.Request) -> web.Response:
    """POST /queue/claim: claim the next lead of a queue (or the most urgent of mine), then back."""
    who = require_role(request, "rep", "manager")
    desk, form = desk_of(request), await request.post()
    queue = str(form.get("queue", ""))
    mine = queues_of(desk.policy, who.name, who.role)
    back = f"/queue?{urlencode({'queue': queue})}" if queue else "/"
    if queue and queue not in mine:
        raise _back(back, error="forbidden")
    if queue:
        done = await in_thread(request, desk.claim_next, queue=queue, rep=who.name)
    else:
        done = await in_thread(request, desk.claim_most_urgent, queues=mine, rep=who.name)
    if done is not None and not queue:
        back = f"/queue?{urlencode({'queue': done.item['queue']})}"
    raise _back(back, **({"note": "claimed"} if done else {"error": "nothing"}))


async def act(request: web.Request) -> web.Response:
    """POST /queue/act: accept, reject, contacted, won or lost, then back to the page."""
    who = require_role(request, "rep", "manager")
    desk, form = desk_of(request), await request.post()
    back = str(form.get("back", "/"))
    action: FeedbackAction | None = ACTIONS.get(str(form.get("action", "")))
    handoff_id = str(form.get("handoff_id", ""))
    if action is None:
        raise _back(back, error="InvalidTransition")
    try:
        item = await in_thread(request, desk.item, handoff_id=handoff_id)
        if not may_see(desk.policy, who.name, who.role, item):
            raise NotYours(handoff_id)
        await in_thread(
            request,
            desk.act,
            handoff_id=handoff_id,
            action=action,
            rep=who.name,
            reason=str(form.get("reason", "")) or None,
        )
    except QueueError as exc:
        known = (NotFound, NotYours, InvalidTransition, BadReason)
        code = next((c.__name__ for c in known if isinstance(exc, c)), "QueueError")
        raise _back(back, error=code) from None
    raise _back(back, note="done")


async def assign(request: web.Request) -> web.Response:
    """POST /queue/assign: a manager gives a lead to another rep of its queue, then back."""
    require_role(request, "manager")
    desk, form = desk_of(request), await request.post()
    back, owner = str(form.get("back", "/")), str(form.get("owner", ""))
    try:
        item = await in_thread(request, desk.item, handoff_id=str(form.get("handoff_id", "")))
        if owner not in desk.policy.queues[item["queue"]].reps:
            raise _back(back, error="forbidden")
        await in_thread(request, desk.reassign, handoff_id=item["handoff_id"], owner=owner)
    except QueueError as exc:
        raise _back(back, error="NotFound" if isinstance(exc, NotFound) else "InvalidTransition") from None
    raise _back(back, note="done")


def setup(app: web.Application, settings: Settings) -> None:
    """Add the rep pages."""
    ensure_desk(app, settings)
    app.router.add_get("/", landing)
    app.router.add_get("/queue", queue_page)
    app.router.add_post("/queue/claim", claim)
    app.router.add_post("/queue/act", act)
    app.router.add_post("/queue/assign", assign)
