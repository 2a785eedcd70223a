"""Every response of the web app carries its security headers, and request bodies are bounded
(issue 21, items 5 and 6).

Every rule of the URL map is requested with each of its methods, signed out and signed in as an
admin, over HTTP and over HTTPS: pages, downloads, redirects and error pages alike must carry the
content security policy, nosniff, the referrer policy and no framing; HSTS only over HTTPS. The
pages served are read for what the policy would block (inline script, style or handlers), so
that a template that needs them fails here rather than in a browser.
"""

from __future__ import annotations

import io
import re

import pytest
from werkzeug.routing import AnyConverter, Rule

from web.security import TELEGRAM_WEB_ORIGINS, framed_by_telegram

pytest_plugins = ["tests.web_fixtures"]

HTTP, HTTPS = "http://localhost", "https://localhost"
# Headers do not depend on the database: one backend is enough (the pages take a while).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def _values(rule: Rule, world) -> dict[str, str]:
    """A value for each of the rule's arguments, real where the world has one."""
    campaign = world.campaigns["CI"]
    by_name = {"administration": "CI", "wave": "2026", "questionnaire": "cips-officials",
               "name": "factors", "fmt": "png", "tag": "port", "token_id": 1,
               "filename": "style.css"}  # fmt: skip
    values = {}
    for argument in rule.arguments - set(rule.defaults or {}):
        if argument == "code":
            if rule.rule.startswith("/language/"):
                values[argument] = "fr"
            elif rule.rule.startswith("/administrations/"):
                values[argument] = "CI"
            else:
                values[argument] = campaign
        elif isinstance(rule._converters.get(argument), AnyConverter):
            values[argument] = sorted(rule._converters[argument].items)[0]
        else:
            values[argument] = by_name.get(argument, "x")
    return values


def _requests(world):
    adapter = world.app.url_map.bind("localhost")
    for rule in world.app.url_map.iter_rules():
        path = adapter.build(rule.endpoint, _values(rule, world), append_unknown=False)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method, path


def _check(response, base_url: str, where, *, framed: bool = False) -> None:
    """`framed`: a Mini App route (web.respond.miniapp), which Telegram's web clients, and only
    they, may show in a frame."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    ancestors = " ".join(TELEGRAM_WEB_ORIGINS) if framed else "'none'"
    assert directives.get("frame-ancestors") == ancestors, where
    assert directives.get("default-src") == "'self'", where
    assert directives.get("script-src") == "'self'", where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'"
    assert headers.get("X-Frame-Options") == (None if framed else "DENY"), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    # same-origin everywhere; the respondents' pages (web.respond) choose the stricter no-referrer
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), where
    if base_url == HTTPS:
        assert headers.get("Strict-Transport-Security") == "max-age=31536000", where
    else:
        assert "Strict-Transport-Security" not in headers, where
    if response.mimetype == "text/html":
        found = INLINE.search(response.get_data(as_text=True))
        assert found is None, (where, found and found.group(0))


@SQLITE_ONLY
@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_every_route_carries_the_security_headers(world, signed_in, base_url):
    clients = {"signed out": world.app.test_client(), "admin": signed_in("admin")}
    statuses = set()
    for who, client in clients.items():
        for rule, method, path in _requests(world):
            response = client.open(path, method=method, base_url=base_url)
            _check(response, base_url, (who, method, rule, response.status_code),
                   framed=rule.startswith("/tg/"))  # fmt: skip
            statuses.add(response.status_code)
    assert {200, 302, 400, 404} <= statuses  # pages, redirects and error pages were all checked
    for path in ("/no/such/page", "/login"):  # a 404 outside every rule, a 405
        _check(world.app.test_client().put(path, base_url=base_url), base_url, path)


@SQLITE_ONLY
def test_a_view_telegram_may_frame_allows_its_web_clients_only(world):
    app = world.app

    @app.get("/mini-app-example")
    @framed_by_telegram
    def mini_app():
        return "framed"

    framed = app.test_client().get("/mini-app-example", base_url=HTTPS)
    policy = framed.headers["Content-Security-Policy"]
    assert f"frame-ancestors {' '.join(TELEGRAM_WEB_ORIGINS)}" in policy
    assert TELEGRAM_WEB_ORIGINS == ("https://web.telegram.org", "https://*.web.telegram.org")
    assert "X-Frame-Options" not in framed.headers
    assert "script-src 'self'" in policy and "Strict-Transport-Security" in framed.headers
    other = app.test_client().get("/login", base_url=HTTPS)
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts what the server reads of it."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking to its end
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.size + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b"x" * n
        self.position += n
        self.read_bytes += n
        return n


@SQLITE_ONLY
def test_an_oversized_body_is_refused_unread_with_a_translated_page(world):
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    body = CountingStream(90_000_000)
    client = world.app.test_client()
    client.get("/language/fr")
    response = client.post(
        "/login",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert "Ce que vous avez envoyé est trop volumineux\u202f: ce site accepte au plus 1 Mo" in (
        response.text
    )
    _check(response, HTTP, "413")
    api = world.app.test_client().post("/api/v1/campaigns", data=b"x" * (limit + 1),
                                       content_type="application/json")  # fmt: skip
    assert api.status_code in (405, 413)


@SQLITE_ONLY
def test_the_body_limit_is_a_setting(world, database_url, monkeypatch):
    from web import create_app

    monkeypatch.setenv("CIPS_MAX_REQUEST_BYTES", "2KB")
    app = create_app({"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_SSL_STRICT": False})  # fmt: skip
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 2000
        client = app.test_client()
        big = client.post("/login", data={"username": "u" * 2000, "password": "p"})
        assert big.status_code == 413
        assert "at most 0.002 MB" in big.text
        small = client.post("/login", data={"username": "u", "password": "p"})
        assert small.status_code != 413
    finally:
        app.extensions["cips"].db.dispose()
