"""The embedded broker's CPU for the same trickle of records, as the record batches it holds grow.

Run: python bench/broker_batches.py [--steps 0,5000,15000,30000] [--seconds 4] [--rate 200]

On one embedded broker (memory storage) and one topic: first writes one-record batches
(each send awaited, as a web form's lead is) until the topic holds the step's number of
batches, then for ``--seconds`` sends a trickle of ``--rate`` records a second while one
consumer tails the topic with a 10 ms fetch wait (the stream worker's busy wait), and
prints the broker's share of a core over that window, from /proc. The work per window is
the same at every step; only what the topic already holds differs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_idle import cpu_seconds  # noqa: E402
from streams.core.settings import load_settings  # noqa: E402
from streams.embedded.broker import EmbeddedBroker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402

VALUE = b"x" * 900  # about the size of a lead


async def measure(broker: EmbeddedBroker, steps: list[int], seconds: float, rate: float) -> None:
    assert broker.process is not None  # noqa: S101 - started
    pid = broker.process.pid
    run = uuid.uuid4().hex[:6]
    settings = load_settings(
        kafka_bootstrap_servers=broker.bootstrap, topic_submitted=f"batches-{run}.submitted"
    )
    ensure_topics(settings)
    topic = settings.topics.submitted
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0, enable_idempotence=False)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=f"batches-{run}",
        fetch_max_wait_ms=10,
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    written = 0
    print(
        f"{settings.kafka.partitions} partitions; a trickle of {rate:g} records/s for {seconds:g} s each step"
    )
    try:
        for step in steps:
            while written < step:
                await (await producer.send(topic, VALUE, key=str(written).encode()))
                written += 1
            while await consumer.getmany(timeout_ms=300):
                pass

            async def trickle() -> None:
                nonlocal written
                start = time.monotonic()
                while time.monotonic() - start < seconds:
                    await producer.send(topic, VALUE, key=str(written).encode())
                    written += 1
                    await asyncio.sleep(1 / rate)

            before, start = cpu_seconds(pid), time.monotonic()
            sending = asyncio.create_task(trickle())
            received = 0
            while not sending.done():
                batch = await consumer.getmany(timeout_ms=50)
                received += sum(map(len, batch.values()))
            share = 100 * (cpu_seconds(pid) - before) / (time.monotonic() - start)
            print(
                f"{step:>8,} one-record batches held: broker {share:5.1f} % of a core ({received:,} received)"
            )
    finally:
        await consumer.stop()
        await producer.stop()


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of counts") from None
    if any(c < 0 for c in counts):
        raise argparse.ArgumentTypeError("counts cannot be negative")
    return sorted(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--steps", type=_counts, default=_counts("0,5000,15000,30000"), help="batches held, comma-separated"
    )
    parser.add_argument("--seconds", type=_positive, default=4.0)
    parser.add_argument("--rate", type=_positive, default=200.0, help="records a second in the trickle")
    args = parser.parse_args()
    broker = EmbeddedBroker().start()
    try:
        asyncio.run(measure(broker, args.steps, args.seconds, args.rate))
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
