"""Benchmarks: each script prints its figures (run `python -m bench.<name> --help`).

`backends()` gives each script the same two databases: SQLite in a temporary folder, then a
throwaway PostgreSQL started from the machine's binaries (skipped, with a line saying so, when
PostgreSQL is not installed).
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.postgres_server import PostgresServer, find_bindir


def machine() -> str:
    return (f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")  # fmt: skip


def backends(*, durable: bool = False) -> Iterator[tuple[str, str]]:
    """(name, database URL) of SQLite, then of PostgreSQL (`durable`: fsync on)."""
    with tempfile.TemporaryDirectory() as folder:
        yield "SQLite", f"sqlite:///{Path(folder) / 'bench.db'}"
    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL  skipped: no PostgreSQL binaries found")
        return
    server = PostgresServer(bindir, durable=durable)
    server.start()
    try:
        yield "PostgreSQL", server.url
    finally:
        server.stop()
