"""The campaign's dashboard (routes of the `campaigns` blueprint, `web.campaigns`): the page, and
its figures as CSV or XLSX (the files' tables are `web.dashboard_download`'s)."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import gettext as _

from survey import audit
from survey.dashboard import Dashboard, campaign_dashboard
from survey.i18n import Text, is_right_to_left, render
from survey.questionnaire import Questionnaire
from survey.storage.models import Campaign
from web.audit import note_download
from web.auth import campaign_or_404, login_required
from web.campaigns import bp
from web.channel_names import channel_name
from web.charts import daily_chart
from web.i18n import current_language
from web.state import app_state, db_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def dashboard_of(campaign: Campaign) -> tuple[Questionnaire, Dashboard]:
    """The campaign's questionnaire and dashboard figures (404 if the questionnaire is not
    loaded): the page, its downloads and the API's dashboard read these."""
    state = app_state()
    questionnaire = state.questionnaires.get(campaign.questionnaire_id)
    if questionnaire is None:
        abort(404)
    figures = campaign_dashboard(
        db_session(), campaign, questionnaire, min_cell=state.settings.min_cell
    )
    return questionnaire, figures


def _dashboard(code: str):
    """The campaign, its figures, its questions' texts and its channels' labels."""
    campaign = campaign_or_404(code)
    questionnaire, figures = dashboard_of(campaign)
    language = current_language()
    question_texts = {
        q.id: render(Text(q.text, context=f"{questionnaire.id}:{q.id}"), language)
        for q in questionnaire.questions
    }
    return campaign, figures, question_texts, {s.tag: s.label for s in campaign.sources}


@bp.get("/<code>/dashboard")
@login_required
def dashboard(code: str):
    campaign, figures, question_texts, source_labels = _dashboard(code)
    return render_template(
        "campaigns/dashboard.html",
        campaign=campaign,
        figures=figures,
        daily=daily_chart(
            figures.per_day,
            {
                "title": _("Responses per day"),
                "started": _("Started"),
                "completed": _("Completed"),
                "suppressed": _("fewer than {k}").format(k=figures.min_cell),
                "empty": _("No responses yet."),
                "axis": _("People"),
            },
            rtl=is_right_to_left(current_language()),
        ),
        question_texts=question_texts,
        source_labels=source_labels,
        channel_name=channel_name,
    )


@bp.get("/<code>/dashboard.csv", defaults={"fmt": "csv"})
@bp.get("/<code>/dashboard.xlsx", defaults={"fmt": "xlsx"})
@login_required
def dashboard_download(code: str, fmt: str):
    """The page's figures as a file: the same `Dashboard`, suppressed the same way."""
    from web.dashboard_download import as_csv, as_xlsx, tables

    campaign, figures, question_texts, source_labels = _dashboard(code)
    found = tables(figures, question_texts, source_labels)
    body = as_csv(found) if fmt == "csv" else as_xlsx(found)
    content_type = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}[fmt]
    response = Response(body, content_type=content_type)
    stamp = figures.as_of.strftime("%Y%m%d-%H%M")
    filename = f"{campaign.code}-dashboard-{stamp}.{fmt}"
    note_download(
        audit.DOWNLOAD,
        administration=campaign.administration.code,
        campaign=campaign.code,
        format=fmt,
        detail=filename,
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
