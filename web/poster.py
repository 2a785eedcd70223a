"""The printable A4 poster of a campaign: the same invitation in each of its languages."""

from __future__ import annotations

from survey.i18n import is_right_to_left, language_name, translations
from survey.questionnaire import Questionnaire


def N_(message: str) -> str:
    """Marks a text for extraction; it is translated later, once per poster language."""
    return message


INVITATION = N_("Your opinion counts. Tell us how you see integrity in customs.")
HOW = N_("Scan the QR code with your phone, or open the link in Telegram.")
ANONYMOUS = N_("Anonymous: your name and number are never stored with your answers.")
# One string with its colon, so that each language spaces it as it should (French: a narrow
# no-break space before the colon).
CODE = N_("Campaign code: {code}")


def poster_blocks(questionnaire: Questionnaire, languages: list[str]) -> list[dict]:
    """For each language: its name, direction, the questionnaire's title, the invitation, and the
    code line split around the code (which the page isolates for right-to-left text)."""
    blocks = []
    for language in languages:
        catalog = translations(language)
        blocks.append(
            {
                "language": language,
                "name": language_name(language),
                "dir": "rtl" if is_right_to_left(language) else "ltr",
                "title": catalog.pgettext(f"{questionnaire.id}:title", questionnaire.title),
                "lines": [catalog.gettext(text) for text in (INVITATION, HOW, ANONYMOUS)],
                "code_line": tuple(catalog.gettext(CODE).split("{code}", 1)),
            }
        )
    return blocks
