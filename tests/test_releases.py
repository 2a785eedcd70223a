"""A release's result tables are computed once, stored, and read by the pages, never recomputed
(issue 17, Releases): after a close the clock stores them in every language; a page reads
what is stored (a stored figure changed by hand is what the page shows, with the analysis made
unavailable); a later close makes a new version and leaves the old one as it was."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

import analysis.results
from analysis import releases
from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.campaign_editing import close_now
from survey.campaigns import get_campaign
from survey.i18n import available_languages
from survey.loader import load_questionnaires
from survey.storage.models import Administration, ReleaseTables
from tests.web_support import sign_in
from web import create_app
from web.clock import Clock

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()
FRENCH = {"Accept-Language": "fr"}


def import_officials(world, tmp_path, wave: str = "2026", respondents: int = 60) -> None:
    """An imported wave of the officials' survey for CI: released at import."""
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], respondents, administration="CI",
                          wave=wave, seed=7)  # fmt: skip
    path = tmp_path / f"officials-{wave}.csv"
    write(frame, path)
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES["cips-officials"])


def stored_rows(world) -> list[tuple[str, str, str, bytes]]:
    columns = (ReleaseTables.wave, ReleaseTables.version, ReleaseTables.language,
               ReleaseTables.tables)  # fmt: skip
    with world.db.transaction() as session:
        rows = session.execute(select(*columns).order_by(ReleaseTables.id))
        return [tuple(r) for r in rows]


def score_cell(page: str, survey: str, unit: str) -> str:
    match = re.search(rf'<td[^>]* id="score-{survey}-{unit}">(.*?)</td>', page, re.S)
    assert match, f"no score cell for {survey} {unit}"
    return match.group(1).strip()


def no_analysis(*_args, **_kwargs):
    raise AssertionError("the results were computed again")


def test_the_clock_stores_each_release_once_and_pages_read_it(
    world, signed_in, tmp_path, monkeypatch
):
    import_officials(world, tmp_path)
    clock = Clock(world.db, QUESTIONNAIRES)
    assert clock.release() == len(available_languages())
    assert clock.release() == 0  # nothing is computed twice
    rows = stored_rows(world)
    assert sorted(language for _, _, language, _ in rows) == sorted(available_languages())
    assert {(wave, version) for wave, version, _, _ in rows} == {(rows[0][0], rows[0][1])}

    # Change a stored figure by hand: the page shows it, so it reads what is stored.
    with world.db.transaction() as session:
        administration = session.scalar(select(Administration).where(Administration.code == "CI"))
        row = session.scalar(select(ReleaseTables).where(ReleaseTables.language == "en"))
        release = releases.stored(session, administration, "2026", "en", 10, row.version)
        factors = release.results.factors
        first = (factors["survey"] == "officials") & (factors["factor"] == "1")
        first &= factors["group_var"] == ""
        assert factors.loc[first, "score"].item() != pytest.approx(12.3)
        factors.loc[first, "score"] = 12.3
        row.tables = releases._encode(release)
    monkeypatch.setattr(analysis.results, "analyze", no_analysis)
    page = signed_in("ci-analyst").get("/results/CI/2026").text
    assert score_cell(page, "officials", "1") == "12.3"
    assert signed_in("ci-analyst").get("/results/CI/2026/results.xlsx").status_code == 200


def test_a_later_close_makes_a_new_release_and_keeps_the_old(world, tmp_path):
    import_officials(world, tmp_path)
    clock = Clock(world.db, QUESTIONNAIRES)
    clock.release()
    before = stored_rows(world)
    with world.db.transaction() as session:  # the live campaign of the same wave closes
        close_now(
            session, get_campaign(session, world.campaigns["CI"]), dt.datetime.now(dt.UTC), 10
        )
    assert clock.release() == len(available_languages())
    after = stored_rows(world)
    assert after[: len(before)] == before  # the earlier release, byte for byte
    assert len({version for _, version, _, _ in after}) == 2


def test_a_page_that_finds_no_stored_tables_computes_and_stores_them_once(
    world, signed_in, tmp_path, monkeypatch
):
    import_officials(world, tmp_path)
    assert stored_rows(world) == []
    first = signed_in("ci-analyst").get("/results/CI/2026", headers=FRENCH)
    assert first.status_code == 200
    assert [language for _, _, language, _ in stored_rows(world)] == ["fr"]

    # Another process (a new app, with its own caches) reads them without computing.
    monkeypatch.setattr(analysis.results, "analyze", no_analysis)
    again = create_app(world.app.config | {"TESTING": True})
    client = again.test_client()
    assert sign_in(client, "ci-analyst").status_code == 302
    second = client.get("/results/CI/2026", headers=FRENCH)
    assert second.status_code == 200
    assert score_cell(second.text, "officials", "1") == score_cell(first.text, "officials", "1")
    again.extensions["cips"].db.dispose()
