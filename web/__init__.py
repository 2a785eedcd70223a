"""The coordinators' back end: a Flask app (factory `create_app`) with one blueprint per job.

- `auth`: sign in and out, sessions, throttling, the current user;
- `campaigns`: campaigns, their links, QR codes, posters, sources and dashboard (its views in
  `campaign_forms`, `campaign_page`, `campaign_printables` and `campaign_dashboard`);
- `campaign_life`: archiving, deleting and the next wave of a campaign;
- `administrations`: administrations (admins only);
- `account`: the user's API tokens; `account_two_factor`: their two-factor sign-in;
- `results`: a wave's scored results, charts and downloads;
- `api`: the JSON API (token authenticated);
- `audit`: the audit log's page and download (admins only), and how views record in it;
- `benchmark`: the benchmark across administrations (its own role sees nothing else);
- `health`: `/healthz` for probes and load balancers.

Run `cips web` in development and `gunicorn "web:create_app()"` in production.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask import Flask, redirect, url_for
from flask_wtf.csrf import CSRFProtect
from jinja2 import FileSystemBytecodeCache

from survey.i18n import available_languages
from web import errors, i18n, security, state
from web.config import flask_config

csrf = CSRFProtect()


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """A configured app: settings from the environment, then `overrides` (tests, `cips web`)."""
    app = Flask(__name__)
    # Templates compiled once per machine, not once per process (the results page's took 0.1 to
    # 0.2 s of a fresh worker's first view): Jinja keys each by its source's checksum, so an
    # upgrade recompiles, in a directory that must be this user's alone.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    # Each language's number and date data read at start (once per process), not by the first
    # page that shows a figure in it: 0.1 to 0.7 s of that page on a loaded machine.
    for language in available_languages():
        Locale.parse(language).number_symbols  # noqa: B018 (read for its side effect)
    app.config.from_mapping(flask_config())
    app.config.from_mapping(overrides or {})
    state.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    from web import (
        account,
        account_two_factor,
        administrations,
        api,
        audit,
        auth,
        campaign_life,
        campaigns,
        health,
        results,
        weights,
    )

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    campaigns.init_app(app)  # the blueprint and the modules holding its views
    app.register_blueprint(campaign_life.bp)
    app.register_blueprint(administrations.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(account_two_factor.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(weights.bp)
    app.register_blueprint(audit.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(health.bp)
    from web import benchmark

    benchmark.init_app(app)  # the benchmark page; its role sees nothing else
    from web import respond

    respond.init_app(app)  # the respondents' web survey, /s/<code>

    @app.get("/")
    def index():
        return redirect(url_for("campaigns.index"))

    return app
