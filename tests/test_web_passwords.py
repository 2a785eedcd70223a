"""Passwords: the rules, the common-passwords list, Argon2id with strong production defaults,
older hashes that keep working and are upgraded at the next sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from survey.storage.models import User
from tests.web_support import sign_in
from web import passwords
from web.passwords import common_passwords, hash_password, needs_rehash, verify_password, weakness
from web.users import AccountError, create_user, set_password

pytest_plugins = ["tests.web_fixtures"]

GOOD = "plum orchard tuesday"


@pytest.mark.parametrize(
    "password",
    [
        "short pass1",
        "123qweasdzxc",
        "QWERTY123456",
        "Password2024!",
        "  iloveyou!!!!!!",
        "qwerty" * 2,
    ],
)
def test_short_and_common_passwords_are_refused(password):
    assert weakness(password) is not None


def test_a_good_password_is_accepted_and_the_list_is_shipped():
    assert weakness(GOOD) is None
    assert weakness("x" * 11) == "the password must have at least 12 characters"
    listed = common_passwords()
    assert len(listed) == 10_000 and {"123456", "password", "1qaz2wsx3edc"} <= listed


def test_the_rules_hold_for_accounts(db):
    with db.transaction() as session:
        with pytest.raises(AccountError, match="most common"):
            create_user(session, "awa", "qwerty123456", "admin", None)
        user = create_user(session, "awa", GOOD, "admin", None)
        with pytest.raises(AccountError, match="12 characters"):
            set_password(session, user, "too short")
        assert user.password_hash.startswith("$argon2id$")
        assert GOOD not in user.password_hash


def test_production_defaults_are_strong(monkeypatch):
    for name in ("TIME_COST", "MEMORY_KIB", "PARALLELISM"):
        monkeypatch.delenv(f"CIPS_PASSWORD_{name}")
    parameters = passwords.hasher()
    # OWASP's minimum for Argon2id: 19 MiB of memory and 2 passes (1 lane).
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2
    stored = hash_password(GOOD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, GOOD) and not verify_password(stored, GOOD + "!")
    assert not needs_rehash(stored)


def test_stronger_parameters_ask_for_a_rehash(monkeypatch):
    stored = hash_password(GOOD)
    assert not needs_rehash(stored)
    monkeypatch.setenv("CIPS_PASSWORD_TIME_COST", "3")
    assert needs_rehash(stored) and verify_password(stored, GOOD)


@pytest.mark.parametrize(
    "old",
    [
        generate_password_hash(GOOD),  # werkzeug's scrypt, cips's hash until now
        generate_password_hash(GOOD, method="pbkdf2:sha256:1000"),
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, salt_len=8).hash(GOOD),
    ],
    ids=["scrypt", "pbkdf2", "argon2-other-parameters"],
)
def test_older_hashes_work_and_are_upgraded_at_the_next_sign_in(world, monkeypatch, old):
    monkeypatch.setenv("CIPS_PASSWORD_TIME_COST", "2")
    with world.db.transaction() as session:
        session.scalar(select(User).where(User.username == "ci-analyst")).password_hash = old
    client = world.app.test_client()
    assert sign_in(client, "ci-analyst", "a wrong password").status_code == 401
    with world.db.transaction() as session:
        assert (
            session.scalar(select(User.password_hash).where(User.username == "ci-analyst")) == old
        )
    assert sign_in(client, "ci-analyst", GOOD).status_code == 302
    with world.db.transaction() as session:
        upgraded = session.scalar(select(User.password_hash).where(User.username == "ci-analyst"))
    assert upgraded != old and upgraded.startswith("$argon2id$") and ",t=2," in upgraded
    assert not needs_rehash(upgraded) and verify_password(upgraded, GOOD)
    assert sign_in(world.app.test_client(), "ci-analyst", GOOD).status_code == 302
