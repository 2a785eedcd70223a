"""The printable A4 poster of a campaign: the link (or links) to the survey as QR codes, then the
same invitation in each of its languages.

The coordinator chooses the links (`LINK_CHOICES`): the chat's deep link (people with
Telegram), the web survey link (any browser, Telegram or not), or both side by side; the
invitation's "how" line says what the chosen link opens. The default stays the chat link.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey.i18n import is_right_to_left, language_name, translations
from survey.questionnaire import Questionnaire


def N_(message: str) -> str:
    """Marks a text for extraction; it is translated later, once per poster language."""
    return message


INVITATION = N_("Your opinion counts. Tell us how you see integrity in customs.")
HOW = N_("Scan the QR code with your phone, or open the link in Telegram.")
HOW_WEB = N_("Scan the QR code with your phone, or open the link in a web browser.")
HOW_BOTH = N_(
    "Scan either QR code with your phone: the t.me link opens the survey in Telegram, the other "
    "one in any web browser."
)
WITH_CODE = N_("In a web browser, you need the access code given to you.")
ANONYMOUS = N_("Anonymous: your name and number are never stored with your answers.")
# One string with its colon, so that each language spaces it as it should (French: a narrow
# no-break space before the colon).
CODE = N_("Campaign code: {code}")


CHAT, WEB, BOTH = "chat", "web", "both"
LINK_CHOICES = (CHAT, WEB, BOTH)
_HOW = {CHAT: HOW, WEB: HOW_WEB, BOTH: HOW_BOTH}


@dataclass(frozen=True)
class PosterLink:
    """One link on the poster: `kind` chat or web, its address, its QR code's image URL, or
    why it cannot be printed yet (`unusable`: the chat link without the bot's username); a web
    link respondents may not reach is printed with why (`warning`: web.links)."""

    kind: str
    url: str
    qr_url: str
    unusable: str | None = None
    warning: str | None = None


def poster_links(choice: str, chat: PosterLink, web: PosterLink) -> list[PosterLink]:
    """The links the coordinator chose, the chat's first."""
    return {CHAT: [chat], WEB: [web], BOTH: [chat, web]}[choice]


def poster_blocks(
    questionnaire: Questionnaire,
    languages: list[str],
    choice: str = CHAT,
    needs_code: bool = False,
) -> list[dict]:
    """For each language: its name, direction, the questionnaire's title, the invitation (its
    "how" line for the `choice` of links, and a word about the access code when the web link is
    printed for a campaign that asks for one), and the code line split around the code (which
    the page isolates for right-to-left text)."""
    lines = [INVITATION, _HOW[choice], ANONYMOUS]
    if needs_code and choice != CHAT:
        lines.insert(2, WITH_CODE)
    blocks = []
    for language in languages:
        catalog = translations(language)
        blocks.append(
            {
                "language": language,
                "name": language_name(language),
                "dir": "rtl" if is_right_to_left(language) else "ltr",
                "title": catalog.pgettext(f"{questionnaire.id}:title", questionnaire.title),
                "lines": [catalog.gettext(text) for text in lines],
                "code_line": tuple(catalog.gettext(CODE).split("{code}", 1)),
            }
        )
    return blocks
