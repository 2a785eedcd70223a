"""The dashboard's figures as CSV and XLSX: equal to the page, suppressed like it, text made safe."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import openpyxl
import time_machine
from sqlalchemy import select

from survey import daily
from survey.campaign_editing import add_source
from survey.storage.models import Campaign, Respondent, RespondentStatus

pytest_plugins = ["tests.web_fixtures"]

FORMULA = '=HYPERLINK("http://evil.example","Port")'


def populate(world) -> str:
    """en 14 completed (port), es 12 completed (brokers), fr 3 in progress (plain link): with
    k = 10, French is hidden and Spanish with it; the plain link and the brokers likewise."""
    code = world.campaigns["CI"]
    day = dt.datetime.now(dt.UTC).date()
    with world.db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        add_source(session, campaign, "port", FORMULA)
        add_source(session, campaign, "brokers", "Brokers")
        rows = [("en", "port", RespondentStatus.COMPLETED, None)] * 14 + [
            ("es", "brokers", RespondentStatus.COMPLETED, None)] * 12 + [
            ("fr", None, RespondentStatus.IN_PROGRESS, "lc2")] * 3  # fmt: skip
        session.add_all(
            Respondent(campaign_id=campaign.id, language=language, source_tag=tag, status=status,
                       position=position, started_on=day, updated_on=day,
                       completed_on=day if status == RespondentStatus.COMPLETED else None)
            for language, tag, status, position in rows
        )  # fmt: skip
        daily.count(session, campaign.id, day, started=29, completed=26)
    return code


def page_rows(page: str, attribute: str) -> dict[str, list[str]]:
    """The number cells of a breakdown of the page, by its data attribute."""
    found = {}
    for key, row in re.findall(rf'<tr {attribute}="([^"]*)">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
        found[key] = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells[:2]]
    return found


def same(value) -> str:
    """A cell as comparable text: numbers written alike, whether CSV text or XLSX numbers."""
    if value is None:
        return ""
    try:
        return repr(float(value))
    except ValueError:
        return str(value)


def csv_tables(body: bytes) -> dict[str, list[list[str]]]:
    """Title -> rows (the header first) of the CSV's tables (separated by an empty row)."""
    tables, current = {}, None
    for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
        if not row:
            current = None
        elif current is None:
            current = tables.setdefault(row[0], [])
        else:
            current.append(row)
    return tables


def test_downloads_equal_the_page_and_are_suppressed_like_it(world, signed_in):
    code = populate(world)
    client = signed_in("ci-analyst")
    # One instant for the page and both files: each says "As of" to the second.
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        page = client.get(f"/campaigns/{code}/dashboard").text
        for fmt in ("csv", "xlsx"):
            assert f'href="/campaigns/{code}/dashboard.{fmt}"' in page
        response = client.get(f"/campaigns/{code}/dashboard.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.data.count(b"\r\n") == response.data.count(b"\n"), "CRLF line ends"
        tables = csv_tables(response.data)
        workbook = openpyxl.load_workbook(
            io.BytesIO(client.get(f"/campaigns/{code}/dashboard.xlsx").data)
        )
        assert workbook.sheetnames == list(tables)
        for title, rows in tables.items():  # the workbook holds the same cells (numbers as numbers)
            sheet = [[same(v) for v in row] for row in workbook[title].iter_rows(values_only=True)]
            assert sheet == [
                [same(c) for c in row] + [""] * (len(sheet[0]) - len(row)) for row in rows
            ]
        assert all(isinstance(c.value, int) for c in workbook["Dashboard"]["B"][3:6]), "numbers"

        summary = dict(tables["Dashboard"][1:])
        assert summary["Started"] == re.search(r'id="kpi-started">([^<]*)<', page).group(1) == "29"
        assert summary["Completed"] == re.search(r'id="kpi-completed">([^<]*)<', page).group(1)
        assert summary["In progress"] == "3" and summary["Completion rate (%)"] == "89.7"

        shown = page_rows(page, "data-language")
        by_language = {row[0]: row[2:4] for row in tables["By language"][1:]}
        assert shown == {key: by_language[key] for key in shown}
        assert by_language["en"] == ["14", "14"]
        assert by_language["fr"] == ["<10", "<10"] and by_language["es"] == ["<10", "<10"]
        shown = page_rows(page, "data-source")
        by_source = {row[0]: row for row in tables["By channel"][1:]}
        assert shown == {key: row[2:4] for key, row in by_source.items()}
        assert by_source["port"][2:] == ["14", "14", "100.0"]
        assert by_source[""][2:] == by_source["brokers"][2:] == ["<10", "<10", "<10"]
        # Nowhere does a hidden group's size appear: not 3 (French), not 12 (Spanish).
        assert not {"3", "12"} & {cell for row in tables["By language"] for cell in row}
        funnel = {row[1]: row for row in tables["Where people stop"][1:]}
        assert funnel["lc2"][4] == "<10" and funnel["lc2"][2] == re.search(
            r'id="funnel-lc2">.*?class="question-text">([^<]*)<', page, re.S
        ).group(1)

        # The channel label typed as a formula is neutralized, in the CSV and in the workbook.
        assert by_source["port"][1] == "'" + FORMULA
        cell = next(row[1] for row in workbook["By channel"].iter_rows() if row[0].value == "port")
        assert cell.value == "'" + FORMULA and cell.data_type == "s"


def test_downloads_follow_the_page_language_and_its_access_rules(world, signed_in):
    code = populate(world)
    client = signed_in("ci-coordinator")
    client.get("/language/fr")
    tables = csv_tables(client.get(f"/campaigns/{code}/dashboard.csv").data)
    assert "Par langue" in tables and tables["Par langue"][0][0] == "Langue", list(tables)
    other = signed_in("bf-coordinator")
    assert other.get(f"/campaigns/{code}/dashboard.xlsx").status_code == 404
    anonymous = world.app.test_client().get(f"/campaigns/{code}/dashboard.csv")
    assert anonymous.status_code == 302


def test_a_rate_of_nobody_is_empty_not_suppressed(world, signed_in):
    """A channel nobody used has no completion rate: "—" on the page, null (not suppressed) in
    the API, an empty cell in the files; a suppressed group's rate is hidden as its counts."""
    code = populate(world)
    client = signed_in("ci-analyst")
    page = client.get(f"/campaigns/{code}/dashboard").text
    api = client.get(f"/api/v1/campaigns/{code}/dashboard",
                     headers={"Authorization": f"Bearer {world.tokens['ci-analyst']}"}).get_json()  # fmt: skip
    unused = {row["channel"] for row in api["by_channel"] if row["started"] == 0}
    assert "miniapp" in unused
    assert all(row["completion_rate"] is None and not row["suppressed"]
               for row in api["by_channel"] if row["channel"] in unused)  # fmt: skip
    how = {row[0]: row for row in csv_tables(client.get(f"/campaigns/{code}/dashboard.csv").data)[
        "How people answered"][1:]}  # fmt: skip
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/campaigns/{code}/dashboard.xlsx").data)
    )
    sheet = {row[0]: row for row in workbook["How people answered"].iter_rows(values_only=True)}
    for channel in unused:
        assert how[channel][2:] == ["0", "0", "0", "0", ""], how[channel]
        assert sheet[channel][6] in (None, ""), sheet[channel]
        shown = re.search(rf'<tr data-channel="{channel}">(.*?)</tr>', page, re.S).group(1)
        assert re.findall(r'<td class="num">(.*?)</td>', shown, re.S)[-1].strip() == "—"
    # The plain link's group (3) is suppressed: its rate reads "<10" in the file and on the page.
    by_source = {row[0]: row for row in csv_tables(
        client.get(f"/campaigns/{code}/dashboard.csv").data)["By channel"][1:]}  # fmt: skip
    assert by_source[""][4] == "<10"
    plain = re.search(r'<tr data-source="">(.*?)</tr>', page, re.S).group(1)
    last = re.findall(r'<td class="num">(.*?)</td>', plain, re.S)[-1]
    assert "&lt;10" in last
