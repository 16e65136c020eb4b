"""Measure what sign-in costs on the desk: a token check, and API and page answers per credential.

    .venv/bin/python bench/desk.py [--leads 300] [--requests 50]

Builds a scratch SQLite queue of N leads and one rep, serves the desk app in-process, and
prints the milliseconds of verifying a token (scrypt the first time, then remembered),
and the median and p95 of `GET /api/queue` with a
bearer token, and `GET /queue` (one page of cards) with a session cookie.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from sinks.queue import record_handoffs
from sinks.store import create_schema, make_engine
from sinks.users import add_user, user_by_token
from streams.core.settings import load_settings
from streams.web.app import build_desk_app
from tests.sales_factory import T0, handoff


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


async def _requests(url: str, requests: int) -> None:
    settings = load_settings(database_url=url, kafka_bootstrap_servers="127.0.0.1:1")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        token = add_user(session=session, name="tanaka.hiro", role="rep", email=None, now=T0)
    checks = []
    for _ in range(10):
        with Session(engine) as session:
            start = time.perf_counter()
            user_by_token(session=session, token=token)
            checks.append(time.perf_counter() - start)
    engine.dispose()
    print(f"first token check (scrypt)    {checks[0] * 1000:7.1f} ms")
    print(f"later token checks (cached)   {_ms(checks[1:])}")
    async with TestClient(TestServer(build_desk_app(settings))) as client:
        api = []
        for _ in range(requests):
            start = time.perf_counter()
            resp = await client.get("/api/queue", headers={"Authorization": f"Bearer {token}"})
            await resp.read()
            api.append(time.perf_counter() - start)
        print(f"GET /api/queue (bearer)       {_ms(api)}")
        form = await (await client.get("/signin")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf  # noqa: S101
        await client.post("/signin", data={"token": token, "csrf": csrf.group(1)})
        pages = []
        for _ in range(requests):
            start = time.perf_counter()
            resp = await client.get("/queue", params={"queue": "inside-sales"})
            await resp.read()
            pages.append(time.perf_counter() - start)
        print(f"GET /queue page (session)     {_ms(pages)}")


def main() -> None:
    """Run the measurement and print the numbers."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'desk.db'}"
        engine = make_engine(url)
        create_schema(engine)
        events = [handoff(n, sla_due_at=T0 + timedelta(minutes=n)) for n in range(1, args.leads + 1)]
        with Session(engine) as session, session.begin():
            record_handoffs(session=session, now=T0, events=events)
        engine.dispose()
        print(f"{args.leads} leads waiting in inside-sales, {args.requests} requests each")
        asyncio.run(_requests(url, args.requests))


if __name__ == "__main__":
    main()
