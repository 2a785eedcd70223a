"""Shared pieces of the web tests: an app on the test database, users of two administrations,
a signed-in client per role, and campaigns to look at."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.models import Administration, Role, User
from web import create_app
from web.users import create_token

PASSWORD = "correct horse battery"
# Cheap hashes for the test users (scrypt takes ~0.1 s each); sign-in checks them all the same.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@dataclass
class World:
    """Two administrations, each with a campaign; one user of each role per administration."""

    app: object
    db: object
    campaigns: dict[str, str]  # administration code -> campaign code
    tokens: dict[str, str]  # username -> API token


def add_user(session, username: str, role: Role, administration: Administration | None) -> User:
    user = User(
        username=username, password_hash=FAST_HASH, role=role, administration=administration
    )
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def world(db, database_url) -> World:
    questionnaires = load_questionnaires()
    tokens = {}
    with db.transaction() as session:
        campaigns = {}
        for code, name in (("CI", "Douanes ivoiriennes"), ("BF", "Douanes du Burkina")):
            admin = create_administration(
                session, code, name, "Africa/Abidjan", ["en", "fr", "es", "ar", "pt"]
            )
            campaign = create_campaign(
                session, admin, questionnaires["cips-officials"], "2026", target=200
            )
            campaign.target_margin = 5.0
            campaigns[code] = campaign.code
            for role in (Role.COORDINATOR, Role.ANALYST):
                user = add_user(session, f"{code.lower()}-{role}", role, admin)
                tokens[user.username] = create_token(session, user, "script")
        admin_user = add_user(session, "admin", Role.ADMIN, None)
        tokens["admin"] = create_token(session, admin_user, "script")
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    yield World(app=app, db=db, campaigns=campaigns, tokens=tokens)
    app.extensions["cips"].db.dispose()


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )


def post_form(client, page_url: str, action: str, data: dict, **kwargs):
    """Post `data` to `action` with the CSRF token of the page at `page_url`, like a browser."""
    token = csrf_token(client.get(page_url).text)
    return client.post(action, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def signed_in(world):
    """signed_in(username) -> a test client with that user signed in."""

    def make(username: str):
        client = world.app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.text
        return client

    return make
