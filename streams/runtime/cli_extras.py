"""Attach the command groups that live in their own modules to the `handoff` command."""

from __future__ import annotations

import importlib

import click

# Each module exposes ``commands``: a list of click commands or groups to add.
MODULES: tuple[str, ...] = (
    "streams.runtime.cli_sales", "streams.runtime.cli_intel", "streams.runtime.cli_ops",
)


def register(main: click.Group) -> None:
    """Add every extra command group to ``main``."""
    for name in MODULES:
        for command in importlib.import_module(name).commands:
            main.add_command(command)
