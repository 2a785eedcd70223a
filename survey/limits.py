"""How much input cips accepts: the web's request bodies and the files `cips import` reads.

Each limit is a setting (environment variable) with a default far above real use, so that an
oversized or hostile input is refused at once with a message instead of exhausting memory or
time. Sizes are given in bytes, or with a suffix: `50MB`, `512KB`, `1GB` (powers of 1,000;
`MiB`, `KiB` and `GiB` are powers of 1,024).

| variable | what it bounds | default |
|---|---|---|
| `CIPS_MAX_REQUEST_BYTES` | a request body on the web (Flask's `MAX_CONTENT_LENGTH`) | 1 MiB |
| `CIPS_IMPORT_MAX_BYTES` | an imported CSV or XLSX file, as stored | 50 MB |
| `CIPS_IMPORT_MAX_UNPACKED_BYTES` | an XLSX's members once unzipped (zip bombs) | 500 MB |
| `CIPS_IMPORT_MAX_ROWS` | an imported file's data rows | 100,000 |

A real wave (7,000 respondents, 60 columns) is 1.3 MB as CSV, 1.4 MB as XLSX unpacking to 16 MB;
100,000 rows (the row limit) are 18 MB as CSV, 21 MB as XLSX unpacking to 229 MB. The limits
that are not settings (a CSV line's length, a file's columns) are constants of
`analysis.interchange`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_IMPORT_MAX_BYTES = 50_000_000
DEFAULT_IMPORT_MAX_UNPACKED_BYTES = 500_000_000
DEFAULT_IMPORT_MAX_ROWS = 100_000

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'52428800', '50MB', '1 MiB' -> bytes; ValueError for anything else or for 0."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (e.g. 50MB, 512KB, 1MiB or a number of bytes)")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"a size limit must be above 0, got {text!r}")
    return size


def megabytes(size: int) -> str:
    """52_400_000 -> '52.4', 1_000 -> '0.001': a size for messages, in MB (10^6 bytes)."""
    value = size / 1_000_000
    digits = 1 if value >= 1 else 3
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") or "0"


def _setting(name: str, default: int, parse=parse_size) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc


def _count(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value <= 0:
        raise ValueError(f"must be above 0, got {text!r}")
    return value


@dataclass(frozen=True)
class ImportLimits:
    """What an imported file may be: bytes on disk, bytes unzipped (XLSX), data rows."""

    max_bytes: int = DEFAULT_IMPORT_MAX_BYTES
    max_unpacked_bytes: int = DEFAULT_IMPORT_MAX_UNPACKED_BYTES
    max_rows: int = DEFAULT_IMPORT_MAX_ROWS


def import_limits() -> ImportLimits:
    """The import limits from the environment (read on each call; nothing else is touched)."""
    return ImportLimits(
        max_bytes=_setting("CIPS_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES),
        max_unpacked_bytes=_setting(
            "CIPS_IMPORT_MAX_UNPACKED_BYTES", DEFAULT_IMPORT_MAX_UNPACKED_BYTES
        ),
        max_rows=_setting("CIPS_IMPORT_MAX_ROWS", DEFAULT_IMPORT_MAX_ROWS, _count),
    )


def max_request_bytes() -> int:
    """CIPS_MAX_REQUEST_BYTES: the largest request body the web reads."""
    return _setting("CIPS_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES)
