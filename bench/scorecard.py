"""Measure the scorecard page's read on PostgreSQL with 1,000,000 handoffs and their feedback.

    .venv/bin/python bench/scorecard.py [--rows 1000000] [--pg URL] [--repeat 3] [--keep]

Fills a fresh schema inside PostgreSQL (INSERT … SELECT over generate_series):
handoffs submitted over the last 52 weeks (form, UTM, queue, owner, stage, status,
first touch, breaches), one feedback row per decision (accepted, contacted, won),
SLA breaches for one handoff in twenty and the submissions that never reached sales.
Then times ``build_report`` (what ``/reports`` and ``handoff report scorecard`` run) for
the periods and groupings a manager opens, and prints the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sinks.store import create_schema, make_engine  # noqa: E402
from streams.desk.scorecard import build_report  # noqa: E402
from streams.logic.periods import resolve_period  # noqa: E402
from streams.logic.policy_file import load_policy  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TZ = ZoneInfo("Asia/Tokyo")
SOURCES = ["google", "linkedin", "event", "newsletter", "", "facebook", "partner"]
CAMPAIGNS = ["expo-tokyo", "spring-webinar", "retarget", "", "ebook-dx"]
FORMS = ["demo-request", "contact-sales", "pricing", "whitepaper", "webinar"]
RULES = [
    "fit.business_email",
    "fit.seniority",
    "fit.employees.1000+",
    "intent.form.demo-request",
    "intent.pricing",
]
REPS = {
    "enterprise": ["sato.kenji", "suzuki.yui", "emily.carter"],
    "inside-sales": ["tanaka.hiro", "takahashi.mei"],
}
REJECTS = ["not_a_fit", "no_budget", "bad_contact_data", "spam"]


def _pick(options: list[str]) -> str:
    """SQL for a random element of ``options`` (empty string: NULL), drawn per row."""
    items = ", ".join("NULL" if o == "" else f"'{o}'" for o in options)
    return f"(ARRAY[{items}]::text[])[1 + floor(random() * {len(options)})::int]"


def _lognormal_minutes(mu: float, sigma: float) -> str:
    """SQL for a log-normal wait in minutes (Box-Muller), drawn per row."""
    return (
        f"interval '1 minute' * exp({mu} + {sigma} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"
    )


# Generated inside PostgreSQL (INSERT … SELECT over generate_series): a million rows in seconds.
HANDOFFS = f"""
WITH s AS (
  SELECT i, CAST(:now AS timestamptz) - random() * interval '364 days' AS sub, random() AS roll,
    random() AS rq, random() AS rs, random() AS rb, {_pick(SOURCES)} AS src, {_pick(CAMPAIGNS)} AS camp,
    {_pick(FORMS)} AS form, {_pick(RULES)} AS rule1, {_pick(RULES)} AS rule2, {_pick(REJECTS)} AS rejected,
    floor(random() * 3)::int AS pick
  FROM generate_series(1, :n) AS i
), t AS (
  SELECT s.*, CASE WHEN rq < 0.3 THEN 'enterprise' ELSE 'inside-sales' END AS queue,
    CASE WHEN rs < 0.4 THEN 'SQL' ELSE 'MQL' END AS stage, sub + {_lognormal_minutes(4.0, 1.0)} AS decided
  FROM s
), u AS (
  SELECT t.*, decided + {_lognormal_minutes(3.0, 1.2)} AS touched,
    CASE WHEN queue = 'enterprise' THEN (ARRAY['sato.kenji', 'suzuki.yui', 'emily.carter'])[1 + pick]
         ELSE (ARRAY['tanaka.hiro', 'takahashi.mei', 'watanabe.sho'])[1 + pick] END AS owner,
    'h' || lpad(i::text, 8, '0') AS hid
  FROM t
)
INSERT INTO sales_queue (handoff_id, lead_id, event_id, queue, owner, stage, score, status, email,
  full_name, company, country, submitted_at, queued_at, sla_due_at, updated_at, submissions, handoff,
  claimed_at, decided_at, first_touch_at, closed_at, outcome, reason, breaches, form_id, utm_source,
  utm_campaign)
SELECT hid, 'lead' || i, 'e' || i, queue, owner, stage, 40 + floor(random() * 60)::int,
  CASE WHEN roll >= 0.88 THEN 'open' WHEN roll < 0.2 THEN 'rejected' WHEN roll < 0.35 THEN 'closed'
       ELSE 'accepted' END,
  'p' || i || '@example.co.jp', '山田 太郎' || i, '株式会社テスト' || (i % 5000), 'JP', sub, sub,
  sub + CASE WHEN stage = 'SQL' THEN interval '4 hours' ELSE interval '24 hours' END, sub, 1,
  json_build_object('handoff_id', hid, 'queue', queue, 'stage', stage,
    'reasons', json_build_array(json_build_object('rule', rule1, 'points', 10),
                                json_build_object('rule', rule2, 'points', 15)),
    'contact', json_build_object('email', 'p' || i || '@example.co.jp', 'full_name', '山田 太郎' || i,
                                 'job_title', '営業部長', 'country', 'JP'),
    'source', json_build_object('form_id', form, 'utm', json_build_object('source', src, 'campaign', camp)),
    'submitted_at', sub),
  CASE WHEN roll < 0.88 THEN decided END, CASE WHEN roll < 0.88 THEN decided END,
  CASE WHEN roll >= 0.2 AND roll < 0.88 THEN touched END,
  CASE WHEN roll >= 0.2 AND roll < 0.35 THEN touched + interval '9 days' END,
  CASE WHEN roll >= 0.2 AND roll < 0.35 THEN 'won' END, CASE WHEN roll < 0.2 THEN rejected END,
  CASE WHEN rb < 0.05 THEN 1 ELSE 0 END, form, src, camp
FROM u
"""  # noqa: S608 - only constants of this script
FEEDBACK = [
    "INSERT INTO handoff_rules SELECT DISTINCT s.handoff_id, r.value->>'rule' "
    "FROM sales_queue s, json_array_elements(s.handoff->'reasons') r",
    "INSERT INTO feedback SELECT handoff_id || '-d', handoff_id, "
    "CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'accepted' END, "
    "CASE WHEN status = 'rejected' THEN reason END, owner, decided_at, true, decided_at, decided_at "
    "FROM sales_queue WHERE decided_at IS NOT NULL",
    "INSERT INTO feedback SELECT handoff_id || '-c', handoff_id, 'contacted', NULL, owner, first_touch_at, "
    "true, first_touch_at, first_touch_at FROM sales_queue WHERE first_touch_at IS NOT NULL",
    "INSERT INTO feedback SELECT handoff_id || '-w', handoff_id, 'won', NULL, owner, closed_at, true, "
    "closed_at, closed_at FROM sales_queue WHERE outcome = 'won'",
    "INSERT INTO sla_breaches (handoff_id, due_at, breached_at, breach, action, from_owner, to_owner, "
    "from_queue, to_queue, published_at) SELECT handoff_id, sla_due_at, sla_due_at, 1, 'escalate', owner, "
    "owner, queue, queue, sla_due_at FROM sales_queue WHERE breaches = 1",
    "INSERT INTO lead_outcomes SELECT 'n' || i, "  # noqa: S608 - only constants of this script
    f"{_pick(['nurture', 'nurture', 'disqualified', 'duplicate', 'dead_letter'])}, 'stage.none', "
    f"{_pick(FORMS)}, {_pick(SOURCES)}, NULL, CAST(:now AS timestamptz) - random() * interval '364 days' "
    "FROM generate_series(1, :n / 3) AS i",
]


def load(engine: Engine, n: int, now: datetime) -> dict[str, int]:
    """Generate n handoffs with feedback, breaches and early outcomes; return the row counts."""
    with engine.begin() as conn:
        conn.execute(text(HANDOFFS), {"now": now, "n": n})
        for statement in FEEDBACK:
            conn.execute(text(statement), {"now": now, "n": n})
    tables = ("sales_queue", "handoff_rules", "feedback", "sla_breaches", "lead_outcomes")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As autovacuum would: statistics, and the visibility map index-only scans rely on.
        for table in tables:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the schema afterwards.")
    parser.add_argument("--schema", help="Time again over a schema kept by an earlier --keep run.")
    args = parser.parse_args()
    schema = args.schema or f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg)
    if not args.schema:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{args.pg}?options=-csearch_path%3D{schema}")
    try:
        create_schema(engine)
        now = datetime.now(UTC)
        if not args.schema:
            started = time.perf_counter()
            counts = load(engine, args.rows, now)
            print(f"loaded {counts} in {time.perf_counter() - started:.1f} s")
        print(f"schema {schema}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        policy = load_policy()
        cases = [
            ("this-week", "source"),
            ("this-month", "source"),
            ("this-month", "rep"),
            ("this-quarter", "source"),
            ("this-quarter", "campaign"),
            ("this-quarter", "rule"),
        ]
        print(f"{'period':<14}{'by':<10}{'handed off':>11}{'median s':>10}{'min s':>8}{'max s':>8}")
        for period, by in cases:
            start, end = resolve_period(period, now=now, tz=TZ)
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                report = build_report(
                    engine=engine, policy=policy, start=start, end=end, by=by, tz=TZ, now=now
                )
                times.append(time.perf_counter() - t)
            print(
                f"{period:<14}{by:<10}{report.card.total.handed_off:>11}{statistics.median(times):>10.3f}"
                f"{min(times):>8.3f}{max(times):>8.3f}"
            )
    finally:
        engine.dispose()
        if not args.keep and not args.schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
