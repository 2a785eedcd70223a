"""Links that work (issue 22, item 1): the bot stores the username Telegram's getMe gives; the
pages, QR codes, posters, API and command line use it (TELEGRAM_BOT_USERNAME wins when set);
without any, every place that shows a link says plainly that it does not work yet, and how to
fix it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import delete

from cips.cli import context
from survey.bot_identity import LINK_UNUSABLE, store_bot_username, stored_bot_username
from survey.i18n import translations
from survey.storage.models import AppSetting
from tests.bot_harness import BotProcess, prepare_database
from tests.cli_support import run_cips
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.records import BOT_USER
from tests.web_support import sign_in
from web import create_app

pytest_plugins = ["tests.web_fixtures"]

LANGUAGES = ["fr", "es", "ar", "pt"]
STORED = "douanes_ci_bot"


# The page's text, as extracted (web/links.py).
UNUSABLE_ID = (
    "This link does not work yet: the bot's username is unknown. Start the bot once with "
    "TELEGRAM_BOT_TOKEN set (cips bot or cips run asks Telegram for the username and stores "
    "it), or set TELEGRAM_BOT_USERNAME, then reload this page."
)


@pytest.fixture
def app_without_username(world, database_url, monkeypatch):
    """The world's app as it is when TELEGRAM_BOT_USERNAME is not set."""
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield app
    app.extensions["cips"].db.dispose()


def client_of(app, username: str = "admin", language: str | None = None):
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    if language:
        client.get(f"/language/{language}")
    return client


def html_text(html: str) -> str:
    import html as html_module

    return html_module.unescape(html)


def test_without_a_username_every_link_says_it_does_not_work(world, app_without_username):
    code = world.campaigns["CI"]
    client = client_of(app_without_username)
    page = html_text(client.get(f"/campaigns/{code}").text)
    assert 'id="link-unusable"' in page and UNUSABLE_ID in page
    assert f"https://t.me/<your_bot>?start={code}" in page  # shown, not linked
    assert 'href="https://t.me/' not in page  # (the web channel's own link and QR code work)
    assert f"/campaigns/{code}/qr.svg" not in page and f"/campaigns/{code}/qr.png" not in page

    for image in ("qr.svg", "qr.png"):
        answer = client.get(f"/campaigns/{code}/{image}")
        assert answer.status_code == 409 and answer.mimetype == "text/plain"
        assert answer.text == UNUSABLE_ID

    poster = html_text(client.get(f"/campaigns/{code}/poster").text)
    assert 'id="link-unusable"' in poster and UNUSABLE_ID in poster
    assert "qr.svg" not in poster and "t.me/" not in poster

    api = app_without_username.test_client().get(
        "/api/v1/campaigns", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    summary = next(c for c in api.json["campaigns"] if c["code"] == code)
    assert summary["link_usable"] is False
    assert summary["link"] == f"https://t.me/<your_bot>?start={code}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_warning_is_translated(world, app_without_username, language):
    translated = translations(language).gettext(UNUSABLE_ID)
    assert translated != UNUSABLE_ID
    client = client_of(app_without_username, language=language)
    code = world.campaigns["CI"]
    assert translated in html_text(client.get(f"/campaigns/{code}").text)
    assert translated in html_text(client.get(f"/campaigns/{code}/poster").text)
    assert client.get(f"/campaigns/{code}/qr.png").text == translated


def test_the_stored_username_makes_working_links(world, app_without_username):
    code = world.campaigns["CI"]
    with world.db.transaction() as session:
        store_bot_username(session, STORED)
    client = client_of(app_without_username)
    page = html_text(client.get(f"/campaigns/{code}").text)
    assert 'id="link-unusable"' not in page and UNUSABLE_ID not in page
    assert f'href="https://t.me/{STORED}?start={code}"' in page
    svg = client.get(f"/campaigns/{code}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get(f"/campaigns/{code}/qr.png").data.startswith(b"\x89PNG")
    poster = html_text(client.get(f"/campaigns/{code}/poster").text)
    assert f"https://t.me/{STORED}?start={code}" in poster and "qr.svg" in poster
    assert 'id="link-unusable"' not in poster
    api = app_without_username.test_client().get(
        "/api/v1/campaigns", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    summary = next(c for c in api.json["campaigns"] if c["code"] == code)
    assert summary["link_usable"] is True
    assert summary["link"] == f"https://t.me/{STORED}?start={code}"


def test_the_environment_wins_over_the_stored_username(world, signed_in):
    """The world's app has TELEGRAM_BOT_USERNAME=cips_test_bot."""
    code = world.campaigns["CI"]
    with world.db.transaction() as session:
        store_bot_username(session, STORED)
    page = html_text(signed_in("admin").get(f"/campaigns/{code}").text)
    assert f'href="https://t.me/cips_test_bot?start={code}"' in page
    assert STORED not in page and 'id="link-unusable"' not in page


def test_campaign_show_warns_until_the_username_is_known(db, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    run_cips("administration", "create", "CI", "--name", "Douanes", "--timezone", "UTC")
    created = run_cips("campaign", "create", "--administration", "CI",
                       "--questionnaire", "cips-officials", "--wave", "2026", "--code", "ci-2026")  # fmt: skip
    assert (
        "link: https://t.me/<your_bot>?start=ci-2026\nwarning: " + LINK_UNUSABLE in created.output
    )
    shown = run_cips("campaign", "show", "ci-2026").output
    assert "link          https://t.me/<your_bot>?start=ci-2026\n" in shown
    assert f"              warning: {LINK_UNUSABLE}\n" in shown

    with db.transaction() as session:
        store_bot_username(session, STORED)
    shown = run_cips("campaign", "show", "ci-2026").output
    assert f"link          https://t.me/{STORED}?start=ci-2026\n" in shown
    assert LINK_UNUSABLE not in shown  # (the web link's own warning, on CIPS_PUBLIC_URL, may be)

    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "other_cips_bot")
    shown = run_cips("campaign", "show", "ci-2026").output
    assert "link          https://t.me/other_cips_bot?start=ci-2026\n" in shown
    following = run_cips("campaign", "next-wave", "ci-2026", "--code", "ci-2027", "--wave", "2027")
    assert "link: https://t.me/other_cips_bot?start=ci-2027\n" in following.output

    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    with db.transaction() as session:
        session.execute(delete(AppSetting))
    following = run_cips("campaign", "next-wave", "ci-2026", "--code", "ci-2028", "--wave", "2028")
    assert (
        f"link: https://t.me/<your_bot>?start=ci-2028\nwarning: {LINK_UNUSABLE}" in following.output
    )
    context.settings.cache_clear()


def test_store_bot_username_replaces_and_refuses_what_telegram_never_gives(db):
    with db.transaction() as session:
        assert stored_bot_username(session) is None
        store_bot_username(session, "@first_cips_bot")
    with db.transaction() as session:
        store_bot_username(session, "second_cips_bot")
    with db.transaction() as session:
        assert stored_bot_username(session) == "second_cips_bot"
        with pytest.raises(ValueError):
            store_bot_username(session, "t.me/x?start=1")


def test_the_bot_stores_the_username_telegram_gives(database_url, tmp_path: Path, db):
    fake = FakeTelegram().start()
    fake.bot_user = {**BOT_USER, "username": "douanes_bf_bot"}
    prepare_database(database_url, {"off": "cips-officials"})
    bot = BotProcess(fake, database_url, tmp_path, TELEGRAM_BOT_USERNAME="").start()
    try:
        # Ready once the command menu is set, which the bot does after storing its username.
        with db.transaction() as session:
            assert stored_bot_username(session) == "douanes_bf_bot"
        assert "links use the bot's username @douanes_bf_bot" in bot.log_text()
    finally:
        assert bot.stop() == 0, bot.log_text()
        fake.stop()


def test_a_stand_in_telegram_is_not_remembered(monkeypatch):
    """`cips run` without a token runs the bot against the local Telegram: no link can reach
    that bot, so its username is not stored."""
    from cips import embedded

    seen = {}

    async def serve(*args, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(embedded, "serve", serve)
    stand_in = object.__new__(embedded.Embedded)
    stand_in.telegram = object()
    stand_in.bot_settings = lambda: None
    stand_in.db = stand_in.questionnaires = None
    stand_in.shutdown = lambda: None
    asyncio.run(stand_in.run_bot())
    assert seen["remember_username"] is False
    stand_in.telegram = None
    asyncio.run(stand_in.run_bot())
    assert seen["remember_username"] is True
