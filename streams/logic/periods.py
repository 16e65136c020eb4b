"""Report periods in the viewer's time zone: this week, month or quarter, or custom dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.errors import DeskError

PERIODS = ("this-week", "this-month", "this-quarter", "custom")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def resolve_period(
    period: str, *, now: datetime, tz: ZoneInfo, first: date | None = None, last: date | None = None
) -> tuple[datetime, datetime]:
    """The [start, end) instants of a period; ``custom`` covers ``first`` through ``last`` inclusive."""
    today = now.astimezone(tz).date()
    if period == "this-week":
        monday = today - timedelta(days=today.weekday())
        return _midnight(monday, tz), _midnight(monday + timedelta(weeks=1), tz)
    if period == "this-month":
        day = today.replace(day=1)
        return _midnight(day, tz), _midnight(_next_month(day), tz)
    if period == "this-quarter":
        day = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return _midnight(day, tz), _midnight(_next_month(_next_month(_next_month(day))), tz)
    if period != "custom":
        raise DeskError(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    if first is None or last is None:
        raise DeskError("a custom period needs both dates: --from YYYY-MM-DD --to YYYY-MM-DD")
    if last < first:
        raise DeskError(f"the period ends ({last}) before it starts ({first}): swap --from and --to")
    return _midnight(first, tz), _midnight(last + timedelta(days=1), tz)


def viewer_zone(name: str | None, default: str = "Asia/Tokyo") -> ZoneInfo:
    """The viewer's time zone from its IANA name, or ``default`` when it is missing or unknown."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)
