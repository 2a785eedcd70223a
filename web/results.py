"""Results: a wave's scores per key factor, the perception gap, the trend since the wave before,
where the problems are, the charts and the downloads, read from the wave's stored release tables
(`analysis.releases`: computed once, when a campaign closes, never per request).

Everyone signed in reads the results of their administration (admins: of every one); anything of
another administration answers 404. The respondent-level file (the interchange format) is for
analysts and admins, and only once every campaign of that wave and questionnaire is closed: two
downloads of a wave still under way, compared, would show the answers of whoever answered in
between.

Chart URLs carry the release version and the language (`?v=...&lang=...`), so a browser may keep
them while the release stays the same.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import tempfile
from pathlib import Path

from babel import Locale
from babel.numbers import parse_pattern
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from analysis import labels
from analysis.labels import label
from survey import audit
from survey.daily import wave_per_day
from survey.engine.questions import question_text
from survey.i18n import available_languages, is_right_to_left, render
from survey.storage.models import Administration, Campaign, Role, utcnow
from web import result_tables, wave_results
from web.audit import note_download
from web.auth import administration_or_404, login_required, scoped_administrations
from web.charts import daily_chart
from web.i18n import current_language
from web.state import app_state, db_session

bp = Blueprint("results", __name__, url_prefix="/results")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Flask adds "; charset=utf-8" to a text/* mimetype itself (given here it came out twice).
FREE_TEXT_PAGE = 100  # texts per page: a page of a few tens of kilobytes, even on a slow phone
MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv",
             "xlsx": XLSX}  # fmt: skip
DATA_ROLES = (Role.ADMIN, Role.ANALYST)
# Free text may name or describe its writer: the analysts' work, and theirs only (an admin
# who needs it gives an account the analyst role, which the audit log records).
FREE_TEXT_ROLES = (Role.ANALYST,)


@functools.cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _formatter(pattern: str, percent: bool = False):
    # Parsed once: a full results page formats about two thousand figures, and parsing the
    # pattern and the locale for each took a tenth of a second.
    parsed = parse_pattern(pattern)

    def format_value(value: float | None) -> str:
        if value is None:
            return "—"
        return parsed.apply(value / 100 if percent else value, _locale(current_language()))

    return format_value


# Results with one decimal throughout (so that columns line up), the user's language's way.
bp.add_app_template_filter(_formatter("#,##0.0"), "decimal1")
bp.add_app_template_filter(_formatter("#,##0.0%", percent=True), "percent1")
bp.add_app_template_filter(_formatter("#,##0"), "count")
bp.add_app_template_filter(_formatter("+#,##0.0;-#,##0.0"), "points")


def _texts(language: str, k: int) -> dict[str, str]:
    """Texts with '%' or '<' in them (Jinja's gettext would take the one for a placeholder and
    pass the other unescaped); the result tables' own headings come from `analysis.labels`."""
    # Headers wrap between words, never inside "(0-100)" (a non-breaking hyphen).
    column = {name: label(labels.COLUMNS[name], language).replace("-", "\u2011") for name in
              ("factor", "pct_favourable", "score", "difference", "significant", "group_value",
               "below_overall", "rank", "n_respondents", "n_valid")}  # fmt: skip
    return {
        **column,
        "interval": _("95% interval"),
        **{name: label(labels.COLUMNS[name], language)
           for name in ("item_id", "dk_rate", "pna_rate", "group_value")},
        "suppressed": label(labels.CHART_SUPPRESSED, language, k=k),
        # A breakdown also hides groups of k or more that protect a smaller one.
        "suppressed_group": label(labels.BREAKDOWN_SUPPRESSED, language, k=k),
        "side": _("{name}: favourable (%)"),
        "breakdowns": _("Favourable (%) of each key factor in each group of respondents, with "
                        "the number of respondents in brackets. One breakdown per demographic "
                        "question, closed to keep the page short: open one to read it; each has "
                        "a page of its own with every statement by the same groups."),
        "item_breakdown": _("Favourable (%) of each statement in each group of respondents, "
                            "with the number of valid answers in brackets. A figure based on "
                            "fewer than {k} respondents is never shown.").format(k=k),
        "method": _("Favourable: agree or strongly agree, among those who answered on the scale "
                    "(Don't know and Prefer not to answer left out), with its 95% interval. "
                    "Differences are in percentage points, with their 95% interval; significant "
                    "when the interval excludes 0. A figure based on fewer than {k} respondents "
                    "is never shown.").format(k=k),
    }  # fmt: skip


def _all_closed(campaigns: list[Campaign]) -> bool:
    """Every campaign released: closed by the clock or by hand, so every response is sealed
    (a closing time that has passed is not enough until the clock has closed it)."""
    return all(c.closed_at is not None for c in campaigns)


def _default_administration(administrations: list[Administration]) -> Administration | None:
    """The user's own; for an admin, the one whose campaign was created last."""
    if g.user.role != Role.ADMIN or not administrations:
        return administrations[0] if administrations else None
    latest = db_session().scalar(
        select(Campaign.administration_id).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    return next((a for a in administrations if a.id == latest), administrations[0])


@bp.get("")
@login_required
def index():
    session = db_session()
    administrations = list(session.scalars(scoped_administrations(g.user)))
    chosen = request.args.get("administration")
    if chosen:
        administration = next((a for a in administrations if a.code == chosen), None)
        if administration is None:
            abort(404)
    else:
        administration = _default_administration(administrations)
    if administration is not None:
        waves = wave_results.wave_labels(wave_results.campaigns_of(session, administration))
        wave = request.args.get("wave")
        if wave not in waves:
            wave = wave_results.latest_wave(session, administration, waves)
        if wave is not None:
            return redirect(url_for(".wave", administration=administration.code, wave=wave))
    return render_template("results/none.html", administration=administration)


def _campaigns_or_404(administration: Administration, wave: str) -> list[Campaign]:
    """Every campaign of the administration, read once per request (the wave's list, its
    earlier waves for the trends, its campaigns' status); 404 when none is of `wave`."""
    campaigns = wave_results.campaigns_of(db_session(), administration)
    if not any(c.wave == wave for c in campaigns):
        abort(404)
    return campaigns


def _of_wave(campaigns: list[Campaign], wave: str) -> list[Campaign]:
    return sorted((c for c in campaigns if c.wave == wave), key=lambda c: c.code)


def _compute(administration: Administration, wave: str, language: str,
             campaigns: list[Campaign]) -> wave_results.WaveResults:  # fmt: skip
    from analysis.frames import AnalysisError

    state = app_state()
    try:
        # ?figures=unweighted: a weighted release's unweighted tables (README, "Weights").
        unweighted = request.args.get("figures") == "unweighted"
        return wave_results.compute(current_app, db_session(), administration, wave, language,
                                    state.settings.min_cell, state.questionnaires, campaigns,
                                    unweighted)  # fmt: skip
    except AnalysisError as exc:  # e.g. two questionnaires of one survey in the same wave
        message = _("The responses of this wave cannot be scored together: {reason}").format(
            reason=render(exc.text, language)
        )
        abort(Response(render_template("error.html", code=409, message=message), 409))


@bp.get("/<administration>/<wave>")
@login_required
def wave(administration: str, wave: str):
    found = administration_or_404(administration)
    every = _campaigns_or_404(found, wave)
    language = current_language()
    results = _compute(found, wave, language, every)
    campaigns = _of_wave(every, wave)
    released = sum(results.respondents.values()) > 0  # else no workbook to offer, no per day
    exports = {}
    for survey, questionnaire in results.questionnaires.items():
        own = [c for c in campaigns if c.questionnaire_id == questionnaire.id]
        exports[survey] = {"questionnaire": questionnaire.id, "closed": _all_closed(own)}
    return render_template(
        "results/wave.html",
        administration=found,
        administrations=list(db_session().scalars(scoped_administrations(g.user))),
        wave=wave,
        waves=wave_results.wave_labels(every),
        wr=results,
        campaigns=[(c, c.status(utcnow())) for c in campaigns],
        **results.rows,
        exports=exports,
        may_download_data=g.user.role in DATA_ROLES,
        may_read_free_text=g.user.role in FREE_TEXT_ROLES,
        text=_texts(language, results.min_cell),
        released=released,
        **_daily(campaigns, results.min_cell, language, released),
    )


def _daily(campaigns: list[Campaign], k: int, language: str, released: bool) -> dict:
    """The wave's per-day chart: its released campaigns' counters, grouped at low counts as
    the dashboard's (read from counters, not recomputed from responses). Released responses
    without any are imported ones (they carry no date); before any release there is none."""
    per_day = wave_per_day(db_session(), [c for c in campaigns if c.closed_at is not None], k)
    empty = (_("No per-day figures: imported responses carry no date.") if released
             else _("No per-day figures yet: they appear when a campaign of this wave closes."))  # fmt: skip
    texts = {"title": _("Responses per day"), "started": _("Started"),
             "completed": _("Completed"), "suppressed": _("fewer than {k}").format(k=k),
             "empty": empty, "axis": _("People")}  # fmt: skip
    return {
        "daily": daily_chart(per_day, texts, rtl=is_right_to_left(language)),
        "daily_too_few": bool(per_day) and not any(d.started for d in per_day),
        "days_grouped": per_day[-1].days if per_day else 1,
    }


@bp.get("/<administration>/<wave>/breakdowns/<survey>/<question>")
@login_required
def breakdown(administration: str, wave: str, survey: str, question: str):
    """Every statement of one survey by the groups of one demographic question."""
    found = administration_or_404(administration)
    every = _campaigns_or_404(found, wave)
    language = current_language()
    results = _compute(found, wave, language, every)
    table = result_tables.item_breakdown(results, survey, question)
    if table is None or not results.published(survey):
        abort(404)
    return render_template("results/breakdown.html", administration=found, wave=wave,
                           wr=results, b=table, names=results.rows["names"],
                           text=_texts(language, results.min_cell))  # fmt: skip


@bp.get("/<administration>/<wave>/free-text")
@login_required
def free_text(administration: str, wave: str):
    """The free-text answers of the wave's closed campaigns, one question and one page at a
    time: texts only, shuffled, for analysts only."""
    from analysis.free_text import keyed_free_texts

    found = administration_or_404(administration)
    every = _campaigns_or_404(found, wave)
    if g.user.role not in FREE_TEXT_ROLES:
        abort(403)
    language = current_language()
    results = _compute(found, wave, language, every)
    closed = [c for c in _of_wave(every, wave) if c.closed_at is not None]
    k = results.min_cell
    key = hmac.digest(app_state().settings.secret_key.encode(),
                      f"free-text order {results.version}".encode(), hashlib.sha256)  # fmt: skip
    questions = []  # (survey, question id, question text, texts or None when fewer than k)
    for survey, questionnaire in results.questionnaires.items():
        own = [c for c in closed if c.questionnaire_id == questionnaire.id]
        texts = keyed_free_texts(db_session(), own, questionnaire, key)
        enough = results.respondents.get(survey, 0) >= k
        for question in questionnaire.questions:
            if question.id in texts:
                shown = texts[question.id] if enough and len(texts[question.id]) >= k else None
                questions.append((survey, question.id,
                                  render(question_text(questionnaire, question), language), shown))  # fmt: skip
    chosen = request.args.get("question") or (questions[0][1] if questions else None)
    current = next((q for q in questions if q[1] == chosen), None)
    if questions and current is None:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    texts = current[3] if current else None
    pages = max(1, -(-len(texts) // FREE_TEXT_PAGE)) if texts else 1
    if page < 1 or page > pages:
        abort(404)
    shown = texts[(page - 1) * FREE_TEXT_PAGE : page * FREE_TEXT_PAGE] if texts else []
    if shown:  # free text leaving the product is recorded, as a download is
        note_download(audit.DOWNLOAD, administration=found.code, format="html",
                      detail=f"free text: {wave} {chosen} page {page}")  # fmt: skip
    return render_template("results/free_text.html", administration=found, wave=wave,
                           wr=results, names=results.rows["names"], questions=questions,
                           current=current, texts=shown, page=page, pages=pages,
                           first=(page - 1) * FREE_TEXT_PAGE + 1,
                           open_campaigns=[c.code for c in _of_wave(every, wave)
                                           if c.closed_at is None])  # fmt: skip


def _download(body: bytes, fmt: str, filename: str, attachment: bool, administration: str,
              what: str) -> Response:  # fmt: skip
    response = Response(body, mimetype=MIMETYPES[fmt])
    if attachment:  # a chart shown on the page is not recorded; downloaded, it is
        note_download(audit.DOWNLOAD, administration=administration, format=fmt,
                      detail=f"{what}: {filename}")  # fmt: skip
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<administration>/<wave>/charts/<name>.<any(png, svg):fmt>")
@login_required
def chart(administration: str, wave: str, name: str, fmt: str):
    found = administration_or_404(administration)
    language = request.args.get("lang")
    if language not in available_languages():
        language = current_language()
    results = _compute(found, wave, language, _campaigns_or_404(found, wave))
    if name not in wave_results.available_charts(results):
        abort(404)
    body = wave_results.chart(current_app, results, name, fmt)
    version = results.version
    response = _download(body, fmt, f"{name}_{found.code}_{wave}_{language}{_figures(results)}.{fmt}",
                         bool(request.args.get("download")), found.code, "chart")  # fmt: skip
    # The same URL always means the same picture while its version is the current one.
    fresh = request.args.get("v") == version
    response.headers["Cache-Control"] = "private, max-age=86400" if fresh else "no-cache"
    return response


@bp.get("/<administration>/<wave>/results.xlsx")
@login_required
def workbook(administration: str, wave: str):
    from analysis.output import write_workbook

    found = administration_or_404(administration)
    language = current_language()
    campaigns = _campaigns_or_404(found, wave)
    results = _compute(found, wave, language, campaigns)
    releases = [(c.code, c.closed_at.date().isoformat()) for c in _of_wave(campaigns, wave)
                if c.closed_at is not None]  # fmt: skip
    # The wave's questionnaires name its statements and answers, in the page's language.
    questionnaires = {(found.code, wave, s): q for s, q in results.questionnaires.items()}
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(results.results, Path(folder) / "results.xlsx", releases,
                              questionnaires)  # fmt: skip
        body = path.read_bytes()
    filename = f"cips-results_{found.code}_{wave}_{language}{_figures(results)}.xlsx"
    return _download(body, "xlsx", filename, True, found.code, "results")


def _figures(results: wave_results.WaveResults) -> str:
    """The file name's mark of a weighted release's figures ("_weighted", "_unweighted"), so
    that both downloads of one wave keep apart; none when the release has no weights."""
    return f"_{results.weighting}" if results.weighting else ""


@bp.get("/<administration>/<wave>/responses/<questionnaire>.<any(csv, xlsx):fmt>")
@login_required
def responses(administration: str, wave: str, questionnaire: str, fmt: str):
    """The wave's respondents to one questionnaire in the interchange format (random ids only,
    no free text), with codes or, with `?labels=LANG`, answer labels in that language."""
    from analysis.database import campaign_frame, with_labels
    from analysis.interchange import write

    found = administration_or_404(administration)
    campaigns = [c for c in _of_wave(_campaigns_or_404(found, wave), wave)
                 if c.questionnaire_id == questionnaire]  # fmt: skip
    loaded = app_state().questionnaires.get(questionnaire)
    if not campaigns or loaded is None:
        abort(404)
    if g.user.role not in DATA_ROLES:
        abort(403)
    if not _all_closed(campaigns):
        flash(_("Respondent-level data can be downloaded once every campaign of the wave is "
                "closed: two downloads taken while people are answering could be compared to "
                "single out someone's answers."), "error")  # fmt: skip
        return redirect(url_for(".wave", administration=found.code, wave=wave))
    frame = campaign_frame(db_session(), campaigns, loaded)
    k = app_state().settings.min_cell
    if len(frame) < k:  # DESIGN.md, Anonymity 3: too few to publish anyone's answers
        flash(_("Fewer than {k} responses: no respondent-level data is published.").format(k=k),
              "error")  # fmt: skip
        return redirect(url_for(".wave", administration=found.code, wave=wave))
    labels = request.args.get("labels")
    if labels in available_languages():
        frame = with_labels(frame, loaded, labels)
    suffix = f"_{labels}" if labels in available_languages() else ""
    filename = f"cips-responses_{found.code}_{wave}_{questionnaire}{suffix}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        body = write(frame, Path(folder) / f"responses.{fmt}").read_bytes()
    return _download(body, fmt, filename, True, found.code, "respondent-level data")
