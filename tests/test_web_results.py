"""The results page: the same numbers as `analysis` computes from the same stored responses,
live answers changing them, small counts hidden, charts and downloads that open, scope kept."""

from __future__ import annotations

import html as html_lib
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import load_workbook

from analysis.database import load_database
from analysis.importing import import_file
from analysis.interchange import columns, read_raw, write
from analysis.results import analyze
from analysis.synthetic import generate_wave
from survey import sealing
from survey.engine import ConversationEngine
from survey.engine.questions import question_text
from survey.i18n import render
from survey.loader import load_questionnaires
from survey.storage.models import utcnow
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person
from tests.web_support import post_form

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()
PNG = b"\x89PNG\r\n\x1a\n"


def import_wave(world, tmp_path, questionnaire: str, administration: str, wave: str,
                respondents: int, seed: int, shift: float = 0.0) -> None:  # fmt: skip
    frame = generate_wave(QUESTIONNAIRES[questionnaire], respondents, administration=administration,
                          wave=wave, seed=seed, shift=shift)  # fmt: skip
    path = tmp_path / f"{questionnaire}-{administration}-{wave}.csv"
    write(frame, path)
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES[questionnaire])


def expected(world, administration: str, wave: str, k: int = 10, language: str = "en"):
    with world.db.transaction() as session:
        data = load_database(session, administration=administration, questionnaires=QUESTIONNAIRES)
    return analyze(data, min_cell=k, language=language).for_wave(wave)


def cell(page: str, element_id: str) -> str:
    """The text of the table cell with this id."""
    match = re.search(rf'<td[^>]* id="{re.escape(element_id)}">(.*?)</td>', page, re.S)
    assert match, f"no cell {element_id}"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def row(page: str, element_id: str) -> str:
    match = re.search(rf'<tr id="{re.escape(element_id)}">(.*?)</tr>', page, re.S)
    assert match, f"no row {element_id}"
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def one(value: float) -> str:
    return f"{value:,.1f}"


def signed(value: float) -> str:
    return f"{value:+,.1f}"


def images(page: str) -> list[str]:
    return [html_lib.unescape(src) for src in re.findall(r'<img src="([^"]+)"', page)]


@pytest.fixture
def two_waves(world, tmp_path):
    """CI: officials in 2025 and 2026, the private sector in 2026 (imported; the world's live
    CI campaign of 2026 is part of that wave too, without responses yet)."""
    import_wave(world, tmp_path, "cips-officials", "CI", "2025", 50, seed=1)
    import_wave(world, tmp_path, "cips-officials", "CI", "2026", 60, seed=2, shift=0.8)
    import_wave(world, tmp_path, "cips-private-sector", "CI", "2026", 40, seed=3)
    return world


def test_the_page_shows_what_the_analysis_computes(two_waves, signed_in):
    world = two_waves
    client = signed_in("ci-analyst")
    response = client.get("/results")
    assert response.status_code == 302 and response.location.endswith("/results/CI/2026")
    page = client.get("/results/CI/2026").text
    truth = expected(world, "CI", "2026")

    factors = truth.factors[truth.factors["group_var"] == ""]
    assert not factors["suppressed"].any()
    for record in factors.itertuples():
        survey, unit = record.survey, record.factor
        assert cell(page, f"score-{survey}-{unit}") == one(record.score), (survey, unit)
        assert cell(page, f"n-{survey}-{unit}") == str(record.n_respondents)
        if unit != "integrity_index":
            assert cell(page, f"pct-{survey}-{unit}") == one(record.pct_favourable) + "%"
    # The interval of a factor: Wilson with p = % favourable and n = respondents.
    first = factors[(factors.survey == "officials") & (factors.factor == "1")].iloc[0]
    low, high = (float(v) for v in cell(page, "ci-officials-1").split("–"))
    assert low < first.pct_favourable < high and high - low < 40

    gaps = truth.gaps[truth.gaps["item_id"] == ""]
    assert len(gaps) >= 10
    for record in gaps.itertuples():
        shown = row(page, f"gaps-{record.factor}")
        assert record.factor_name in shown
        assert signed(record.difference) in shown
        assert f"{one(record.ci_low)}–{one(record.ci_high)}" in shown
        assert ("yes" if record.significant else "no") in shown.split()

    trends = truth.trends[(truth.trends["item_id"] == "") & (truth.trends.survey == "officials")]
    assert len(trends) >= 10 and (trends["earlier_wave"] == "2025").all()
    for record in trends.itertuples():
        assert signed(record.difference) in row(page, f"trends-officials-{record.factor}")
    assert "Private sector: no earlier wave to compare with." in page

    weakest = truth.problems[(truth.problems.survey == "officials")
                             & (truth.problems.level == "factor")]  # fmt: skip
    table = page.split('id="weakest-factors-officials"')[1].split("</table>")[0]
    assert weakest.iloc[0].factor_name in table.split("<tr>")[2]


def test_a_wave_with_nothing_released_blames_no_import_and_offers_no_workbook(two_waves, signed_in):
    """CI 2026 has imported responses (no dates: that is why it has no per-day figures); BF
    2026 has only its campaign still open: nothing released, nothing imported, no workbook."""
    client = signed_in("admin")
    page = client.get("/results/BF/2026").text
    assert 'id="results-empty"' in page
    assert "imported responses carry no date" not in page
    assert "No per-day figures yet: they appear when a campaign of this wave closes." in page
    assert 'id="download-xlsx"' not in page and 'id="no-xlsx"' in page
    imported = client.get("/results/CI/2026").text
    assert "No per-day figures: imported responses carry no date." in imported
    assert 'id="download-xlsx"' in imported and 'id="no-xlsx"' not in imported


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_result_exists_during_fieldwork_then_the_release_at_close(
    min_cell_5, world, signed_in, db
):
    """The differencing attack: read every result (page, workbook, chart, respondent file)
    while the campaign is open, let one more person finish (and be sealed), read everything
    again: nothing exists to compare. At close the campaign is released, once."""
    code = world.campaigns["CI"]
    client = signed_in("ci-coordinator")
    dashboard = client.get(f"/campaigns/{code}/dashboard").text
    assert 'href="/results/CI/2026"' in dashboard and 'href="/results"' in dashboard
    engine = ConversationEngine(db, QUESTIONNAIRES, TEST_SECRET)

    def respond(number: int) -> None:
        person = Person(engine, f"results-{number}", language_hint="en")
        person.join(code)
        # Varied answers on the scale (the first five buttons of an agreement question).
        person.answer_everything(
            lambda qid, buttons: buttons[(number + sum(map(ord, qid))) % min(5, len(buttons))]
        )

    def content(response) -> object:
        """What a reader gets, without what changes by itself from one second to the next (a
        page's CSRF token, a workbook's creation time)."""
        if response.mimetype.endswith("spreadsheetml.sheet"):
            book = load_workbook(io.BytesIO(response.data), read_only=True)
            return [list(sheet.values) for sheet in book.worksheets]
        return re.sub(rb'name="csrf_token" value="[^"]*"', b"", response.data)

    def read_everything() -> list[tuple[str, int, object]]:
        paths = ["/results/CI/2026", "/results/CI/2026/results.xlsx",
                 "/results/CI/2026/charts/factors-officials.png",
                 "/results/CI/2026/responses/cips-officials.csv"]  # fmt: skip
        return [(path, (r := client.get(path)).status_code, content(r)) for path in paths]

    for number in range(6):
        respond(number)
    assert sealing.seal_ready(db, 5) == 6  # sealed, yet not released
    before = read_everything()
    page = before[0][2].decode()
    assert "No released responses yet" in page and 'id="pct-' not in page
    respond(6)
    assert sealing.seal_ready(db, 5) == 0  # one more finished (waits for a batch)
    after = read_everything()
    assert [(path, status) for path, status, _ in after] == [
        (path, status) for path, status, _ in before
    ]
    assert [body for *_, body in after] == [body for *_, body in before]

    # Closing releases the campaign: all seven, once.
    closed = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/close", {})
    assert closed.status_code == 302
    page = client.get("/results/CI/2026").text
    truth = expected(world, "CI", "2026", k=5)
    factors = truth.factors[(truth.factors.group_var == "") & ~truth.factors.suppressed]
    assert len(factors) >= 10
    for record in factors.itertuples():
        assert cell(page, f"score-officials-{record.factor}") == one(record.score)
    assert cell(page, "n-officials-integrity_index") == "7"
    assert f'id="released-{code}"' in page
    api = client.get(f"/api/v1/campaigns/{code}",
                     headers={"Authorization": f"Bearer {world.tokens['ci-coordinator']}"})  # fmt: skip
    assert api.get_json()["released_at"] is not None
    # The workbook says which releases it shows, and when.
    about = load_workbook(io.BytesIO(client.get("/results/CI/2026/results.xlsx").data))["about"]
    cells = [str(c.value) for row in about.iter_rows() for c in row if c.value is not None]
    assert code in cells and utcnow().date().isoformat() in cells
    # A released campaign cannot reopen (more answers would change what was published).
    reopened = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/open", {})
    assert "results are released, so it cannot reopen" in client.get(reopened.location).text
    assert cell(client.get("/results/CI/2026").text, "n-officials-integrity_index") == "7"


@pytest.fixture
def min_cell_5(monkeypatch):
    monkeypatch.setenv("CIPS_MIN_CELL", "5")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_survey_below_k_shows_no_value(world, signed_in, tmp_path):
    import_wave(world, tmp_path, "cips-officials", "BF", "2026", 40, seed=4)
    import_wave(world, tmp_path, "cips-private-sector", "BF", "2026", 7, seed=5)
    client = signed_in("bf-analyst")
    page = client.get("/results/BF/2026").text
    truth = expected(world, "BF", "2026")
    hidden = "suppressed (n < 10)"
    private = truth.factors[(truth.factors.survey == "private_sector")
                            & (truth.factors.group_var == "")]  # fmt: skip
    assert private["suppressed"].all() and len(private) >= 10
    for unit in private["factor"]:
        assert cell(page, f"score-private_sector-{unit}") == hidden
    assert 'id="pct-private_sector-' not in page and 'id="pct-officials-1"' in page
    assert "Fewer than 10 responses: scores are hidden to protect anonymity." in page
    assert "Fewer than 10 responses on one side: the gap is hidden" in page
    # No chart of what is hidden.
    sources = images(page)
    assert any("factors-officials.png" in s for s in sources)
    assert not any("private_sector" in s or "gap" in s for s in sources)
    for name in ("factors-private_sector", "gap"):
        assert client.get(f"/results/BF/2026/charts/{name}.png").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_charts_and_downloads_open(two_waves, signed_in):
    world = two_waves
    client = signed_in("ci-analyst")
    client.get("/language/ar")
    page = client.get("/results/CI/2026").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "النتائج" in page and "Scores by key factor" not in page
    truth = expected(world, "CI", "2026", language="ar")
    assert truth.factors.iloc[0].factor_name in page  # key factor names in Arabic
    # Column headers in Arabic too: respondents, rank, valid answers (no bare "n" or "#").
    scores = page.split('id="scores"')[1].split("</thead>")[0]
    assert "المستجيبون" in scores and ">n<" not in scores
    statements = page.split('id="weakest-items-officials"')[1].split("</thead>")[0]
    assert "الترتيب" in statements and "الإجابات الصالحة" in statements
    assert ">#<" not in statements and ">n<" not in statements
    assert "تنزيل:" in page and "Download" not in page

    sources = images(page)
    assert {s.split("/charts/")[1].split(".")[0] for s in sources} == {
        "factors-officials", "factors-private_sector", "gap", "trend-officials"}  # fmt: skip
    for source in sources[:: len(sources) - 1]:  # the first and the last (drawing takes time)
        picture = client.get(source)
        assert picture.status_code == 200 and picture.mimetype == "image/png", source
        assert picture.data.startswith(PNG) and len(picture.data) > 5000
        assert "max-age" in picture.headers["Cache-Control"]
    drawing = client.get(sources[0].replace(".png", ".svg") + "&download=1")
    assert drawing.mimetype == "image/svg+xml" and "attachment" in drawing.headers[
        "Content-Disposition"]  # fmt: skip
    assert ET.fromstring(drawing.data).tag.endswith("svg")

    workbook = client.get("/results/CI/2026/results.xlsx")
    assert workbook.status_code == 200 and "attachment" in workbook.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(workbook.data), read_only=True)
    assert {"about", "items", "factors", "gaps", "trends", "problems", "kpis"} <= set(
        book.sheetnames
    )
    rows = list(book["factors"].iter_rows(values_only=True))
    assert len(rows) == len(truth.factors) + 1
    # Headers in the page's language (Arabic), codes in columns of their own.
    at = {header: position for position, header in enumerate(rows[0])}
    survey, factor = at["المسح (الرمز)"], at["العامل الرئيسي (الرمز)"]
    breakdown = at["التصنيف (الرمز)"]
    officials_1 = next(r for r in rows[1:]
                       if r[survey] == "officials" and r[factor] == "1" and not r[breakdown])  # fmt: skip
    expected_row = truth.factors[(truth.factors.survey == "officials") & (truth.factors.factor == "1")
                                 & (truth.factors.group_var == "")].iloc[0]  # fmt: skip
    assert officials_1[at["المسح"]] == "موظفو الجمارك"
    assert officials_1[at["الإجابات الإيجابية (%)"]] == pytest.approx(expected_row.pct_favourable)
    # The statements as the Arabic catalog has them, the same code path as `cips analyze`.
    items = list(book["items"].iter_rows(values_only=True))
    at = {header: position for position, header in enumerate(items[0])}
    lc1 = {r[at["العبارة"]] for r in items[1:] if r[at["البند (الرمز)"]] == "lc1"}
    officials = QUESTIONNAIRES["cips-officials"]
    assert lc1 == {render(question_text(officials, officials.question("lc1")), "ar")}
    assert not lc1 & {officials.question("lc1").text}
    assert load_workbook(io.BytesIO(workbook.data))["items"].sheet_view.rightToLeft


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def small_wave(respondents: int) -> Path:
    frame = generate_wave(QUESTIONNAIRES["cips-private-sector"], respondents, administration="CI",
                          wave="2024", seed=9)  # fmt: skip
    return write(frame, Path("private-sector-2024.csv"))


def test_respondent_level_data_for_analysts_once_closed(two_waves, signed_in):
    client = signed_in("ci-analyst")
    page = client.get("/results/CI/2025").text
    link = re.search(r'href="([^"]+cips-officials\.csv)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    path = "responses.csv"
    with open(path, "wb") as handle:
        handle.write(download.data)
    raw = read_raw(path)
    # The interchange columns, then the straight-lining flag derived from them (issue 20).
    assert raw.header == [*columns(QUESTIONNAIRES["cips-officials"]), "straightliner"]
    assert len(raw.rows) == 50 and {r[4] for r in raw.rows} == {"2025"}
    labelled = client.get(link.replace(".csv", ".xlsx") + "?labels=fr")
    sheet = load_workbook(io.BytesIO(labelled.data), read_only=True).worksheets[0]
    values = {v for r in sheet.iter_rows(min_row=2, values_only=True) for v in r}
    assert "Tout à fait d'accord" in values

    # 2026 still has an open campaign: not yet, and the page says why.
    page = client.get("/results/CI/2026").text
    assert "available once every campaign of the wave is closed" in page
    response = client.get("/results/CI/2026/responses/cips-officials.csv")
    assert response.status_code == 302
    assert "two downloads taken while people are answering" in client.get(response.location).text
    # A released wave of fewer than k responses publishes no respondent-level data.
    with two_waves.db.transaction() as session:
        import_file(session, small_wave(9), QUESTIONNAIRES["cips-private-sector"])
    response = client.get("/results/CI/2024/responses/cips-private-sector.csv")
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Fewer than 10 responses: no respondent-level data is published." in page
    # Coordinators read the results but not respondent-level data.
    coordinator = signed_in("ci-coordinator")
    assert "for analysts and admins." in coordinator.get("/results/CI/2025").text
    assert coordinator.get(link).status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_results_stay_within_the_administration(world, signed_in, tmp_path):
    import_wave(world, tmp_path, "cips-officials", "BF", "2025", 20, seed=6)
    theirs = ["/results/BF/2026", "/results/BF/2025", "/results/BF/2025/results.xlsx",
              "/results/BF/2025/charts/factors-officials.png",
              "/results/BF/2025/responses/cips-officials.csv", "/results?administration=BF"]  # fmt: skip
    for username in ("ci-analyst", "ci-coordinator"):
        client = signed_in(username)
        for path in theirs:
            assert client.get(path).status_code == 404, (username, path)
        assert client.get("/results").location.endswith("/results/CI/2026")
        assert client.get("/results/CI/1999").status_code == 404
        assert "/results/BF" not in client.get("/results/CI/2026").text
    admin = signed_in("admin")
    for path in theirs[1:4]:
        assert admin.get(path).status_code == 200, path
    assert admin.get("/results?administration=BF").location.endswith("/results/BF/2025")
    assert "BF — Douanes du Burkina" in admin.get("/results/BF/2025").text
    anonymous = world.app.test_client()
    for path in theirs:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.location, path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wave_that_cannot_be_scored_says_why(world, signed_in):
    from dataclasses import replace

    from survey.campaign_editing import close_now
    from survey.campaigns import create_campaign
    from survey.storage.models import Administration, Campaign, utcnow

    other = replace(QUESTIONNAIRES["cips-officials"], id="officials-local")
    world.app.extensions["cips"].questionnaires[other.id] = other
    with world.db.transaction() as session:
        ci = session.query(Administration).filter_by(code="CI").one()
        local = create_campaign(session, ci, other, "2026", code="ci-2026-local")
        # Both closed, so both released: the wave has two questionnaires of one survey.
        for campaign in (local, session.query(Campaign).filter_by(code="ci-2026-off").one()):
            close_now(session, campaign, utcnow(), 10)
    client = signed_in("ci-analyst")
    response = client.get("/results/CI/2026")
    assert response.status_code == 409
    assert "cannot be scored together" in response.text and "officials-local" in response.text
    assert "Customs officials: the responses come from two questionnaires" in response.text
    # In French, the reason is French too (it comes from the analysis, not from the page).
    client.get("/language/fr")
    response = client.get("/results/CI/2026")
    page = html_lib.unescape(response.text)
    assert response.status_code == 409
    assert "Les réponses de cette vague ne peuvent pas être analysées ensemble" in page
    assert "CI, vague 2026, Agents des douanes\u202f: les réponses proviennent de deux " in page
    assert "officials-local" in page and "analysez-les séparément" in page
    assert "the responses come from" not in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_results_view_reads_the_campaigns_once(two_waves, signed_in):
    """The wave list, the trends' earlier waves and the campaigns' status come from one read
    of the administration's campaigns."""
    from sqlalchemy import event

    client = signed_in("ci-analyst")
    assert client.get("/results/CI/2026").status_code == 200  # computed and cached
    engine = two_waves.app.extensions["cips"].db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/results/CI/2026").text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert 'id="scores"' in page and '<option value="2025">' in page
    assert sum("FROM campaigns" in s for s in statements) == 1, statements
