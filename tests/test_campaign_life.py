"""A campaign's life after fieldwork (issue 22, item 2): archive, delete, next wave, in the
domain, the command line and the web, on both backends; and the reminders planned for the next
seven days, against what the clock then sends, on a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import delete, func, select

from survey import access_codes, sealing
from survey.campaign_editing import add_source, close_now
from survey.campaign_life import DeletionRefused, delete_campaign, next_wave
from survey.campaigns import CampaignError, ReminderPolicy, create_administration, create_campaign
from survey.engine import ConversationEngine
from survey.engine.replies import reply_from_data
from survey.i18n import render
from survey.loader import load_questionnaire, load_questionnaires
from survey.reminders import ReminderRule, projected, reminder_plan
from survey.storage.models import (
    Administration,
    Answer,
    Base,
    Campaign,
    CampaignSource,
    Contact,
    Outbox,
    ReminderSent,
    Respondent,
    Role,
    SealedAnswer,
    SealedResponse,
    WeightMargins,
)
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import ControlledClock
from tests.engine_driver import Respondent as Person
from tests.test_engine import SMALL
from tests.web_support import add_user, post_form, sign_in
from web import create_app
from web.clock import Clock

pytest_plugins = ["tests.web_fixtures"]

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def questionnaires(tmp_path, monkeypatch):
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "small.toml").write_text(SMALL)
    monkeypatch.setenv("CIPS_QUESTIONNAIRE_DIRS", str(folder))
    return load_questionnaires() | {"small": load_questionnaire(folder / "small.toml")}


@pytest.fixture
def engine(db, questionnaires):
    return ConversationEngine(db, questionnaires, TEST_SECRET, languages=lambda: ["en"])


def _campaign(db, questionnaires, code: str, **kwargs) -> None:
    with db.transaction() as session:
        administration = session.scalar(select(Administration).where(Administration.code == "BF"))
        if administration is None:
            administration = create_administration(
                session, "BF", "Douanes", "Africa/Abidjan", ["en"]
            )
        create_campaign(session, administration, questionnaires["small"], "2026", code=code,
                        **kwargs)  # fmt: skip


def _finish(engine, user: str, code: str) -> None:
    person = Person(engine, user, language_hint="en")
    person.join(code)
    person.answer_everything()


def _start(engine, user: str, code: str) -> Person:
    person = Person(engine, user, language_hint="en")
    person.join(code)
    person.press(person.prompt.buttons[0].value)
    return person


def _populate(db, engine, code: str, *, completed: int) -> None:
    """Everything a campaign can hold: sealed responses and their marks, a finished one waiting
    for its seal, one under way with its contact, a message waiting for it, a reminder figure,
    per-day counters and a channel."""
    for number in range(completed):
        _finish(engine, f"{code}-done-{number}", code)
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        sealing.seal_campaign(session, campaign, k=2)
    _finish(engine, f"{code}-late", code)
    _start(engine, f"{code}-busy", code)
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        contact = session.scalar(select(Contact).where(Contact.campaign_id == campaign.id))
        session.add(Outbox(contact_id=contact.id, chat_secret=contact.chat_secret, kind="reminder",
                           payload={}, attempts=0))  # fmt: skip
        session.add(ReminderSent(campaign_id=campaign.id, sent_on=NOW.date()))
        add_source(session, campaign, "port", "Port poster")
        access_codes.generate(session, "test secret", campaign, 2)  # the web channel's codes
        access_codes.redeem(session, "test secret", campaign, "WRONG", NOW)  # and a wrong try
        session.add(WeightMargins(campaign_id=campaign.id, set_by="test",  # population margins
                                  margins='{"gender": {"man": 50, "woman": 50}}'))  # fmt: skip


def _rows(db) -> dict[str, int]:
    """Rows per table (every table of the schema)."""
    with db.transaction() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def _campaign_rows(db, code: str) -> dict[str, int]:
    """Rows that belong to campaign `code`, per table with a campaign_id column (plus the
    answers of its responses and the messages waiting for its contacts)."""
    with db.transaction() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == code))
        counts = {
            table.name: session.scalar(
                select(func.count()).select_from(table).where(table.c.campaign_id == campaign_id)
            )
            for table in Base.metadata.sorted_tables
            if "campaign_id" in table.c
        }
        counts["campaigns"] = session.scalar(select(func.count()).where(Campaign.code == code))
        return counts


def test_deleting_removes_everything_of_the_campaign_and_nothing_else(db, engine, questionnaires):
    _campaign(db, questionnaires, "gone")
    _campaign(db, questionnaires, "kept")
    _populate(db, engine, "gone", completed=2)
    _populate(db, engine, "kept", completed=2)
    before = _rows(db)
    gone = _campaign_rows(db, "gone")
    assert all(gone.values()), f"the test campaign should hold a row in every table: {gone}"
    # Completed responses (sealed and waiting): a coordinator may not; an admin must type the code.
    for admin, typed in ((False, "gone"), (True, None), (True, "kept"), (True, "Gone")):
        with pytest.raises(DeletionRefused), db.transaction() as session:
            campaign = session.scalar(select(Campaign).where(Campaign.code == "gone"))
            delete_campaign(session, campaign, admin=admin, typed_code=typed)
    assert _rows(db) == before
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "gone"))
        delete_campaign(session, campaign, admin=True, typed_code="gone")
    assert not any(_campaign_rows(db, "gone").values())
    after = _rows(db)
    with db.transaction() as session:
        kept = session.scalar(select(Campaign.id).where(Campaign.code == "kept"))
        kept_answers = session.scalar(
            select(func.count()).select_from(Answer).join(Respondent).where(
                Respondent.campaign_id == kept)
        )  # fmt: skip
        kept_sealed = session.scalar(
            select(func.count()).select_from(SealedAnswer).join(SealedResponse).where(
                SealedResponse.campaign_id == kept)
        )  # fmt: skip
        kept_outbox = session.scalar(
            select(func.count()).select_from(Outbox).join(
                Contact, Contact.id == Outbox.contact_id).where(Contact.campaign_id == kept)
        )  # fmt: skip
    # Only what was the campaign's is gone: the other campaign's rows are all there.
    assert (after["answers"], after["sealed_answers"], after["outbox"]) == (
        kept_answers,
        kept_sealed,
        kept_outbox,
    )
    for table, count in _campaign_rows(db, "kept").items():
        assert before[table] - gone[table] == after[table] == count, table


def test_a_coordinator_may_delete_a_campaign_without_completed_responses(
    db, engine, questionnaires
):
    _campaign(db, questionnaires, "trial")
    _start(engine, "someone", "trial")  # under way, not completed
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "trial"))
        delete_campaign(session, campaign, admin=False)
    assert not any(_campaign_rows(db, "trial").values())
    assert _rows(db)["respondents"] == _rows(db)["contacts"] == 0


def test_next_wave_copies_questionnaire_settings_and_sources(db, questionnaires):
    closes = NOW + dt.timedelta(days=30)
    _campaign(db, questionnaires, "wave-1", target=700, closes_at=closes,
              policy=ReminderPolicy(3600, 7200, 5, (21, 6), None))  # fmt: skip
    with db.transaction() as session:
        old = session.scalar(select(Campaign).where(Campaign.code == "wave-1"))
        old.target_margin = 4.5
        add_source(session, old, "port", "Port poster")
        add_source(session, old, "brokers", "Brokers' association")
    with db.transaction() as session:
        old = session.scalar(select(Campaign).where(Campaign.code == "wave-1"))
        with pytest.raises(CampaignError, match="give a new label"):
            next_wave(session, old, questionnaires["small"], code="wave-2", wave="2026")
    with db.transaction() as session:
        old = session.scalar(select(Campaign).where(Campaign.code == "wave-1"))
        next_wave(session, old, questionnaires["small"], code="wave-2", wave="2027")
    with db.transaction() as session:
        new = session.scalar(select(Campaign).where(Campaign.code == "wave-2"))
        assert (new.questionnaire_id, new.wave, new.administration.code) == ("small", "2027", "BF")
        assert (new.target_population, new.target_margin) == (700, 4.5)
        assert (new.remind_after_s, new.remind_every_s, new.max_reminders) == (3600, 7200, 5)
        assert (new.quiet_start_hour, new.quiet_end_hour, new.last_call_before_s) == (21, 6, None)
        assert [(s.tag, s.label) for s in new.sources] == [
            ("brokers", "Brokers' association"),
            ("port", "Port poster"),
        ]
        # Its own schedule: not the old wave's closing date, and nothing answered yet.
        assert new.closes_at is None and new.closed_at is None


def test_archive_unarchive_delete_and_next_wave_on_the_command_line(
    db, database_url, engine, questionnaires, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    _campaign(db, questionnaires, "cli-1")
    with db.transaction() as session:
        add_source(session, session.scalar(select(Campaign)), "port", "Port poster")
    _finish(engine, "one", "cli-1")
    refused = run_cips("campaign", "archive", "cli-1", ok=False)
    assert "not closed: close it first" in refused.output
    run_cips("campaign", "close", "cli-1")
    assert "cli-1" in run_cips("campaign", "list").output
    run_cips("campaign", "archive", "cli-1")
    assert "archived ones: list them with --archived" in run_cips("campaign", "list").output
    listed = run_cips("campaign", "list", "--archived").output
    assert "cli-1" in listed and "archived" in listed
    created = run_cips("campaign", "next-wave", "cli-1", "--code", "cli-2", "--wave", "2027")
    assert "campaign cli-2 created for wave 2027" in created.output
    assert "channel port: Port poster" in created.output
    listed = run_cips("campaign", "list").output
    assert "cli-2" in listed and "cli-1" not in listed
    run_cips("campaign", "unarchive", "cli-1")
    assert "cli-1" in run_cips("campaign", "list").output
    taken = run_cips(
        "campaign", "next-wave", "cli-1", "--code", "cli-2", "--wave", "2028", ok=False
    )
    assert "cli-2 is taken" in taken.output
    # The completed response is sealed (closing released it): delete wants the code typed again.
    refused = run_cips("campaign", "delete", "cli-1", ok=False)
    assert "cips campaign delete cli-1 --confirm cli-1" in refused.output
    run_cips("campaign", "delete", "cli-1", "--confirm", "cli-2", ok=False)
    assert _campaign_rows(db, "cli-1")["sealed_responses"] == 1
    assert (
        "campaign cli-1 deleted"
        in run_cips("campaign", "delete", "cli-1", "--confirm", "cli-1").output
    )
    assert not any(_campaign_rows(db, "cli-1").values())
    # Without a completed response, no confirmation is asked.
    assert "campaign cli-2 deleted" in run_cips("campaign", "delete", "cli-2").output


# -- the web ---------------------------------------------------------------------------------


def _code(world, administration: str = "CI") -> str:
    return world.campaigns[administration]


def _close(world, code: str) -> None:
    with world.db.transaction() as session:
        close_now(session, session.scalar(select(Campaign).where(Campaign.code == code)), NOW, 10)


def _listed(client, url: str = "/campaigns") -> str:
    return client.get(url).text


def test_archiving_hides_a_campaign_from_the_web_lists_until_unarchived(world, signed_in):
    code = _code(world)
    coordinator = signed_in("ci-coordinator")
    page = f"/campaigns/{code}"
    refused = post_form(coordinator, page, f"{page}/archive", {})
    assert "Close the campaign before archiving it." in coordinator.get(refused.location).text
    _close(world, code)
    # Analysts read but do not manage; another administration's coordinator does not see it.
    assert post_form(signed_in("ci-analyst"), page, f"{page}/archive", {}).status_code == 403
    assert (
        post_form(signed_in("bf-coordinator"), "/campaigns", f"{page}/archive", {}).status_code
        == 404
    )
    assert coordinator.post(f"{page}/archive").status_code == 400  # no CSRF token
    assert f'href="{page}"' in _listed(coordinator)
    response = post_form(coordinator, page, f"{page}/archive", {})
    assert response.status_code == 302
    shown = coordinator.get(page).text
    assert "is archived: it is no longer listed" in shown and "Archived on" in shown
    listed = _listed(coordinator)
    assert f'href="{page}"' not in listed and "Show the archived campaigns (1)" in listed
    assert "Every campaign is archived." in listed
    with_archived = _listed(coordinator, "/campaigns?archived=1")
    assert f'href="{page}"' in with_archived and "archived</span>" in with_archived
    # The API's list leaves it out too, unless asked.
    headers = {"Authorization": f"Bearer {world.tokens['ci-coordinator']}"}
    api = coordinator.get("/api/v1/campaigns", headers=headers).get_json()["campaigns"]
    assert code not in [c["code"] for c in api]
    api = coordinator.get("/api/v1/campaigns?archived=1", headers=headers).get_json()["campaigns"]
    assert [c["archived"] for c in api if c["code"] == code] == [True]
    # The admin's list hides it too, and still shows the other administration's campaign.
    admin_list = _listed(signed_in("admin"))
    assert (
        f'href="{page}"' not in admin_list
        and f'href="/campaigns/{_code(world, "BF")}"' in admin_list
    )
    post_form(coordinator, page, f"{page}/unarchive", {})
    assert f'href="{page}"' in _listed(coordinator)
    assert "Show the archived" not in _listed(coordinator)


def _finish_in(world, code: str, user: str) -> None:
    engine = ConversationEngine(world.db, load_questionnaires(), TEST_SECRET)
    person = Person(engine, user, language_hint="en")
    person.join(code)
    person.answer_everything()


def test_deleting_on_the_web_needs_an_admin_typing_the_code_once_a_response_is_completed(
    world, signed_in
):
    code = _code(world)
    page = f"/campaigns/{code}/delete"
    _finish_in(world, code, "done")
    coordinator = signed_in("ci-coordinator")
    shown = coordinator.get(page).text
    assert "Completed responses: 1" in shown and "Only an admin may delete" in shown
    assert 'id="delete-campaign"' not in shown
    assert (
        post_form(coordinator, f"/campaigns/{code}", page, {"confirm_code": code}).status_code
        == 403
    )
    assert signed_in("ci-analyst").get(page).status_code == 403
    admin = signed_in("admin")
    assert "type " + code + " to confirm" in admin.get(page).text
    for typed in ("", "ci-something"):
        refused = post_form(admin, page, page, {"confirm_code": typed})
        assert refused.status_code == 400 and f"Type the code {code} exactly" in refused.text
    assert admin.post(page, data={"confirm_code": code}).status_code == 400  # no CSRF token
    assert _campaign_rows(world.db, code)["respondents"] == 1
    deleted = post_form(admin, page, page, {"confirm_code": code})
    assert deleted.status_code == 302 and deleted.location == "/campaigns"
    assert f"Campaign {code} is deleted." in admin.get("/campaigns").text
    assert admin.get(f"/campaigns/{code}").status_code == 404
    assert not any(_campaign_rows(world.db, code).values())


def test_a_coordinator_deletes_a_campaign_without_completed_responses(world, signed_in):
    code = _code(world, "BF")
    page = f"/campaigns/{code}/delete"
    coordinator = signed_in("bf-coordinator")
    assert "It has no completed response." in coordinator.get(page).text
    assert signed_in("ci-coordinator").get(page).status_code == 404
    assert post_form(coordinator, page, page, {}).location == "/campaigns"
    assert _campaign_rows(world.db, code)["campaigns"] == 0


def test_next_wave_on_the_web(world, signed_in):
    code = _code(world)
    page = f"/campaigns/{code}/next-wave"
    with world.db.transaction() as session:
        old = session.scalar(select(Campaign).where(Campaign.code == code))
        old.remind_after_s, old.quiet_start_hour, old.last_call_before_s = 7200, 22, None
        add_source(session, old, "port", "Port poster")
    coordinator = signed_in("ci-coordinator")
    assert signed_in("ci-analyst").get(page).status_code == 403
    assert signed_in("bf-coordinator").get(page).status_code == 404
    same = post_form(coordinator, page, page, {"wave": "2026", "code": "ci-2027"})
    assert same.status_code == 400 and "give a new label" in same.text
    taken = post_form(coordinator, page, page, {"wave": "2027", "code": _code(world, "BF")})
    assert taken.status_code == 400 and "This campaign code is taken" in taken.text
    created = post_form(coordinator, page, page, {"wave": "2027", "code": "ci-2027"})
    assert created.status_code == 302 and created.location == "/campaigns/ci-2027"
    assert "with the settings and channels of" in coordinator.get(created.location).text
    with world.db.transaction() as session:
        new = session.scalar(select(Campaign).where(Campaign.code == "ci-2027"))
        assert (new.questionnaire_id, new.wave, new.administration.code) == (
            "cips-officials",
            "2027",
            "CI",
        )
        assert (new.remind_after_s, new.quiet_start_hour, new.last_call_before_s) == (
            7200,
            22,
            None,
        )
        assert (new.target_population, new.target_margin) == (200, 5.0)
        assert [(s.tag, s.label) for s in new.sources] == [("port", "Port poster")]
        assert session.scalar(select(func.count()).select_from(CampaignSource)) == 2


# -- planned reminders -----------------------------------------------------------------------

HOUR = dt.timedelta(hours=1)
WEEK = 7 * 24 * HOUR
# A frozen Monday 10:00 in Nairobi (UTC+3); quiet hours 20-08; the campaign closes four days on.
START = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
NAIROBI = dt.timezone(dt.timedelta(hours=3))
PLAN_POLICY = ReminderPolicy(24 * 3600, 48 * 3600, 3, (20, 8), 24 * 3600)


@pytest.fixture
def plan_world(db):
    """People who stopped at known times up to START, through the engine on a controlled
    clock; returns the reminder clock on the same time."""
    questionnaires = load_questionnaires()
    now = ControlledClock(START - 30 * HOUR)
    with db.transaction() as session:
        admin = create_administration(session, "KE", "Customs", "Africa/Nairobi", ["en"])
        create_campaign(session, admin, questionnaires["cips-officials"], "2026", code="ke-2026",
                        policy=PLAN_POLICY, closes_at=START + 96 * HOUR, now=now.now)  # fmt: skip
    engine = ConversationEngine(db, questionnaires, TEST_SECRET, clock=now,
                                languages=lambda: ["en"])  # fmt: skip

    def person(user: str, answers: int) -> Person:
        somebody = Person(engine, user, language_hint="en")
        somebody.join("ke-2026")
        for _ in range(answers):
            somebody.press(somebody.prompt.buttons[0].value)
        return somebody

    person("overdue", 2)  # 04:00 on Sunday: its first reminder fell this morning, not sent yet
    now.now = START - 12 * HOUR
    person("night", 1)  # 22:00 on Sunday: 24 h on is in the quiet hours
    now.now = START
    person("morning", 3)  # 10:00 on Monday
    person("finished", 0).answer_everything()
    stopped = person("stopped", 1)
    stopped.command("stop")
    stopped.press("Yes, stop")
    return Clock(db, questionnaires, clock=now), now


def _local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NAIROBI)


def _hour(when: dt.datetime) -> dt.datetime:
    return when.astimezone(NAIROBI).replace(minute=0, second=0, microsecond=0)


def test_the_planned_reminders_follow_the_policy(db, plan_world):
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign))
        planned = dict(
            session.execute(select(Contact.last_progress_at, Contact.next_reminder_at)).all()
        )
        plan = reminder_plan(session, campaign, START)
    assert len(planned) == 3, "the finished and the stopped have no contact left"
    assert planned[START - 30 * HOUR] < START, "overdue"
    night = planned[START - 12 * HOUR]
    # The night's first reminder falls at 22:00: moved after 08:00, spread within two hours.
    assert _local("2026-11-03T08:00") <= night < _local("2026-11-03T10:00")
    rows = [(r.due, r.hour, r.rule, r.count) for r in plan]
    assert rows == [
        (True, _local("2026-11-02T10:00"), ReminderRule.FIRST, 1),  # overdue: at the next run
        (False, _hour(night), ReminderRule.FIRST, 1),
        (False, _local("2026-11-03T10:00"), ReminderRule.FIRST, 1),  # morning, 24 h on
        (False, _local("2026-11-04T10:00"), ReminderRule.REPEAT, 1),  # overdue, 48 h after it
        (False, _hour(night + 48 * HOUR), ReminderRule.REPEAT, 1),  # night, 48 h after its first
        # 24 h before closing, to all three (morning's repeat falls then too: the last call wins;
        # it is the overdue one's third, at the maximum: no more after it)
        (False, _local("2026-11-05T10:00"), ReminderRule.LAST_CALL, 3),
    ]  # fmt: skip
    # Nothing after the close, although the week runs past it; three days stop before the last
    # call.
    with db.transaction() as session:
        three_days = reminder_plan(session, session.scalar(select(Campaign)), START, days=3)
    assert [r.count for r in three_days] == [1, 1, 1, 1, 1]


def test_the_planned_reminders_are_what_the_clock_then_sends(db, plan_world):
    """The projection against the real clock: run it at each reminder's time over the week
    (nobody answers meanwhile) and compare what went out, when, and which were last calls."""
    clock, now = plan_world
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign))
        expected = [
            (r.at, r.rule is ReminderRule.LAST_CALL)
            for r in projected(session, campaign, START, WEEK)
        ]
    sent = []
    while now.now < START + WEEK:
        if clock.send_reminders():
            with db.transaction() as session:
                for payload in session.scalars(select(Outbox.payload)):
                    text = render(reply_from_data(payload["reply"]).parts[1], "en")
                    sent.append((now.now, text.startswith("The survey closes in")))
                session.execute(delete(Outbox))
        with db.transaction() as session:
            upcoming = session.scalar(select(func.min(Contact.next_reminder_at)))
        if upcoming is None:
            break
        now.now = max(upcoming, now.now + dt.timedelta(seconds=1))
    assert len(expected) == 8 and sum(last for _, last in expected) == 3
    assert sent == expected


def test_the_campaign_page_lists_the_planned_reminders_and_those_sent(db, plan_world, database_url):
    clock, _ = plan_world
    with db.transaction() as session:
        add_user(session, "admin", Role.ADMIN, None)
    app = create_app({"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_SSL_STRICT": False})  # fmt: skip
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        assert sign_in(client, "admin").status_code == 302
        page = client.get("/campaigns/ke-2026").text
    planned = page.split('id="planned-reminders"')[1].split("</table>")[0]
    assert "due now: at the next run of the clock" in planned
    assert "Tue, Nov 3, 2026, 10:00–11:00" in planned
    assert "first reminder, 1 day without progress" in planned
    assert "again, 2 days after the last one" in planned
    assert 'Thu, Nov 5, 2026, 10:00–11:00</td>\n      <td class="num">3</td>' in planned
    assert "last call, 1 day before closing" in planned
    assert 'id="no-reminders-sent"' in page
    assert clock.send_reminders() == 1  # the overdue one, at START
    with time_machine.travel(START + HOUR, tick=False):
        assert sign_in(client, "admin").status_code == 302  # idle for an hour: signed out
        page = client.get("/campaigns/ke-2026").text
    assert "due now" not in page
    sent = page.split('id="reminders-sent"')[1].split("</table>")[0]
    assert 'Mon, Nov 2, 2026</td><td class="num">1</td>' in sent
    app.extensions["cips"].db.dispose()
