"""Fixtures of the web tests (a pytest plugin: `pytest_plugins = ["tests.web_fixtures"]`): an
app on the test database with two administrations, their campaigns, a user of each role, and a
signed-in client per user."""

from __future__ import annotations

import pytest

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.models import Role
from tests.web_support import BOT, World, add_user, sign_in
from web import create_app
from web.users import create_token


@pytest.fixture
def world(db, database_url, monkeypatch) -> World:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
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


@pytest.fixture
def signed_in(world):
    """signed_in(username) -> a test client with that user signed in."""

    def make(username: str):
        client = world.app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.text
        return client

    return make
