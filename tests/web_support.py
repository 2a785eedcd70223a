"""Helpers of the web tests: test users, signing in, posting forms with their CSRF token.
The fixtures that use them live in `tests/web_fixtures.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from survey.storage.models import Administration, Role, User

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


BOT = "cips_test_bot"


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


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
