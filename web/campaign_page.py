"""The campaign page (routes of the `campaigns` blueprint, `web.campaigns`): its figures, links
and planned reminders, and what its buttons do: open the campaign now, close it now (after a
confirmation page, since closing cannot be undone), add or remove a channel (source tag)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from survey import audit, sealing
from survey.campaign_editing import (
    CampaignAlreadyClosed,
    CampaignReleased,
    add_source,
    answering_now,
    close_now,
    open_now,
    remove_source,
)
from survey.campaigns import CampaignError, campaign_figures
from survey.reminders import reminder_figures, reminder_plan
from web.audit import note
from web.auth import campaign_or_404, login_required, managed_campaign, may_manage
from web.campaigns import bp, now
from web.forms import AccessCodeCountForm, ConfirmForm, SourceForm
from web.links import bot_username, campaign_link, link_unusable_text
from web.state import app_state, db_session


@bp.get("/<code>")
@login_required
def show(code: str):
    return render_page(campaign_or_404(code))


def render_page(
    campaign, *, source_form: SourceForm | None = None, code_form: AccessCodeCountForm | None = None
) -> tuple[str, int]:
    """The campaign page; with a form that was refused (a channel, a number of access codes),
    that form again as it was typed, its errors next to its fields (status 400)."""
    links = [(None, _("Direct link (no channel)"), campaign_link(campaign.code))] + [
        (s.tag, s.label, campaign_link(campaign.code, s.tag)) for s in campaign.sources
    ]
    body = render_template(
        "campaigns/show.html",
        campaign=campaign,
        status=campaign.status(now()),
        figures=campaign_figures(db_session(), campaign),
        links=links,
        link_unusable=None if bot_username() else link_unusable_text(),
        may_manage=may_manage(),
        source_form=SourceForm() if source_form is None else source_form,
        code_form=AccessCodeCountForm() if code_form is None else code_form,
        confirm=ConfirmForm(),
        planned_reminders=reminder_plan(db_session(), campaign, now()),
        reminders_sent=reminder_figures(db_session(), campaign.id),
    )
    return body, 200 if source_form is None and code_form is None else 400


@bp.post("/<code>/open")
@login_required
def open_campaign(code: str):
    campaign = managed_campaign(code)
    if campaign.archived_at is not None:
        flash(_("Unarchive the campaign before opening it."), "error")
        return redirect(url_for("campaigns.show", code=code))
    try:
        open_now(campaign, now())
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


@bp.route("/<code>/close", methods=["GET", "POST"])
@login_required
def close_campaign(code: str):
    """GET: what closing does and who it cuts off, to confirm or cancel; POST: close now."""
    campaign = managed_campaign(code)
    if request.method == "GET":
        if campaign.closed_at is not None:
            flash(_("This campaign is already closed."), "error")
            return redirect(url_for("campaigns.show", code=code))
        return render_template(
            "campaigns/close.html",
            campaign=campaign,
            answering=answering_now(db_session(), campaign),
            form=ConfirmForm(),
        )
    try:
        close_now(db_session(), campaign, now(), app_state().settings.min_cell)
    except CampaignAlreadyClosed:
        db_session().rollback()
        flash(_("This campaign is already closed."), "error")
        return redirect(url_for("campaigns.show", code=code))
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
    campaign = managed_campaign(code)
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
    return render_page(campaign, source_form=form)


@bp.post("/<code>/sources/<tag>/remove")
@login_required
def remove_source_view(code: str, tag: str):
    campaign = managed_campaign(code)
    remove_source(db_session(), campaign, tag)
    db_session().commit()
    flash(_("Channel removed; the responses it brought keep their tag."), "success")
    return redirect(url_for("campaigns.show", code=code))
