"""A web survey link respondents may not reach is never shown without a warning (reviewer's
case: /campaigns/<code>/poster?link=web, the codes CSV and the PDF cards printed
http://127.0.0.1:18431/... and said nothing): while CIPS_PUBLIC_URL is unset, or is a loopback
or private address, the campaign page, the poster, the codes page, the CSV, the PDF cards and
`cips campaign codes` say so and how to fix it; at a public address none of them does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey.storage.models import Administration, Role
from tests.cli_support import run_cips
from tests.test_web_access_codes import CODE
from tests.web_support import add_user, post_form, sign_in
from tests.web_survey_support import make_campaigns
from web import create_app
from web.respond.links import Reach, is_local, reachable

UNSET = "CIPS_PUBLIC_URL is not set, so this web link uses"
LOCAL = "an address of this computer or its local network"
FIX = "Set CIPS_PUBLIC_URL to the public address of the web back end"


def make_app(db, database_url, tmp_path, monkeypatch, public_url: str | None):
    if public_url is None:
        monkeypatch.delenv("CIPS_PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("CIPS_PUBLIC_URL", public_url)
    make_campaigns(db, tmp_path, monkeypatch)
    with db.transaction() as session:
        admin = session.scalars(select(Administration)).one()
        add_user(session, "coordinator", Role.COORDINATOR, admin)
    return create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )


def everything_shown(app) -> dict[str, str]:
    """The campaign page, the web poster, the codes page, the CSV and the PDF's text."""
    client = app.test_client()
    sign_in(client, "coordinator")
    shown = {
        "page": client.get("/campaigns/small").text,
        "poster": client.get("/campaigns/small/poster?link=web").text,
        "both": client.get("/campaigns/small/poster?link=both").text,
    }
    codes_page = post_form(client, "/campaigns/small", "/campaigns/small/codes", {"count": 11})
    shown["codes"] = codes_page.text
    codes = " ".join(CODE.findall(codes_page.text))
    shown["csv"] = post_form(client, "/campaigns/small", "/campaigns/small/codes.csv",
                             {"codes": codes}).data.decode()  # fmt: skip
    pdf = post_form(client, "/campaigns/small", "/campaigns/small/codes.pdf", {"codes": codes})
    shown["pdf_pages"] = str(pdf.data.count(b"/Type /Page\n") + pdf.data.count(b"/Type /Page "))
    return shown


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [(None, UNSET), ("http://127.0.0.1:18431/", LOCAL), ("http://192.168.1.20:8000", LOCAL)],
)
def test_every_place_with_a_web_link_warns_when_respondents_cannot_reach_it(
    db, database_url, tmp_path, monkeypatch, public_url, expected
):
    app = make_app(db, database_url, tmp_path, monkeypatch, public_url)
    try:
        shown = everything_shown(app)
    finally:
        app.extensions["cips"].db.dispose()
    for where in ("page", "poster", "both", "codes"):
        assert 'id="web-link-warning"' in shown[where] or 'id="link-warning"' in shown[where]
        assert expected in shown[where] and FIX in shown[where], where
    header, first = shown["csv"].split("\r\n")[:2]
    assert header == "code,link,warning" and expected in first and FIX in first
    assert shown["pdf_pages"] == "3"  # the warning, then two pages of cards


def test_a_public_address_shows_no_warning(db, database_url, tmp_path, monkeypatch):
    app = make_app(db, database_url, tmp_path, monkeypatch, "https://survey.example.org/")
    try:
        shown = everything_shown(app)
    finally:
        app.extensions["cips"].db.dispose()
    for where in ("page", "poster", "both", "codes", "csv"):
        assert UNSET not in shown[where] and LOCAL not in shown[where], where
    assert shown["csv"].startswith("code,link\r\n")
    assert shown["pdf_pages"] == "2"


def test_the_warning_reads_in_the_coordinators_language(db, database_url, tmp_path, monkeypatch):
    app = make_app(db, database_url, tmp_path, monkeypatch, "http://10.0.0.5")
    try:
        client = app.test_client()
        sign_in(client, "coordinator")
        page = client.get("/campaigns/small", headers={"Accept-Language": "fr"}).text
    finally:
        app.extensions["cips"].db.dispose()
    assert "Ce lien web pointe vers http://10.0.0.5" in page


def test_the_command_line_warns_for_a_local_address_too(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_PUBLIC_URL", "http://192.168.1.20:8000")
    csv_path = tmp_path / "codes.csv"
    result = run_cips("campaign", "codes", "small", "-n", "2", "-o", str(csv_path))
    assert "warning: CIPS_PUBLIC_URL is an address of this computer" in result.output
    header, first = csv_path.read_bytes().decode().split("\r\n")[:2]
    assert header == "code,link,warning" and "local network" in first


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://127.0.0.1:18431", True), ("http://localhost:5000", True), ("http://[::1]", True),
     ("http://10.1.2.3", True), ("http://172.16.0.9", True), ("http://192.168.0.2", True),
     ("http://169.254.1.1", True), ("http://0.0.0.0:8000", True), ("https://cips.example.org", False),
     ("https://41.202.1.10", False)],
)  # fmt: skip
def test_which_addresses_are_local(url, local):
    assert is_local(url) is local
    assert reachable(SimpleNamespace(public_url=url)) is (Reach.LOCAL if local else Reach.PUBLIC)
    assert reachable(SimpleNamespace(public_url=None)) is Reach.UNSET
