"""The pages in every language: nothing left in English, Arabic right to left."""

from __future__ import annotations

import re
import shutil

import pytest
from babel.messages.pofile import read_po

from survey import i18n
from survey.i18n import locales_dir, translations
from tests.web_support import post_form

pytest_plugins = ["tests.web_fixtures"]
LANGUAGES = ["fr", "es", "ar", "pt"]


def web_messages() -> list[str]:
    """The web's own texts (long enough not to occur by chance inside other words)."""
    with (locales_dir() / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    return [
        m.id for m in template
        if isinstance(m.id, str) and len(longest_literal(m.id)) >= 12 and not m.context
        and any(path.startswith("web/") for path, _ in m.locations)
    ]  # fmt: skip


def longest_literal(message: str) -> str:
    """The longest stretch of a message between its {placeholders}."""
    return max(re.split(r"\{[a-z_0-9]*\}", message), key=len).strip()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_translated(world, signed_in, language):
    client = signed_in("admin")
    code = world.campaigns["CI"]
    client.get(f"/language/{language}")
    post_form(client, "/account/tokens", "/account/tokens", {"label": "x"})
    pages = ["/campaigns", f"/campaigns/{code}", f"/campaigns/{code}/dashboard",
             f"/campaigns/{code}/edit", "/campaigns/new", "/administrations",
             "/administrations/new", "/account/tokens", "/campaigns/nope", "/results/CI/2026"]  # fmt: skip
    catalog = translations(language)
    # (Messages whose words are the same in this language, like "Administration", can't tell.)
    english = [m for m in web_messages() if longest_literal(m) not in catalog.gettext(m)]
    for path in pages:
        html = client.get(path).text
        assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
        left = [m for m in english if longest_literal(m) in html]
        assert left == [], (path, left)
    assert catalog.gettext("Where people stop") in client.get(f"/campaigns/{code}/dashboard").text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_chat_page_under_cips_web_says_where_it_exists(world):
    """`cips web` (no local Telegram): /chat says it exists only under `cips run` with no bot
    token, in the reader's language, instead of "nothing here"."""
    from markupsafe import escape

    nothing_here = "There is nothing here, or it belongs to another administration."
    no_local_chat = (
        "The local chat page exists only under `cips run` without a bot token (TELEGRAM_BOT_TOKEN "
        "unset), where it stands in for Telegram. Here, people answer through the bot in Telegram "
        "or through the campaign's web survey link."
    )
    client = world.app.test_client()
    for language in ["en", *LANGUAGES]:
        client.get(f"/language/{language}")
        catalog = translations(language)
        if language != "en":
            assert catalog.gettext(no_local_chat) != no_local_chat, language
        for path in ("/chat", "/chat/start"):
            page = client.get(path)
            assert page.status_code == 404
            assert escape(catalog.gettext(no_local_chat)) in page.text, (language, path)
            assert "`cips run`" in page.text and "TELEGRAM_BOT_TOKEN" in page.text
            assert escape(catalog.gettext(nothing_here)) not in page.text
        # Another missing page keeps the usual message.
        assert escape(catalog.gettext(nothing_here)) in client.get("/nothing-here").text
    # Under cips run without a token, the chat page itself.
    from cips.embedded import local_telegram
    from web import chat, create_app

    app = create_app({"DATABASE_URL": world.app.extensions["cips"].settings.database_url})
    chat.init_app(app, local_telegram())
    assert 'id="stand-in"' in app.test_client().get("/chat").text
    app.extensions["cips"].db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_language_follows_the_browser_until_chosen(world):
    client = world.app.test_client()
    page = client.get("/login", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert '<html lang="pt" dir="ltr">' in page.text and "Iniciar sessão" in page.text
    page = client.get("/login", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text and "تسجيل الدخول" in page.text
    client.get("/language/es")
    page = client.get("/login", headers={"Accept-Language": "ar"})
    assert '<html lang="es" dir="ltr">' in page.text, "a chosen language wins"
    assert client.get("/language/xx?next=https://evil.example/").location == "/campaigns"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sixth_language_dropped_into_locales_is_offered_without_code(
    world, tmp_path, monkeypatch
):
    """A translator adds locales/sw/: the pages offer and speak it, and so does the bot's
    engine (its language menu, and the command menu, list `available_languages()`)."""
    folder = tmp_path / "loc"
    shutil.copytree(locales_dir(), folder)
    (folder / "sw" / "LC_MESSAGES").mkdir(parents=True)
    (folder / "sw" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Sign in"\nmsgstr "Ingia"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "locales_dir", lambda: folder)
    i18n.translations.cache_clear()
    try:
        client = world.app.test_client()
        page = client.get("/login", headers={"Accept-Language": "sw"})
        assert '<html lang="sw" dir="ltr">' in page.text
        assert "Ingia" in page.text and "Kiswahili" in page.text
        assert "sw" in i18n.available_languages()
    finally:
        i18n.translations.cache_clear()
