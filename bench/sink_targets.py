"""Measure what each sink target sends per second to a local stand-in of its vendor.

    .venv/bin/python bench/sink_targets.py [--events 2000]

No broker: each target's ``flush`` is driven directly in batches of its limit, against the
stand-ins the tests use (they check every request), so the number is the client side's
ceiling (request building, JSON, HTTP) on this machine, not the vendor's rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sinks.config import parse_sinks  # noqa: E402
from sinks.contract import Delivered, Item  # noqa: E402
from sinks.directory import Directory  # noqa: E402
from sinks.targets.build import build_target  # noqa: E402
from tests import standins  # noqa: E402
from tests.sales_factory import handoff  # noqa: E402
from tests.standins_crm import Hubspot, Kintone, Salesforce  # noqa: E402


async def measure(name: str, stand_in: standins.StandIn, line: str, events: int, url_env: str = "") -> None:
    await stand_in.start()
    if url_env:
        os.environ[url_env] = stand_in.url + standins.SLACK_PATH
    config = parse_sinks(f"sinks:\n  - {line.format(url=stand_in.url)}\n", "bench")[0]
    target = build_target(config, Directory())
    batch = [handoff(n) for n in range(events)]
    items = [Item("handoff", e.handoff_id, e.model_dump_json().encode(), e) for e in batch]
    started = time.perf_counter()
    delivered = 0
    for i in range(0, len(items), target.batch_limit):
        for item in items[i : i + target.batch_limit]:
            target.add(item)
        delivered += sum(isinstance(a, Delivered) for a in await target.flush())
    took = time.perf_counter() - started
    await target.close()
    await stand_in.close()
    assert not stand_in.violations, stand_in.violations
    print(
        f"{name:<11} batch {target.batch_limit:>3}  {delivered:>6} delivered"
        f"  {delivered / took:>8.0f} events/s"
    )


async def main(events: int) -> None:
    os.environ.update(
        HOOK_SECRET=standins.WEBHOOK_SECRET,
        SF_ID=standins.SF_CLIENT_ID,
        SF_SECRET=standins.SF_CLIENT_SECRET,
        HUBSPOT_TOKEN=standins.HUBSPOT_TOKEN,
        KINTONE_TOKEN=standins.KINTONE_TOKEN,
    )
    hook = "{{name: w, type: webhook, url: '{url}/handoff', secret_env: HOOK_SECRET}}"
    await measure("webhook", standins.webhook(), hook, events)
    slack = "{{name: s, type: slack, webhook_url_env: SLACK_URL}}"
    await measure("slack", standins.slack(), slack, events, url_env="SLACK_URL")
    await measure(
        "salesforce",
        Salesforce(),
        "{{name: sf, type: salesforce, instance_url: '{url}',"
        " client_id_env: SF_ID, client_secret_env: SF_SECRET}}",
        events,
    )
    hubspot = "{{name: h, type: hubspot, token_env: HUBSPOT_TOKEN, base_url: '{url}'}}"
    await measure("hubspot", Hubspot(), hubspot, events)
    await measure(
        "kintone",
        Kintone("handoff_id"),
        "{{name: k, type: kintone, base_url: '{url}', app: 7, token_env: KINTONE_TOKEN,"
        " update_key: handoff_id, fields: {{会社名: company, メール: contact.email}}}}",
        events,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    asyncio.run(main(parser.parse_args().events))
