"""The scorecard's pure parts: periods in the viewer's zone, targets, charts, CSV and the Japanese words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from schemas.errors import DeskError
from sinks.scorecard import Scorecard
from sinks.scorecard_numbers import GroupNumbers
from streams.desk.scorecard_tables import all_tables
from streams.logic.periods import resolve_period, viewer_zone
from streams.logic.policy import ScorecardTargets
from streams.logic.scorecard_targets import progress, prorated
from streams.web import charts
from streams.web.i18n import catalog
from streams.web.scorecard_csv import to_csv
from streams.web.scorecard_text import pick_language, translate

pytestmark = pytest.mark.unit
TOKYO = ZoneInfo("Asia/Tokyo")
# Sunday 29 November 2026, 16:00 UTC: already Monday 01:00 in Tokyo.
NOW = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


def test_periods_follow_the_viewers_calendar() -> None:
    week = resolve_period("this-week", now=NOW, tz=TOKYO)
    assert week == (datetime(2026, 11, 30, tzinfo=TOKYO), datetime(2026, 12, 7, tzinfo=TOKYO))
    # The same instant is still Sunday in UTC and New York: the week before.
    assert resolve_period("this-week", now=NOW, tz=ZoneInfo("UTC"))[0].day == 23
    assert resolve_period("this-week", now=NOW, tz=ZoneInfo("America/New_York"))[0].day == 23
    assert resolve_period("this-month", now=NOW, tz=TOKYO)[1] == datetime(2026, 12, 1, tzinfo=TOKYO)
    quarter = resolve_period("this-quarter", now=datetime(2026, 12, 31, 16, tzinfo=UTC), tz=TOKYO)
    assert quarter == (datetime(2027, 1, 1, tzinfo=TOKYO), datetime(2027, 4, 1, tzinfo=TOKYO))
    custom = resolve_period("custom", now=NOW, tz=TOKYO, first=date(2026, 10, 1), last=date(2026, 10, 31))
    assert custom == (datetime(2026, 10, 1, tzinfo=TOKYO), datetime(2026, 11, 1, tzinfo=TOKYO))
    with pytest.raises(DeskError, match="needs both dates"):
        resolve_period("custom", now=NOW, tz=TOKYO, first=date(2026, 10, 1))
    with pytest.raises(DeskError, match="unknown period 'yesterday'"):
        resolve_period("yesterday", now=NOW, tz=TOKYO)
    assert viewer_zone("Mars/Olympus").key == "Asia/Tokyo" and viewer_zone("UTC").key == "UTC"


def test_progress_scales_the_monthly_target_to_the_period() -> None:
    start, end = resolve_period("this-week", now=NOW, tz=TOKYO)
    assert prorated(120, start, end) == 27.6
    month = resolve_period("this-month", now=NOW, tz=TOKYO)
    assert prorated(120, *month) == 120
    targets = ScorecardTargets(sql_per_month={"main": 120}, acceptance_rate=70, first_touch_hours=1)
    done = progress(
        targets, start=start, end=end, sql_by_queue={"main": 30}, accepted_pct=65.0,
        touched_within_objective=2, handed_off=4,
    )  # fmt: skip
    assert [(p.target, p.subject, p.actual, p.goal, p.met) for p in done] == [
        ("SQL delivered", "main", 30.0, 27.6, True),
        ("Acceptance rate", "", 65.0, 70, False),
        ("First touch in time", "", 50.0, 90, False),
    ]
    assert done[0].pct_of_goal == 108.7


def _xml(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)  # noqa: S314 - the charts' own output


def test_charts_are_escaped_accessible_svg_without_script() -> None:
    svg = charts.bars(
        "受入 <b>", ["a&b", "長いキャンペーン名がここに入ります"], [("n", [3, 0]), ("m", [1, 2])]
    )
    tree = _xml(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.get("role") == "img" and tree.findtext(f"{ns}title") == "受入 <b>"
    assert "a&b: n 3, m 1" in (tree.findtext(f"{ns}desc") or "")
    assert ">長いキャンペーン名…<" in svg
    line = charts.line("rate", ["w1", "w2", "w3", "w4"], [50.0, None, 80.0, 90.0], target=70)
    _xml(line)
    assert line.count("<polyline") == 1 and 'class="target"' in line
    _xml(charts.columns("dist", ["<5m", "1-4h"], [0, 0]))
    for text in (svg, line):
        assert "<script" not in text and "style=" not in text and "on" + "load" not in text


def _card() -> Scorecard:
    total = GroupNumbers("total", nurture=1)
    total.add_outcome("disqualified", "spam")
    google = GroupNumbers("google", nurture=1)
    start, end = resolve_period("this-week", now=NOW, tz=TOKYO)
    return Scorecard(start=start, end=end, by="source", rep=None, total=total, groups=[google])


def test_csv_has_a_bom_translated_headers_and_every_row() -> None:
    tables = all_tables(_card(), [])
    text = to_csv(tables["marketing"], "ja")
    assert text.startswith("\ufeffグループ,送信回数,処理不能,除外,除外理由,育成へ")
    assert text.splitlines()[-1].startswith("合計,2,0,1,spam 1,1")
    assert to_csv(tables["marketing"], "en").splitlines()[2].startswith("Total,")


def test_every_word_of_the_tables_has_a_japanese_translation() -> None:
    tables = all_tables(_card(), [])
    words = {t.title for t in tables.values()} | {c for t in tables.values() for c in t.columns}
    words |= {"SQL delivered", "Acceptance rate", "First touch in time", "total", "not touched"}
    ja = catalog("ja")
    assert sorted(w for w in words if w not in ja) == []
    assert not [w for w in words if not re.search(r"[぀-ヿ一-鿿]", ja[w]) and w not in ("MQL", "SQL")]
    assert translate("en", "this-week") == "This week" and translate("ja", "Won") == "受注"
    assert pick_language(None, "en-US,en;q=0.9") == "en" and pick_language("ja", "en") == "ja"
    assert pick_language(None, "fr-FR") == "en" and pick_language(None, "fr-FR", "ja") == "ja"
