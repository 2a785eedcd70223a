"""Administrations: listed for everyone signed in (their own only, unless admin); created and
edited by admins."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from survey.campaigns import CampaignError, create_administration
from survey.i18n import available_languages, language_name
from survey.storage.models import Administration, Role
from web.audit import note
from web.auth import login_required, roles_required, scoped_administrations
from web.forms import AdministrationForm
from web.state import db_session

bp = Blueprint("administrations", __name__, url_prefix="/administrations")


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in available_languages()]


@bp.get("")
@login_required
def index():
    administrations = db_session().scalars(scoped_administrations(g.user)).all()
    return render_template("administrations/list.html", administrations=administrations)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new():
    form = AdministrationForm()
    form.languages.choices = _language_choices()
    if request.method == "GET":
        form.timezone.data = "UTC"
        form.languages.data = available_languages()
    if form.validate_on_submit():
        data = db_session()
        try:
            create_administration(
                data, form.code.data.strip(), form.name.data.strip(), form.timezone.data.strip(),
                form.languages.data,
            )  # fmt: skip
            note("administration.create", administration=form.code.data.strip())
            data.commit()
        except CampaignError:
            data.rollback()
            form.code.errors.append(_("An administration with this code already exists."))
            return render_template("administrations/form.html", form=form, item=None), 400
        flash(_("Administration {code} created.").format(code=form.code.data.strip()), "success")
        return redirect(url_for("administrations.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("administrations/form.html", form=form, item=None), status


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(code: str):
    data = db_session()
    item = data.scalar(select(Administration).where(Administration.code == code))
    if item is None:
        abort(404)
    form = AdministrationForm(obj=item if request.method == "GET" else None)
    form.languages.choices = _language_choices()
    if request.method == "GET":
        form.languages.data = item.language_list
    form.code.data = item.code  # the code never changes
    if form.validate_on_submit():
        item.name = form.name.data.strip()
        item.timezone = form.timezone.data.strip()
        item.languages = ",".join(form.languages.data)
        note("administration.edit", administration=item.code)
        data.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("administrations.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("administrations/form.html", form=form, item=item), status
