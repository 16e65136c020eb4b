"""The scorecard's words, from the desk's one catalog (``streams/web/locale``), by language."""

from __future__ import annotations

from streams.web.i18n import LOCALES, catalog, negotiate

LANGUAGES = LOCALES


def translate(lang: str, msgid: str) -> str:
    """The text of ``msgid`` in ``lang`` (``ja`` or ``en``); the msgid itself when there is none."""
    return catalog(lang if lang in LOCALES else "en").get(msgid, msgid)


def pick_language(query: str | None, accept_language: str | None, cookie: str | None = None) -> str:
    """The viewer's language as the desk picks it: ``?lang=``, the desk's cookie, the browser."""
    return negotiate(query, cookie, accept_language or "")
