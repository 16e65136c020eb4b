"""Topics the Faust agents read and write as raw bytes (the models do their own JSON)."""

from __future__ import annotations

from typing import Any

import faust


def raw_topic(app: faust.App, *names: str) -> Any:
    """A topic (or several read as one) whose keys and values pass through as bytes."""
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
