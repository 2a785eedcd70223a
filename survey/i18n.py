"""Translations: the catalogs of `locales/`, looked up per respondent (never process-wide).

Catalogs are read from the `.po` files and compiled in memory when first used, so a stale `.mo`
can never be served. A language is offered as soon as its folder exists under `locales/`; English
is the source language and always available.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


@dataclass(frozen=True)
class Text:
    """A translatable message: its source text, an optional context, and named arguments.

    Arguments that are themselves `Text` are translated into the same language before they are
    put in place.
    """

    msgid: str
    args: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    context: str | None = None
    translate: bool = True

    def __hash__(self) -> int:
        return hash((self.msgid, self.context))


def verbatim(value: str) -> Text:
    """Text shown as it is (a typed answer, a number): never looked up, never formatted."""
    return Text(value, translate=False)


def available_languages() -> list[str]:
    """English plus every language with a catalog under `locales/`."""
    found = {path.parent.parent.name for path in locales_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return [SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE})]


@cache
def translations(language: str) -> NullTranslations:
    po = locales_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


# Unicode first-strong isolate: an argument (a code, a number, a Latin name) keeps its own
# direction inside a right-to-left sentence instead of reordering the words around it.
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


@dataclass(frozen=True)
class Number:
    """A number among a `Text`'s arguments, written as the reader's language writes numbers
    ("2,740.5" in English, "2\u202f740,5" in French), at most two decimals."""

    value: float


def render(text: Text, language: str, *, isolate: bool = False) -> str:
    """The text in `language`, with its arguments put in place.

    `isolate` wraps every argument in Unicode isolates: for right-to-left text in a channel that
    has no markup to set direction (Telegram).
    """
    catalog = translations(language)
    if not text.translate:
        template = text.msgid
    elif text.context:
        template = catalog.pgettext(text.context, text.msgid)
    else:
        template = catalog.gettext(text.msgid)
    if not text.args:
        return template
    args = {
        k: render(v, language, isolate=isolate)
        if isinstance(v, Text)
        else format_decimal(v.value, format="#,##0.##", locale=language)
        if isinstance(v, Number)
        else v
        for k, v in text.args.items()
    }
    if isolate:
        args = {k: f"{FIRST_STRONG_ISOLATE}{v}{POP_DIRECTIONAL_ISOLATE}" for k, v in args.items()}
    return template.format(**args)


def language_name(language: str, *, in_sentence: bool = False) -> str:
    """The language's own name for itself ('Français', 'العربية'): capitalised, as in a list of
    languages; `in_sentence` keeps the form CLDR gives, lower-case where the language writes it
    so mid-sentence ('libellés en français', 'labels in English')."""
    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        return language
    return name if in_sentence else name[:1].upper() + name[1:]


@cache  # on every message's path; parsing a locale is not cheap
def is_right_to_left(language: str) -> bool:
    try:
        return Locale.parse(language).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False


def match_language(hint: str | None, offered: list[str]) -> str | None:
    """The offered language that a channel's hint ('fr-CA', 'pt_BR') names, if any."""
    if not hint:
        return None
    base = hint.replace("_", "-").split("-")[0].lower()
    return base if base in offered else None
