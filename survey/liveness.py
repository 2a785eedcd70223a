"""Liveness files: the bot and the clock touch one while they run; `cips health` reads its age.

The file's modification time is set from this process's clock (not left to the file system's),
so that the writer and the reader compare times of the same clock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def beat(path: Path) -> None:
    """Mark `path` as touched now."""
    path.touch()
    now = time.time()
    os.utime(path, (now, now))


def age_s(path: Path, now: float | None = None) -> float:
    """Seconds since `path` was last marked (FileNotFoundError if it never was)."""
    return (time.time() if now is None else now) - path.stat().st_mtime
