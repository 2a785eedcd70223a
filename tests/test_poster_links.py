"""The campaign page's web survey link and QR code, and the poster's choice of links (issue 19,
item 5): the chat's deep link (as before), the web link, or both, each QR code encoding its own
link, the invitation saying what the printed link opens in every language of the campaign."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from survey.campaign_editing import add_source
from survey.i18n import translations
from survey.storage.models import Campaign
from tests.web_support import BOT
from web.poster import HOW, HOW_BOTH, HOW_WEB, WITH_CODE
from web.qr import qr_svg

pytest_plugins = ["tests.web_fixtures"]

PUBLIC = "https://survey.example.org"
LANGUAGES = ["en", "fr", "es", "ar", "pt"]


@pytest.fixture
def public(monkeypatch):
    monkeypatch.setenv("CIPS_PUBLIC_URL", PUBLIC + "/")


@pytest.fixture
def port(world, db):
    """An outreach channel `port` on campaign CI: its links carry the tag."""
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == world.campaigns["CI"]))
        add_source(session, campaign, "port", "Port")


def lines_in_every_language(page: str, message: str) -> bool:
    return all(translations(lang).gettext(message) in page for lang in LANGUAGES)


def test_the_campaign_page_offers_the_web_link_its_qr_code_and_each_poster(
    public, world, port, signed_in
):
    code = world.campaigns["CI"]
    client = signed_in("ci-coordinator")
    page = html.unescape(client.get(f"/campaigns/{code}").text)
    web = f"{PUBLIC}/s/{code}"
    assert f'href="{web}"' in page and f'href="{web}?s=port"' in page
    # The QR code shown beside the web link is that link's (not the chat's).
    shown = client.get(f"/campaigns/{code}/web-qr.svg?source=port")
    assert shown.status_code == 200 and shown.data == qr_svg(f"{web}?s=port")
    assert shown.data != qr_svg(f"https://t.me/{BOT}?start={code}__port")
    # Each link card lets the coordinator choose the poster's link; the web card prints its own.
    assert f'id="poster-form-{code}"' in page and 'id="poster-form-port"' in page
    for value in ("chat", "web", "both"):
        assert f'<option value="{value}">' in page
    assert f'href="/campaigns/{code}/poster?source=port&link=web"' in page


def test_the_poster_prints_the_link_the_coordinator_chose(public, world, port, signed_in):
    code = world.campaigns["CI"]
    client = signed_in("ci-coordinator")
    chat, web = f"https://t.me/{BOT}?start={code}__port", f"{PUBLIC}/s/{code}?s=port"

    def poster(query: str) -> str:
        response = client.get(f"/campaigns/{code}/poster?source=port{query}")
        assert response.status_code == 200
        return html.unescape(response.text)

    default = poster("")  # as before: the chat's link
    assert chat in default and web not in default and "web-qr.svg" not in default
    assert default == poster("&link=chat")
    assert lines_in_every_language(default, HOW)
    printed = poster("&link=web")
    assert web in printed and chat not in printed and "/qr.svg" not in printed
    assert f"/campaigns/{code}/web-qr.svg?source=port" in printed
    assert lines_in_every_language(printed, HOW_WEB) and not lines_in_every_language(printed, HOW)
    assert WITH_CODE not in printed  # an open link needs no code
    both = poster("&link=both")
    assert both.index(chat) < both.index(web)
    assert f"/campaigns/{code}/qr.svg?source=port" in both and "web-qr.svg" in both
    assert lines_in_every_language(both, HOW_BOTH)
    assert client.get(f"/campaigns/{code}/poster?link=fax").status_code == 404


def test_a_web_poster_of_an_access_code_campaign_asks_for_the_code(world, signed_in, db):
    code = world.campaigns["CI"]
    with db.transaction() as session:
        session.scalar(select(Campaign).where(Campaign.code == code)).web_access = "codes"
    client = signed_in("ci-coordinator")
    for choice, asks in (("chat", False), ("web", True), ("both", True)):
        page = html.unescape(client.get(f"/campaigns/{code}/poster?link={choice}").text)
        assert lines_in_every_language(page, WITH_CODE) is asks, choice
