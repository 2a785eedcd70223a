"""The pages in the user's language, from the catalogs of `locales/` (Flask-Babel).

Translations come from `survey.i18n.translations`, which compiles the `.po` files in memory, so
the web never reads a `.mo` file that could be stale. The language is the one the user chose
(the switcher at the top of every page, kept in the session), else the best match of the
browser's Accept-Language, else English. Arabic (and any right-to-left language) sets
`dir="rtl"` on the page; the style sheet uses logical properties, so the layout mirrors.

Placeholders are `{name}` as everywhere in cips (checked by `cips translations check`):
`_("{n} responses").format(n=...)`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from flask import Flask, redirect, request, session, url_for
from flask_babel import Babel, Domain, get_locale
from werkzeug.utils import cached_property

from survey.campaign_input import duration_parts
from survey.i18n import (
    SOURCE_LANGUAGE,
    available_languages,
    is_right_to_left,
    language_name,
    translations,
)


class CatalogDomain(Domain):
    """A Flask-Babel domain whose catalogs are `survey.i18n`'s in-memory ones."""

    def get_translations(self):
        return translations(current_language())


class CipsBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogDomain()


def current_language() -> str:
    return str(get_locale() or SOURCE_LANGUAGE)


def select_language() -> str:
    offered = available_languages()
    chosen = session.get("language")
    if chosen in offered:
        return chosen
    return request.accept_languages.best_match(offered) or SOURCE_LANGUAGE


def safe_next(target: str | None, fallback: str) -> str:
    """A local path to go back to, never another site (open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def switch_language(code: str):
    if code in available_languages():
        session["language"] = code
    return redirect(safe_next(request.args.get("next"), url_for("campaigns.index")))


def local_time(value: dt.datetime | None, timezone: str) -> str:
    """A UTC time shown in the administration's time zone, in the user's language."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(timezone))
    return f"{format_datetime(local, 'medium', locale=current_language())} ({timezone})"


def number(value: float | int | None) -> str:
    """A count or a rate in the user's language (at most one decimal); a dash if none."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.#", locale=current_language())


def percent(value: float | None) -> str:
    """A rate given in percent (0-100), written the way the user's language writes percentages."""
    if value is None:
        return "—"
    share = Decimal(str(value)) / 100  # exact: 33.3 stays 33.3
    return format_percent(share, locale=current_language(), decimal_quantization=False)


# The CLDR names of the units of `survey.campaign_input`'s durations.
DURATION_UNIT_NAMES = {"s": "duration-second", "m": "duration-minute", "h": "duration-hour",
                       "d": "duration-day"}  # fmt: skip


def duration(seconds: int) -> str:
    """A duration in words in the user's language ('2 jours', '36 horas'), in the same unit as
    the compact form typed in the forms and the CLI ('2d', '36h'): exact, never rounded."""
    count, unit = duration_parts(seconds)
    return format_unit(count, DURATION_UNIT_NAMES[unit], length="long", locale=current_language())


def init_app(app: Flask) -> None:
    CipsBabel(app, locale_selector=select_language)
    app.add_url_rule("/language/<code>", "language", switch_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["duration"] = duration

    @app.context_processor
    def language_globals():
        language = current_language()
        return {
            "language": language,
            "text_direction": "rtl" if is_right_to_left(language) else "ltr",
            "languages": [(code, language_name(code)) for code in available_languages()],
            "language_name": language_name,
        }
