"""The operator's commands of DESIGN.md, run as an operator would, on both backends."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cips.cli import context
from survey.loader import builtin_paths
from tests.cli_support import run_cips


@pytest.fixture
def cips(database_url, monkeypatch):
    """`run_cips` against the test database (migrated, on each backend)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    yield run_cips
    context.settings.cache_clear()


def test_organising_a_wave(cips):
    closes = dt.datetime.now(dt.UTC).date() + dt.timedelta(
        days=60
    )  # a date in the future, whatever today is
    cips("db", "upgrade")
    cips("administration", "create", "CI", "--name", "Douanes de Côte d'Ivoire",
         "--timezone", "Africa/Abidjan", "--languages", "fr,en")  # fmt: skip
    created = cips(
        "campaign", "create", "--administration", "CI", "--questionnaire", "cips-private-sector",
        "--wave", "2026-1", "--target", "800", "--closes", closes.isoformat(), "--remind-after", "5s",
        "--quiet-hours", "21-07",
    ).output  # fmt: skip
    assert "campaign ci-2026-1-ps created" in created
    assert "https://t.me/" in created and "?start=ci-2026-1-ps" in created
    listed = cips("campaign", "list").output
    assert "ci-2026-1-ps" in listed and "cips-private-sector" in listed
    shown = cips("campaign", "show", "ci-2026-1-ps").output
    assert "after 5s" in shown and "quiet 21-07" in shown and "target        800" in shown
    day_after = closes + dt.timedelta(days=1)
    assert f"{day_after} 00:00" in shown, "a bare closing date keeps the whole day open"


def test_operator_errors_are_clear(cips):
    cips("db", "upgrade")
    bad_zone = cips(
        "administration", "create", "XX", "--name", "X", "--timezone", "Mars/Olympus", ok=False
    )
    assert "unknown time zone" in bad_zone.output
    no_admin = cips("campaign", "create", "--administration", "NOPE", "--questionnaire",
                    "cips-officials", "--wave", "1", ok=False)  # fmt: skip
    assert "no administration NOPE" in no_admin.output
    cips("administration", "create", "XX", "--name", "X", "--timezone", "UTC")
    bad_duration = cips("campaign", "create", "--administration", "XX", "--questionnaire",
                        "cips-officials", "--wave", "1", "--remind-after", "soon", ok=False)  # fmt: skip
    assert "not a duration" in bad_duration.output
    no_questionnaire = cips("campaign", "create", "--administration", "XX", "--questionnaire",
                            "tea-survey", "--wave", "1", ok=False)  # fmt: skip
    assert "no questionnaire 'tea-survey'" in no_questionnaire.output


def test_administration_codes_are_listed_and_a_wrong_case_is_pointed_out(cips):
    """Codes stay case-sensitive (survey.campaigns says why); the errors say which exist."""
    cips("db", "upgrade")
    assert "no administrations yet" in cips("administration", "list").output
    none = cips("campaign", "create", "--administration", "CI", "--questionnaire",
                "cips-officials", "--wave", "1", ok=False)  # fmt: skip
    assert "no administration CI (none created yet)" in none.output
    cips("administration", "create", "ci", "--name", "Douanes ivoiriennes",
         "--timezone", "Africa/Abidjan", "--languages", "fr,en")  # fmt: skip
    cips("administration", "create", "BF", "--name", "Douanes du Burkina",
         "--timezone", "Africa/Ouagadougou")  # fmt: skip
    listed = cips("administration", "list").output.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["BF", "Africa/Ouagadougou", "en,fr,es,ar,pt"], ["ci", "Africa/Abidjan", "fr,en"]]  # fmt: skip
    assert listed[1].endswith("Douanes ivoiriennes")
    wrong_case = cips("campaign", "create", "--administration", "CI", "--questionnaire",
                      "cips-officials", "--wave", "1", ok=False)  # fmt: skip
    assert "no administration CI (did you mean ci? codes are case-sensitive)" in wrong_case.output
    unknown = cips("campaign", "create", "--administration", "KE", "--questionnaire",
                   "cips-officials", "--wave", "1", ok=False)  # fmt: skip
    assert "no administration KE (known: BF, ci)" in unknown.output
    # A code that differs only in case from an existing one is refused: it would be ambiguous.
    twin = cips("administration", "create", "CI", "--name", "X", "--timezone", "UTC", ok=False)
    assert "administration ci already exists" in twin.output
    created = cips("campaign", "create", "--administration", "ci", "--questionnaire",
                   "cips-officials", "--wave", "1").output  # fmt: skip
    assert "campaign ci-1-off created" in created


def test_commands_refuse_an_unmigrated_database(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    result = run_cips("campaign", "list", ok=False)
    assert "cips db upgrade" in result.output
    run_cips("db", "upgrade")
    assert "no campaigns yet" in run_cips("campaign", "list").output


def test_questionnaire_show_json_lists_every_item():
    data = json.loads(run_cips("questionnaire", "show", "cips-officials", "--json").output)
    items = data["items"]
    assert len([i for i in items if i["type"] == "agreement"]) >= 35
    for item in items:
        assert {"id", "factor", "type", "reverse", "link", "constructs"} <= set(item)
    wb = [i["id"] for i in items if "whistleblower_protection" in i["constructs"]]
    assert len(wb) == 5


def test_questionnaire_check_passes_the_builtin_files_and_names_every_error(tmp_path):
    builtin = [str(p) for p in builtin_paths()]
    good = run_cips("questionnaire", "check", *builtin).output
    assert good.count("ok: ") == 2 and "cips-officials" in good and "cips-private-sector" in good
    broken = tmp_path / "broken.toml"
    broken.write_text(
        'id = "mine"\nversion = "1"\nsurvey = "officials"\ntitle = "t"\nsource_language = "en"\n'
        '[[items]]\nid = "a"\ntype = "agreement"\nfactor = 12\ntext = "x"\n'
        '[[items]]\nid = "a"\ntype = "single_choice"\ntext = "y"\nchoices = []\n'
    )
    result = run_cips("questionnaire", "check", str(broken), ok=False)
    assert "unknown factor 12" in result.output
    assert "duplicate id" in result.output or "empty choice list" in result.output
    assert "error(s) found" in result.output
