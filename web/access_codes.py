"""Coordinators' side of the web channel, on the campaign page: the web survey link and its QR
code, and one-time access codes (generated, shown once, downloaded as CSV and printable cards).

Codes are shown only in the answer to the form that generates them (never stored in clear:
`survey.access_codes`); the download buttons of that page send them back, and a download is
made only of codes the campaign holds.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_babel import gettext as _

from survey import access_codes, audit
from survey.engine.questions import title_text
from survey.i18n import render
from web.audit import note, note_download
from web.auth import campaign_or_404, login_required, managed_campaign
from web.campaign_page import render_page
from web.campaign_printables import image_download, source_tag
from web.code_cards import CardText, codes_csv, codes_pdf
from web.forms import AccessCodeCountForm
from web.links import web_link_warning
from web.qr import qr_png, qr_svg
from web.respond.links import public_base, web_link
from web.state import app_state, db_session

bp = Blueprint("access_codes", __name__, url_prefix="/campaigns")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["web_survey_link"] = survey_link
    app.jinja_env.globals["web_link_warning"] = web_link_warning
    app.jinja_env.globals["access_code_counts"] = lambda campaign: access_codes.counts(
        db_session(), campaign
    )


def survey_link(campaign_code: str, tag: str | None = None) -> str:
    return web_link(public_base(app_state().settings), campaign_code, tag)


@bp.get("/<code>/web-qr.<fmt>")
@login_required
def web_qr(code: str, fmt: str):
    campaign = campaign_or_404(code)
    link = survey_link(campaign.code, source_tag(campaign))
    if fmt == "svg":
        body, mimetype = qr_svg(link), "image/svg+xml"
    elif fmt == "png":
        body, mimetype = qr_png(link), "image/png"
    else:
        abort(404)
    return image_download(body, mimetype, f"{campaign.code}-web-qr.{fmt}", campaign)


@bp.post("/<code>/codes")
@login_required
def generate(code: str):
    campaign = managed_campaign(code)
    form = AccessCodeCountForm()
    if not form.validate_on_submit():
        return render_page(campaign, code_form=form)
    count = form.count.data
    generated = access_codes.generate(
        db_session(), app_state().settings.secret_key, campaign, count
    )
    note(
        f"{audit.CAMPAIGN}.codes",
        administration=campaign.administration.code,
        campaign=campaign.code,
        detail=f"{count} access codes generated",
    )
    db_session().commit()
    response = Response(
        render_template(
            "campaigns/codes.html",
            campaign=campaign,
            codes=generated.codes,
            link=survey_link(campaign.code),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_codes(campaign) -> list[str]:
    codes = [c.strip() for c in request.form.get("codes", "").split() if c.strip()]
    if not codes or len(codes) > access_codes.MAX_CODES:
        abort(400)
    if not access_codes.known(db_session(), app_state().settings.secret_key, campaign, codes):
        abort(400)
    return codes


@bp.post("/<code>/codes.csv")
@login_required
def codes_csv_view(code: str):
    campaign = managed_campaign(code)
    codes = _posted_codes(campaign)
    body = codes_csv(codes, survey_link(campaign.code), web_link_warning())
    note_download(
        audit.DOWNLOAD,
        administration=campaign.administration.code,
        campaign=campaign.code,
        format="csv",
        detail=f"{len(codes)} access codes",
    )
    return _attachment(body, "text/csv", f"{campaign.code}-codes.csv")


@bp.post("/<code>/codes.pdf")
@login_required
def codes_pdf_view(code: str):
    campaign = managed_campaign(code)
    codes = _posted_codes(campaign)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    from web.i18n import current_language

    title = render(title_text(questionnaire), current_language())
    text = CardText(
        title=title,
        instruction=_("Open this address and type the code:"),
        code_label=_("Access code"),
    )
    body = codes_pdf(codes, survey_link(campaign.code), text, web_link_warning())
    note_download(
        audit.DOWNLOAD,
        administration=campaign.administration.code,
        campaign=campaign.code,
        format="pdf",
        detail=f"{len(codes)} access code cards",
    )
    return _attachment(body, "application/pdf", f"{campaign.code}-codes.pdf")


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
