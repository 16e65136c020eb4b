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
    """Run the public intake (POST /v1/leads) and the sales desk until SIGINT/SIGTERM.

    \b
    Who may post which form, with which keys and from which origins: HANDOFF_FORMS_FILE
    (without it every form is refused). Desk sign-in: HANDOFF_DESK_AUTH (token, proxy or
    none), users from `handoff users add`. The desk listens on loopback unless told otherwise.
    """
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
