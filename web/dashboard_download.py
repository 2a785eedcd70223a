"""The dashboard's figures as CSV and XLSX: what the page shows, from the same `Dashboard`.

The tables are those of the page, in its order and its language: the totals and precision, the
responses per day, where people stop, by language, by channel (source tag), how people answered
(chat, Mini App, web link, access code) and the reminders. A suppressed cell reads "<k" as on
the page, and no value that the page hides is written; a rate of nobody (no one started there:
"—" on the page) is an empty cell, not a suppressed one. Every text cell goes through
`analysis.spreadsheets` (a text a spreadsheet would run gets a leading apostrophe; XLSX text
typed as text): question texts and channel labels are typed by people.

The XLSX has one sheet per table; the CSV puts the tables one after the other, each under a row
holding its title and separated by an empty row (lines end in CRLF, like every CSV of cips).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from survey.channels import ChannelRow
from survey.dashboard import Dashboard, GroupRow
from survey.i18n import language_name
from web.channel_names import channel_name


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def tables(
    figures: Dashboard, question_texts: dict[str, str], source_labels: dict[str, str]
) -> list[Table]:
    """The page's tables, headers in the current language; suppressed cells "<k"."""
    hidden = f"<{figures.min_cell}"

    def cell(value: Any) -> Any:
        return hidden if value is None else value

    def rate_of(row: GroupRow | ChannelRow) -> float | str | None:
        # None is either a suppressed row's rate or no rate at all (nobody started there).
        return hidden if row.suppressed else row.completion_rate

    t, p = figures.totals, figures.precision
    # After the close, those still answering are the responses it cut off (as on the page).
    unfinished = _("Cut off at the close") if figures.final else _("In progress")
    summary = [
        (_("Campaign"), figures.campaign.code),
        (_("As of (UTC)"), figures.as_of.isoformat(timespec="seconds")),
        (_("Started"), t.started),
        (_("Completed"), t.completed),
        (_("Waiting to be sealed with others"), t.awaiting_seal),
        (unfinished, t.in_progress),
        (_("Withdrew"), t.withdrawn),
        (_("Completion rate") + " (%)", t.completion_rate),
        (_("Target population"), t.target_population),
        (_("Response rate") + " (%)", t.response_rate),
        (_("Margin of error"), p.margin_of_error),
        (_("Target margin of error"), p.target_margin),
        (_("Completed responses needed for the target margin"), p.completed_needed),
    ]
    started, completed, rate = _("Started"), _("Completed"), _("Completion rate") + " (%)"
    result = [
        Table(_("Dashboard"), (_("Figure"), _("Value")), tuple(summary)),
        Table(
            _("Responses per day"),
            (_("Day"), started, completed),
            tuple((d.label, cell(d.started), cell(d.completed)) for d in figures.per_day),
        ),
        Table(
            _("Where people stop"),
            ("#", _("Question"), "", _("Got this far"), _("Left off here")),
            tuple(
                (
                    r.number,
                    r.question_id,
                    question_texts.get(r.question_id, ""),
                    cell(r.reached),
                    cell(r.left_off),
                )
                for r in figures.funnel
            ),
        ),
        Table(
            _("By language"),
            (_("Language"), "", started, completed, rate),
            tuple(
                (
                    r.key,
                    language_name(r.key),
                    cell(r.started),
                    cell(r.completed),
                    rate_of(r),
                )
                for r in figures.by_language
            ),
        ),
        Table(
            _("By channel"),
            (_("Channel"), "", started, completed, rate),
            tuple(
                (
                    r.key,
                    source_labels.get(r.key, r.key) if r.key else _("Direct link (no channel)"),
                    cell(r.started),
                    cell(r.completed),
                    rate_of(r),
                )
                for r in figures.by_source
            ),
        ),
        Table(
            _("How people answered"),
            (_("Answered through"), "", started, unfinished, _("Withdrew"), completed, rate),
            tuple(
                (
                    r.key,
                    channel_name(r.key),
                    cell(r.started),
                    cell(r.in_progress),
                    cell(r.withdrawn),
                    cell(r.completed),
                    rate_of(r),
                )
                for r in figures.by_channel
            ),
        ),
        Table(
            _("Reminders"),
            (_("Day"), _("Reminders sent"), _("Answered again within 24 h")),
            tuple(
                (d.day.isoformat(), d.sent, cell(d.answered_again))
                for d in (figures.reminders.per_day if figures.reminders else ())
            ),
        ),
    ]
    return result


def as_csv(found: list[Table]) -> bytes:
    from analysis.spreadsheets import CSV_LINE_END, safe_value

    out = io.StringIO()
    writer = csv.writer(out, lineterminator=CSV_LINE_END)
    for index, table in enumerate(found):
        if index:
            writer.writerow([])
        writer.writerow([safe_value(table.title)])
        writer.writerow([safe_value(v) for v in table.header])
        writer.writerows([safe_value(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(found: list[Table]) -> bytes:
    from openpyxl import Workbook

    from analysis.spreadsheets import xlsx_row

    workbook = Workbook(write_only=True)
    for table in found:
        # A sheet's name: at most 31 characters, none of []:*?/\ (titles are ours, translated).
        name = "".join(c for c in table.title if c not in "[]:*?/\\")[:31]
        sheet = workbook.create_sheet(name)
        sheet.append(xlsx_row(sheet, table.header))
        for row in table.rows:
            sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
