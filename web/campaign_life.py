"""A campaign's life after fieldwork, for coordinators and admins: archive and unarchive,
delete, and the next wave (the rules are `survey.campaign_life`'s)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from survey import audit, sealing
from survey.campaign_life import (
    CampaignNotClosed,
    DeletionRefused,
    archive,
    completed_responses,
    delete_campaign,
    may_delete,
    next_wave,
    unarchive,
)
from survey.campaigns import CampaignCodeTaken, CampaignError, ClosingTimePassed
from survey.storage.models import Role
from web.audit import note
from web.auth import login_required, managed_campaign
from web.forms import CLOSING_TIME_PASSED, DeleteCampaignForm, NextWaveForm
from web.i18n import current_language
from web.state import app_state, db_session

bp = Blueprint("campaign_life", __name__, url_prefix="/campaigns")


@bp.app_template_filter("local_day")
def local_day(value: dt.date) -> str:
    """A day (or the day of a local time) with its weekday, in the user's language."""
    return format_skeleton("yMMMEd", value, locale=current_language())


def _is_admin() -> bool:
    return g.user.role == Role.ADMIN


@bp.post("/<code>/archive")
@login_required
def archive_view(code: str):
    campaign = managed_campaign(code)
    try:
        archive(campaign, dt.datetime.now(dt.UTC))
    except CampaignNotClosed:
        flash(_("Close the campaign before archiving it."), "error")
        return redirect(url_for("campaigns.show", code=code))
    note(f"{audit.CAMPAIGN}.archive", administration=campaign.administration.code, campaign=code)
    db_session().commit()
    flash(
        _("Campaign {code} is archived: it is no longer listed, and its results are kept.").format(
            code=code
        ),
        "success",
    )
    return redirect(url_for("campaigns.show", code=code))


@bp.post("/<code>/unarchive")
@login_required
def unarchive_view(code: str):
    campaign = managed_campaign(code)
    unarchive(campaign)
    note(f"{audit.CAMPAIGN}.unarchive", administration=campaign.administration.code, campaign=code)
    db_session().commit()
    flash(_("Campaign {code} is listed again.").format(code=code), "success")
    return redirect(url_for("campaigns.show", code=code))


@bp.route("/<code>/delete", methods=["GET", "POST"])
@login_required
def delete_view(code: str):
    campaign = managed_campaign(code)
    data = db_session()
    form = DeleteCampaignForm()
    completed = completed_responses(data, campaign)
    status = 200
    if form.validate_on_submit():
        administration = campaign.administration.code
        try:
            delete_campaign(
                data, campaign, admin=_is_admin(), typed_code=form.confirm_code.data or None
            )
        except DeletionRefused:
            data.rollback()
            if not _is_admin():
                abort(403)
            form.confirm_code.errors.append(
                _("Type the code {code} exactly to delete it with its responses.").format(code=code)
            )
            status = 400
        else:
            note(
                f"{audit.CAMPAIGN}.delete",
                administration=administration,
                campaign=code,
                detail=f"{completed} completed responses deleted with it",
            )
            data.commit()
            sealing.wipe(app_state().db, resealed=True)
            flash(_("Campaign {code} is deleted.").format(code=code), "success")
            return redirect(url_for("campaigns.index"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "campaigns/delete.html",
        campaign=campaign,
        completed=completed,
        allowed=may_delete(data, campaign, admin=_is_admin()),
        form=form,
    ), status


def _to_utc(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC) if value else None


@bp.route("/<code>/next-wave", methods=["GET", "POST"])
@login_required
def next_wave_view(code: str):
    campaign = managed_campaign(code)
    data = db_session()
    form = NextWaveForm()
    questionnaire = app_state().questionnaires.get(campaign.questionnaire_id)
    if questionnaire is None:
        flash(
            _("The questionnaire {id} is no longer available.").format(
                id=campaign.questionnaire_id
            ),
            "error",
        )
        return redirect(url_for("campaigns.show", code=code))
    if form.validate_on_submit():
        tz = campaign.administration.timezone
        wave = form.wave.data.strip()
        if wave == campaign.wave:
            form.wave.errors.append(
                _("This is the wave of {code}: give a new label.").format(code=code)
            )
        else:
            try:
                created = next_wave(
                    data,
                    campaign,
                    questionnaire,
                    code=form.code.data.strip(),
                    wave=wave,
                    opens_at=_to_utc(form.opens_at.data, tz),
                    closes_at=_to_utc(form.closes_at.data, tz),
                    now=dt.datetime.now(dt.UTC),
                )
                note(
                    f"{audit.CAMPAIGN}.next-wave",
                    administration=campaign.administration.code,
                    campaign=created.code,
                    detail=f"wave {wave}, from {code}",
                )
                data.commit()
            except CampaignCodeTaken:
                data.rollback()
                form.code.errors.append(_("This campaign code is taken: choose another."))
            except ClosingTimePassed:
                data.rollback()
                form.closes_at.errors.append(CLOSING_TIME_PASSED)
            except CampaignError:
                data.rollback()
                form.code.errors.append(
                    _("This code is too long for the links of the campaign's channels.")
                )
            else:
                flash(
                    _("Campaign {code} created for wave {wave}, with the settings and channels of {old}.").format(
                        code=created.code, wave=created.wave, old=code
                    ),
                    "success",
                )  # fmt: skip
                return redirect(url_for("campaigns.show", code=created.code))
    status = 400 if form.is_submitted() else 200
    return render_template("campaigns/next_wave.html", campaign=campaign, form=form), status
