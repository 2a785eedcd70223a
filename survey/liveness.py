"""Liveness files: the bot and the clock touch one while they run; `cips health` reads its age.

The file's modification time is set from this process's clock (not left to the file system's),
so that the writer and the reader compare times of the same clock. A process may also leave a
few figures in it, as JSON (the bot: the 429s Telegram answered in the last hour).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def beat(path: Path, figures: dict | None = None) -> None:
    """Mark `path` as touched now, with `figures` as its content when given."""
    if figures is None:
        path.touch()
    else:
        path.write_text(json.dumps(figures))
    now = time.time()
    os.utime(path, (now, now))


def figures(path: Path) -> dict:
    """The figures left in a liveness file ({} if none)."""
    try:
        found = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def age_s(path: Path, now: float | None = None) -> float:
    """Seconds since `path` was last marked (FileNotFoundError if it never was)."""
    return (time.time() if now is None else now) - path.stat().st_mtime
