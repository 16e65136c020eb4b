"""Working-hours calendars: when a rep works, and deadlines counted in those hours."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)$")
# A calendar with no working time at all must not loop forever.
_MAX_DAYS = 800


def _date_range(value: Any) -> tuple[dt.date, dt.date]:
    if isinstance(value, dt.date):
        return value, value
    text = str(value).strip()
    first, _, last = text.partition("/") if "/" in text else text.partition("..")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ValueError(f"{text!r} is not a date or a range like 2026-12-28/2027-01-04") from None
    if end < start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class Calendar(BaseModel):
    """A time zone, daily working hours, working weekdays, public holidays and days off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    hours: str = "09:00-18:00"
    workdays: list[str] = Field(default_factory=lambda: list(_DAYS[:5]))
    holidays: str | None = Field(default=None, description="country code, e.g. JP, US, GB")
    out_of_office: list[Any] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Tokyo)") from None
        return value

    @field_validator("hours")
    @classmethod
    def _hours_window(cls, value: str) -> str:
        m = _HOURS.match(value.strip())
        if not m or (int(m[1]), int(m[2])) >= (int(m[3]), int(m[4])):
            raise ValueError(f"hours {value!r}: expected a window like 09:00-18:00")
        return value

    @field_validator("workdays")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        bad = [d for d, v in zip(days, value, strict=True) if d not in _DAYS]
        if bad:
            raise ValueError(f"unknown weekdays {bad}; use Mon, Tue, … Sun")
        return days

    @field_validator("holidays")
    @classmethod
    def _supported_country(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"no public holiday calendar for {value!r}")
        return value.upper() if value else None

    @field_validator("out_of_office")
    @classmethod
    def _ranges(cls, value: list[Any]) -> list[Any]:
        for item in value:
            _date_range(item)
        return value

    @model_validator(mode="after")
    def _some_working_day(self) -> Calendar:
        if not self.workdays:
            raise ValueError("workdays is empty: nobody could ever meet a deadline")
        return self

    def zone(self) -> ZoneInfo:
        """Return the calendar's time zone."""
        return _zone(self.timezone)

    def window(self) -> tuple[dt.time, dt.time]:
        """Return the daily start and end of work."""
        return _window(self.hours)

    def away_on(self, day: dt.date) -> bool:
        """Tell whether the day is one of the out-of-office days."""
        if not self.out_of_office:
            return False
        return any(a <= day <= b for a, b in _ranges(tuple(map(str, self.out_of_office))))

    def works_on(self, day: dt.date) -> bool:
        """Tell whether the day is a working day (weekday, not a holiday, not out of office)."""
        return _works(tuple(self.workdays), self.holidays, tuple(map(str, self.out_of_office)), day)


@lru_cache(maxsize=64)
def _window(hours: str) -> tuple[dt.time, dt.time]:
    m = _HOURS.match(hours.strip())
    assert m is not None  # noqa: S101 - validated with the calendar
    end = dt.time.max if int(m[3]) == 24 else dt.time(int(m[3]), int(m[4]))
    return dt.time(int(m[1]), int(m[2])), end


# Deadlines are computed for every handoff, twice; the same few calendars and days repeat.
@lru_cache(maxsize=65_536)
def _works(workdays: tuple[str, ...], country: str | None, away: tuple[str, ...], day: dt.date) -> bool:
    if _DAYS[day.weekday()] not in workdays:
        return False
    if country and day in _holidays(country, day.year):
        return False
    return not any(a <= day <= b for a, b in _ranges(away))


@lru_cache(maxsize=1024)
def _ranges(items: tuple[str, ...]) -> tuple[tuple[dt.date, dt.date], ...]:
    return tuple(map(_date_range, items))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


_Rules = tuple[ZoneInfo, str, tuple[str, ...], str | None, tuple[str, ...]]


def add_working_hours(start: dt.datetime, hours: float, cal: Calendar) -> dt.datetime:
    """Return the moment ``hours`` working hours after ``start`` on the calendar (in UTC)."""
    zone = cal.zone()
    rules = (zone, cal.hours, tuple(cal.workdays), cal.holidays, tuple(map(str, cal.out_of_office)))
    # Keyed by the instant: datetimes in one zone compare by wall time, folds aside.
    due = _deadline(start.astimezone(dt.UTC), hours, rules)
    if due is None:
        # No working time found in over two years: fall back to wall-clock hours.
        return (start + dt.timedelta(hours=hours)).astimezone(dt.UTC)
    return due


# A handoff's deadline is counted when it is qualified and again when its owner is known,
# the same count whenever the owner works the hours the queue's calendar says.
@lru_cache(maxsize=1024)
def _deadline(start: dt.datetime, hours: float, rules: _Rules) -> dt.datetime | None:
    """The deadline, or None when the calendar has no working time within ``_MAX_DAYS``."""
    local = start.astimezone(rules[0])
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    for _ in range(_MAX_DAYS):
        window = _open_hours(rules, day)
        if window is not None:
            opens, closes = window
            cursor = max(local, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(dt.UTC)
                remaining -= available
        day += dt.timedelta(days=1)
    return None


# Every deadline walks the same few calendars over the same few days.
@lru_cache(maxsize=65_536)
def _open_hours(rules: _Rules, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """Return when work opens and closes on the day, or None when it is not a working day."""
    zone, hours, workdays, country, away = rules
    if not _works(workdays, country, away, day):
        return None
    begin, end = _window(hours)
    return dt.datetime.combine(day, begin, zone), dt.datetime.combine(day, end, zone)
