"""Population margins on the web (issue 20, item 4): a coordinator fills a table per demographic
question on the campaign's margins page; wrong entries are refused with the reasons in the
page's language and change nothing; saved margins make the results page weighted (saying so),
with the unweighted figures a link away; an analyst reads the margins but cannot change them."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.loader import load_questionnaires
from survey.storage.models import AuditEntry, WeightMargins
from tests.web_support import post_form

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()
MARGINS = {
    "population-gender-female": "400",
    "population-gender-male": "600",
    "population-leadership-yes": "230",
    "population-leadership-no": "770",
}


def imported(world, tmp_path) -> str:
    """A closed campaign of CI's officials, wave 2025, 300 made-up respondents; its code."""
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 300, administration="CI",
                          wave="2025", seed=3)  # fmt: skip
    path = write(frame, tmp_path / "officials-2025.csv")
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES["cips-officials"], code="ci-2025")
    return "ci-2025"


def scores(page: str) -> list[str]:
    """The officials' score cells of the results page, in order."""
    found = re.findall(r'<td[^>]* id="score-officials-[^"]+">(.*?)</td>', page, re.S)
    assert found, "no score cells"
    return [cell.strip() for cell in found]


def test_a_coordinator_sets_margins_and_the_results_are_weighted(world, signed_in, tmp_path):
    code = imported(world, tmp_path)
    client = signed_in("ci-coordinator")
    page_url = f"/campaigns/{code}/weights"
    results_url = "/results/CI/2025"
    before = client.get(results_url).text
    assert 'id="weighting"' not in before  # no margins: unweighted, nothing said

    page = client.get(page_url).text
    assert 'id="margins-gender"' in page and 'name="population-gender-female"' in page
    assert 'name="population-gender-pna"' not in page  # not a population category

    # Leadership sums to 930, gender to 1,000: refused in French, nothing stored.
    client.get("/language/fr")
    wrong = {**MARGINS, "population-leadership-no": "700"}
    response = post_form(client, page_url, page_url, wrong)
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "doivent avoir le même total\u202f: leadership totalise 930, gender 1\u202f000" in text
    assert 'value="700"' in response.text  # what was typed stays in the table
    response = post_form(client, page_url, page_url, {**MARGINS, "population-gender-male": "x"})
    assert response.status_code == 400
    with world.db.transaction() as session:
        assert session.scalars(select(WeightMargins)).all() == []

    client.get("/language/en")
    typed = {**MARGINS, "population-gender-female": "4,000", "population-gender-male": "6000"}
    typed["population-leadership-no"] = "7\u00a0700"  # a no-break space between thousands
    typed["population-leadership-yes"] = "2,300"
    response = post_form(client, page_url, page_url, typed)
    assert response.status_code == 302
    page = client.get(page_url).text
    assert "Margins saved" in page and 'value="6000"' in page and 'value="7700"' in page
    with world.db.transaction() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "weights.set"))
        assert entry.actor == "ci-coordinator" and entry.campaign == code

    weighted = client.get(results_url).text
    assert 'id="show-unweighted"' in weighted
    assert scores(weighted) != scores(before)
    unweighted = client.get(f"{results_url}?figures=unweighted").text
    assert 'id="show-weighted"' in unweighted
    assert scores(unweighted) == scores(before)
    workbook = re.search(r'<a href="([^"]+)" id="download-xlsx"', unweighted).group(1)
    assert "figures=unweighted" in html.unescape(workbook)  # the download matches the page

    response = post_form(client, page_url, f"{page_url}/clear", {})
    assert response.status_code == 302
    assert 'id="weighting"' not in client.get(results_url).text


def test_an_analyst_reads_the_margins_but_cannot_change_them(world, signed_in, tmp_path):
    code = imported(world, tmp_path)
    post_form(signed_in("ci-coordinator"), f"/campaigns/{code}/weights",
              f"/campaigns/{code}/weights", MARGINS)  # fmt: skip
    analyst = signed_in("ci-analyst")
    page = analyst.get(f"/campaigns/{code}/weights").text
    assert 'value="770"' in page and 'id="save-margins"' not in page and "readonly" in page
    response = post_form(analyst, f"/campaigns/{code}/weights", f"/campaigns/{code}/weights",
                         {**MARGINS, "population-gender-female": "500"})  # fmt: skip
    assert response.status_code == 403
    # Another administration's coordinator does not even see the campaign.
    assert signed_in("bf-coordinator").get(f"/campaigns/{code}/weights").status_code == 404


def test_an_open_campaign_shows_why_margins_wait(world, signed_in):
    code = world.campaigns["CI"]
    page = signed_in("ci-coordinator").get(f"/campaigns/{code}/weights").text
    assert 'id="weights-open"' in page and 'id="save-margins"' not in page
