"""The web survey at /s/<code> through the Flask test client: the whole questionnaire in
English and Arabic, back, resume, withdraw, delete, leaving a shared computer, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey.engine import messages
from survey.i18n import Text, render, verbatim
from survey.storage.models import (
    Answer,
    Campaign,
    Contact,
    Respondent,
    RespondentStatus,
)
from tests.web_survey_support import WebRespondent, make_campaigns
from web import create_app


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


def browser(app) -> WebRespondent:
    return WebRespondent(app.test_client(), "small")


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def stored_answers(db) -> dict[str, str]:
    with db.transaction() as session:
        return dict(session.execute(select(Answer.question_id, Answer.value)).all())


def test_a_respondent_completes_the_survey_in_english(app, db):
    person = browser(app).open()
    assert person.status == 200 and 'id="start"' in person.page
    person.start("en")
    assert "Do you agree to take part?" in person.text()
    person.consent()
    assert person.question() == "Your role?"
    assert person.progress() == "Question 1 of 7"
    person.answer("role", "broker").answer("a1", "4").answer("asked", "no")
    assert person.question() == "How do you lodge declarations?"  # "reported" skipped
    person.answer("modes", "online", "office")
    assert person.progress() == "Question 5 of 6"
    person.type("visits", "3")
    assert person.progress() == "Question 6 of 6"
    person.nav("back")  # a typed answer is shown back in its field
    assert 'id="answer" value="3"' in person.page
    person.type("visits", "3")
    person.type("note", "all fine")
    assert "Thank you! Your answers have been saved." in person.text()
    with db.transaction() as session:
        respondent = session.scalars(select(Respondent)).one()
        assert respondent.status == RespondentStatus.COMPLETED
        assert respondent.language == "en"
    assert stored_answers(db) == {"role": "broker", "a1": "4", "asked": "no",
                                  "modes": "online;office", "visits": "3", "note": "all fine"}  # fmt: skip
    assert count(db, Contact) == 0
    # Reloading the page after the thanks: this browser took part, once.
    person.open()
    assert "You have already taken part in this survey." in person.text()
    person.start("en")
    assert "You have already taken part in this survey." in person.text()
    assert count(db, Respondent) == 1


def test_arabic_right_to_left_with_back_and_a_changed_answer(app, db):
    person = browser(app).open("?lang=ar")
    assert 'lang="ar" dir="rtl"' in person.page
    person.start("ar").consent()
    assert 'dir="rtl"' in person.page
    assert "1" in person.progress() and "7" in person.progress()
    assert person.progress() != "Question 1 of 7"  # said in Arabic
    person.answer("role", "carrier").answer("a1", "2")
    person.nav("back")
    assert 'name="q" value="a1"' in person.page
    assert person.checked() == ["2"]  # the answer given is shown when going back
    person.answer("a1", "5")
    assert 'name="q" value="asked"' in person.page
    assert stored_answers(db)["a1"] == "5"


def test_resume_in_a_new_client_with_the_same_cookie(app, db):
    first = browser(app).open()
    first.start("fr").consent().answer("role", "broker")
    cookie = first.client.get_cookie("cips_respondent", path="/s/small")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    later = browser(app)
    later.client.set_cookie("cips_respondent", cookie.value, path="/s/small")
    later.open()
    assert 'name="q" value="a1"' in later.page  # where the person stopped, in French
    assert 'lang="fr"' in later.page
    stranger = browser(app).open()
    assert 'name="q"' not in stranger.page and 'id="start"' in stranger.page


def test_withdraw_keeps_the_answers_and_ends_the_survey(app, db):
    person = browser(app).open().start("en").consent().answer("role", "broker")
    person.nav("stop")
    assert "Do you want to stop the survey?" in person.text()
    person.press("y||stop:yes")
    assert "The survey is stopped." in person.text()
    with db.transaction() as session:
        assert session.scalars(select(Respondent.status)).one() == RespondentStatus.WITHDRAWN
    assert count(db, Contact) == 0
    person.open()
    assert "You have already taken part" in person.text()


def test_delete_erases_the_answers(app, db):
    person = browser(app).open().start("en").consent().answer("role", "broker")
    person.nav("delete")
    person.press("y||delete:yes")
    assert "Your answers have been deleted." in person.text()
    assert count(db, Respondent) == 0 and count(db, Answer) == 0


def test_leaving_a_shared_computer_forgets_the_survey(app, db):
    person = browser(app).open().start("en").consent().answer("role", "broker")
    person.answer("a1", "4")
    person.forget()
    assert "This browser has forgotten the survey" in person.text()
    assert person.response.headers["Cache-Control"] == "no-store"
    assert person.client.get_cookie("cips_respondent", path="/s/small") is None
    # The next person on this browser starts afresh: nothing of the first person shows.
    person.open()
    assert 'id="start"' in person.page
    person.start("en").consent()
    assert person.question() == "Your role?" and person.checked() == []
    person.nav("back")
    assert person.question() == "Your role?" and "broker" not in person.checked()
    # An old page sent again (the browser's Back and resend) finds no conversation.
    person.client.delete_cookie("cips_respondent", path="/s/small")
    person.answer("a1", "1")
    assert "does not hold a survey in progress" in person.text()
    assert stored_answers(db) == {"role": "broker", "a1": "4"}


def test_every_respondent_page_is_private_and_small(app):
    person = browser(app)
    pages = [person.open(), person.start("ar"), person.consent()]
    for page in pages:
        headers = page.response.headers
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert len(page.page.encode()) < 30_000
        assert "<script" not in page.page and "style=" not in page.page
        assert "http://" not in page.page and "https://" not in page.page


def test_a_double_submit_counts_once(app, db):
    person = browser(app).open().start("en").consent()
    person.answer("role", "broker")
    page_of_a1 = person.page
    person.answer("a1", "4")
    # The same form sent again (double click, or Back and resend): nothing changes.
    person.page = page_of_a1
    person.answer("a1", "4")
    assert 'name="q" value="asked"' in person.page
    assert "already answered" not in person.text()
    person.answer("asked", "no").answer("modes", "online")
    page_of_visits = person.page
    person.type("visits", "7")
    person.page = page_of_visits
    person.type("visits", "7")
    assert 'name="q" value="note"' in person.page
    assert stored_answers(db) == {"role": "broker", "a1": "4", "asked": "no",
                                  "modes": "online", "visits": "7"}  # fmt: skip
    # The last answer twice: one completed response.
    page_of_note = person.page
    person.type("note", "ok")
    person.page = page_of_note
    person.type("note", "ok")
    assert count(db, Respondent) == 1 and count(db, Answer) == 6


def test_too_long_text_keeps_what_was_typed(app, db):
    person = browser(app).open().start("en").consent()
    person.answer("role", "broker").answer("a1", "4").answer("asked", "no")
    person.answer("modes", "online").type("visits", "2")
    long = "x" * 25  # the note takes at most 20 characters
    person.type("note", long)
    assert person.status == 422
    assert "Your answer has 25 characters; this question takes at most 20" in person.notes()
    assert f">{long}</textarea>" in person.page  # nothing typed is lost
    assert "note" not in stored_answers(db)


def test_no_choice_and_a_forged_value_are_refused_clearly(app, db):
    person = browser(app).open().start("en").consent()
    person.post(person.url, {"q": "role"})
    assert person.status == 422 and "Please choose an answer" in person.notes()
    person.answer("role", "astronaut")
    assert "no longer valid" in person.notes()
    assert stored_answers(db) == {}


def test_an_expired_form_is_said_and_nothing_saved(app, db):
    person = browser(app).open().start("en").consent()
    response = person.client.post("/s/small", data={"q": "role", "value": "broker",
                                                    "csrf_token": "stale"}, follow_redirects=True)  # fmt: skip
    assert "This page had expired, so nothing was saved." in response.get_data(as_text=True)
    assert stored_answers(db) == {}


def test_the_campaign_closes_mid_survey(app, db):
    person = browser(app).open().start("en").consent().answer("role", "broker")
    with db.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        campaign.closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    person.answer("a1", "4")
    assert "This survey is closed." in person.text()
    assert stored_answers(db) == {"role": "broker"}
    assert count(db, Contact) == 0
    person.open()
    assert "This survey is closed." in person.text()


def test_unknown_campaign_is_a_clear_404(app):
    response = app.test_client().get("/s/nope")
    assert response.status_code == 404
    assert "There is no survey with the code “nope”" in response.get_data(as_text=True)


def test_a_scheduled_campaign_says_when_it_opens_and_starts_nothing(app, db):
    with db.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        campaign.opens_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    person = browser(app).open("?lang=fr")
    assert 'id="start"' not in person.page and 'lang="fr"' in person.page
    said = render(Text(messages.NOT_OPEN_YET, {"date": verbatim("@")}), "fr").split("@")[0]
    assert said.strip() and said.strip() in person.text()  # "Cette enquête ouvre le ...", in French
    assert count(db, Contact) == 0


def test_the_language_can_change_on_any_question(app, db):
    person = browser(app).open().start("en").consent().answer("role", "broker")
    person.press("l||fr")
    assert 'lang="fr"' in person.page and 'name="q" value="a1"' in person.page
    with db.transaction() as session:
        assert session.scalars(select(Respondent.language)).one() == "fr"
