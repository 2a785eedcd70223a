"""A campaign's population margins on the web: a table per single-choice demographic question,
the population of each category (`analysis.weights`, `analysis.margins`); coordinators and admins
set and clear them, everyone who sees the campaign reads them."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from analysis.frames import AnalysisError, breakdown_questions
from analysis.margins import clear_margins, margins_of, set_margins
from analysis.weights import NOT_CATEGORIES, Margins, MarginsError
from survey.engine.answers import option_label
from survey.engine.questions import question_text
from survey.i18n import render
from web.auth import campaign_or_404, login_required, may_manage
from web.forms import ConfirmForm
from web.i18n import current_language
from web.state import app_state, db_session

bp = Blueprint("weights", __name__, url_prefix="/campaigns")


def _tables(campaign, values: dict[str, dict[str, str]]) -> list[dict]:
    """One table per raking question: its text and, per category, label, code, entered value."""
    questionnaire = app_state().questionnaires.get(campaign.questionnaire_id)
    if questionnaire is None:
        abort(404)
    language = current_language()
    return [
        {
            "id": question.id,
            "text": render(question_text(questionnaire, question), language),
            "rows": [
                {
                    "code": choice.code,
                    "label": render(option_label(questionnaire, question, choice.code), language),
                    "value": values.get(question.id, {}).get(choice.code, ""),
                }
                for choice in question.choices
                if choice.code not in NOT_CATEGORIES
            ],
        }
        for question in breakdown_questions(questionnaire)
    ]


def _number(text: str) -> float:
    """A typed population: thousands separators (comma, space, no-break spaces) allowed."""
    for separator in (",", " ", "\u00a0", "\u202f"):
        text = text.replace(separator, "")
    return float(text)


def _entered(tables: list[dict]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The typed values ({question: {code: text}}) and the cells that are not numbers >= 0."""
    typed: dict[str, dict[str, str]] = {}
    bad = []
    for table in tables:
        for row in table["rows"]:
            text = request.form.get(f"population-{table['id']}-{row['code']}", "").strip()
            if not text:
                continue
            typed.setdefault(table["id"], {})[row["code"]] = text
            try:
                number = _number(text)
            except ValueError:
                number = -1
            if not math.isfinite(number) or number < 0:
                bad.append(f"{table['text']}: {row['label']}")
    return typed, bad


def _shown(margins: Margins | None) -> dict[str, dict[str, str]]:
    if margins is None:
        return {}
    return {
        q: {v: f"{p:g}" for v, p in values.items()} for q, values in margins.populations.items()
    }


@bp.route("/<code>/weights", methods=["GET", "POST"])
@login_required
def margins(code: str):
    campaign = campaign_or_404(code)
    current = margins_of(db_session(), campaign)
    form = ConfirmForm()
    tables = _tables(campaign, _shown(current))
    status = 200
    if request.method == "POST":
        if not may_manage():
            abort(403)
        if not form.validate_on_submit():
            abort(400)
        typed, bad = _entered(tables)
        tables = _tables(campaign, typed)
        problems = [_("Not a number of 0 or more: {cell}.").format(cell=cell) for cell in bad]
        if not typed and not bad:
            problems.append(_("Enter the population of each category of at least one question."))
        if not problems:
            populations = {q: {v: _number(t) for v, t in row.items()} for q, row in typed.items()}
            try:
                set_margins(db_session(), campaign, Margins(populations), app_state().questionnaires,
                            app_state().settings.min_cell, actor=g.user.username,
                            address=request.remote_addr)  # fmt: skip
                db_session().commit()
                flash(_("Margins saved: the wave's results are now weighted, in a new release "
                        "version (the earlier one is kept)."), "success")  # fmt: skip
                return redirect(url_for("weights.margins", code=campaign.code))
            except MarginsError as exc:
                db_session().rollback()
                problems = [render(p, current_language()) for p in exc.problems]
            except AnalysisError as exc:
                db_session().rollback()
                problems = [render(exc.text, current_language())]
        for problem in problems:
            flash(problem, "error")
        status = 400
    return render_template(
        "campaigns/weights.html",
        campaign=campaign,
        tables=tables,
        current=current,
        closed=campaign.closed_at is not None,
        may_manage=may_manage(),
        form=form,
        k=app_state().settings.min_cell,
    ), status


@bp.post("/<code>/weights/clear")
@login_required
def clear(code: str):
    campaign = campaign_or_404(code)
    if not may_manage():
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if clear_margins(db_session(), campaign, actor=g.user.username, address=request.remote_addr):
        db_session().commit()
        flash(_("Margins cleared: the wave's results are unweighted again."), "success")
    return redirect(url_for("weights.margins", code=campaign.code))
