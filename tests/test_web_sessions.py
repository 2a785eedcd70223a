"""Server-side sessions: a copied cookie dies with the session, timeouts on a moved clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from survey.storage.models import User, WebSession
from tests.web_support import post_form, sign_in
from web.users import deactivate, set_password, set_role

pytest_plugins = ["tests.web_fixtures"]

COOKIE = "cips_session"


def thief_of(world, client):
    """An attacker's browser holding a copy of `client`'s session cookie."""
    thief = world.app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _user(session, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def test_a_copied_cookie_dies_at_sign_out(world, signed_in):
    client = signed_in("ci-analyst")
    thief = thief_of(world, client)
    assert thief.get("/campaigns").status_code == 200, "the copy works while the session lives"
    post_form(client, "/campaigns", "/logout", {})
    assert client.get("/campaigns").status_code == 302
    assert thief.get("/campaigns").status_code == 302


@pytest.mark.parametrize("change", ["password", "deactivation", "role"])
def test_a_copied_cookie_dies_when_the_account_changes(world, signed_in, change):
    client = signed_in("ci-coordinator")
    other_browser = signed_in("ci-coordinator")
    thief = thief_of(world, client)
    bystander = signed_in("ci-analyst")
    assert thief.get("/campaigns").status_code == 200
    with world.db.transaction() as session:
        user = _user(session, "ci-coordinator")
        if change == "password":
            set_password(session, user, "a brand new passphrase")
        elif change == "deactivation":
            deactivate(session, user)
        else:
            set_role(session, user, "analyst", user.administration)
    for browser in (client, other_browser, thief):
        assert browser.get("/campaigns").status_code == 302
    assert bystander.get("/campaigns").status_code == 200, "other accounts keep their sessions"


def test_sign_in_starts_a_new_session_and_stores_only_its_hash(world):
    client = world.app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["sid"] = "planted-by-an-attacker"
    assert sign_in(client, "ci-analyst").status_code == 302
    with client.session_transaction() as flask_session:
        first = flask_session["sid"]
    assert first != "planted-by-an-attacker" and len(first) >= 40
    assert sign_in(client, "ci-analyst").status_code == 302
    with client.session_transaction() as flask_session:
        second = flask_session["sid"]
    assert second != first
    with world.db.transaction() as session:
        stored = session.scalars(select(WebSession.id_hash)).all()
        assert stored and first not in stored and second not in stored
        # The previous session of this browser ended with the new sign-in.
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    thief = world.app.test_client()
    with thief.session_transaction() as flask_session:
        flask_session["sid"] = first
    assert thief.get("/campaigns").status_code == 302


def test_idle_timeout(world):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = world.app.test_client()
        assert sign_in(client, "ci-analyst").status_code == 302
        for _ in range(3):  # in use: each view within 29 minutes of the last keeps it alive
            clock.shift(dt.timedelta(minutes=29))
            assert client.get("/campaigns").status_code == 200
        thief = thief_of(world, client)
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        assert thief.get("/campaigns").status_code == 302
        assert client.get("/campaigns").status_code == 302
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_absolute_lifetime(world):
    """Even a session in constant use ends 12 hours after the sign-in (the Flask cookie is
    given a longer life here, so that only the server can be what ends it)."""
    world.app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(days=2)
    world.app.config["WTF_CSRF_TIME_LIMIT"] = None
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = world.app.test_client()
        assert sign_in(client, "ci-analyst").status_code == 302
        for _ in range(11 * 3 + 2):  # every 20 minutes for 11 h 40 min
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/campaigns").status_code == 200
        clock.shift(dt.timedelta(minutes=20))  # 12 h after the sign-in
        assert client.get("/campaigns").status_code == 302


def test_timeouts_are_settings(world, monkeypatch):
    from web.config import flask_config

    defaults = flask_config()
    assert defaults["CIPS_SESSION_IDLE"] == dt.timedelta(minutes=30)
    assert defaults["CIPS_SESSION_LIFETIME"] == dt.timedelta(hours=12)
    monkeypatch.setenv("CIPS_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("CIPS_SESSION_HOURS", "1")
    chosen = flask_config()
    assert chosen["CIPS_SESSION_IDLE"] == dt.timedelta(minutes=5)
    assert chosen["CIPS_SESSION_LIFETIME"] == dt.timedelta(hours=1)
    world.app.config["CIPS_SESSION_IDLE"] = dt.timedelta(minutes=5)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = world.app.test_client()
        assert sign_in(client, "ci-analyst").status_code == 302
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        assert client.get("/campaigns").status_code == 302
