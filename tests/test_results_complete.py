"""The results page, complete (issue 20, item 7): every statement and every breakdown on the
page in its language, a suppressed group without a figure; free-text answers of closed
campaigns for analysts only, texts alone, shuffled; the per-day chart drawn at low counts, with
its legend and dates; all of it read from the stored release, never recomputed."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

import analysis.results
from analysis.importing import import_file
from analysis.interchange import write
from analysis.results import analyze
from analysis.synthetic import generate_wave
from survey import daily
from survey.campaign_editing import close_now
from survey.campaigns import get_campaign
from survey.engine.answers import option_label
from survey.engine.questions import question_text
from survey.i18n import render
from survey.loader import load_questionnaires
from survey.storage.models import SealedAnswer, SealedResponse
from tests.web_support import sign_in
from web import create_app
from web.clock import Clock

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
HIDDEN = "suppressed (n < 10)"
# A breakdown's hidden group may hold 10 or more (the complement of a smaller one): its label
# says so, without saying which hidden group is the small one.
HIDDEN_GROUP = "suppressed (n < 10, or to protect a smaller group)"


def import_officials(world, tmp_path, respondents: int = 60, wave: str = "2026") -> None:
    frame = generate_wave(OFFICIALS, respondents, administration="CI", wave=wave, seed=11)
    path = write(frame, tmp_path / f"officials-{wave}.csv")
    with world.db.transaction() as session:
        import_file(session, path, OFFICIALS)


def truth(world):
    from analysis.database import load_database

    with world.db.transaction() as session:
        data = load_database(session, administration="CI", questionnaires=QUESTIONNAIRES)
    return analyze(data, min_cell=10, language="en").for_wave("2026")


def cells(page: str, row_id: str) -> list[str]:
    """The text of each cell of the table row with this id."""
    match = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    found = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in found]


def text_of(question_id: str, language: str) -> str:
    question = next(q for q in OFFICIALS.questions if q.id == question_id)
    return render(question_text(OFFICIALS, question), language)


def group_label(question_id: str, code: str, language: str) -> str:
    question = next(q for q in OFFICIALS.questions if q.id == question_id)
    return render(option_label(OFFICIALS, question, code), language)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_statement_and_breakdown_is_on_the_page_in_its_language(world, signed_in, tmp_path):
    import_officials(world, tmp_path)
    expected = truth(world)
    client = signed_in("ci-analyst")
    raw = client.get("/results/CI/2026").text
    page = html.unescape(raw)

    items = expected.items[
        (expected.items.group_var == "") & (expected.items.survey == "officials")
    ]
    assert len(items) == len(OFFICIALS.scored_items)
    for record in items.itertuples():
        row = cells(raw, f"item-officials-{record.item_id}")
        assert row[1] == text_of(record.item_id, "en")
        assert row[3] == f"{record.pct_favourable:,.1f}%" and row[5] == f"{record.score:,.1f}"
        assert row[6] == str(record.n_valid) and row[7] == f"{record.dk_rate:,.1f}%"

    # Every breakdown question has its table: the question, its groups' labels, the figures.
    factors = expected.factors[expected.factors.survey == "officials"]
    for question in ("gender", "experience", "leadership", "location", "function"):
        assert f'id="breakdown-officials-{question}"' in page
        assert text_of(question, "en") in page
    shown = factors[(factors.group_var == "function") & (factors.factor == "1")]
    groups = [c.code for c in next(q for q in OFFICIALS.questions if q.id == "function").choices]
    shown = shown.set_index("group_value").reindex(
        [g for g in groups if g in set(shown.group_value)]
    )
    row = cells(raw, "breakdown-officials-function-1")[1:]
    assert len(row) == len(shown)
    for value, record in zip(row, shown.itertuples(), strict=True):
        if record.suppressed:  # a suppressed group shows no figure at all
            assert value == HIDDEN_GROUP and not re.search(r"\d", value.replace("10", ""))
        else:
            assert value == f"{record.pct_favourable:,.1f}% ({record.n_respondents})"
    assert shown["suppressed"].any() and not shown["suppressed"].all()  # both kinds were seen
    assert group_label("function", "clearance", "en") in page

    # Every statement by one breakdown, on the page the breakdown links to.
    link = re.search(r'href="([^"]+/breakdowns/officials/gender)"', page).group(1)
    detail_raw = client.get(link).text
    detail = html.unescape(detail_raw)
    for record in items.itertuples():
        assert text_of(record.item_id, "en") in detail
    by_gender = expected.items[(expected.items.group_var == "gender")
                               & (expected.items.survey == "officials")]  # fmt: skip
    first = by_gender[by_gender.item_id == items.iloc[0].item_id]
    assert len(cells(detail_raw, f"item-breakdown-{items.iloc[0].item_id}")) == 2 + len(first)

    # In French: the statements, the breakdown questions and the groups are French.
    client.get("/language/fr")
    french_raw = client.get("/results/CI/2026").text
    french = html.unescape(french_raw)
    assert cells(french_raw, f"item-officials-{items.iloc[0].item_id}")[1] == text_of(
        items.iloc[0].item_id, "fr"
    )
    assert (
        text_of("function", "fr") in french and group_label("function", "clearance", "fr") in french
    )
    assert text_of(items.iloc[0].item_id, "en") not in french
    assert "masqué (n < 10, ou pour protéger un groupe plus petit)" in french
    assert "Tous les énoncés" in french and "Ventilations" in french


def add_texts(world, texts: list[str]) -> list[str]:
    """A closed campaign of CI's 2026 wave whose respondents typed `texts`, stored in that
    order (one response each; its other answers do not matter here)."""
    with world.db.transaction() as session:
        campaign = get_campaign(session, world.campaigns["CI"])
        for text in texts:
            response = SealedResponse(campaign_id=campaign.id, batch=1, language="en",
                                      status="completed", source_tag="")  # fmt: skip
            session.add(response)
            session.flush()
            session.add(SealedAnswer(response_id=response.id, question_id="comments", value=text))
            session.flush()
        close_now(session, campaign, dt.datetime.now(dt.UTC), 10)
    return texts


def listed(page: str) -> list[str]:
    block = re.search(r'<ul class="free-text" id="free-text">(.*?)</ul>', page, re.S)
    assert block, "no list of free text"
    return [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def test_free_text_for_analysts_only_alone_and_shuffled(world, signed_in, tmp_path):
    import_officials(world, tmp_path)
    stored = add_texts(world, [f"comment number {i:03d}" for i in range(150)])
    analyst = signed_in("ci-analyst")
    page = analyst.get("/results/CI/2026").text
    assert 'id="free-text-link"' in page
    first = analyst.get("/results/CI/2026/free-text")
    assert first.status_code == 200
    assert 'id="free-text-warning"' in first.text and "may name or describe a person" in first.text
    second = analyst.get("/results/CI/2026/free-text?question=comments&page=2").text
    shown = listed(first.text) + listed(second)
    # Every text once, each item the text alone (no id, language, campaign or other answer).
    assert sorted(shown) == sorted(stored) and len(listed(first.text)) == 100
    # Not the order they were stored in, nor sorted; the same order on every read.
    assert shown != stored and shown != sorted(stored)
    assert listed(analyst.get("/results/CI/2026/free-text").text) == listed(first.text)
    with world.db.transaction() as session:
        ids = set(session.scalars(select(SealedResponse.id)))
    assert not any(i in first.text or i in second for i in ids)

    # Coordinators and admins are refused; they are not shown the link either.
    for username in ("ci-coordinator", "admin"):
        client = signed_in(username)
        assert client.get("/results/CI/2026/free-text").status_code == 403, username
        results = client.get("/results/CI/2026").text
        assert 'id="free-text-link"' not in results and "For analysts only" in results
    # Another administration's analyst: as if the wave did not exist; signed out: sign in.
    other = signed_in("bf-analyst")
    assert other.get("/results/CI/2026/free-text").status_code == 404
    assert other.get("/results/CI/2026/breakdowns/officials/gender").status_code == 404
    for path in ("/results/CI/2026/free-text", "/results/CI/2026/breakdowns/officials/gender"):
        response = world.app.test_client().get(path)
        assert response.status_code == 302 and "/login" in response.location, path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fewer_than_k_texts_are_not_shown(world, signed_in, tmp_path):
    import_officials(world, tmp_path)
    add_texts(world, ["only one", "and two", "and three"])
    page = html.unescape(signed_in("ci-analyst").get("/results/CI/2026/free-text").text)
    assert 'id="free-text-too-few"' in page and "only one" not in page


def test_the_per_day_chart_is_drawn_at_low_counts(world, signed_in, tmp_path):
    """6 people a day for four days: every day alone would be hidden; the days go by two."""
    import_officials(world, tmp_path)
    today = dt.datetime.now(dt.UTC).date()
    with world.db.transaction() as session:
        campaign = get_campaign(session, world.campaigns["CI"])
        for back in range(4):
            day = today - dt.timedelta(days=back)
            daily.count(session, campaign.id, day, started=6, completed=6)
        close_now(session, campaign, dt.datetime.now(dt.UTC), 10)
    page = html.unescape(signed_in("ci-coordinator").get("/results/CI/2026").text)
    chart = page.split('id="daily-heading"')[1].split("</svg>")[0]
    assert "The days are grouped by 2 (" in page
    assert len(re.findall(r'class="bar-started"><title>[^<]*: Started 12<', chart)) == 2
    assert len(re.findall(r'class="bar-completed"><title>[^<]*: Completed 12<', chart)) == 2
    assert len(re.findall(r'class="tick value"[^>]*>12<', chart)) == 4  # counts on the bars
    # Its legend and the dates along the x axis.
    assert re.search(r'class="tick legend-text"[^>]*>Started<', chart)
    assert re.search(r'class="tick legend-text"[^>]*>Completed<', chart)
    dates = re.findall(r'class="tick date"[^>]*>([0-9-]+)<', chart)
    assert dates == [
        (today - dt.timedelta(days=3)).isoformat(),
        (today - dt.timedelta(days=1)).isoformat(),
    ]
    assert "People" in chart


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_read_the_stored_release(world, tmp_path, monkeypatch):
    """Tables stored at close: a new process shows the full tables, the breakdown page and the
    free text without computing anything."""
    import_officials(world, tmp_path)
    add_texts(world, [f"text {i}" for i in range(12)])
    assert Clock(world.db, QUESTIONNAIRES).release() > 0

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("the results were computed again")

    monkeypatch.setattr(analysis.results, "analyze", no_analysis)
    fresh = create_app(world.app.config | {"TESTING": True})
    client = fresh.test_client()
    assert sign_in(client, "ci-analyst").status_code == 302
    page = client.get("/results/CI/2026")
    assert page.status_code == 200 and 'id="items-officials"' in page.text
    assert 'id="breakdown-officials-function"' in page.text
    assert client.get("/results/CI/2026/breakdowns/officials/gender").status_code == 200
    assert len(listed(client.get("/results/CI/2026/free-text").text)) == 12
    fresh.extensions["cips"].db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_stored_tables_are_read_back_as_pandas_reads_them(world, tmp_path):
    """The page's fast reading of the stored tables gives pandas' own reading of them: every
    column, type and value (to 1e-12: pandas' JSON parser rounds the last digit of some)."""
    import gzip
    import io
    import json

    import pandas as pd

    from analysis import releases
    from survey.storage.models import ReleaseTables

    import_officials(world, tmp_path)
    add_texts(world, [f"text {i}" for i in range(12)])
    assert Clock(world.db, QUESTIONNAIRES).release() > 0
    with world.db.transaction() as session:
        blobs = list(session.scalars(select(ReleaseTables.tables)))
    for blob in blobs:
        for table in json.loads(gzip.decompress(blob))["tables"].values():
            expected = pd.read_json(io.StringIO(json.dumps(table)), orient="table")
            pd.testing.assert_frame_equal(releases._frame(table), expected, rtol=1e-12)
