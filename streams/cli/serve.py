"""`handoff serve`: the public intake and the desk, on two listeners."""

from __future__ import annotations

import sys

import click

from streams.cli.options import settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Public intake address.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--desk-host", default="127.0.0.1", show_default=True, help="Desk address (keep it internal).")
@click.option("--desk-port", default=8081, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--only", type=click.Choice(["intake", "desk"]), help="Run one listener (separate deployments)."
)
def serve(host: str, port: int, desk_host: str, desk_port: int, only: str | None) -> None:
    """Run the public intake (POST /v1/leads) and the sales desk until SIGINT/SIGTERM."""
    from streams.web.app import run_web

    def ready(name: str, url: str) -> None:
        click.echo(f"serving {name} on {url}")
        sys.stdout.flush()

    run_web(
        settings_from(),
        host=host,
        port=port,
        desk_host=desk_host,
        desk_port=desk_port,
        only=only,
        on_ready=ready,
    )
