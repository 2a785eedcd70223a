"""The list of campaigns, a new campaign, and editing a campaign's settings (routes of the
`campaigns` blueprint, `web.campaigns`): the settings forms, their times in the administration's
time zone and their reminder policy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from survey import audit
from survey.campaign_editing import check_targets, update_campaign
from survey.campaign_list import figures_by_campaign
from survey.campaigns import (
    CampaignCodeTaken,
    CampaignError,
    ClosingTimePassed,
    ReminderPolicy,
    create_campaign,
    format_duration,
    parse_duration,
    parse_quiet_hours,
)
from survey.storage.models import Administration, Campaign, Role
from web.audit import note
from web.auth import (
    login_required,
    managed_campaign,
    may_manage,
    roles_required,
    scoped,
    scoped_administrations,
)
from web.campaigns import bp, now
from web.forms import CLOSING_TIME_PASSED, CampaignForm, CampaignSettingsForm
from web.state import app_state, db_session

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


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
    moment = now()
    figures = figures_by_campaign(data, [c.id for c in campaigns])
    rows = [(c, c.status(moment), figures[c.id]) for c in campaigns]
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
                now=now(),
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
        except CampaignCodeTaken:
            data.rollback()
            form.code.errors.append(_("This campaign code is taken: choose another."))
            return render_template("campaigns/form.html", form=form, campaign=None), 400
        except ClosingTimePassed:
            data.rollback()
            form.closes_at.errors.append(CLOSING_TIME_PASSED)
            return render_template("campaigns/form.html", form=form, campaign=None), 400
        except CampaignError as exc:
            data.rollback()
            flash(str(exc), "error")
            return render_template("campaigns/form.html", form=form, campaign=None), 400
        flash(_("Campaign {code} created.").format(code=campaign.code), "success")
        return redirect(url_for("campaigns.show", code=campaign.code))
    status = 400 if form.is_submitted() else 200
    return render_template("campaigns/form.html", form=form, campaign=None), status


@bp.route("/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str):
    campaign = managed_campaign(code)
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
                now=now(),
            )
            note(
                f"{audit.CAMPAIGN}.edit",
                administration=campaign.administration.code,
                campaign=campaign.code,
                detail="settings",
            )
            db_session().commit()
        except ClosingTimePassed:
            db_session().rollback()
            form.closes_at.errors.append(CLOSING_TIME_PASSED)
            return render_template("campaigns/form.html", form=form, campaign=campaign), 400
        except CampaignError as exc:
            db_session().rollback()
            flash(str(exc), "error")
            return render_template("campaigns/form.html", form=form, campaign=campaign), 400
        flash(_("Changes saved."), "success")
        return redirect(url_for("campaigns.show", code=campaign.code))
    status = 400 if form.is_submitted() else 200
    return render_template("campaigns/form.html", form=form, campaign=campaign), status
