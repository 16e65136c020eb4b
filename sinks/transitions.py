"""Which actions a rep may take on a handoff in each status, and the errors when they may not."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from schemas import FeedbackAction
from schemas.errors import DeskError


class QueueError(DeskError):
    """A queue operation was refused; the message says why and what is allowed."""


class NotFound(QueueError):
    """No handoff with that id."""


class InvalidTransition(QueueError):
    """The handoff's status does not allow the action."""


class NotYours(QueueError):
    """The handoff belongs to another rep."""


class BadReason(QueueError):
    """The reason code is missing, unknown or not wanted."""


@dataclass(frozen=True)
class Transition:
    """Statuses an action may start from, the status it leads to and whether it needs a reason."""

    sources: tuple[str, ...]
    target: str
    needs_reason: bool = False
    outcome: str | None = None


TRANSITIONS: dict[FeedbackAction, Transition] = {
    FeedbackAction.CLAIMED: Transition(("open",), "claimed"),
    FeedbackAction.ACCEPTED: Transition(("open", "claimed"), "accepted"),
    FeedbackAction.REJECTED: Transition(("open", "claimed"), "rejected", needs_reason=True),
    # Contacting does not change the status; the first contact is the lead's first touch.
    FeedbackAction.CONTACTED: Transition(("accepted",), "accepted"),
    FeedbackAction.WON: Transition(("accepted",), "closed", outcome="won"),
    FeedbackAction.LOST: Transition(("accepted",), "closed", needs_reason=True, outcome="lost"),
}

DEFAULT_REJECT_REASONS = (
    "not_a_fit",
    "no_budget",
    "bad_contact_data",
    "duplicate",
    "competitor",
    "student_or_job_seeker",
    "spam",
    "other",
)
DEFAULT_LOST_REASONS = ("no_budget", "no_decision", "competitor", "timing", "price", "no_response", "other")


def check_transition(
    *,
    handoff_id: str,
    status: str,
    action: FeedbackAction,
    reason: str | None,
    allowed_reasons: Collection[str] | None,
) -> Transition:
    """Return the transition for ``action`` from ``status`` or raise a clear error."""
    rule = TRANSITIONS[action]
    if status not in rule.sources:
        raise InvalidTransition(
            f"cannot mark handoff {handoff_id} {action.value}: it is {status} "
            f"({action.value} is allowed from {' or '.join(rule.sources)})"
        )
    if rule.needs_reason:
        if not reason:
            raise BadReason(f"{action.value} needs a reason: one of {', '.join(allowed_reasons or ())}")
        if allowed_reasons is not None and reason not in allowed_reasons:
            raise BadReason(
                f"unknown {action.value} reason {reason!r}: use one of {', '.join(allowed_reasons)}"
            )
    elif reason:
        raise BadReason(f"{action.value} takes no reason")
    return rule


def as_utc(value: datetime) -> datetime:
    """Read a stored time as UTC (SQLite hands back naive UTC times)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
