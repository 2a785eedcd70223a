"""The web survey keeps nothing of the connection: no address, user agent or Referer in the
database or in any log (the development server's request log included), only the keyed hash
of the browser's token in the contact; finished web responses are sealed like the bot's."""

from __future__ import annotations

import http.client
import logging
import threading

import pytest
from sqlalchemy import inspect, select, text
from werkzeug.serving import make_server

from cips import gunicorn_conf
from survey.anonymity import user_hash
from survey.sealing import seal_ready
from survey.storage.models import Contact, Respondent, SealedResponse
from tests.conftest import TEST_SECRET
from tests.web_survey_support import WebRespondent, make_campaigns
from web import create_app

ADDRESS = "203.0.113.77"
AGENT = "UniqueAgent/9.9 (respondent's phone)"
REFERER = "https://intranet.example/who-sent-this"


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


def every_value(db) -> str:
    """Every value of every table, as text (what an insider reading the database sees)."""
    out = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_the_contact_holds_only_the_keyed_hash_and_nothing_of_the_connection(app, db, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.environ_base.update(
        {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT, "HTTP_REFERER": REFERER}
    )
    person = WebRespondent(client, "small").open().start("en").consent().answer("role", "broker")
    token = client.get_cookie("cips_respondent", path="/s/small").value
    with db.transaction() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.channel == "web"
        assert contact.user_hash == user_hash(TEST_SECRET, "web", token)
        assert contact.chat_secret is None  # nothing to deliver to: the browser asks
    stored = every_value(db)
    for secret in (token, ADDRESS, AGENT, "UniqueAgent", REFERER, "intranet.example"):
        assert secret not in stored
        assert secret not in caplog.text
    person.complete_small()
    assert token not in every_value(db)


def test_the_development_servers_request_log_has_no_address(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/s/small", headers={"User-Agent": AGENT, "Referer": REFERER})
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /s/small" in line for line in lines)  # the request was logged...
    assert not any("127.0.0.1" in line for line in lines)  # ...without who made it
    assert AGENT not in caplog.text and REFERER not in caplog.text


def test_gunicorns_access_log_format_records_no_client():
    for field in ("%(h)s", "%(a)s", "%(f)s", "%(u)s", "x-forwarded-for", "%(l)s"):
        assert field not in gunicorn_conf.access_log_format


def test_web_responses_are_sealed_like_the_bots(app, db):
    people = [WebRespondent(app.test_client(), "small").open().start("en") for _ in range(4)]
    for person in people[:3]:
        person.complete_small()
    people[3].consent().answer("role", "carrier")  # still answering: not sealed
    assert seal_ready(db, 3) == 3
    with db.transaction() as session:
        assert len(session.scalars(select(SealedResponse)).all()) == 3
        assert len(session.scalars(select(Respondent)).all()) == 1
    # Sealed answers read like a bot's: the same statuses and no trace of the channel.
    with db.transaction() as session:
        sealed = session.scalars(select(SealedResponse)).all()
        assert {s.status for s in sealed} == {"completed"}
