"""Coordinators see how people answered (survey.channels): per channel (Telegram chat, Mini App,
web link, access code) the funnel on the dashboard page, in its CSV and in the API equals what
people did, before and after sealing and after the close; a channel of fewer than k people is
suppressed with its complement; and nothing sealed says which channel a response came through."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from sqlalchemy import select, text

from survey.campaign_editing import close_now
from survey.engine import ConversationEngine, Sender
from survey.engine import events as ev
from survey.sealing import seal_ready
from survey.storage.models import Administration, Campaign, Role, SealedResponse, User
from tests.engine_driver import Respondent as Person
from tests.miniapp_support import InsideTelegram, init_data
from tests.test_web_access_codes import CODE as SHOWN_CODE
from tests.web_support import add_user, post_form, sign_in
from tests.web_survey_support import WebRespondent, make_campaigns
from web import create_app
from web.users import create_token

K = 5
BOT_TOKEN = "123456:AAE-this-bot-s-token"
ROW = re.compile(r'<tr data-channel="(\w*)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td class="num">(.*?)</td>', re.S)


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CIPS_MIN_CELL", str(K))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)  # the Mini App checks initData with it
    make_campaigns(db, tmp_path, monkeypatch)
    with db.transaction() as session:
        admin = session.scalars(select(Administration)).one()
        add_user(session, "coordinator", Role.COORDINATOR, admin)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


@pytest.fixture
def engine(app, db):
    """The bot's engine, on the app's questionnaires and key (the Mini App's routes use it too)."""
    state = app.extensions["cips"]
    return ConversationEngine(db, state.questionnaires, state.settings.secret_key)


def telegram(engine, user: int, entry: str | None = None) -> Person:
    """Someone in Telegram: the chat, or (entry 'miniapp') the form inside Telegram."""
    person = Person(engine, str(user))
    person.sender = Sender("telegram", str(user), chat_id=str(user), entry=entry)
    person.join("small")
    return person


def withdraw(person: Person) -> None:
    person.command("stop")
    person.press("stop:yes")


def coordinator(app):
    client = app.test_client()
    assert sign_in(client, "coordinator").status_code == 302
    return client


def page_rows(client) -> dict[str, list[str]]:
    """The page's 'How people answered' table: channel -> started, in progress, withdrew,
    completed (as shown: a number, or '<k')."""
    page = client.get("/campaigns/small/dashboard").text
    return {
        key: [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in CELL.findall(cells)][:4]
        for key, cells in ROW.findall(page)
    }


def csv_rows(client) -> dict[str, list[str]]:
    body = client.get("/campaigns/small/dashboard.csv").data.decode()
    rows = list(csv.reader(io.StringIO(body)))
    start = rows.index(["How people answered"])
    found = {}
    for row in rows[start + 2 :]:
        if not row:
            break
        found[row[0]] = row[2:6]
    return found


def api_rows(app, db) -> dict[str, list]:
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "coordinator"))
        token = create_token(session, user, "channels")
    shown = app.test_client().get(
        "/api/v1/campaigns/small/dashboard", headers={"Authorization": f"Bearer {token}"}
    )
    assert shown.status_code == 200, shown.text
    return {
        r["channel"]: [r["started"], r["in_progress"], r["withdrawn"], r["completed"]]
        for r in shown.json["by_channel"]
    }


def web_people(app, count: int, *, finish: int, codes: list[str] | None = None) -> None:
    for index in range(count):
        person = WebRespondent(app.test_client(), "small").open()
        person.start(access_code=codes[index] if codes else None)
        if index < finish:
            person.complete_small(note=f"web {index}")
            assert "Thank you" in person.text(), person.text()
        else:
            person.consent()
            assert person.question() is not None


def test_each_channel_counts_what_its_people_did(app, db, engine):
    # The chat: six start, five finish, one withdraws.
    for user in range(6):
        person = telegram(engine, 700 + user)
        withdraw(person) if user == 5 else person.answer_everything()
    # The Mini App: five start, four finish, one is still answering.
    for user in range(5):
        person = telegram(engine, 800 + user, "miniapp")
        if user < 4:
            person.answer_everything()
    # The web link: five start, four finish.
    web_people(app, 5, finish=4)
    # Access codes (the campaign asks for them from now on): five, all finish.
    client = coordinator(app)
    made = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": 5})
    web_people(app, 5, finish=5, codes=SHOWN_CODE.findall(made.text))

    expected = {"chat": ["6", "0", "1", "5"], "miniapp": ["5", "1", "0", "4"],
                "web": ["5", "1", "0", "4"], "code": ["5", "0", "0", "5"]}  # fmt: skip
    as_numbers = {key: [int(v) for v in row] for key, row in expected.items()}
    assert page_rows(client) == expected
    assert csv_rows(client) == expected
    assert api_rows(app, db) == as_numbers
    # Sealing moves the finished ones out of reach, and their channel with them: the figures
    # stay (read from the sealed counters), the sealed responses carry no channel.
    assert seal_ready(db, K) == 19
    assert page_rows(client) == expected
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign))
        close_now(session, campaign, dt.datetime.now(dt.UTC), K)  # the two left are cut off
    assert page_rows(client) == expected and csv_rows(client) == expected
    assert "channel" not in {c.name for c in SealedResponse.__table__.columns}
    with db.engine.connect() as connection:
        sealed_columns = connection.execute(text("SELECT * FROM sealed_responses")).keys()
        assert not [c for c in sealed_columns if "channel" in c or "entry" in c]
        # What remains is counts: no row of them is a response (no id, no batch).
        assert set(connection.execute(text("SELECT * FROM channel_counts")).keys()) == {
            "campaign_id", "sealed", "status", "channel", "n"
        }  # fmt: skip
        assert connection.execute(text("SELECT count(*) FROM respondents")).scalar() == 0


def test_a_channel_of_fewer_than_k_people_is_hidden_with_its_complement(app, db, engine):
    for user in range(6):
        telegram(engine, 900 + user).answer_everything()
    telegram(engine, 950, "miniapp").answer_everything()  # one person: who it is must not show
    web_people(app, 5, finish=5)
    client = coordinator(app)
    rows = page_rows(client)
    hidden = [f"<{K}"] * 4
    # The Mini App's one person is hidden, and the smallest other channel with them, so that
    # the total minus the channels shown cannot give the Mini App's count.
    assert rows == {"chat": ["6", "0", "0", "6"], "miniapp": hidden, "web": hidden,
                    "code": ["0", "0", "0", "0"]}  # fmt: skip
    assert csv_rows(client) == rows
    assert api_rows(app, db)["miniapp"] == [None] * 4
    assert 'id="kpi-started">12<' in client.get("/campaigns/small/dashboard").text  # totals exact


def test_the_mini_app_routes_count_under_the_mini_app(app, db, engine):
    """Through the real Mini App routes (initData, no cookie): five start in the form, one of
    them finishes in the chat, and all five count under the Mini App, where they started."""
    for user in range(5):
        form = InsideTelegram(app.test_client(use_cookies=False))
        form.open().enter(init_data(BOT_TOKEN, 4300 + user, start_param="small"))
        form.press("c||yes").answer("role", "broker").answer("a1", "4")
        if user == 4:  # back in the chat for the rest
            person = Person(engine, str(4300 + user))
            person.sender = Sender("telegram", str(4300 + user), chat_id=str(4300 + user))
            person.send(ev.Resume(person.sender))
            person.answer_everything()
            continue
        form.answer("asked", "no").answer("modes", "online").type("visits", "3")
        form.type("note", "fine")
    for user in range(5):
        telegram(engine, 4400 + user).answer_everything()
    rows = page_rows(coordinator(app))
    assert rows["miniapp"] == ["5", "0", "0", "5"] and rows["chat"] == ["5", "0", "0", "5"]
