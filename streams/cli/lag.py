"""`handoff lag`: consumer lag with Burrow-style statuses, once or with --watch."""

from __future__ import annotations

import json
import sys
import time

import click

from schemas.errors import HandoffError
from streams.core.settings import load_settings

# Exit status when a partition is STALL or STOP, so scripts and probes can alert on it.
EXIT_FAILING = 2


class NoSuchGroup(HandoffError):
    """A group asked for with --group has committed nothing: nothing to report."""

    exit_code = 3


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one document per look with --watch).")
@click.option("--group", "groups", multiple=True, help="Only these consumer groups.")
@click.option("--watch", is_flag=True, help="Keep sampling and redrawing until Ctrl-C.")
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 3600),
    help="Seconds between samples.",
)
@click.option(
    "--samples",
    default=3,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Samples taken before a one-off report (statuses need at least 2).",
)
@click.option(
    "--window",
    default=10,
    show_default=True,
    type=click.IntRange(2, 1000),
    help="Samples each status is judged over with --watch.",
)
def lag(
    as_json: bool, groups: tuple[str, ...], watch: bool, interval: float, samples: int, window: int
) -> None:
    """Consumer lag per group, topic and partition, with a status and an estimated time lag.

    Statuses (Burrow's): OK; WARN lag grows; STALL committed offset stuck with lag while the
    group commits elsewhere; STOP the group committed nothing in the window; REWIND the
    committed offset went back. Exits 2 when any partition is STALL or STOP.
    """
    from streams.kafka.reach import require_broker
    from streams.lag.collect import collect_lag
    from streams.lag.window import (
        LagWindows,
        failing,
        render_report_table,
        report_as_json,
    )

    settings = load_settings()
    require_broker(settings.kafka.bootstrap_servers)
    windows = LagWindows(window if watch else samples)
    wanted = list(groups) or None
    taken = 0
    try:
        while True:
            rows = collect_lag(settings.kafka.bootstrap_servers, groups=wanted)
            windows.add(rows, time.time())
            taken += 1
            missing = sorted(set(groups) - {r.group for r in rows})
            if taken == 1 and missing and not watch:
                raise NoSuchGroup(
                    f"no commits from consumer group {', '.join(missing)} at "
                    f"{settings.kafka.bootstrap_servers}; run `handoff lag` without --group to see the groups"
                )
            if watch:
                reports = windows.report()
                if as_json:
                    click.echo(json.dumps({"at": time.time(), "partitions": report_as_json(reports)}))
                else:
                    click.clear()
                    click.echo(
                        time.strftime("%Y-%m-%d %H:%M:%S") + f"  (every {interval:g} s, "
                        f"window {window}; Ctrl-C to stop)\n"
                    )
                    click.echo(render_report_table(reports))
                sys.stdout.flush()
            elif taken >= samples:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    reports = windows.report()
    if not watch:
        click.echo(json.dumps(report_as_json(reports), indent=2) if as_json else render_report_table(reports))
    sys.exit(EXIT_FAILING if failing(reports) else 0)
