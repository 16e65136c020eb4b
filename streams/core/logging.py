"""Structured, PII-safe logs: one JSON object per line, emails and phone numbers masked.

Masking happens when a record is created (a log record factory), so it covers every
logger and handler in the process, ours, Faust's and the Kafka clients', and whatever
format is chosen. Half- and full-width forms (``ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ``,
``０３－１２３４－５６７８``) are masked alike.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "install_masking", "logging_config", "mask_pii"]

_EMAIL = re.compile(r"([\w.+\-％]+)[@＠]([\w\-]+(?:[.．][\w\-]+)+)")
# Seven or more digits with the separators phone numbers use, optionally after + (or ＋).
_PHONE = re.compile(
    r"(?<![\w.:/])[+＋]?[(（]?\d[\d\s\-－‐()（）.．]{5,}\d(?:\s*(?:x|ext\.?|内線)\s*\d{1,6})?(?![\w:])"
)
_PAYLOAD_LOGGERS = (
    "faust.topics",
    "aiokafka.producer.producer",
    "aiokafka.consumer.fetcher",
    "aiokafka.producer.sender",
    "faust.transport.drivers.aiokafka",
)
_DATE_LIKE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}")
# The end of an access log's request line: what follows is a status code and a size.
_ACCESS_REQUEST_END = re.compile(r'HTTP/\d(?:\.\d)?"\s+$')


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[:1]}***@{domain}"


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [c for c in text if c.isdigit()]
    if len(digits) < 7 or _DATE_LIKE.match(text):
        return text  # dates and short numbers (offsets, counts) are not phone numbers
    if _ACCESS_REQUEST_END.search(match.string, max(0, match.start() - 16), match.start()):
        return text  # "GET /metrics HTTP/1.1" 200 1234: a status code and a size
    return "***" + "".join(digits[-2:])


def mask_pii(text: str) -> str:
    """Mask email addresses (keep the first letter and the domain) and phone numbers (keep 2 digits)."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub(_mask_email, text))


def install_masking() -> None:
    """Make every log record created from now on carry a masked message (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "handoff_masking", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string still deserves a log line
            message = str(record.msg)
        record.msg, record.args = mask_pii(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = mask_pii("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    factory.handoff_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, process, message (and the error, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": mask_pii(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_pii(self.formatException(record.exc_info))
        if record.exc_text:
            doc["error"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False)


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document for a worker process."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if fmt == "json"
        else {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["default"]},
        # These dump whole message values at debug level (bytes reprs the masking cannot read).
        "loggers": {
            **{name: {"level": "INFO"} for name in _PAYLOAD_LOGGERS},
            # kafka-python narrates every short-lived admin client (lag samples, probes) at INFO.
            "kafka": {"level": "WARNING" if level.upper() != "DEBUG" else "DEBUG"},
        },
    }
