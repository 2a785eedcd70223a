"""API tokens, played as a script and as someone holding a token they should no longer have:
expired, revoked, another administration's campaign, a read-only token on a write."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask import jsonify
from sqlalchemy import select

from survey.storage.models import Administration, ApiToken, AuditEntry, User
from tests.web_support import post_form
from web.api import token_required
from web.users import AccountError, create_token

pytest_plugins = ["tests.web_fixtures"]


def new_token(world, username: str, **kwargs) -> str:
    with world.db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if "administration" in kwargs:
            code = kwargs.pop("administration")
            kwargs["administration"] = session.scalar(
                select(Administration).where(Administration.code == code)
            )
        return create_token(session, user, "script", **kwargs)


def get(world, path: str, token: str):
    return world.app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_an_expired_token_is_refused(world):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        token = new_token(world, "ci-analyst", days=30)
        clock.shift(dt.timedelta(days=30) - dt.timedelta(seconds=1))
        assert get(world, "/api/v1/campaigns", token).status_code == 200
        clock.shift(dt.timedelta(seconds=1))
        response = get(world, "/api/v1/campaigns", token)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"]
    # The default is 90 days, and no token lives more than a year.
    new_token(world, "bf-analyst")
    with world.db.transaction() as session:
        row = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()).limit(1))
        assert row.user.username == "bf-analyst"
        life = row.expires_at - row.created_at
        assert abs(life - dt.timedelta(days=90)) < dt.timedelta(seconds=5)
    with pytest.raises(AccountError, match="1 to 365 days"):
        new_token(world, "ci-analyst", days=366)


def test_a_revoked_token_is_refused(world, database_url, monkeypatch):
    from tests.cli_support import run_cips

    monkeypatch.setenv("DATABASE_URL", database_url)
    token = run_cips("user", "token", "ci-coordinator", "--label", "weekly").output.strip()
    assert get(world, "/api/v1/campaigns", token).status_code == 200
    listing = run_cips("user", "tokens", "ci-coordinator").output
    line = next(line for line in listing.splitlines() if "weekly" in line)
    assert " CI " in line and " read " in line and "last used" in line
    token_id = line.split()[0]
    assert "revoked" in run_cips("user", "revoke-token", "ci-coordinator", token_id).output
    assert get(world, "/api/v1/campaigns", token).status_code == 401
    with world.db.transaction() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.startswith("token."))
        ).all()
    assert actions == ["token.create", "token.revoke"]
    # Another user's token id cannot be revoked by naming oneself.
    other = run_cips("user", "tokens", "bf-analyst").output.split()[0]
    assert "has no token" in run_cips("user", "revoke-token", "ci-coordinator", other,
                                      ok=False).output  # fmt: skip
    assert get(world, "/api/v1/campaigns", world.tokens["bf-analyst"]).status_code == 200


def test_an_admins_token_scoped_to_one_administration_reads_only_that_one(world):
    token = new_token(world, "admin", administration="CI")
    ours, theirs = world.campaigns["CI"], world.campaigns["BF"]
    listed = get(world, "/api/v1/campaigns", token).get_json()["campaigns"]
    assert [c["code"] for c in listed] == [ours]
    for path in ("/api/v1/campaigns/{}", "/api/v1/campaigns/{}/dashboard"):
        assert get(world, path.format(ours), token).status_code == 200
        assert get(world, path.format(theirs), token).status_code == 404, "as if it did not exist"
    # The admin's unscoped token still reads both.
    listed = get(world, "/api/v1/campaigns", world.tokens["admin"]).get_json()["campaigns"]
    assert sorted(c["code"] for c in listed) == sorted([ours, theirs])


def test_a_coordinator_cannot_make_a_token_for_another_administration(world, signed_in):
    with pytest.raises(AccountError, match="cannot read that administration"):
        new_token(world, "ci-coordinator", administration="BF")
    client = signed_in("ci-coordinator")
    form = {"label": "theirs", "scope": "BF", "access": "read", "days": "90"}
    assert post_form(client, "/account/tokens", "/account/tokens", form).status_code == 400
    page = post_form(client, "/account/tokens", "/account/tokens", form | {"scope": "CI"})
    assert page.status_code == 200 and 'id="new-token"' in page.text
    with world.db.transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.label == "theirs"))
        assert (row.administration.code, row.read_only) == ("CI", True)


def test_a_read_only_token_is_refused_on_a_write(world):
    """The API has no route that writes yet: a probe route shows what `token_required` does
    with a method that writes."""
    from web import csrf

    @token_required
    def probe():
        return jsonify({"written": True})

    world.app.add_url_rule("/api/v1/probe", "probe", csrf.exempt(probe), methods=["POST", "GET"])
    read_only = new_token(world, "ci-coordinator")
    read_write = new_token(world, "ci-coordinator", read_only=False)
    client = world.app.test_client()
    for token, status in ((read_only, 403), (read_write, 200)):
        response = client.post("/api/v1/probe", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status
    assert get(world, "/api/v1/probe", read_only).status_code == 200, "reading is allowed"
