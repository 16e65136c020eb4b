"""One lead as a card on the rep page: everything needed to call it, and the actions left."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

import phonenumbers

from streams.core.settings import Settings
from streams.web.desk_html import hidden
from streams.web.i18n import Translator


def _button(
    t: Translator, item: dict[str, Any], action: str, csrf: str, back: str, reasons: tuple[str, ...] = ()
) -> str:
    label = t(action.capitalize())
    select = ""
    if reasons:
        options = "".join(f'<option value="{escape(r)}">{escape(t(r))}</option>' for r in reasons)
        select = (
            f'<select name="reason" aria-label="{escape(t("Reason"))}" required>'
            f'<option value="">{escape(t("Reason…"))}</option>{options}</select>'
        )
    fields = hidden(handoff_id=item["handoff_id"], action=action, csrf=csrf, back=back)
    return (
        f'<form method="post" action="/queue/act" class="act">{fields}{select}'
        f'<button type="submit" name="do" value="{escape(action)}">{escape(label)}</button></form>'
    )


def actions(t: Translator, item: dict[str, Any], settings: Settings, csrf: str, back: str) -> str:
    """The buttons a lead's status allows."""
    if item["status"] in ("open", "claimed"):
        return _button(t, item, "accept", csrf, back) + _button(
            t, item, "reject", csrf, back, settings.desk.reject_reasons
        )
    if item["status"] == "accepted":
        return (
            _button(t, item, "contacted", csrf, back)
            + _button(t, item, "won", csrf, back)
            + _button(t, item, "lost", csrf, back, settings.desk.lost_reasons)
        )
    return ""


def _readable(phone: str) -> str:
    """An E.164 number grouped for reading (+81 3-1234-5678); the tel: link keeps E.164."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _line(label: str, value: str) -> str:
    return f"<dt>{escape(label)}</dt><dd>{value}</dd>" if value else ""


def _account(t: Translator, item: dict[str, Any]) -> str:
    account = item.get("account") or {}
    parts = [escape(item["company"] or account.get("name") or "")]
    if account.get("matched"):
        parts.append(f'<span class="tag">{escape(t("known account"))}</span>')
    if account.get("employees"):
        parts.append(escape(t("{n} employees", n=t.number(account["employees"]))))
    return " ".join(p for p in parts if p)


def _reasons(t: Translator, item: dict[str, Any]) -> str:
    rows = "".join(
        f"<li><code>{escape(str(r['rule']))}</code> <strong>{int(r['points'] or 0):+d}</strong>"
        f"{' · ' + escape(str(r['detail'])) if r.get('detail') else ''}</li>"
        for r in item.get("reasons") or []
    )
    head = escape(
        t(
            "Score {score} (fit {fit}, intent {intent})",
            score=item["score"],
            fit=item.get("fit"),
            intent=item.get("intent"),
        )
    )
    return f'<details><summary>{head}</summary><ul class="reasons">{rows}</ul></details>'


def _deadline(t: Translator, item: dict[str, Any], now: datetime) -> str:
    if not item["sla_due_at"]:
        return ""
    due = datetime.fromisoformat(item["sla_due_at"])
    left, overdue = t.time_left(due, now)
    cls = "overdue" if overdue and item["status"] in ("open", "claimed") else "left"
    stamp = f'<time datetime="{escape(item["sla_due_at"])}">{escape(t.when(due))}</time>'
    return f'{stamp} <span class="{cls}">{escape(left)}</span>'


def _reassign(t: Translator, item: dict[str, Any], roster: list[str], csrf: str, back: str) -> str:
    if item["status"] not in ("open", "claimed", "accepted") or not roster:
        return ""
    options = "".join(
        f'<option value="{escape(r)}"{" selected" if r == item["owner"] else ""}>{escape(r)}</option>'
        for r in roster
    )
    fields = hidden(handoff_id=item["handoff_id"], csrf=csrf, back=back)
    return (
        f'<form method="post" action="/queue/assign" class="act">{fields}'
        f'<select name="owner" aria-label="{escape(t("Owner"))}" required>{options}</select>'
        f'<button type="submit">{escape(t("Reassign"))}</button></form>'
    )


def card(
    t: Translator,
    item: dict[str, Any],
    settings: Settings,
    csrf: str,
    back: str,
    now: datetime,
    roster: list[str] | None = None,
) -> str:
    """A lead as an article: who, how to reach them, why they are here, by when, and the actions."""
    phone = item.get("phone")
    email = item.get("email")
    reach = ""
    if phone:
        reach += f'<a class="call" href="tel:{escape(phone)}">{escape(_readable(phone))}</a>'
    if email:
        reach += f' <a href="mailto:{escape(email)}">{escape(email)}</a>'
    source = " · ".join(escape(x) for x in (item.get("form_id"), item.get("campaign")) if x)
    details = (
        _line(t("Company"), _account(t, item))
        + _line(t("Job title"), escape(item.get("job_title") or ""))
        + _line(t("Contact"), reach)
        + _line(
            t("Message"), f'<q class="message">{escape(item["message"])}</q>' if item.get("message") else ""
        )
        + _line(t("Source"), source)
        + _line(t("Submissions"), t.number(item["submissions"]) if item["submissions"] > 1 else "")
        + _line(t("Due"), _deadline(t, item, now))
    )
    return (
        f'<article class="lead" id="h-{escape(item["handoff_id"])}">'
        f"<h3>{escape(item['full_name'] or t('(erased)'))} "
        f'<span class="stage">{escape(item["stage"])}</span> '
        f'<span class="status" data-status="{escape(item["status"])}">{escape(t(item["status"]))}</span></h3>'
        f"<dl>{details}</dl>{_reasons(t, item)}"
        f'<div class="actions">{actions(t, item, settings, csrf, back)}'
        f"{_reassign(t, item, roster or [], csrf, back)}</div></article>"
    )
