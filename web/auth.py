"""Signing in and out, the current user, and the access rules every view goes through.

Roles (DESIGN.md): an admin sees and manages everything; a coordinator manages the campaigns of
their administration; an analyst reads the figures of their administration. Anything of another
administration answers 404, as if it did not exist; an action the role does not allow, 403.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import Select, select

from survey import audit
from survey.storage.models import Administration, Campaign, Role, User
from web import sessions, signin, signin_limits, two_factor
from web.forms import CodeForm, LoginForm
from web.i18n import safe_next
from web.state import app_state, db_session

bp = Blueprint("auth", __name__)
SESSION_KEY = "sid"  # the server-side session's id, in Flask's signed cookie
PENDING_KEY = "pending_2fa"  # [user id, when the password was right, where to go next]
PENDING_FOR = dt.timedelta(minutes=5)  # to type the code after the password


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def init_app(app) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = None
        session_id = session.get(SESSION_KEY)
        if session_id is None or request.path.startswith(("/static/", "/api/")):
            return
        data, now = db_session(), _now()
        limits = {"idle": app.config["CIPS_SESSION_IDLE"],
                  "lifetime": app.config["CIPS_SESSION_LIFETIME"]}  # fmt: skip
        g.user = sessions.resolve(data, session_id, now, **limits)
        if data.dirty or data.deleted:
            # Touched or expired: written in a transaction of its own (the request's session
            # may be one that only reads), then the user read again in the request's.
            data.rollback()
            with app_state().db.transaction() as writing:
                user = sessions.resolve(writing, session_id, now, **limits)
                user_id = user.id if user is not None else None
            g.user = data.get(User, user_id) if user_id is not None else None
        if g.user is None:
            session.pop(SESSION_KEY, None)

    @app.context_processor
    def user_globals():
        return {"current_user": g.get("user"), "Role": Role}


def signed_in_only(view: Callable) -> Callable:
    """Signed in, with or without the second factor it must enrol (the enrolment pages)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def login_required(view: Callable) -> Callable:
    """Signed in; someone who must have two-factor sign-in and has not is sent to enrol first."""

    @functools.wraps(view)
    @signed_in_only
    def wrapped(*args, **kwargs):
        requirement = current_app.config["CIPS_REQUIRE_2FA"]
        if two_factor.required(g.user, requirement) and not two_factor.enrolled(g.user):
            flash(_("Set up two-factor sign-in before anything else."), "error")
            return redirect(url_for("two_factor.show"))
        return view(*args, **kwargs)

    return wrapped


def cipher() -> two_factor.Cipher:
    settings = current_app.config["CIPS_SETTINGS"]
    return two_factor.Cipher(settings.secret_key, settings.old_secret_keys)


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


def _fresh_flask_session() -> None:
    """Empty the Flask session (keeping the language chosen), so nothing carries over."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next"), url_for("campaigns.index"))
    if form.validate_on_submit():
        data = db_session()
        config = current_app.config
        limits = signin_limits.Limits.from_config(config)
        secrets = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
        now = _now()
        user = signin.attempt(
            data, form.username.data.strip(), form.password.data,
            address=signin_limits.client_address(request, limits),
            device_of=lambda u: signin_limits.trusted_device(request, u, secrets, limits),
            now=now, limits=limits,
        )  # fmt: skip
        if user is not None and two_factor.enrolled(user):
            if old := session.get(SESSION_KEY):
                sessions.end(data, old)
            data.commit()  # the password's counters, a rehash
            _fresh_flask_session()
            session[PENDING_KEY] = [user.id, now.timestamp(), target]
            return redirect(url_for("auth.login_code"))
        if user is not None:
            return _complete(data, user, target, secrets, limits, now)
        data.commit()
        # One answer for an unknown name, a wrong password and a refused attempt.
        flash(_("Wrong user name or password, or too many attempts: "
                "wait a few minutes before trying again."), "error")  # fmt: skip
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


def _complete(data, user: User, target: str, secrets: list[str], limits, now: dt.datetime):
    """Sign `user` in: a new server-side session, and this browser trusted for the account."""
    config = current_app.config
    if old := session.get(SESSION_KEY):
        sessions.end(data, old)
    sessions.purge_expired(data, now, config["CIPS_SESSION_IDLE"])
    session_id = sessions.start(data, user, now)
    data.commit()
    _fresh_flask_session()
    session.permanent = True
    session[SESSION_KEY] = session_id
    response = redirect(target)
    signin_limits.trust_device(
        response, user, secrets, limits, secure=config["SESSION_COOKIE_SECURE"]
    )
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step: a code of the authenticator app, or a recovery code.

    Wrong codes are throttled like wrong passwords (web.signin_limits): a trusted browser on its
    own counter, untrusted ones on the account's code counter and their address's.
    """
    pending = session.get(PENDING_KEY)
    now = _now()
    data = db_session()
    user = data.get(User, pending[0]) if pending else None
    if (
        user is None
        or not user.active
        or not two_factor.enrolled(user)
        or now - dt.datetime.fromtimestamp(pending[1], dt.UTC) > PENDING_FOR
    ):
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("login_code.html", form=form), 400 if form.is_submitted() else 200
    config = current_app.config
    limits = signin_limits.Limits.from_config(config)
    secrets = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    device = signin_limits.trusted_device(request, user, secrets, limits)
    key = f"code-{device}" if device else f"code:{user.id}"
    address = signin_limits.address_key(signin_limits.client_address(request, limits))
    refused = signin_limits.blocked(data, key, now) or (
        device is None and signin_limits.blocked(data, address, now)
    )
    code = form.code.data.strip()
    recovery = not code.isdigit()
    right = not refused and (
        two_factor.use_recovery_code(data, user, code, now)
        if recovery
        else two_factor.check_code(data, user, cipher(), code, now)
    )
    from web.audit import note  # web.audit imports this module

    where = signin_limits.client_address(request, limits)
    if right:
        signin_limits.clear(data, key)
        note("2fa.recovery-code" if recovery else "2fa.code", actor=user.username, address=where)
        return _complete(data, user, pending[2], secrets, limits, now)
    note("2fa.failed", actor=user.username, address=where)
    if not refused:
        signin_limits.fail_growing(data, key, now, limits)
        if device is None:
            signin_limits.fail_address(data, address, now, limits)
    data.commit()
    flash(_("Wrong or already used code, or too many attempts: "
            "wait a few minutes before trying again."), "error")  # fmt: skip
    return render_template("login_code.html", form=form), 401


@bp.post("/logout")
def logout():
    if session_id := session.get(SESSION_KEY):
        data = db_session()
        if g.get("user") is not None:
            from web.audit import note

            note(audit.SIGNOUT, address=signin_limits.client_address(
                request, signin_limits.Limits.from_config(current_app.config)))  # fmt: skip
        sessions.end(data, session_id)
        data.commit()
    _fresh_flask_session()
    return redirect(url_for("auth.login"))


def campaign_or_404(code: str) -> Campaign:
    """The campaign `code` if the current user may see it; 404 otherwise, even if it exists."""
    campaign = db_session().scalar(scoped(select(Campaign), g.user).where(Campaign.code == code))
    if campaign is None:
        abort(404)
    return campaign


def managed_campaign(code: str) -> Campaign:
    """The campaign `code`, if the current user may manage it (404 if they may not see it, 403 if
    they may only see it); a state-changing button reaches it once its CSRF token has been
    checked."""
    campaign = campaign_or_404(code)
    if not may_manage():
        abort(403)
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
