"""The scorecard's words in Japanese and English: msgid -> translation, ready to move into the desk's catalog.

English translations equal their msgid except where a shorter label reads better.
"""

from __future__ import annotations

LANGUAGES = ("ja", "en")

JA: dict[str, str] = {
    "Scorecard": "マーケティング・営業スコアカード",
    "Period": "期間",
    "this-week": "今週",
    "this-month": "今月",
    "this-quarter": "今四半期",
    "custom": "期間指定",
    "From": "開始日",
    "To": "終了日",
    "Group by": "集計単位",
    "source": "流入元",
    "campaign": "キャンペーン",
    "form": "フォーム",
    "rule": "ルール",
    "queue": "キュー",
    "rep": "担当者",
    "Show": "表示",
    "Download CSV": "CSVダウンロード",
    "Times in": "表示タイムゾーン",
    "Your numbers only": "あなたの担当分のみ表示しています",
    "Marketing: leads delivered": "マーケティング：供給したリード",
    "Sales: speed and outcome": "営業：対応速度と成果",
    "Time to first touch": "初回接触までの時間",
    "Weekly trend": "週次推移",
    "Falling acceptance": "受入率が低下しているグループ",
    "Targets": "目標と進捗",
    "Group": "グループ",
    "Submissions": "問い合わせ",
    "Dead letters": "処理不能",
    "Disqualified": "除外",
    "Disqualified reasons": "除外理由",
    "Nurture": "育成へ",
    "Duplicates": "重複",
    "MQL": "MQL",
    "SQL": "SQL",
    "Handed off": "営業へ引き渡し",
    "Accepted": "受入",
    "Accepted %": "受入率(%)",
    "Rejected": "差し戻し",
    "Rejected reasons": "差し戻し理由",
    "Won": "受注",
    "Median first touch (h)": "初回接触 中央値(時間)",
    "p90 first touch (h)": "初回接触 90%値(時間)",
    "Touched in time %": "期限内接触率(%)",
    "SLA breaches": "SLA違反",
    "Breach actions": "違反時の対応",
    "Won of accepted %": "受入→受注率(%)",
    "Waited": "待ち時間",
    "Leads": "リード数",
    "Week": "週",
    "Accepted % before": "受入率(前4週)",
    "Accepted % last 4 weeks": "受入率(直近4週)",
    "Target": "目標",
    "Queue": "キュー",
    "Reached": "実績",
    "Goal": "目標値",
    "% of goal": "達成率(%)",
    "Met": "達成",
    "yes": "達成",
    "no": "未達",
    "SQL delivered": "SQL供給数",
    "Acceptance rate": "受入率",
    "First touch in time": "期限内の初回接触",
    "total": "合計",
    "not touched": "未接触",
    "No data for this period": "この期間のデータはありません",
    "No group is falling": "低下しているグループはありません",
    "No targets in the policy": "ポリシーに目標が設定されていません",
    "Share of accepted leads, per week": "週ごとの受入率",
    "Handed off per week": "週ごとの引き渡し数",
    "Leads by time to first touch": "初回接触までの時間別リード数",
    "Handed off and accepted per group": "グループ別の引き渡し数と受入数",
    "Language": "言語",
}

EN: dict[str, str] = {
    "this-week": "This week",
    "this-month": "This month",
    "this-quarter": "This quarter",
    "custom": "Custom",
    "source": "Source",
    "campaign": "Campaign",
    "form": "Form",
    "rule": "Rule",
    "queue": "Queue",
    "rep": "Rep",
    "Scorecard": "Marketing–sales scorecard",
    "total": "Total",
}

CATALOG: dict[str, dict[str, str]] = {"ja": JA, "en": EN}


def translate(lang: str, msgid: str) -> str:
    """The text of ``msgid`` in ``lang`` (``ja`` or ``en``); the msgid itself when there is none."""
    return CATALOG.get(lang, EN).get(msgid, msgid)


def pick_language(query: str | None, accept_language: str | None) -> str:
    """The viewer's language: ``?lang=`` first, then the browser's preference; Japanese by default."""
    if query in LANGUAGES:
        return query
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "ja"
