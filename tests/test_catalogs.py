"""The catalogs of locales/ are complete, and the check catches every kind of gap."""

from __future__ import annotations

import re
import shutil

import pytest

from survey import i18n
from survey.catalogs import check_catalogs
from survey.engine import ReplyKind
from survey.i18n import Text, translations

LANGUAGES = ["fr", "es", "ar", "pt"]


def test_every_catalog_is_complete_and_up_to_date():
    assert check_catalogs() == []


def test_the_check_catches_missing_fuzzy_placeholder_and_stale_entries(tmp_path):
    copy = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    po = copy / "fr" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace(
        'msgid "Question {number} of {total}"\nmsgstr "',
        'msgid "Question {number} of {total}"\nmsgstr "{numero} ',
        1,
    )
    text = text.replace('msgid "Skip"\n', '#, fuzzy\nmsgid "Skip"\n', 1)
    text = re.sub(r'\nmsgid "Done"\nmsgstr "[^"]*"\n', "\n", text)
    text += '\nmsgid "A string nobody uses"\nmsgstr "Une chaîne"\n'
    po.write_text(text, encoding="utf-8")
    problems = "\n".join(check_catalogs(copy))
    assert "'Question {number} of {total}': placeholders" in problems
    assert "'Skip': fuzzy" in problems
    assert "'Done': missing" in problems
    assert "A string nobody uses" in problems and "not in the sources" in problems


# How each catalog writes the product names (one spelling per language: a page that writes
# Telegram two ways reads as two products). A msgstr whose msgid names the product names it so.
PRODUCT_NAMES = {
    "Telegram": {"fr": "Telegram", "es": "Telegram", "pt": "Telegram", "ar": "تيليجرام"},
    "Mini App": {"fr": "Mini App", "es": "Mini App", "pt": "Mini App", "ar": "تطبيق مصغّر"},
}
OTHER_SPELLINGS = {"ar": ("تيليغرام", "تلغرام", "تليجرام", "تلجرام", "تطبيق مصغر")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_product_names_are_spelled_one_way_in_each_catalog(language):
    from babel.messages.pofile import read_po

    path = i18n.locales_dir() / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for name, spelling in PRODUCT_NAMES.items():
            if any(name in msgid for msgid in ids):
                assert all(spelling[language] in s for s in strings), (name, strings)
        for other in OTHER_SPELLINGS.get(language, ()):
            assert not any(other in s for s in strings), (other, strings)


def is_translated(text: Text, language: str) -> bool:
    if not text.translate:
        return all(is_translated(v, language) for v in text.args.values() if isinstance(v, Text))
    catalog = translations(language)._catalog
    key = f"{text.context}\x04{text.msgid}" if text.context else text.msgid
    own = bool(catalog.get(key))
    return own and all(
        is_translated(v, language) for v in text.args.values() if isinstance(v, Text)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_both_questionnaires_in_each_language_show_no_english(language, db):
    from survey.campaigns import create_administration, create_campaign
    from survey.engine import ConversationEngine
    from survey.loader import load_questionnaires
    from tests.conftest import TEST_SECRET
    from tests.engine_driver import Respondent as Person

    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "UTC", ["en", *LANGUAGES])
        create_campaign(session, admin, questionnaires["cips-officials"], "1", code="off")
        create_campaign(session, admin, questionnaires["cips-private-sector"], "1", code="priv")
    engine = ConversationEngine(db, questionnaires, TEST_SECRET)
    for number, code in enumerate(("off", "priv")):
        person = Person(engine, f"{language}{number}", language_hint=language)
        person.command("start", code)
        assert person.prompt.kind is ReplyKind.CONSENT and person.prompt.language == language
        person.press("yes")
        person.command("help")
        person.type("?")
        person.answer_everything()
        untranslated = [
            (part.msgid, part.context)
            for reply in person.history
            for part in [*reply.parts, *(b.label for b in reply.buttons if b.label)]
            if not is_translated(part, language)
        ]
        assert untranslated == [], untranslated[:5]
        assert "Thank you" not in person.text(language)
