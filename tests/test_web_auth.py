"""Signing in and out, throttling, sessions and cookies, API tokens, and `cips user`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from survey.storage.models import ApiToken, User
from tests.web_support import PASSWORD, csrf_token, post_form, sign_in
from web.users import token_hash

pytest_plugins = ["tests.web_fixtures"]


def test_sign_in_goes_where_one_was_going_and_sign_out_ends_it(world):
    client = world.app.test_client()
    code = world.campaigns["CI"]
    response = client.get(f"/campaigns/{code}/dashboard")
    assert response.status_code == 302
    page = client.get(response.location)
    response = client.post(response.location, data={
        "username": "ci-analyst", "password": PASSWORD, "csrf_token": csrf_token(page.text)})  # fmt: skip
    assert response.status_code == 302 and response.location.endswith(
        f"/campaigns/{code}/dashboard"
    )
    assert client.get(f"/campaigns/{code}/dashboard").status_code == 200
    post_form(client, "/campaigns", "/logout", {})
    assert client.get(f"/campaigns/{code}/dashboard").status_code == 302


def test_no_redirect_to_another_site(world):
    client = world.app.test_client()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        page = client.get("/login", query_string={"next": target})
        response = client.post(
            "/login", query_string={"next": target},
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        )  # fmt: skip
        assert response.status_code == 302 and response.location == "/campaigns", target


def test_session_cookie_is_secure_httponly_and_samesite(database_url, monkeypatch):
    from web import create_app

    monkeypatch.delenv("CIPS_WEB_INSECURE_COOKIES", raising=False)
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/language/fr", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["cips"].db.dispose()


def test_deactivating_refuses_the_api_tokens_too(world, signed_in):
    from web.users import deactivate

    other = signed_in("ci-coordinator")
    headers = {"Authorization": f"Bearer {world.tokens['ci-coordinator']}"}
    assert other.get("/api/v1/campaigns", headers=headers).status_code == 200
    with world.db.transaction() as session:
        deactivate(session, session.scalar(select(User).where(User.username == "ci-coordinator")))
    assert other.get("/campaigns").status_code == 302
    assert other.get("/api/v1/campaigns", headers=headers).status_code == 401


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(world, signed_in):
    client = signed_in("ci-analyst")
    form = {"label": "weekly figures", "scope": "CI", "access": "read", "days": "90"}
    page = post_form(client, "/account/tokens", "/account/tokens", form)
    assert page.status_code == 200
    token = page.text.split('id="new-token" dir="ltr">')[1].split("<")[0]
    assert token.startswith("cips_") and len(token) > 40
    assert token not in client.get("/account/tokens").text, "shown once only"
    with world.db.transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.label == "weekly figures"))
        assert row.token_hash == token_hash(token) and token not in row.token_hash
    api = world.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/campaigns", headers=headers).status_code == 200
    with world.db.transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.label == "weekly figures"))
        assert row.last_used_on == dt.datetime.now(dt.UTC).date()
    response = post_form(client, "/account/tokens", f"/account/tokens/{row.id}/revoke", {})
    assert response.status_code == 302
    assert api.get("/api/v1/campaigns", headers=headers).status_code == 401
    assert post_form(client, "/account/tokens", "/account/tokens", {"label": ""}).status_code == 400


@pytest.fixture
def cips(database_url, monkeypatch):
    from tests.test_cli import run_cips

    monkeypatch.setenv("DATABASE_URL", database_url)
    return run_cips


def test_cips_user_commands(cips, tmp_path, database_url):
    from web import create_app

    password_file = tmp_path / "password"
    password_file.write_text("a long enough password\n")
    cips("administration", "create", "CI", "--name", "Douanes", "--timezone", "Africa/Abidjan")
    out = cips("user", "create", "awa", "--role", "coordinator", "--administration", "CI",
               "--password-file", str(password_file)).output  # fmt: skip
    assert "user awa created (coordinator of CI)" in out
    missing = cips("user", "create", "bob", "--role", "analyst",
                   "--password-file", str(password_file), ok=False).output  # fmt: skip
    assert "belongs to an administration" in missing
    short = tmp_path / "short"
    short.write_text("short")
    assert (
        "at least 12 characters"
        in cips(
            "user", "create", "bob", "--role", "admin", "--password-file", str(short), ok=False
        ).output
    )
    common = tmp_path / "common"
    common.write_text("Password1234!\n")
    assert (
        "among the most common"
        in cips(
            "user", "create", "bob", "--role", "admin", "--password-file", str(common), ok=False
        ).output
    )
    assert "already exists" in cips("user", "create", "awa", "--role", "coordinator",
        "--administration", "CI", "--password-file", str(password_file), ok=False).output  # fmt: skip
    token = cips("user", "token", "awa", "--label", "script").output.strip()
    assert "awa" in cips("user", "list").output
    app = create_app({"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    assert sign_in(client, "awa", "a long enough password").status_code == 302
    assert (
        client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    # A new role signs out; a role that needs an administration is refused without one.
    assert (
        "belongs to an administration"
        in cips("user", "role", "awa", "--role", "analyst", ok=False).output
    )
    assert client.get("/campaigns").status_code == 200
    assert (
        "awa is now analyst of CI"
        in cips("user", "role", "awa", "--role", "analyst", "--administration", "CI").output
    )
    assert client.get("/campaigns").status_code == 302
    assert "analyst" in cips("user", "list").output
    # A new password (the rules apply) signs out; the new one works, the old one no longer.
    assert sign_in(client, "awa", "a long enough password").status_code == 302
    assert "at least 12" in cips("user", "password", "awa", "--password-file", str(short),
                                 ok=False).output  # fmt: skip
    assert client.get("/campaigns").status_code == 200
    new_password = tmp_path / "new"
    new_password.write_text("another long passphrase\n")
    assert (
        "password of awa changed"
        in cips("user", "password", "awa", "--password-file", str(new_password)).output
    )
    assert client.get("/campaigns").status_code == 302
    assert sign_in(client, "awa", "a long enough password").status_code == 401
    assert sign_in(client, "awa", "another long passphrase").status_code == 302
    cips("user", "deactivate", "awa")
    assert client.get("/campaigns").status_code == 302
    app.extensions["cips"].db.dispose()
