"""Post N leads to a running `handoff serve` and print throughput and latency.

# with HANDOFF_FORMS_FILE giving the form an API key (keyed posts are not rate limited)
handoff serve --port 8080
python bench/intake_http.py --url http://127.0.0.1:8080/v1/leads --key KEY -n 2000 -c 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import aiohttp


async def _worker(
    session: aiohttp.ClientSession,
    args: argparse.Namespace,
    queue: asyncio.Queue[int],
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    while True:
        try:
            index = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        lead = {
            "event_id": f"bench-{uuid.uuid4()}",
            "form_id": args.form,
            "company": "株式会社ベンチ",
            "email": f"user{index}@bench-kougyou.co.jp",
            "utm": {"source": "bench"},
        }
        started = time.perf_counter()
        async with session.post(args.url, json=lead, headers={"X-Handoff-Key": args.key}) as resp:
            await resp.read()
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
        latencies.append(time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(args.n):
        queue.put_nowait(index)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(session, args, queue, latencies, statuses) for _ in range(args.c)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{args.n} leads, concurrency {args.c}: {elapsed:.2f} s, {args.n / elapsed:.0f} leads/s; "
        f"latency p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; statuses {statuses}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/v1/leads")
    parser.add_argument("--key", required=True)
    parser.add_argument("--form", default="demo-request")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("-c", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
