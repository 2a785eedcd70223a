"""A closed campaign's dashboard and `cips campaign show` say it is over (final figures, results
released, the responses the close cut off), and the dropout table shows no count below k."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from survey import daily
from survey.storage.models import Campaign, Respondent, RespondentStatus
from tests.cli_support import run_cips
from tests.test_dashboard_downloads import csv_tables, populate

pytest_plugins = ["tests.web_fixtures"]


def test_a_closed_campaign_reads_as_final_on_the_page_and_in_the_cli(
    world, signed_in, database_url, monkeypatch
):
    code = populate(world)  # 29 started: 26 completed, 3 in progress
    client = signed_in("ci-coordinator")
    live = client.get(f"/campaigns/{code}/dashboard").text
    assert 'id="dashboard-live"' in live and 'http-equiv="refresh"' in live
    assert "3 in progress, 0 withdrew" in live

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("CIPS_PUBLIC_URL", raising=False)
    run_cips("campaign", "close", code)
    page = client.get(f"/campaigns/{code}/dashboard").text
    assert "Live from the database" not in page and "refreshes every minute" not in page
    assert 'http-equiv="refresh"' not in page, "final figures do not change"
    assert "Participation only" not in page
    assert "Final figures: the campaign closed on" in page
    assert re.search(r'href="/results/CI/2026" id="released-results"', page)
    assert "3 cut off at the close, 0 withdrew" in page and "in progress" not in page
    summary = dict(csv_tables(client.get(f"/campaigns/{code}/dashboard.csv").data)["Dashboard"])
    assert summary["Cut off at the close"] == "3" and "In progress" not in summary

    shown = run_cips("campaign", "show", code).output
    figures = dict(re.findall(r"^(started|completed|withdrawn|cut off) +(\d+)", shown, re.M))
    assert figures == {"started": "29", "completed": "26", "withdrawn": "0", "cut off": "3"}
    assert "in progress" not in shown, "nobody is answering a closed campaign"
    assert re.search(r"^closed +\d{4}-\d\d-\d\d \d\d:\d\d \S+ \(its results are released\)$",
                     shown, re.M)  # fmt: skip
    assert (
        f"web survey    http://127.0.0.1:5000/s/{code}\n"
        "              warning: CIPS_PUBLIC_URL is not set; the link assumes cips run on this "
        "machine\n"
    ) in shown
    monkeypatch.setenv("CIPS_PUBLIC_URL", "https://survey.example.org/")
    shown = run_cips("campaign", "show", code).output
    assert f"web survey    https://survey.example.org/s/{code}\n" in shown
    assert "CIPS_PUBLIC_URL" not in shown


def test_an_open_campaign_in_the_cli_counts_those_in_progress(world, database_url, monkeypatch):
    code = populate(world)
    monkeypatch.setenv("DATABASE_URL", database_url)
    shown = run_cips("campaign", "show", code).output
    assert re.search(r"^in progress +3$", shown, re.M) and "closed  " not in shown


def test_where_people_stop_shows_no_count_below_k(world, signed_in):
    """Six started (k = 10): five completed, one stopped at the second question. No "got this
    far" value is shown, the first question's neither; the page says why instead of a column of
    hidden cells."""
    code = world.campaigns["CI"]
    day = dt.datetime.now(dt.UTC).date()
    with world.db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        second = campaign_questions(world, campaign)[1]
        rows = [(RespondentStatus.COMPLETED, None)] * 5 + [(RespondentStatus.IN_PROGRESS, second)]
        session.add_all(
            Respondent(campaign_id=campaign.id, language="en", status=status, position=position,
                       started_on=day, updated_on=day,
                       completed_on=day if status == RespondentStatus.COMPLETED else None)
            for status, position in rows
        )  # fmt: skip
        daily.count(session, campaign.id, day, started=6, completed=5)
    client = signed_in("ci-coordinator")
    page = client.get(f"/campaigns/{code}/dashboard").text
    assert 'id="kpi-started">6<' in page, "the total stays exact"
    assert 'id="funnel-too-few"' in page and 'id="funnel"' not in page
    funnel = csv_tables(client.get(f"/campaigns/{code}/dashboard.csv").data)["Where people stop"]
    counts = {cell for row in funnel[1:] for cell in row[3:]}
    assert counts == {"<10"}, counts
    api = client.get(f"/api/v1/campaigns/{code}/dashboard",
                     headers={"Authorization": f"Bearer {world.tokens['ci-coordinator']}"})  # fmt: skip
    assert {row["reached"] for row in api.get_json()["funnel"]} == {None}


def campaign_questions(world, campaign) -> list[str]:
    return [q.id for q in world.app.extensions["cips"].questionnaires[campaign.questionnaire_id]
            .questions]  # fmt: skip
