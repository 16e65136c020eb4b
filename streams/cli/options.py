"""Options and helpers that several command groups share, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from streams.core.settings import Settings, load_settings
from streams.logic.policy import Policy, PolicyError
from streams.logic.policy_file import load_policy

if TYPE_CHECKING:
    from streams.desk.sales_desk import SalesDesk

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def open_desk(settings: Settings | None = None) -> SalesDesk:
    """Open the sales desk over the configured store and broker."""
    from sinks.preflight import require_store
    from streams.desk.sales_desk import SalesDesk

    settings = settings or load_settings()
    require_store(settings.database.url)
    return SalesDesk(settings)


def policy_at(path: Path | None) -> Policy:
    """Load a policy file, or stop with its errors."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise click.ClickException(f"invalid policy:\n{exc}") from None


def settings_from(**overrides: Any) -> Settings:
    """Settings from the environment, with the options the user gave on top."""
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun in the right number: "1 lead", "2 leads", "1 dead letter"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
