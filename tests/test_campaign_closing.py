"""Closing a campaign is final (contacts erased, results released), so: a closing time must be
in the future wherever a schedule is set (create, settings, next wave; the command line and the
web); the web asks to confirm "Close now" on a page saying what it does and who it cuts off; a
campaign closed already is not closed again; and the reminder policy has one set of limits.
Dates are computed from now."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey.campaign_editing import CampaignAlreadyClosed, close_now, update_campaign
from survey.campaign_life import next_wave
from survey.campaigns import (
    MAX_REMINDERS,
    CampaignError,
    ClosingTimePassed,
    ReminderPolicy,
    create_campaign,
    get_administration,
)
from survey.engine import ConversationEngine
from survey.loader import load_questionnaires
from survey.storage.models import AuditEntry, Campaign
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person
from tests.web_support import post_form

pytest_plugins = ["tests.web_fixtures"]

NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
YESTERDAY = NOW - dt.timedelta(days=1)
NEXT_MONTH = NOW + dt.timedelta(days=30)
# The settings form of the web, as a coordinator fills it in (Abidjan is UTC+0).
SETTINGS = {"remind_after": "24h", "remind_every": "48h", "max_reminders": "3",
            "quiet_hours": "20-08", "last_call": "24h", "target_population": "300"}  # fmt: skip
PASSED = "This closing time has passed"
PASSED_FR = "Cette heure de clôture est passée"


def _local(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%dT%H:%M}"


def _campaign(world, code: str) -> Campaign:
    with world.db.transaction() as session:
        return session.scalar(select(Campaign).where(Campaign.code == code))


def _releases(world, code: str) -> int:
    with world.db.transaction() as session:
        return session.scalar(
            select(func.count()).where(AuditEntry.action == "release", AuditEntry.campaign == code)
        )


# -- a closing time in the past ---------------------------------------------------------------


def test_the_domain_refuses_a_closing_time_not_in_the_future_and_accepts_a_past_opening(world):
    questionnaire = load_questionnaires()["cips-officials"]
    with world.db.transaction() as session:
        admin = get_administration(session, "CI")
        for closes in (YESTERDAY, NOW):
            with pytest.raises(ClosingTimePassed, match="not in the future"):
                create_campaign(session, admin, questionnaire, "2027", code="late",
                                closes_at=closes, now=NOW)  # fmt: skip
        # An opening time in the past means open now.
        created = create_campaign(session, admin, questionnaire, "2027", code="early",
                                  opens_at=YESTERDAY, closes_at=NEXT_MONTH, now=NOW)  # fmt: skip
        policy = ReminderPolicy()
        with pytest.raises(ClosingTimePassed):
            update_campaign(created, opens_at=None, closes_at=YESTERDAY, target=None,
                            target_margin=None, policy=policy, now=NOW)  # fmt: skip
        with pytest.raises(ClosingTimePassed):
            next_wave(session, created, questionnaire, code="early-2", wave="2028",
                      closes_at=YESTERDAY, now=NOW)  # fmt: skip
        # A closing time left as it was is no change, even once it has passed: the other
        # settings of a campaign the clock closed can still be edited.
        created.closes_at = YESTERDAY
        update_campaign(created, opens_at=None, closes_at=YESTERDAY + dt.timedelta(seconds=30),
                        target=900, target_margin=None, policy=policy, now=NOW)  # fmt: skip
        assert created.target_population == 900


def test_the_command_line_refuses_a_closing_date_in_the_past(world, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = world.campaigns["CI"]
    yesterday = (NOW - dt.timedelta(days=1)).date().isoformat()  # a bare date: its end, today
    last_week = (NOW - dt.timedelta(days=7)).date().isoformat()
    refused = run_cips("campaign", "update", code, "--closes", last_week, ok=False)
    assert "not in the future" in refused.output and "updated" not in refused.output
    assert _campaign(world, code).closes_at is None
    refused = run_cips("campaign", "create", "--administration", "CI", "--questionnaire",
                       "cips-officials", "--wave", "2027", "--closes", last_week, ok=False)  # fmt: skip
    assert "not in the future" in refused.output and "created" not in refused.output
    refused = run_cips("campaign", "next-wave", code, "--code", "ci-next", "--wave", "2027",
                       "--closes", last_week, ok=False)  # fmt: skip
    assert "not in the future" in refused.output
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 2
    # Yesterday's date closes at the end of yesterday: past too. Tomorrow's is fine.
    run_cips("campaign", "update", code, "--closes", yesterday, ok=False)
    tomorrow = (NOW + dt.timedelta(days=1)).date().isoformat()
    assert "updated" in run_cips("campaign", "update", code, "--closes", tomorrow).output
    # An opening date in the past is accepted: it means open now.
    assert "updated" in run_cips("campaign", "update", code, "--opens", last_week).output


def test_the_web_forms_say_on_the_field_that_the_closing_time_has_passed(world, signed_in):
    client = signed_in("ci-coordinator")
    code = world.campaigns["CI"]
    edit = f"/campaigns/{code}/edit"
    response = post_form(client, edit, edit, {**SETTINGS, "closes_at": _local(YESTERDAY)})
    assert response.status_code == 400 and PASSED in response.text
    assert "Changes saved." not in response.text
    assert _campaign(world, code).closes_at is None
    new = {**SETTINGS, "administration": "CI", "questionnaire": "cips-private-sector",
           "wave": "2027", "code": "ci-late", "closes_at": _local(YESTERDAY)}  # fmt: skip
    response = post_form(client, "/campaigns/new", "/campaigns/new", new)
    assert response.status_code == 400 and PASSED in response.text
    wave = {"wave": "2027", "code": "ci-late", "closes_at": _local(YESTERDAY)}
    page = f"/campaigns/{code}/next-wave"
    response = post_form(client, page, page, wave)
    assert response.status_code == 400 and PASSED in response.text
    assert _campaign(world, "ci-late") is None
    # In the user's language.
    client.get("/language/fr")
    response = post_form(client, edit, edit, {**SETTINGS, "closes_at": _local(YESTERDAY)})
    assert response.status_code == 400 and PASSED_FR in response.text
    # An opening time in the past, with a closing time ahead: saved, the campaign is open.
    client.get("/language/en")
    ahead = {**SETTINGS, "opens_at": _local(YESTERDAY), "closes_at": _local(NEXT_MONTH)}
    assert post_form(client, edit, edit, ahead).status_code == 302
    assert _campaign(world, code).closes_at == NEXT_MONTH


# -- closing: confirmed on the web, once only -------------------------------------------------


def test_close_now_asks_to_confirm_and_says_who_it_cuts_off(world, signed_in):
    code = world.campaigns["CI"]
    page = f"/campaigns/{code}"
    engine = ConversationEngine(world.db, load_questionnaires(), TEST_SECRET)
    person = Person(engine, "4242", language_hint="en")
    person.command("start", code)
    person.press("Yes, I agree")
    person.press(person.prompt.buttons[0].value)  # answering, not finished
    client = signed_in("ci-coordinator")
    shown = client.get(page).text
    assert f'href="{page}/close"' in shown  # a link to the confirmation, not a button that closes
    confirm = client.get(f"{page}/close")
    assert confirm.status_code == 200
    text = confirm.text
    assert "It cannot be undone" in text and "contact records" in text
    assert "People answering right now, who will be cut off: 1" in text
    assert f'href="{page}">Cancel</a>' in text and 'name="csrf_token"' in text
    assert _campaign(world, code).closed_at is None, "showing the page closes nothing"
    client.get("/language/fr")
    assert "Cela ne peut pas être annulé" in client.get(f"{page}/close").text
    client.get("/language/en")
    # Those who may not close it do not see the page either.
    assert signed_in("ci-analyst").get(f"{page}/close").status_code == 403
    assert signed_in("bf-coordinator").get(f"{page}/close").status_code == 404
    assert client.post(f"{page}/close").status_code == 400  # no CSRF token
    response = post_form(client, f"{page}/close", f"{page}/close", {})
    assert response.status_code == 302
    assert _campaign(world, code).closed_at is not None


def test_a_closed_campaign_is_not_closed_again(world, signed_in, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = world.campaigns["CI"]
    assert "closed" in run_cips("campaign", "close", code).output
    closed_at = _campaign(world, code).closed_at
    again = run_cips("campaign", "close", code, ok=False)
    assert f"campaign {code} is already closed" in again.output
    assert "released" not in again.output
    assert _releases(world, code) == 1, "one release, one audit entry"
    client = signed_in("ci-coordinator")
    page = f"/campaigns/{code}"
    shown = client.get(client.get(f"{page}/close").location).text
    assert "This campaign is already closed." in shown
    response = post_form(client, page, f"{page}/close", {})
    assert "This campaign is already closed." in client.get(response.location).text
    assert _releases(world, code) == 1 and _campaign(world, code).closed_at == closed_at
    # Closed by the clock at its closing time: the same.
    other = world.campaigns["BF"]
    with world.db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == other))
        campaign.closes_at = NOW - dt.timedelta(minutes=1)
        close_now(session, campaign, NOW, 10)  # what survey.housekeeping does
    with world.db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == other))
        with pytest.raises(CampaignAlreadyClosed):
            close_now(session, campaign, NOW, 10)
    assert "already closed" in run_cips("campaign", "close", other, ok=False).output


# -- the reminder policy's limits -------------------------------------------------------------


def test_the_reminder_limits_are_the_same_on_the_command_line_and_the_web(
    world, signed_in, database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = world.campaigns["CI"]
    for count in (-1, MAX_REMINDERS + 1, 50):
        with pytest.raises(CampaignError, match=f"between 0 and {MAX_REMINDERS}"):
            ReminderPolicy(max_reminders=count).check()
    refused = run_cips("campaign", "update", code, "--max-reminders", "50", ok=False)
    assert f"between 0 and {MAX_REMINDERS}" in refused.output
    refused = run_cips("campaign", "create", "--administration", "CI", "--questionnaire",
                       "cips-officials", "--wave", "2027", "--max-reminders", "11", ok=False)  # fmt: skip
    assert f"between 0 and {MAX_REMINDERS}" in refused.output
    assert _campaign(world, code).max_reminders == 3
    run_cips("campaign", "update", code, "--max-reminders", str(MAX_REMINDERS))
    client = signed_in("ci-coordinator")
    edit = f"/campaigns/{code}/edit"
    response = post_form(client, edit, edit, {**SETTINGS, "max_reminders": "11"})
    assert response.status_code == 400 and f"Between 0 and {MAX_REMINDERS}." in response.text
    assert post_form(client, edit, edit, {**SETTINGS, "max_reminders": "0"}).status_code == 302
    assert _campaign(world, code).max_reminders == 0
