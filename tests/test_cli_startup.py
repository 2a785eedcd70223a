"""The command line starts at once (issue 22, item 5): `cips --help`, `cips health` and
`cips campaign list` import none of what is heavy (pandas, matplotlib, python-telegram-bot, Flask,
Alembic), checked in fresh interpreters; the times and memory are bench/cli_start.py's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.cli_support import newcomer_env

# What none of the three commands needs.
HEAVY = ("pandas", "matplotlib", "numpy", "telegram", "aiohttp", "flask", "werkzeug", "alembic",
         "apscheduler", "qrcode", "PIL", "openpyxl", "analysis", "bot", "web")  # fmt: skip
# What a command that opens no database does not need either.
DATABASE = ("sqlalchemy", "survey.storage", "babel")


def loaded_after(args: list[str], folder: Path, env: dict[str, str] | None = None) -> dict:
    """Run `cips ARGS` in a fresh interpreter; what it printed, its exit code, and which of the
    top-level packages and survey modules it had imported by the end."""
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from cips.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main({args!r}, prog_name="cips")
            except SystemExit as exc:
                code = exc.code
        print(json.dumps({{"code": code, "output": out.getvalue(), "modules": sorted(sys.modules)}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True,
                          text=True, env=env or newcomer_env(), timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_imports_nothing_heavy(tmp_path):
    result = loaded_after(["--help"], tmp_path)
    assert result["code"] == 0
    assert "campaign " in result["output"] and "health " in result["output"]
    assert imported(result["modules"], HEAVY + DATABASE) == []
    assert [m for m in result["modules"] if m.startswith("cips.cli.")] == []  # no command loaded


def test_health_heartbeat_opens_no_database_and_imports_nothing_heavy(tmp_path):
    (tmp_path / "beat").touch()
    result = loaded_after(["health", "--heartbeat", "beat"], tmp_path)
    assert result["code"] == 0, result["output"]
    assert result["output"].startswith("ok: beat")
    assert imported(result["modules"], HEAVY + DATABASE) == []


def test_campaign_list_reads_without_the_orm(tmp_path):
    """Mapping the models is half of the 0.5 s budget: the list reads through the engine alone."""
    url = f"sqlite:///{tmp_path / 'cips.db'}"
    upgrade(url)
    env = newcomer_env(DATABASE_URL=url)
    result = loaded_after(["campaign", "list"], tmp_path, env)
    assert result["code"] == 0, result["output"]
    assert "no campaigns yet" in result["output"]
    db = Database(url)
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "Africa/Ouagadougou", ["fr"])
        create_campaign(session, admin, load_questionnaires()["cips-officials"], "2026")
    db.dispose()
    result = loaded_after(["campaign", "list"], tmp_path, env)
    assert result["code"] == 0, result["output"]
    assert result["output"].split()[:5] == ["bf-2026-off", "BF", "cips-officials", "2026", "open"]
    assert "sqlalchemy" in result["modules"]  # it did read the database
    assert imported(result["modules"], (*HEAVY, "sqlalchemy.orm", "survey.storage.models")) == []


def test_help_lists_every_command_as_its_own_help_would():
    """The summaries kept beside the lazy commands are the commands' own: `cips --help` prints
    the same before and after every command module is loaded."""
    script = textwrap.dedent("""
        import click
        from cips.cli import COMMANDS, main
        ctx = click.Context(main, info_name="cips")
        lazy = main.get_help(ctx)
        for name in COMMANDS:
            assert main.get_command(ctx, name).name == name, name
        loaded = main.get_help(ctx)
        eager = click.Group.format_commands
        formatter = ctx.make_formatter()
        eager(main, ctx, formatter)
        print(lazy == loaded, formatter.getvalue().rstrip() in loaded, sorted(main.commands) == sorted(COMMANDS))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]


def test_schema_check_agrees_with_alembic(tmp_path):
    """The revisions the command line reads without Alembic are Alembic's own."""
    assert (
        head_revision()
        == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    )
    url = f"sqlite:///{tmp_path / 'cips.db'}"
    db = Database(url)
    try:
        assert current_revision(db.engine) is None  # no alembic_version table yet
        for revision in ("0002_delivery", "head"):
            upgrade(url, revision)
            with db.engine.connect() as connection:
                expected = MigrationContext.configure(connection).get_current_revision()
                assert current_revision(connection) == expected
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_head_revision_reads_the_files(tmp_path, monkeypatch):
    from survey.storage import migrate

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text("import x\nrevision = '0001'\ndown_revision = None\nf = x()\n")
    (versions / "b.py").write_text("revision: str = '0002'\ndown_revision = '0001'\n")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.head_revision() == "0002"
    (versions / "c.py").write_text("revision = '0003'\ndown_revision = '0001'\n")
    with pytest.raises(RuntimeError, match="several heads"):
        migrate.head_revision()
