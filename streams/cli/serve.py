"""`handoff serve`: the HTTP service."""

from __future__ import annotations

import sys

import click

from streams.cli.options import settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Run the HTTP service (lead intake, sales queue API and pages) until SIGINT/SIGTERM."""
    from streams.web.app import run_web

    def ready(url: str) -> None:
        click.echo(f"serving on {url}")
        sys.stdout.flush()

    run_web(settings_from(), host=host, port=port, on_ready=ready)
