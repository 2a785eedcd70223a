"""An access code is spent when its holder agrees to take part, not when they open the survey
(reviewer's case: "No, thank you" used the code up while the page said nothing was recorded).

Declining keeps the code usable, as the decline page says; two browsers with one code can both
reach the consent, and only the first to agree gets a response (the other is told the code is
used), played in turn and at once; a browser that started before the campaign asked for codes
is asked for one at its consent."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from survey.storage.models import AccessCode, Campaign, Respondent
from tests import test_web_access_codes
from tests.test_web_access_codes import CODE
from tests.web_support import post_form, sign_in
from tests.web_survey_support import WebRespondent

app = test_web_access_codes.app  # the same app: campaign `small`, a coordinator


def codes_of(app, count: int) -> list[str]:
    client = app.test_client()
    sign_in(client, "coordinator")
    response = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": count})
    return CODE.findall(response.text)


def browser(app) -> WebRespondent:
    return WebRespondent(app.test_client(), "small").open()


def used_and_respondents(db) -> tuple[int, int]:
    with db.transaction() as session:
        used = session.scalar(select(func.count()).where(AccessCode.used.is_(True)))
        return used, session.scalar(select(func.count()).select_from(Respondent))


def test_declining_keeps_the_code_as_the_page_says(app, db):
    [code] = codes_of(app, 1)
    person = browser(app).start("en", access_code=code)
    assert "Do you agree to take part?" in person.text()
    person.press("c||no")
    assert "Nothing was recorded" in person.text() and "open the survey link again" in person.text()
    assert used_and_respondents(db) == (0, 0)
    coordinator = app.test_client()
    sign_in(coordinator, "coordinator")
    assert "1 generated, 0 used" in coordinator.get("/campaigns/small").text
    # The person changes their mind: the same code opens the survey again.
    again = browser(app).start("en", access_code=code)
    assert again.status == 200 and "Do you agree to take part?" in again.text()
    again.consent()
    assert again.question() is not None
    assert used_and_respondents(db) == (1, 1)
    assert "1 generated, 1 used" in coordinator.get("/campaigns/small").text
    # Now it is spent.
    third = browser(app).start("en", access_code=code)
    assert third.status == 422 and "already been used" in third.notes()


def test_two_browsers_with_one_code_the_first_to_agree_gets_in(app, db):
    [code] = codes_of(app, 1)
    first, second = browser(app), browser(app)
    first.start("en", access_code=code)
    second.start("en", access_code=code)  # not spent yet: both reach the consent
    assert "Do you agree to take part?" in first.text()
    assert "Do you agree to take part?" in second.text()
    second.consent()
    assert second.question() is not None
    first.consent()
    assert "This access code has already been used." in first.text()
    assert first.question() is None
    assert used_and_respondents(db) == (1, 1)
    # The refused browser holds nothing: opening the link again asks for a code.
    assert 'id="access-code"' in first.open().page


def test_two_browsers_agreeing_at_once_with_one_code_make_one_response(app, db):
    """Both press "Yes, I agree" at the same moment, many times over: the conditional update in
    the consent's transaction lets exactly one in, on both databases."""
    codes = codes_of(app, 8)
    for code in codes:
        pair = [browser(app).start("en", access_code=code) for _ in range(2)]
        barrier = threading.Barrier(2)

        def agree(person=None, barrier=barrier):
            barrier.wait()
            person.consent()

        threads = [threading.Thread(target=agree, kwargs={"person": p}) for p in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        inside = [p for p in pair if p.question() is not None]
        refused = [p for p in pair if "already been used" in p.text()]
        assert (len(inside), len(refused)) == (1, 1), code
    assert used_and_respondents(db) == (len(codes), len(codes))


def test_a_browser_that_started_before_the_codes_is_asked_for_one(app, db):
    early = browser(app).start("en")  # the open link: no code asked yet
    assert "Do you agree to take part?" in early.text()
    codes_of(app, 1)
    early.consent()
    assert "now asks for an access code" in early.text()
    assert used_and_respondents(db) == (0, 0)
    with db.transaction() as session:
        assert session.scalars(select(Campaign.web_access)).one() == "codes"
