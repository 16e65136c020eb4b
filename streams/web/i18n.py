"""The desk's one message catalog (gettext PO files read with Babel) and locale-aware formatting.

Catalogs are read from ``locale/<lang>/LC_MESSAGES/handoff.po`` at start-up, so an install
needs no compile step. The viewer's language comes from ``?lang=`` (remembered in a
cookie), else the cookie, else ``Accept-Language``; times are shown in the viewer's zone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = ("en", "ja")
DEFAULT_LOCALE = "en"
LANG_COOKIE = "handoff_lang"
_DIR = Path(__file__).parent / "locale"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The translated strings of one language (msgid to msgstr; empty ones left out)."""
    with (_DIR / lang / "LC_MESSAGES" / "handoff.po").open("rb") as fh:
        po = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and isinstance(m.string, str) and m.string}


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str) -> str:
    """Pick the viewer's language: the query, the cookie, then ``Accept-Language``."""
    for lang in (query_lang, cookie_lang):
        if lang in LOCALES:
            return lang
    wanted = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag:
            wanted.append((weight, tag.strip().replace("-", "_")))
    wanted.sort(key=lambda w: -w[0])
    found = Locale.negotiate([t for _, t in wanted], list(LOCALES), sep="_")
    return str(found.language) if found else DEFAULT_LOCALE


@dataclass(frozen=True)
class Translator:
    """Strings, dates and numbers for one viewer: their language and time zone."""

    lang: str
    zone: ZoneInfo

    def __call__(self, msgid: str, **values: object) -> str:
        """Translate a message and fill in its ``{named}`` values."""
        text = catalog(self.lang).get(msgid, msgid)
        return text.format(**values) if values else text

    def when(self, at: datetime) -> str:
        """A moment in the viewer's zone, formatted for their language, with the zone's name."""
        local = at.astimezone(self.zone)
        return f"{format_datetime(local, 'medium', locale=self.lang)} ({self.zone.key})"

    def duration(self, delta: timedelta) -> str:
        """A length of time in words (``2 hours``, ``2時間``)."""
        return str(format_timedelta(abs(delta), threshold=1.1, locale=self.lang))

    def number(self, n: int) -> str:
        """A count with the language's grouping."""
        return str(format_decimal(n, locale=self.lang))

    def time_left(self, due: datetime, now: datetime) -> tuple[str, bool]:
        """How long is left before ``due``, or how overdue it is, and whether it is overdue."""
        if due >= now:
            return self("{time} left", time=self.duration(due - now)), False
        return self("{time} overdue", time=self.duration(now - due)), True


def translator(lang: str, zone: str) -> Translator:
    """A translator for a language and an IANA time zone name (UTC when unknown)."""
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return Translator(lang if lang in LOCALES else DEFAULT_LOCALE, tz)
