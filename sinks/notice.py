"""What a notification says about a handoff or a breach, in Japanese or English.

Slack, Teams and email render the same ``Notice``: a title, labelled facts, the owner to
mention and the link to the lead on the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from schemas import Feedback, HandoffEvent, SlaBreach
from sinks.contract import Event
from sinks.directory import Directory, RepContact

TEXT = {
    "en": {
        "handoff": "New {stage} lead: {company}",
        "sla": "Response deadline missed: {company}",
        "feedback": "{action}: {handoff}",
        "company": "Company",
        "person": "Person",
        "title": "Title",
        "stage": "Stage / score",
        "reasons": "Why",
        "due": "Respond by",
        "owner": "Owner",
        "queue": "Queue",
        "action": "Action taken",
        "open": "Open on the desk",
        "unassigned": "unassigned",
    },
    "ja": {
        "handoff": "新しい{stage}リード: {company}",
        "sla": "対応期限超過: {company}",
        "feedback": "{action}: {handoff}",
        "company": "会社",
        "person": "担当者",
        "title": "役職",
        "stage": "ステージ / スコア",
        "reasons": "理由",
        "due": "対応期限",
        "owner": "オーナー",
        "queue": "キュー",
        "action": "対応",
        "open": "デスクで開く",
        "unassigned": "未割り当て",
    },
}


@dataclass(frozen=True)
class Notice:
    """A rendered notification."""

    title: str
    facts: list[tuple[str, str]]
    owner: RepContact | None
    owner_id: str | None
    link: str
    link_label: str

    def text(self) -> str:
        """Plain text: the fallback of chat messages and the body of a mail."""
        lines = [self.title, *(f"{label}: {value}" for label, value in self.facts)]
        if self.link:
            lines.append(f"{self.link_label}: {self.link}")
        return "\n".join(lines)


def local_time(at: datetime, timezone: str) -> str:
    """A deadline in the owner's time zone, with the zone's name."""
    return at.astimezone(ZoneInfo(timezone)).strftime(f"%Y-%m-%d %H:%M ({timezone})")


def _handoff(event: HandoffEvent, t: dict[str, str], directory: Directory) -> Notice:
    owner = directory.rep(event.owner)
    company = event.account.name or event.account.domain or event.contact.email.split("@")[-1]
    top = sorted(event.reasons, key=lambda r: -abs(r.points))[:3]
    reasons = ", ".join(f"{r.rule} ({r.points:+d})" for r in top)
    zone = owner.timezone if owner else "UTC"
    facts = [
        (t["company"], company),
        (t["person"], event.contact.full_name or event.contact.email),
        (t["title"], event.contact.job_title or "-"),
        (t["stage"], f"{event.stage.value} / {event.score}"),
        (t["reasons"], reasons or "-"),
        (t["due"], local_time(event.sla_due_at, zone)),
        (t["owner"], event.owner or t["unassigned"]),
    ]
    return Notice(
        t["handoff"].format(stage=event.stage.value, company=company),
        facts,
        owner,
        event.owner,
        directory.lead_url(event.queue, event.handoff_id),
        t["open"],
    )


def _breach(event: SlaBreach, t: dict[str, str], directory: Directory) -> Notice:
    owner = directory.rep(event.to_owner)
    zone = owner.timezone if owner else "UTC"
    facts = [
        (t["stage"], event.stage.value),
        (t["due"], local_time(event.due_at, zone)),
        (t["queue"], event.to_queue),
        (t["owner"], event.to_owner or t["unassigned"]),
        (t["action"], event.action.value),
    ]
    return Notice(
        t["sla"].format(company=event.handoff_id),
        facts,
        owner,
        event.to_owner,
        directory.lead_url(event.to_queue, event.handoff_id),
        t["open"],
    )


def notice_of(event: Event, locale: str, directory: Directory) -> Notice:
    """Render an event for people."""
    t = TEXT.get(locale, TEXT["en"])
    if isinstance(event, HandoffEvent):
        return _handoff(event, t, directory)
    if isinstance(event, SlaBreach):
        return _breach(event, t, directory)
    assert isinstance(event, Feedback)  # noqa: S101 - the three kinds of event
    title = t["feedback"].format(action=event.action.value, handoff=event.handoff_id)
    return Notice(title, [(t["owner"], event.by or "-")], None, event.by, "", t["open"])
