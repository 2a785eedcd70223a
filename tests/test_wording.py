"""Wording and format defects (issue 22, item 6), in every language: what the completed responses
are needed for, and French colons (a narrow no-break space before each, on the poster as
everywhere). The CSV charset is checked where each download is tested."""

from __future__ import annotations

import html
import re

import pytest
from babel.messages.pofile import read_po

from survey.i18n import locales_dir, translations

pytest_plugins = ["tests.web_fixtures"]

NARROW_NBSP = "\u202f"
NEEDED = (
    "{needed} completed responses needed to reach the target margin of error of ±{target} points"
)


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar", "pt"])
def test_the_responses_needed_say_what_for(world, signed_in, language):
    """The CI campaign's target margin is ±5 points: 132 completed responses reach it."""
    client = signed_in("ci-coordinator")
    client.get(f"/language/{language}")
    page = html.unescape(client.get(f"/campaigns/{world.campaigns['CI']}/dashboard").text)
    expected = translations(language).gettext(NEEDED).format(needed="132", target="5")
    assert expected in page
    if language == "en":
        assert "132 completed responses needed to reach the target margin of error of ±5" in page


def test_french_puts_a_narrow_no_break_space_before_every_colon():
    with (locales_dir() / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    wrong = [
        message.string
        for message in catalog
        if message.id
        and isinstance(message.string, str)
        # A letter, a closing quote or bracket, or a plain or no-break space before the colon
        # (not a time like 10:30, a URL or a header name as an HTTP client writes it).
        and re.search(r"(?:[ \u00a0]|[^\W\d_]|[»)\]])(?<!Authorization):(?!//)", message.string)
    ]
    assert wrong == []


def test_the_french_poster_spaces_its_colons_alike(world, signed_in):
    client = signed_in("ci-coordinator")
    poster = client.get(f"/campaigns/{world.campaigns['CI']}/poster").text
    french = re.search(r'<section lang="fr" dir="ltr">(.*?)</section>', poster, re.S).group(1)
    french = html.unescape(french)
    assert f"Code de la campagne{NARROW_NBSP}: <bdi>{world.campaigns['CI']}</bdi>" in french
    assert f"Anonyme{NARROW_NBSP}: " in french
    before_colons = re.findall(r"(.):", re.sub(r"<[^>]+>", "", french))
    assert len(before_colons) >= 2 and set(before_colons) == {NARROW_NBSP}
    english = re.search(r'<section lang="en" dir="ltr">(.*?)</section>', poster, re.S).group(1)
    assert f"Campaign code: <bdi>{world.campaigns['CI']}</bdi>" in html.unescape(english)
