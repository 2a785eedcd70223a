"""`cips report`: the country report of a closed campaign's wave, a PDF read back with pypdf as a
reader would copy its text: in each of the five languages it names the key factors of that
language and has the gap and trend sections (two waves, both surveys); a survey below k shows
none of its figures (they are worked out here, without suppression, and looked for); two runs
give the same bytes; an open campaign gets no report."""

from __future__ import annotations

import io
import logging
import math
import re

import pypdf
import pytest
from sqlalchemy import select

from analysis.interchange import write
from analysis.intervals import wilson
from analysis.loading import load_files
from analysis.report import texts
from analysis.results import analyze
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.campaigns import create_campaign
from survey.factors import FACTOR_BY_NUMBER
from survey.i18n import Text, available_languages, render
from survey.loader import load_questionnaires
from survey.storage.models import Administration
from tests.cli_support import run_cips

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
TRADERS = QUESTIONNAIRES["cips-private-sector"]
LANGUAGES = ["en", "fr", "es", "ar", "pt"]


@pytest.fixture
def cips(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run_cips("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    run_cips("administration", "create", "CI", "--name", "Côte d'Ivoire", "--timezone", "UTC")
    yield run_cips
    context.settings.cache_clear()


def imported(cips, tmp_path, questionnaire, administration, wave, respondents, seed, shift=0.0):
    """A made-up wave imported as a closed campaign; its file."""
    frame = generate_wave(questionnaire, respondents, administration=administration, wave=wave,
                          seed=seed, shift=shift)  # fmt: skip
    path = write(frame, tmp_path / f"{administration}-{wave}-{questionnaire.survey}.csv")
    code = f"{administration}-{wave}-{seed}".lower()
    cips("import", str(path), "--code", code)
    return path


def report(cips, tmp_path, campaign: str, language: str) -> tuple[bytes, str]:
    """The report's bytes and its text as pypdf extracts it."""
    path = tmp_path / f"{campaign}-{language}.pdf"
    cips("report", "--campaign", campaign, "--language", language, "-o", str(path))
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return pdf, "\n".join(page.extract_text() for page in reader.pages)


def appears(phrase: str, text: str) -> bool:
    """`phrase` is in `text` on one line: as written, or (a right-to-left line, extracted in
    visual order) with its words the other way round; punctuation aside, since it sticks to
    the other end of an Arabic word once reversed, and Arabic vowel marks too: pypdf gives a
    letter that carries one twice ("تُتُنشر"), so marks go and a doubled letter counts once, on
    both sides."""

    def words(value: str) -> str:
        value = re.sub(r"[\u064b-\u0652]", "", value)
        value = re.sub(r"(.)\1+", r"\1", value)
        return " ".join(re.sub(r"[:;.,()،؛]", " ", value).split())

    phrase, text = words(phrase), words(text)
    return phrase in text or " ".join(reversed(phrase.split())) in text


def test_the_report_in_each_language_names_its_key_factors_with_gap_and_trend(cips, tmp_path):
    imported(cips, tmp_path, OFFICIALS, "BF", "2025", 80, seed=1)
    imported(cips, tmp_path, TRADERS, "BF", "2025", 70, seed=2)
    imported(cips, tmp_path, OFFICIALS, "BF", "2026", 90, seed=3, shift=0.6)
    imported(cips, tmp_path, TRADERS, "BF", "2026", 70, seed=4, shift=0.6)
    assert set(LANGUAGES) == set(available_languages())
    for language in LANGUAGES:
        _, text = report(cips, tmp_path, "bf-2026-3", language)
        for number in range(1, 11):
            name = render(Text(FACTOR_BY_NUMBER[number].name), language)
            assert appears(name, text), f"{language}: {name!r} not in the report"
        for heading in (texts.FACTORS_HEADING, texts.GAP_HEADING, texts.TREND_HEADING,
                        texts.WEAKEST_HEADING, texts.METHOD_HEADING):  # fmt: skip
            assert appears(render(Text(heading), language), text), (language, heading)
        # The waves differ by 0.6 standard deviations: some key factor changed significantly.
        assert appears(render(Text(texts.CHANGED), language), text), language
        if language == "en":
            assert "Customs officials: 2025 to 2026" in text  # the trend names both waves
            assert "* significant (the 95% interval excludes 0)" in text
            assert appears("Margin of error (points)", text)
            assert appears("Overall integrity index", text)


def figures(frame_path, survey: str) -> set[str]:
    """Every figure the report could show of `survey`, worked out from the file at the lowest
    threshold (5), to one decimal as the English report writes them."""
    results = analyze(load_files([frame_path], questionnaires=QUESTIONNAIRES), min_cell=5)
    rows = results.factors[(results.factors["survey"] == survey)
                           & (results.factors["group_var"] == "")].dropna(subset=["score"])  # fmt: skip
    values = [*rows["score"]]
    for pct, n in zip(rows["pct_favourable"], rows["n_respondents"], strict=True):
        if not math.isnan(pct):
            low, high = wilson(pct / 100, n)
            values += [pct, 100 * low, 100 * high]
    return {f"{value:.1f}" for value in values}


def test_a_survey_below_k_shows_none_of_its_figures_and_runs_are_identical(cips, tmp_path):
    officials = imported(cips, tmp_path, OFFICIALS, "CI", "2026", 60, seed=5)
    few = imported(cips, tmp_path, TRADERS, "CI", "2026", 6, seed=6)
    first, text = report(cips, tmp_path, "ci-2026-5", "en")
    assert "Fewer than 10 responses: scores are hidden to protect anonymity." in text
    assert "Fewer than 10 responses on one side: the gap is hidden" in text
    # What the small survey's figures would be, less any that an official figure shares.
    hidden = figures(few, "private_sector") - figures(officials, "officials")
    assert len(hidden) >= 20
    shown = set(re.findall(r"\d+\.\d", text))
    assert shown & figures(officials, "officials"), "the officials' figures are in the report"
    assert not hidden & shown, f"suppressed figures in the report: {sorted(hidden & shown)}"

    again, _ = report(cips, tmp_path, "ci-2026-5", "en")
    assert again == first
    arabic, _ = report(cips, tmp_path, "ci-2026-5", "ar")
    assert report(cips, tmp_path, "ci-2026-5", "ar")[0] == arabic


def test_an_open_campaign_gets_no_report(cips, db, tmp_path):
    imported(cips, tmp_path, OFFICIALS, "BF", "2025", 30, seed=1)
    with db.transaction() as session:
        bf = session.scalar(select(Administration).where(Administration.code == "BF"))
        create_campaign(session, bf, OFFICIALS, "2026", code="bf-open")
    out = cips("report", "--campaign", "bf-open", "-o", str(tmp_path / "open.pdf"), ok=False)
    assert "campaign bf-open is open" in out.output
    assert not (tmp_path / "open.pdf").exists()
    assert "no campaign nope" in cips("report", "--campaign", "nope", "-o",
                                      str(tmp_path / "x.pdf"), ok=False).output  # fmt: skip


def test_a_report_logs_nothing_of_its_libraries_below_warning(cips, tmp_path, caplog):
    # Subsetting the fonts into the PDF (fontTools), drawing (matplotlib) and images (PIL) logged
    # hundreds of INFO lines ("maxp pruned") on stderr under the root logger's INFO.
    imported(cips, tmp_path, OFFICIALS, "BF", "2026", 30, seed=1)
    caplog.set_level(logging.DEBUG)  # as with --verbose
    for language in ("fr", "ar"):
        report(cips, tmp_path, "bf-2026-1", language)
    chatty = {r.name for r in caplog.records if r.levelno < logging.WARNING
              and not r.name.startswith(("cips", "analysis", "survey"))}  # fmt: skip
    assert not chatty
