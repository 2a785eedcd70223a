"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from survey.storage.db import Database
from survey.storage.engine import create_db_engine
from survey.storage.migrate import upgrade
from tests.postgres_server import PostgresServer, find_bindir

pytest_plugins = ["tests.browser_support"]  # the `browser` fixture

TEST_SECRET = "test-secret-key-not-for-production"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_database_numbers = itertools.count()


def _postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CIPS_REQUIRE_POSTGRES"))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test runs with a known secret, in its own working folder."""
    monkeypatch.setenv("CIPS_SECRET_KEY", TEST_SECRET)
    # Cheap Argon2 hashes (web.passwords); tests/test_web_passwords.py checks the real defaults.
    monkeypatch.setenv("CIPS_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("CIPS_PASSWORD_MEMORY_KIB", "8")
    monkeypatch.setenv("CIPS_PASSWORD_PARALLELISM", "1")
    # Two-factor sign-in off unless a test asks for it (tests/test_web_two_factor.py checks
    # that admins must enrol by default).
    monkeypatch.setenv("CIPS_REQUIRE_2FA", "off")
    monkeypatch.chdir(tmp_path)


def pytest_configure(config: pytest.Config) -> None:
    """Start one PostgreSQL server for the whole run, before any xdist worker exists: workers
    inherit CIPS_TEST_POSTGRES_URL and each works in databases of its own on it."""
    if hasattr(config, "workerinput") or os.environ.get("CIPS_TEST_POSTGRES_URL"):
        return
    if "not postgres" in (config.option.markexpr or "") or find_bindir() is None:
        return  # the fixture below says why PostgreSQL tests cannot run, if any are selected
    server = PostgresServer(find_bindir())
    server.start()
    config.add_cleanup(server.stop)
    os.environ["CIPS_TEST_POSTGRES_URL"] = server.url
    config.add_cleanup(lambda: os.environ.pop("CIPS_TEST_POSTGRES_URL", None))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The run's PostgreSQL server (started above), or the one CIPS_TEST_POSTGRES_URL names."""
    if url := os.environ.get("CIPS_TEST_POSTGRES_URL"):
        return url
    message = "no PostgreSQL found (install Debian's postgresql, or set CIPS_TEST_POSTGRES_URL)"
    if _postgres_required():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _server_engine(url: str):
    """A connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    return create_db_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """A migrated database that each test's database copies; one per xdist worker (a template
    cannot be copied while another worker connects to it)."""
    name = f"cips_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = _server_engine(postgres_url)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    upgrade(_with_database(postgres_url, name))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def _new_postgres_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A database of its own on the server (a copy of `template`), dropped afterwards."""
    name = f"cips_test_{os.getpid()}_{next(_database_numbers)}"
    copy = f" TEMPLATE {template}" if template else ""
    admin = _server_engine(server_url)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}{copy}"))
    try:
        yield _with_database(server_url, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database with the current schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "cips.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server_url = request.getfixturevalue("postgres_url")
    with _new_postgres_database(server_url, request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new PostgreSQL database without any table (for what runs the migrations itself)."""
    with _new_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many PostgreSQL tests ran, so that a run that skipped them shows it."""
    counts = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        reports = terminalreporter.stats.get(outcome, [])
        counts[outcome] = sum(1 for r in reports if "postgresql" in getattr(r, "nodeid", ""))
    terminalreporter.write_line(
        "PostgreSQL tests: {passed} passed, {failed} failed, {skipped} skipped".format(**counts)
    )
