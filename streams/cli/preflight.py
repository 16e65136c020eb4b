"""What `handoff up` and `handoff demo` check before they start anything and say `ready`."""

from __future__ import annotations

import socket

from schemas.errors import ConfigError
from streams.cli.options import policy_at
from streams.core.settings import Settings

LOOPBACK = "127.0.0.1"


class PortTaken(ConfigError):
    """A port the stack would listen on is in use or already answers."""


def require_free_port(port: int, what: str, host: str = LOOPBACK) -> None:
    """Refuse a port that already answers (another broker) or that cannot be bound."""
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        pass
    else:
        raise PortTaken(
            f"{what} {port}: something already answers on {host}:{port} (another `handoff up`?); "
            f"stop it or choose another {what}"
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers do: a port whose last connection is in TIME_WAIT is free to listen on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortTaken(
                f"{what} {port}: cannot listen on {host}:{port} ({exc.strerror}); choose another {what}"
            ) from None


def preflight(settings: Settings, *, broker_port: int | None, children: int) -> None:
    """Validate the policy, the forms and sinks files, the database and the ports; raise the first problem."""
    from sinks.config import load_sinks_file
    from sinks.preflight import reachable_revision, sqlite_path
    from streams.web.forms import load_forms

    policy_at(settings.policy.rules_file)
    load_forms(settings.intake.forms_file)
    load_sinks_file(settings.sink.file)
    if sqlite_path(settings.database.url) is None:
        reachable_revision(settings.database.url)  # SQLite files are created and migrated by `up`
    if broker_port is not None:
        require_free_port(broker_port, "--port")
    base = settings.ops.metrics_port
    if base:
        for offset in range(children):
            require_free_port(base + offset, "HANDOFF_METRICS_PORT", host=settings.ops.metrics_host)
