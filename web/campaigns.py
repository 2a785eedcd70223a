"""Campaigns: list, create, edit, open and close; links, sources, QR codes, poster, dashboard."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from survey import access_codes, audit, sealing
from survey.campaign_editing import (
    CampaignReleased,
    add_source,
    check_targets,
    close_now,
    open_now,
    remove_source,
    update_campaign,
)
from survey.campaign_list import figures_by_campaign
from survey.campaigns import (
    CampaignError,
    ReminderPolicy,
    campaign_figures,
    create_campaign,
    format_duration,
    parse_duration,
    parse_quiet_hours,
)
from survey.dashboard import campaign_dashboard
from survey.i18n import Text, is_right_to_left, render
from survey.reminders import reminder_figures, reminder_plan
from survey.storage.models import Administration, Campaign, Role
from web.audit import note, note_download
from web.auth import (
    campaign_or_404,
    login_required,
    may_manage,
    roles_required,
    scoped,
    scoped_administrations,
)
from web.channel_names import channel_name
from web.charts import daily_chart
from web.forms import CampaignForm, CampaignSettingsForm, ConfirmForm, SourceForm
from web.i18n import current_language
from web.links import bot_username, campaign_link, link_unusable_text
from web.poster import CHAT, LINK_CHOICES, WEB, PosterLink, poster_blocks, poster_links
from web.qr import qr_png, qr_svg
from web.respond.links import public_base, web_link
from web.state import app_state, db_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _to_utc(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC) if value else None


def _to_local(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None) if value else None


def _policy(form: CampaignSettingsForm) -> ReminderPolicy:
    last_call = (form.last_call.data or "").strip().lower()
    return ReminderPolicy(
        remind_after_s=parse_duration(form.remind_after.data),
        remind_every_s=parse_duration(form.remind_every.data),
        max_reminders=form.max_reminders.data,
        quiet_hours=parse_quiet_hours(form.quiet_hours.data),
        last_call_before_s=None if last_call in ("", "off") else parse_duration(last_call),
    )


def _fill_settings(form: CampaignSettingsForm, campaign: Campaign) -> None:
    timezone = campaign.administration.timezone
    form.opens_at.data = _to_local(campaign.opens_at, timezone)
    form.closes_at.data = _to_local(campaign.closes_at, timezone)
    form.target_population.data = campaign.target_population
    form.target_margin.data = campaign.target_margin
    form.remind_after.data = format_duration(campaign.remind_after_s)
    form.remind_every.data = format_duration(campaign.remind_every_s)
    form.max_reminders.data = campaign.max_reminders
    form.quiet_hours.data = f"{campaign.quiet_start_hour:02d}-{campaign.quiet_end_hour:02d}"
    form.last_call.data = (
        format_duration(campaign.last_call_before_s) if campaign.last_call_before_s else "off"
    )


def _administrations() -> list[Administration]:
    return list(db_session().scalars(scoped_administrations(g.user)))


@bp.get("")
@login_required
def index():
    data = db_session()
    with_archived = bool(request.args.get("archived"))
    query = scoped(select(Campaign), g.user)
    archived = data.scalar(
        select(func.count()).select_from(query.where(Campaign.archived_at.is_not(None)).subquery())
    )
    if not with_archived:
        query = query.where(Campaign.archived_at.is_(None))
    campaigns = data.scalars(query.order_by(Campaign.created_at.desc(), Campaign.id.desc())).all()
    now = _now()
    figures = figures_by_campaign(data, [c.id for c in campaigns])
    rows = [(c, c.status(now), figures[c.id]) for c in campaigns]
    return render_template(
        "campaigns/list.html",
        rows=rows,
        may_manage=may_manage(),
        archived=archived,
        with_archived=with_archived,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    data = db_session()
    form = CampaignForm()
    administrations = _administrations()
    if not administrations:
        flash(_("Create an administration first."), "error")
        return redirect(url_for("administrations.index"))
    form.administration.choices = [(a.code, f"{a.code} — {a.name}") for a in administrations]
    questionnaires = app_state().questionnaires
    form.questionnaire.choices = [(q.id, f"{q.id} ({q.version})") for q in questionnaires.values()]
    if request.method == "GET":
        form.target_margin.data = 5.0
        form.remind_after.data, form.remind_every.data = "24h", "48h"
        form.max_reminders.data, form.quiet_hours.data, form.last_call.data = 3, "20-08", "24h"
    if form.validate_on_submit():
        administration = next(a for a in administrations if a.code == form.administration.data)
        tz = administration.timezone
        try:
            check_targets(form.target_population.data, form.target_margin.data)
            policy = _policy(form)
            campaign = create_campaign(
                data,
                administration,
                questionnaires[form.questionnaire.data],
                form.wave.data.strip(),
                code=(form.code.data or "").strip() or None,
                opens_at=_to_utc(form.opens_at.data, tz),
                closes_at=_to_utc(form.closes_at.data, tz),
                target=form.target_population.data,
                policy=policy,
            )
            campaign.target_margin = form.target_margin.data
            # create_campaign's INSERT leaves out a None "last call", so the column default
            # (24 h) fills it: "off" has to be set again.
            campaign.last_call_before_s = policy.last_call_before_s
            note(
                f"{audit.CAMPAIGN}.create",
                administration=administration.code,
                campaign=campaign.code,
                detail=f"{campaign.questionnaire_id}, wave {campaign.wave}",
            )
            data.commit()
        except CampaignError as exc:
            data.rollback()
            if "taken" in str(exc):
                form.code.errors.append(_("This campaign code is taken: choose another."))
            else:
                flash(str(exc), "error")
            return render_template("campaigns/form.html", form=form, campaign=None), 400
        flash(_("Campaign {code} created.").format(code=campaign.code), "success")
        return redirect(url_for("campaigns.show", code=campaign.code))
    status = 400 if form.is_submitted() else 200
    return render_template("campaigns/form.html", form=form, campaign=None), status


@bp.get("/<code>")
@login_required
def show(code: str):
    campaign = campaign_or_404(code)
    links = [(None, _("Direct link (no channel)"), campaign_link(campaign.code))] + [
        (s.tag, s.label, campaign_link(campaign.code, s.tag)) for s in campaign.sources
    ]
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        status=campaign.status(_now()),
        figures=campaign_figures(db_session(), campaign),
        links=links,
        link_unusable=None if bot_username() else link_unusable_text(),
        may_manage=may_manage(),
        source_form=SourceForm(),
        confirm=ConfirmForm(),
        format_duration=format_duration,
        planned_reminders=reminder_plan(db_session(), campaign, _now()),
        reminders_sent=reminder_figures(db_session(), campaign.id),
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str):
    campaign = campaign_or_404(code)
    if not may_manage():
        abort(403)
    form = CampaignSettingsForm()
    if request.method == "GET":
        _fill_settings(form, campaign)
    if form.validate_on_submit():
        tz = campaign.administration.timezone
        try:
            update_campaign(
                campaign,
                opens_at=_to_utc(form.opens_at.data, tz),
                closes_at=_to_utc(form.closes_at.data, tz),
                target=form.target_population.data,
                target_margin=form.target_margin.data,
                policy=_policy(form),
            )
            note(
                f"{audit.CAMPAIGN}.edit",
                administration=campaign.administration.code,
                campaign=campaign.code,
                detail="settings",
            )
            db_session().commit()
        except CampaignError as exc:
            db_session().rollback()
            flash(str(exc), "error")
            return render_template("campaigns/form.html", form=form, campaign=campaign), 400
        flash(_("Changes saved."), "success")
        return redirect(url_for("campaigns.show", code=campaign.code))
    status = 400 if form.is_submitted() else 200
    return render_template("campaigns/form.html", form=form, campaign=campaign), status


def _managed_post(code: str) -> Campaign:
    """The campaign of a state-changing button, once its CSRF token has been checked."""
    campaign = campaign_or_404(code)
    if not may_manage():
        abort(403)
    return campaign


@bp.post("/<code>/open")
@login_required
def open_campaign(code: str):
    campaign = _managed_post(code)
    if campaign.archived_at is not None:
        flash(_("Unarchive the campaign before opening it."), "error")
        return redirect(url_for("campaigns.show", code=code))
    try:
        open_now(campaign, _now())
        note(
            f"{audit.CAMPAIGN}.open",
            administration=campaign.administration.code,
            campaign=campaign.code,
        )
        db_session().commit()
        flash(_("The campaign is open."), "success")
    except CampaignReleased:
        db_session().rollback()
        flash(
            _(
                "This campaign's results are released, so it cannot reopen: create a new campaign instead."
            ),
            "error",
        )
    except CampaignError:
        db_session().rollback()
        flash(_("Its closing time has passed: set a later one first."), "error")
    return redirect(url_for("campaigns.show", code=code))


@bp.post("/<code>/close")
@login_required
def close_campaign(code: str):
    campaign = _managed_post(code)
    close_now(db_session(), campaign, _now(), app_state().settings.min_cell)
    note(
        audit.RELEASE,
        administration=campaign.administration.code,
        campaign=campaign.code,
        detail="closed now; final release made",
    )
    db_session().commit()
    sealing.wipe(app_state().db, resealed=True)
    flash(_("The campaign is closed; no one can answer it any more."), "success")
    return redirect(url_for("campaigns.show", code=code))


@bp.post("/<code>/sources")
@login_required
def add_source_view(code: str):
    campaign = _managed_post(code)
    form = SourceForm()
    if form.validate_on_submit():
        try:
            add_source(db_session(), campaign, form.tag.data, form.label.data)
            db_session().commit()
            flash(_("Channel {label} added.").format(label=form.label.data.strip()), "success")
            return redirect(url_for("campaigns.show", code=code))
        except CampaignError:
            db_session().rollback()
            form.tag.errors.append(
                _("This tag is already used in this campaign, or too long for the link.")
            )
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return redirect(url_for("campaigns.show", code=code))


@bp.post("/<code>/sources/<tag>/remove")
@login_required
def remove_source_view(code: str, tag: str):
    campaign = _managed_post(code)
    remove_source(db_session(), campaign, tag)
    db_session().commit()
    flash(_("Channel removed; the responses it brought keep their tag."), "success")
    return redirect(url_for("campaigns.show", code=code))


def source_tag(campaign: Campaign) -> str | None:
    tag = request.args.get("source") or None
    if tag is not None and tag not in {s.tag for s in campaign.sources}:
        abort(404)
    return tag


@bp.get("/<code>/qr.png")
@login_required
def qr_png_view(code: str):
    campaign = campaign_or_404(code)
    link = campaign_link(campaign.code, source_tag(campaign))
    if bot_username() is None:
        return _link_unusable()
    return image_download(qr_png(link), "image/png", f"{campaign.code}-qr.png", campaign)


@bp.get("/<code>/qr.svg")
@login_required
def qr_svg_view(code: str):
    campaign = campaign_or_404(code)
    link = campaign_link(campaign.code, source_tag(campaign))
    if bot_username() is None:
        return _link_unusable()
    return image_download(qr_svg(link), "image/svg+xml", f"{campaign.code}-qr.svg", campaign)


def _link_unusable() -> Response:
    """No QR code of a link that leads nowhere: the reason and the fix instead (409 Conflict)."""
    return Response(link_unusable_text(), status=409, mimetype="text/plain")


def image_download(body: bytes, mimetype: str, filename: str, campaign: Campaign) -> Response:
    """An image of `campaign` shown on a page, or (`?download=1`) saved: then recorded as a
    download in the audit log."""
    response = Response(body, mimetype=mimetype)
    if request.args.get("download"):  # shown on the page otherwise: recorded as a download only
        note_download(audit.DOWNLOAD, administration=campaign.administration.code,
                      campaign=campaign.code, format=filename.rsplit(".", 1)[-1],
                      detail=filename)  # fmt: skip
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<code>/poster")
@login_required
def poster(code: str):
    """The A4 poster with the link the coordinator chose (`?link=chat|web|both`, chat if none)."""
    campaign = campaign_or_404(code)
    tag = source_tag(campaign)
    choice = request.args.get("link") or CHAT
    if choice not in LINK_CHOICES:
        abort(404)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    chat = PosterLink(
        CHAT,
        campaign_link(campaign.code, tag),
        url_for("campaigns.qr_svg_view", code=campaign.code, source=tag),
        None if bot_username() else link_unusable_text(),
    )
    web = PosterLink(
        WEB,
        web_link(public_base(app_state().settings), campaign.code, tag),
        url_for("access_codes.web_qr", code=campaign.code, fmt="svg", source=tag),
    )
    return render_template(
        "campaigns/poster.html",
        campaign=campaign,
        links=poster_links(choice, chat, web),
        blocks=poster_blocks(
            questionnaire,
            campaign.administration.language_list,
            choice,
            needs_code=campaign.web_access == access_codes.CODES,
        ),
    )


def _dashboard(code: str):
    """The campaign, its questionnaire and its figures (the page and its downloads read these)."""
    campaign = campaign_or_404(code)
    state = app_state()
    questionnaire = state.questionnaires.get(campaign.questionnaire_id)
    if questionnaire is None:
        abort(404)
    figures = campaign_dashboard(
        db_session(), campaign, questionnaire, min_cell=state.settings.min_cell
    )
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
