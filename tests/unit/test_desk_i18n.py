"""The desk's one catalog: every string the pages use is translated, and dates follow the viewer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sinks.transitions import DEFAULT_LOST_REASONS, DEFAULT_REJECT_REASONS
from streams.web.i18n import catalog, negotiate, translator

WEB = Path(__file__).resolve().parents[2] / "streams" / "web"


def _msgids_in_code() -> set[str]:
    found: set[str] = set()
    for module in WEB.glob("*.py"):
        text = module.read_text("utf-8")
        found |= {m.group(2) for m in re.finditer(r"""\bt\(\s*(["'])(.+?)\1""", text)}
        found |= set(re.findall(r'error="([A-Z][^"]* [^"]*)"', text))
    # The pages' notes are looked up by code, then translated.
    notes = (WEB / "pages.py").read_text("utf-8").split("_NOTES = {", 1)[1].split("}", 1)[0]
    found |= set(re.findall(r'": "([^"]+)"', notes))
    return found


def test_every_page_string_and_code_has_a_japanese_translation() -> None:
    ja = catalog("ja")
    wanted = _msgids_in_code() | set(DEFAULT_REJECT_REASONS) | set(DEFAULT_LOST_REASONS)
    wanted |= {"open", "claimed", "accepted", "rejected", "closed", "Accept", "Reject", "Won", "Lost"}
    assert sorted(wanted - set(ja)) == []
    # Both files list the same msgids, so a string added to one is not forgotten in the other.
    en = (WEB / "locale/en/LC_MESSAGES/handoff.po").read_text("utf-8")
    assert set(re.findall(r'^msgid "(.+)"$', en, re.M)) == set(ja)


def test_language_comes_from_the_query_then_the_cookie_then_accept_language() -> None:
    assert negotiate(None, None, "ja-JP,ja;q=0.9,en;q=0.8") == "ja"
    assert negotiate(None, None, "fr-FR, en;q=0.5") == "en"
    assert negotiate(None, None, "") == "en"
    assert negotiate(None, "ja", "en-US") == "ja"
    assert negotiate("en", "ja", "ja") == "en"
    assert negotiate("xx", None, "ja") == "ja"


def test_deadlines_in_tokyo_for_the_viewers_language() -> None:
    due = datetime(2026, 11, 2, 9, 7, tzinfo=UTC)
    ja, en = translator("ja", "Asia/Tokyo"), translator("en", "Asia/Tokyo")
    assert ja.when(due) == "2026/11/02 18:07:00 (Asia/Tokyo)"
    assert en.when(due) == "Nov 2, 2026, 6:07:00\u202fPM (Asia/Tokyo)"
    assert ja.time_left(due, due - timedelta(hours=2)) == ("残り 2 時間", False)
    assert en.time_left(due, due + timedelta(minutes=30)) == ("30 minutes overdue", True)
    assert ja("{n} waiting", n=ja.number(1234)) == "未担当 1,234 件"
