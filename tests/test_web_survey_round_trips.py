"""What one answer costs the database on the web survey (bench/web_respondents.py): on
PostgreSQL every statement is a round trip, so the answer path keeps to a fixed few. The form's
post is one look-up (the campaign and the browser's contact together, outside any transaction)
and one engine transaction of five statements (the contact locked with its campaign, the
respondent with its answers, the answer, the position, the contact's progress); the page that
follows, one look-up and one read of the conversation."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from survey.storage.models import Answer
from tests.web_survey_support import WebRespondent, make_campaigns
from web import create_app

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


def test_an_answer_takes_a_fixed_few_statements(app, db):
    statements: list[str] = []
    engine = app.extensions["cips"].db.engine

    def note(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement.split()[0].upper())

    person = WebRespondent(app.test_client(), "small").open().start("en").consent()
    person.answer("role", "broker")
    event.listen(engine, "before_cursor_execute", note)
    try:
        person.post(person.url, {"q": "a1", "value": "4"}, follow=False)
        posted = list(statements)
        statements.clear()
        person.open()
        shown = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert 'name="q" value="a1"' not in person.page and person.question() is not None
    assert posted == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "UPDATE"], posted
    assert shown == ["SELECT", "SELECT", "SELECT"], shown
    with db.transaction() as session:  # the answer was taken, once
        assert session.scalars(select(Answer.value).where(Answer.question_id == "a1")).all() == [
            "4"
        ]
