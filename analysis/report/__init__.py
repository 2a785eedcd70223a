"""The country report: a few A4 pages a coordinator can publish, written from a wave's release
(`analysis.releases`) in one language, as a PDF drawn with matplotlib alone.

Sections (`analysis.report.sections`): who answered, with the margin of error; the ten key factors
ranked with their 95% intervals; officials against traders (when the wave has both surveys); the
change since the previous wave and what changed significantly; the weakest statements; the
constructs; compared with the administrations of the region, when a host's benchmark was
imported (`analysis.benchmark.report_section`); the method and the suppression rule. Pages
(`analysis.report.layout`) are mirrored for right-to-left languages. The same release gives the
same bytes on every run: the PDF's dates are left out and nothing in it depends on the clock.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analysis import labels
from analysis.releases import Release
from analysis.report import texts
from analysis.report.layout import STYLE, Document
from analysis.report.sections import Writer
from survey.i18n import is_right_to_left
from survey.questionnaire import Questionnaire

__all__ = ["build_report", "write_report"]


def build_report(
    release: Release,
    questionnaires: dict[str, Questionnaire],
    administration_name: str,
    released: dt.date,
    benchmark: tuple[dict, str | None] | None = None,
) -> bytes:
    """The report of `release` (in its language) as PDF bytes. `questionnaires` (id -> loaded)
    give the statements' text; `released` is the day the wave's last campaign closed;
    `benchmark`, a host's published benchmark and this installation's region in it (the
    section "compared with N administrations")."""
    import matplotlib

    language = release.language
    title = labels.label(texts.TITLE, language)
    subtitle = labels.label(texts.SUBTITLE, language,
                            administration=administration_name, wave=release.wave)  # fmt: skip
    document = Document(
        is_right_to_left(language), f"{title}: {administration_name} {release.wave}"
    )
    with matplotlib.rc_context(STYLE):  # charts take their sizes when drawn
        document.heading(title, level=0)
        document.heading(subtitle, level=1)
        document.paragraph(labels.label(texts.RELEASE, language, date=released.isoformat(),
                                        version=release.version), size=8, color="#444444")  # fmt: skip
        writer = Writer(document, release, questionnaires)
        writer.response()
        writer.factors()
        writer.gap()
        writer.trend()
        writer.weakest()
        writer.constructs()
        if benchmark is not None:
            from analysis.benchmark.report_section import write_section

            write_section(writer, *benchmark)
        writer.method()
    return document.pdf(lambda page, pages: labels.label(texts.PAGE, language, page=page,
                                                         pages=pages))  # fmt: skip


def write_report(
    release: Release,
    questionnaires: dict[str, Questionnaire],
    administration_name: str,
    released: dt.date,
    output: Path | str,
    benchmark: tuple[dict, str | None] | None = None,
) -> int:
    """Write the report to `output`; its number of bytes."""
    pdf = build_report(release, questionnaires, administration_name, released, benchmark)
    Path(output).write_bytes(pdf)
    return len(pdf)
