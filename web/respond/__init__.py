"""The respondents' web channel: the survey at `/s/<campaign code>`, one question per page,
driven by the same conversation engine as the bot (`views`), anonymous like the bot
(`identity`: a random token in a cookie, only its keyed hash stored; `privacy`: no address,
user agent or Referer kept, no page cached), open to anyone with the link or to holders of
one-time access codes (`survey.access_codes`), or inside Telegram as a Mini App (`miniapp`: the
bot's respondent, identified by Telegram's signed `initData`).

Pages are plain HTML forms (no script, no style attribute, nothing from another host), so they
work with JavaScript off, on a 360-px-wide phone, with a keyboard and a screen reader. The one
script is the Mini App's entry (`static/miniapp.js`): Telegram hands initData to a script only.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from web import access_codes, csrf
    from web.respond import miniapp, privacy, views

    app.register_blueprint(views.bp)
    app.register_blueprint(miniapp.bp)  # the same pages as a Telegram Mini App
    access_codes.init_app(app)  # the coordinators' side: web links, QR codes, access codes
    csrf.exempt(views.bp)  # checked in the views, so that an expired form gets a clear page
    csrf.exempt(miniapp.bp)  # no cookie reaches a frame: the signed token in the form instead
    privacy.install_log_filter()
    # Last of the app's after-request functions (Flask runs them in reverse order), so that the
    # respondent routes' no-store and no-referrer win over the app-wide security headers.
    app.after_request_funcs.setdefault(None, []).insert(0, privacy.respondent_headers)
