"""A ``--listener`` for CLI subprocesses and race workers: one JSON line per event, appended to
the file named by ``LIFECYCLE_EVENTS``, so a test can count what every process announced."""

from __future__ import annotations

import json
import os
from typing import Any


def notify(event: str, /, **payload: Any) -> None:
    record = payload.get("record")
    line = {
        "event": event,
        "pid": os.getpid(),
        "quote_id": getattr(record, "quote_id", None),
        "order_id": getattr(record, "order_id", None) or payload.get("order_id"),
        "status": getattr(getattr(record, "status", None), "value", None),
        "reason": payload.get("reason"),
    }
    # one write() of one line with O_APPEND: lines from several processes never interleave
    fd = os.open(os.environ["LIFECYCLE_EVENTS"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every event line written so far."""
    try:
        with open(path, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError:
        return []
