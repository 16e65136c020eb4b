"""SLA deadlines counted in a rep's working hours: time zone, weekends, public holidays, days off."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from streams.logic.workhours import Calendar, add_working_hours

pytestmark = pytest.mark.unit

TOKYO = Calendar(timezone="Asia/Tokyo", hours="09:00-18:00", holidays="JP")
NEW_YORK = Calendar(timezone="America/New_York", hours="09:00-17:00", holidays="US")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cal", "start", "hours", "due"),
    [
        # Wednesday 10:00 JST + 1h -> 11:00 JST.
        (TOKYO, utc(2026, 11, 25, 1, 0), 1, utc(2026, 11, 25, 2, 0)),
        # Wednesday 17:30 JST + 1h -> Thursday 09:30 JST.
        (TOKYO, utc(2026, 11, 25, 8, 30), 1, utc(2026, 11, 26, 0, 30)),
        # Saturday -> Monday 09:00 JST + 4h.
        (TOKYO, utc(2026, 11, 28, 3, 0), 4, utc(2026, 11, 30, 4, 0)),
        # Friday 20 Nov 17:00 JST + 2h: Monday 23 Nov is Labour Thanksgiving Day -> Tuesday 10:00 JST.
        (TOKYO, utc(2026, 11, 20, 8, 0), 2, utc(2026, 11, 24, 1, 0)),
        # New Year: 31 Dec is a Thursday; Japan's 1 Jan holiday, then the weekend
        # -> Monday 4 Jan 2027 10:00 JST.
        (TOKYO, utc(2026, 12, 31, 8, 0), 2, utc(2027, 1, 4, 1, 0)),
        # 24 working hours = 2 days and 6 hours.
        (TOKYO, utc(2026, 11, 25, 0, 0), 24, utc(2026, 11, 27, 6, 0)),
        # Thanksgiving 26 Nov 2026 is a US holiday: Wednesday 16:00 EST + 2h -> Friday 10:00 EST.
        (NEW_YORK, utc(2026, 11, 25, 21, 0), 2, utc(2026, 11, 27, 15, 0)),
        # Before opening: Tuesday 07:00 EST + 1h -> 10:00 EST.
        (NEW_YORK, utc(2026, 11, 24, 12, 0), 1, utc(2026, 11, 24, 15, 0)),
    ],
)
def test_deadline(cal: Calendar, start: datetime, hours: float, due: datetime) -> None:
    assert add_working_hours(start, hours, cal) == due


def test_out_of_office_days_are_skipped() -> None:
    away = TOKYO.model_copy(update={"out_of_office": ["2026-11-25/2026-11-26"]})
    assert add_working_hours(utc(2026, 11, 25, 1, 0), 1, away) == utc(2026, 11, 27, 1, 0)


def test_custom_workdays() -> None:
    weekend_shop = Calendar(timezone="Asia/Tokyo", workdays=["Sat", "Sun"])
    assert add_working_hours(utc(2026, 11, 25, 1, 0), 1, weekend_shop) == utc(2026, 11, 28, 1, 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", "18:00-09:00", "expected a window"),
        ("workdays", ["Funday"], "unknown weekdays"),
        ("out_of_office", ["2026-13-01"], "not a date"),
        ("out_of_office", ["2026-12-10/2026-12-01"], "ends before it starts"),
    ],
)
def test_invalid_calendar(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar.model_validate({field: value})


def test_deadlines_of_one_wall_time_in_a_repeated_hour_differ() -> None:
    # 1 Nov 2026 01:30 happens twice in New York; deadlines are memoised, per instant.
    always = Calendar(
        timezone="UTC", hours="00:00-24:00", workdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    )
    zone = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=zone)
    second = first.replace(fold=1)
    assert add_working_hours(first, 1, always) == utc(2026, 11, 1, 6, 30)
    assert add_working_hours(second, 1, always) == utc(2026, 11, 1, 7, 30)
    assert add_working_hours(second.astimezone(UTC), 1, always) == utc(2026, 11, 1, 7, 30)
