"""One-time access codes: generated on the campaign page (shown once, CSV and printable cards),
valid once, mistyped and reused codes refused clearly, wrong tries limited per campaign,
stored only as keyed hashes, and leading to nothing once the response is sealed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey import access_codes
from survey.campaign_editing import add_source
from survey.sealing import seal_ready
from survey.storage.models import AccessCode, Administration, Campaign, Respondent, Role
from tests.cli_support import run_cips
from tests.web_support import add_user, post_form, sign_in
from tests.web_survey_support import WebRespondent, make_campaigns
from web import create_app

CODE = re.compile(r"<li><code>([A-Z0-9-]+)</code></li>")


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    with db.transaction() as session:
        admin = session.scalars(select(Administration)).one()
        add_user(session, "coordinator", Role.COORDINATOR, admin)
        add_user(session, "analyst", Role.ANALYST, admin)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


def generate(app, count: int) -> tuple[object, str, list[str]]:
    client = app.test_client()
    assert sign_in(client, "coordinator").status_code == 302
    page = client.get("/campaigns/small")
    assert 'id="generate-codes"' in page.text and "/s/small" in page.text
    response = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": count})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return client, response.text, CODE.findall(response.text)


def person(app) -> WebRespondent:
    return WebRespondent(app.test_client(), "small").open()


def test_codes_are_shown_once_as_hashes_only(app, db):
    _, _page, codes = generate(app, 12)
    assert len(codes) == len(set(codes)) == 12
    for code in codes:
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)  # no 0 O 1 I L
    with db.transaction() as session:
        stored = session.scalars(select(AccessCode.code_hash)).all()
        assert session.scalars(select(Campaign.web_access)).one() == "codes"
    assert len(stored) == 12
    plain = {c.replace("-", "") for c in codes}
    assert not plain & set(stored) and all(len(h) == 64 for h in stored)
    # The campaign page never shows them again.
    client = app.test_client()
    sign_in(client, "coordinator")
    shown = client.get("/campaigns/small").text
    assert not any(code in shown for code in codes)
    assert "12 generated, 0 used" in shown


def test_codes_download_as_csv_and_printable_cards(app):
    client, _page, codes = generate(app, 11)
    csv_response = post_form(client, "/campaigns/small", "/campaigns/small/codes.csv",
                             {"codes": " ".join(codes)})  # fmt: skip
    lines = csv_response.data.decode().split("\r\n")
    # No CIPS_PUBLIC_URL here: each row says the link may not reach respondents.
    assert lines[0] == "code,link,warning"
    assert lines[1].startswith(f'{codes[0]},http://localhost/s/small,"CIPS_PUBLIC_URL is not set')
    pdf = post_form(client, "/campaigns/small", "/campaigns/small/codes.pdf",
                    {"codes": " ".join(codes)})  # fmt: skip
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.data.count(b"/Type /Page\n") + pdf.data.count(b"/Type /Page ") >= 2  # 10 a page
    # Only the campaign's own codes can be printed.
    forged = post_form(client, "/campaigns/small", "/campaigns/small/codes.csv",
                       {"codes": "ABCDE-FGHJK"})  # fmt: skip
    assert forged.status_code == 400


def test_only_managers_generate_codes(app):
    client = app.test_client()
    sign_in(client, "analyst")
    response = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": 3})
    assert response.status_code == 403


@pytest.mark.parametrize("count", ["0", "10001", "many"])
def test_a_refused_number_of_codes_shows_the_campaign_page_with_the_error_by_the_field(
    app, db, count
):
    client = app.test_client()
    sign_in(client, "coordinator")
    response = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": count})
    assert response.status_code == 400
    form = response.text.split('id="codes-form"')[1].split("</form>")[0]
    error = (
        "Please enter a whole number." if count == "many" else "Choose between 1 and 10000 codes."
    )
    assert '<div class="field invalid">' in form and f'<small class="error">{error}</small>' in form
    assert f'value="{count}"' in form  # what was typed, to correct
    assert 'id="web-survey"' in response.text and 'id="reminder-plan"' in response.text
    with db.transaction() as session:
        assert session.scalars(select(AccessCode)).all() == []
        assert session.scalars(select(Campaign.web_access)).one() != "codes"


def test_a_code_opens_one_response(app, db):
    _, _, codes = generate(app, 3)
    first = person(app)
    assert 'id="access-code"' in first.page
    first.start("en", access_code=codes[0].lower().replace("-", " "))  # typed loosely
    assert "Do you agree to take part?" in first.text()
    first.complete_small()
    assert "Thank you!" in first.text()
    # The same code again, in another browser: refused clearly, nothing started.
    second = person(app).start("en", access_code=codes[0])
    assert second.status == 422
    assert "This access code has already been used." in second.notes()
    # In the same browser too.
    first.open().start("en", access_code=codes[0])
    assert "already been used" in first.notes()
    with db.transaction() as session:
        assert len(session.scalars(select(Respondent)).all()) == 1
        assert session.scalars(select(AccessCode.used)).all().count(True) == 1


def test_a_mistyped_code_is_refused_in_the_respondents_language(app, db):
    generate(app, 2)
    someone = person(app).start("fr", access_code="ABCDE-FGHJK")
    assert someone.status == 422
    assert 'lang="fr"' in someone.page
    assert "This access code is not valid" not in someone.notes()  # said in French
    assert someone.notes().strip()
    with db.transaction() as session:
        assert session.scalars(select(Respondent)).all() == []


def test_wrong_tries_are_limited_per_campaign(app, db, monkeypatch):
    monkeypatch.setattr(access_codes, "MAX_FAILURES", 5)
    _, _, codes = generate(app, 1)
    for i in range(5):
        assert "not valid" in person(app).start("en", access_code=f"WRONG{i}XXXX").notes()
    # Past the limit, even the right code waits: guessing cannot go on at any pace.
    locked = person(app).start("en", access_code=codes[0])
    assert locked.status == 429 and "Too many wrong access codes" in locked.notes()
    with db.transaction() as session:
        assert session.scalars(select(AccessCode.used)).one() is False


def test_after_sealing_a_code_leads_to_nothing(app, db):
    _, _, codes = generate(app, 3)
    for code in codes:
        person(app).start("en", access_code=code).complete_small()
    assert seal_ready(db, 3) == 3
    with db.transaction() as session:
        rows = session.execute(select(AccessCode.__table__)).mappings().all()
    # A used code keeps its hash and the flag only: no respondent, no time, nothing to join.
    assert {tuple(sorted(row.keys())) for row in rows} == {("campaign_id", "code_hash", "used")}
    assert all(row["used"] for row in rows)
    again = person(app).start("en", access_code=codes[1])
    assert "already been used" in again.notes()


def test_codes_from_the_command_line(app, db, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_PUBLIC_URL", "https://survey.example.org/")
    csv_path, pdf_path = tmp_path / "codes.csv", tmp_path / "cards.pdf"
    result = run_cips("campaign", "codes", "small", "-n", "4", "-o", str(csv_path),
                      "--cards", str(pdf_path))  # fmt: skip
    assert "https://survey.example.org/s/small" in result.output
    rows = csv_path.read_bytes().decode().split("\r\n")
    assert rows[0] == "code,link" and len([r for r in rows[1:] if r]) == 4
    code, link = rows[1].split(",")
    assert link == "https://survey.example.org/s/small"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    person(app).start("en", access_code=code).consent()
    with db.transaction() as session:
        assert len(session.scalars(select(Respondent)).all()) == 1
    # Never overwrites codes already written (they cannot be shown again).
    run_cips("campaign", "codes", "small", "-n", "1", "-o", str(csv_path), ok=False)


def test_the_campaign_page_shows_web_links_on_the_public_address(db, database_url, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    make_campaigns(db, tmp_path, monkeypatch)
    with db.transaction() as session:
        admin = session.scalars(select(Administration)).one()
        add_user(session, "coordinator", Role.COORDINATOR, admin)
        add_source(session, session.scalars(select(Campaign)).one(), "port", "Port poster")
    monkeypatch.setenv("CIPS_PUBLIC_URL", "https://survey.example.org/")
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    try:
        client = app.test_client()
        sign_in(client, "coordinator")
        page = client.get("/campaigns/small").text
        assert 'href="https://survey.example.org/s/small"' in page
        assert 'href="https://survey.example.org/s/small?s=port"' in page
        qr = client.get("/campaigns/small/web-qr.svg?source=port")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
        assert client.get("/campaigns/small/web-qr.svg?source=nope").status_code == 404
        # The tag of a web link reaches the response, as a deep link's does.
        person = WebRespondent(app.test_client(), "small").open("?s=port")
        person.start("en").consent()
        with db.transaction() as session:
            assert session.scalars(select(Respondent.source_tag)).one() == "port"
    finally:
        app.extensions["cips"].db.dispose()


def test_one_code_typed_in_two_browsers_at_once_opens_one_response(app, db):
    """Two redemptions of one code racing each other: exactly one gets in (the conditional
    update), the other hears the code is used; on both databases, many times over."""
    import threading

    from survey.storage.models import utcnow
    from tests.conftest import TEST_SECRET

    with db.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        codes = access_codes.generate(session, TEST_SECRET, campaign, 20).codes
    for code in codes:
        outcomes, barrier = [], threading.Barrier(2)

        def redeem(code=code, outcomes=outcomes, barrier=barrier):
            barrier.wait()
            for attempt in range(20):
                try:
                    with db.transaction() as session:
                        campaign = session.scalars(select(Campaign)).one()
                        outcomes.append(access_codes.redeem(session, TEST_SECRET, campaign,
                                                            code, utcnow()))  # fmt: skip
                    return
                except Exception:  # SQLite busy or a PostgreSQL serialization: try again
                    if attempt == 19:
                        raise

        threads = [threading.Thread(target=redeem) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == sorted([access_codes.Redeemed.OK, access_codes.Redeemed.USED])
