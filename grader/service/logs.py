"""Logging for the api and the workers: one line per delivery and per job, JSON when asked.

The fields a line carries (delivery, event, repository, push, commit, outcome, score,
seconds) go in `extra=`, so the text format shows them after the message and the JSON
format (python-json-logger: the stdlib's logging, no second logging system) makes each a
key a log pipeline can filter on.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from grader.settings import Settings

FIELDS = ("delivery", "event", "repository", "push", "run", "commit", "outcome", "score",
          "seconds")


class _TextWithFields(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = [f"{k}={getattr(record, k)}" for k in FIELDS if hasattr(record, k)]
        return f"{line} {' '.join(extra)}" if extra else line


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if settings.log_format == "json":
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time"},
        )
    else:
        formatter = _TextWithFields("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger("grader")
    workers = logging.getLogger("workers")
    for logger in (root, workers):
        logger.handlers[:] = [handler]
        logger.setLevel(settings.log_level.upper())
        logger.propagate = False


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` for a log call, without the fields that are unknown (None)."""
    return {k: v for k, v in values.items() if v is not None}
