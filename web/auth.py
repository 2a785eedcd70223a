"""Signing in and out, the current user, and the access rules every view goes through.

Roles (DESIGN.md): an admin sees and manages everything; a coordinator manages the campaigns of
their administration; an analyst reads the figures of their administration. Anything of another
administration answers 404, as if it did not exist; an action the role does not allow, 403.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select

from survey.anonymity import keyed_hash
from survey.storage.models import Administration, Campaign, Role, User
from web.forms import LoginForm
from web.i18n import safe_next
from web.state import app_state, db_session
from web.users import authenticate

bp = Blueprint("auth", __name__)


def _fingerprint(user: User) -> str:
    """Ties a session to the password: changing it signs every other session out."""
    return keyed_hash(app_state().settings.secret_key, "web-login", user.id, user.password_hash)


def init_app(app) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = None
        user_id = session.get("user_id")
        if user_id is None or request.path.startswith(("/static/", "/api/")):
            return
        user = db_session().get(User, user_id)
        if user is not None and user.active and session.get("auth") == _fingerprint(user):
            g.user = user
        else:
            session.pop("user_id", None)

    @app.context_processor
    def user_globals():
        return {"current_user": g.get("user"), "Role": Role}


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: Role) -> Callable:
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def may_manage() -> bool:
    return g.user is not None and g.user.role in (Role.ADMIN, Role.COORDINATOR)


def scoped(statement: Select, user: User) -> Select:
    """Campaigns `user` may see: every one for an admin, else their administration's."""
    if user.role == Role.ADMIN:
        return statement
    return statement.where(Campaign.administration_id == user.administration_id)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next"), url_for("campaigns.index"))
    if form.validate_on_submit():
        data = db_session()
        user, reason = authenticate(
            data, form.username.data.strip(), form.password.data, dt.datetime.now(dt.UTC)
        )
        data.commit()
        if user is not None:
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            session.permanent = True
            session["user_id"] = user.id
            session["auth"] = _fingerprint(user)
            return redirect(target)
        if reason == "locked":
            flash(_("Too many failed attempts: this account is locked for a while. "
                    "Try again later."), "error")  # fmt: skip
            return render_template("login.html", form=form), 429
        flash(_("Wrong user name or password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    return redirect(url_for("auth.login"))


def campaign_or_404(code: str) -> Campaign:
    """The campaign `code` if the current user may see it; 404 otherwise, even if it exists."""
    campaign = db_session().scalar(scoped(select(Campaign), g.user).where(Campaign.code == code))
    if campaign is None:
        abort(404)
    return campaign


def scoped_administrations(user: User) -> Select:
    """Administrations `user` may see: every one for an admin, else their own."""
    statement = select(Administration).order_by(Administration.code)
    if user.role == Role.ADMIN:
        return statement
    return statement.where(Administration.id == user.administration_id)


def administration_or_404(code: str) -> Administration:
    """The administration `code` if the current user may see it; 404 otherwise."""
    found = db_session().scalar(scoped_administrations(g.user).where(Administration.code == code))
    if found is None:
        abort(404)
    return found
