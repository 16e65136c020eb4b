"""Topics the Faust agents read and write as raw bytes (the models do their own JSON)."""

from __future__ import annotations

from typing import Any

import faust


def raw_topic(app: faust.App, name: str) -> Any:
    """A topic whose keys and values pass through as bytes."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
