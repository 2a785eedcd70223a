"""Sign-in throttling, played as an attacker would: enumeration, a flood of wrong passwords
from many addresses against the admin, the per-address limit, blocks that grow and expire."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import pytest
import time_machine
from sqlalchemy import select

from survey.storage.models import SignInCounter, User
from tests.web_support import PASSWORD, csrf_token
from web.passwords import hash_password

pytest_plugins = ["tests.web_fixtures"]


def browser(world, address: str = "192.0.2.10"):
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_sign_in(client, username: str, password: str = PASSWORD, token: str | None = None):
    if token is None:
        token = csrf_token(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def shape(html: str) -> str:
    """The page without what differs between any two requests (CSRF token, the name typed)."""
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", html)
    return re.sub(r'(id="username"[^>]*value=")[^"]*"', r'\1NAME"', html)


def counter(world, key_start: str) -> SignInCounter | None:
    with world.db.transaction() as session:
        row = session.scalar(select(SignInCounter).where(SignInCounter.key.startswith(key_start)))
        if row is not None:
            session.expunge(row)
        return row


def account_key(world, username: str) -> str:
    with world.db.transaction() as session:
        return f"account:{session.scalar(select(User.id).where(User.username == username))}"


def test_unknown_wrong_and_throttled_look_and_take_the_same(world, monkeypatch):
    # Hashes that cost something, so that a branch without one would show in the timing.
    monkeypatch.setenv("CIPS_PASSWORD_TIME_COST", "2")
    monkeypatch.setenv("CIPS_PASSWORD_MEMORY_KIB", str(16 * 1024))
    with world.db.transaction() as session:
        for name in ("ci-coordinator", "ci-analyst"):
            session.scalar(select(User).where(User.username == name)).password_hash = hash_password(
                PASSWORD
            )
    # ci-analyst is throttled for untrusted browsers: five wrong passwords from elsewhere.
    attacker = browser(world, "198.51.100.7")
    for _ in range(5):
        assert try_sign_in(attacker, "ci-analyst", "not the password").status_code == 401
    assert counter(world, account_key(world, "ci-analyst")).blocked_until is not None

    client = browser(world)
    token = csrf_token(client.get("/login").text)
    cases = {
        "unknown": ("nobody-here", "whatever password"),
        "wrong": ("ci-coordinator", "not the password"),
        "throttled, right password": ("ci-analyst", PASSWORD),
        "throttled, wrong password": ("ci-analyst", "not the password"),
    }
    pages, times = {}, {name: [] for name in cases}
    for _ in range(7):
        for name, (username, password) in cases.items():
            started = time.perf_counter()
            response = try_sign_in(client, username, password, token)
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 401, name
            pages[name] = shape(response.text)
    assert len(set(pages.values())) == 1, "the same page for every reason"
    assert "too many attempts" in pages["unknown"]
    medians = {name: statistics.median(values) for name, values in times.items()}
    assert max(medians.values()) < 2 * min(medians.values()), medians


# One backend: a thousand requests take half a minute on a shared machine; the counters' SQL
# is the same on PostgreSQL, where every other test of this file runs too.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_attackers_thousand_tries_do_not_keep_the_admin_out(world):
    admin = browser(world, "192.0.2.1")
    assert try_sign_in(admin, "admin").status_code == 302  # the admin's browser, trusted now
    admin_id = account_key(world, "admin").split(":")[1]
    assert admin.get_cookie(f"cips_device_{admin_id}", path="/login") is not None
    # The attacker spreads 1,000 wrong passwords over 250 addresses (4 each: under the
    # per-address limit), all from browsers without the admin's device cookie.
    attacker = world.app.test_client()
    token = csrf_token(attacker.get("/login").text)
    for i in range(1000):
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{i % 250}"
        response = try_sign_in(attacker, "admin", f"guess number {i}", token)
        assert response.status_code == 401
    row = counter(world, account_key(world, "admin"))
    now = dt.datetime.now(dt.UTC)
    assert now < row.blocked_until <= now + dt.timedelta(hours=1), "blocked, for a bounded time"
    # Even the right password is refused to an untrusted browser now...
    stranger = browser(world, "192.0.2.99")
    assert try_sign_in(stranger, "admin").status_code == 401
    # ...but the admin's own browser signs in, at once.
    token = csrf_token(admin.get("/campaigns").text)
    assert admin.post("/logout", data={"csrf_token": token}).status_code == 302
    assert try_sign_in(admin, "admin").status_code == 302
    assert admin.get("/campaigns").status_code == 200


def test_a_device_cookie_trusts_one_account_and_cannot_be_forged(world):
    client = browser(world)
    assert try_sign_in(client, "ci-analyst").status_code == 302
    analyst_id = account_key(world, "ci-analyst").split(":")[1]
    value = client.get_cookie(f"cips_device_{analyst_id}", path="/login").value
    coordinator_id = account_key(world, "ci-coordinator").split(":")[1]
    attacker = browser(world, "198.51.100.1")
    for _ in range(5):
        try_sign_in(attacker, "ci-coordinator", "wrong password 123")
    # Another account's cookie, renamed, and a forged one are no trust at all.
    for forged in (value, value[:-3] + "abc"):
        thief = browser(world, "198.51.100.2")
        thief.set_cookie(f"cips_device_{coordinator_id}", forged, path="/login")
        assert try_sign_in(thief, "ci-coordinator").status_code == 401


def test_a_trusted_browser_that_keeps_failing_loses_its_trust(world):
    client = browser(world)
    assert try_sign_in(client, "ci-analyst").status_code == 302
    for _ in range(5):
        assert try_sign_in(client, "ci-analyst", "wrong password 123").status_code == 401
    # Its own failures blocked it; the account's untrusted counter was not touched.
    assert counter(world, "device:").blocked_until is not None
    assert counter(world, account_key(world, "ci-analyst")) is None
    # Now it is one more untrusted browser: its tries count against the account.
    assert try_sign_in(client, "ci-analyst", "wrong password 123").status_code == 401
    assert counter(world, account_key(world, "ci-analyst")).failures == 1


def test_the_block_grows_with_the_failures_and_expires(world):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = browser(world, "198.51.100.3")
        key = account_key(world, "ci-coordinator")
        for _ in range(5):
            assert try_sign_in(client, "ci-coordinator", "wrong password 123").status_code == 401
        assert counter(world, key).blocked_until == start + dt.timedelta(minutes=1)
        assert try_sign_in(client, "ci-coordinator").status_code == 401, "refused while blocked"
        assert counter(world, key).failures == 5, "refused tries do not count"
        clock.shift(dt.timedelta(minutes=1, seconds=1))
        assert try_sign_in(client, "ci-coordinator", "wrong password 123").status_code == 401
        assert counter(world, key).blocked_until == clock_now() + dt.timedelta(minutes=2)
        clock.shift(dt.timedelta(minutes=2, seconds=1))
        assert try_sign_in(client, "ci-coordinator").status_code == 302, "expired"
        assert counter(world, key) is None, "a success clears the count"


def clock_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_the_block_never_exceeds_an_hour_and_is_forgotten_after_a_day(world):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = browser(world, "198.51.100.4")
        key = account_key(world, "ci-coordinator")
        for _ in range(12):  # each try waits for the block before it to end
            try_sign_in(client, "ci-coordinator", "wrong password 123")
            row = counter(world, key)
            if row.blocked_until is not None:
                assert row.blocked_until - clock_now() <= dt.timedelta(hours=1)
                clock.move_to(row.blocked_until + dt.timedelta(seconds=1))
        assert counter(world, key).failures == 12
        clock.shift(dt.timedelta(days=1))
        try_sign_in(client, "ci-coordinator", "wrong password 123")
        assert counter(world, key).failures == 1, "forgotten after a day without failure"


def test_the_per_address_limit(world):
    world.app.config["CIPS_SIGNIN_PER_ADDRESS"] = 10
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        # Ten failed sign-ins from one address, each against another name (known or not).
        client = browser(world, "203.0.113.9")
        for i in range(10):
            assert try_sign_in(client, f"someone-{i}", "wrong password 123").status_code == 401
        # From that address even a right password for an untouched account is refused...
        assert try_sign_in(client, "bf-analyst").status_code == 401
        # ...while another address is not concerned,
        assert try_sign_in(browser(world, "203.0.113.10"), "bf-analyst").status_code == 302
        # and after the window (15 minutes) the address may try again.
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        assert try_sign_in(client, "bf-analyst").status_code == 302


def test_the_address_behind_reverse_proxies(world):
    world.app.config["CIPS_SIGNIN_PER_ADDRESS"] = 3
    world.app.config["CIPS_WEB_PROXIES"] = 1
    proxy = browser(world, "127.0.0.1")
    token = csrf_token(proxy.get("/login").text)

    def through_proxy(client_address: str, password: str = "wrong password 123"):
        # What the client sent (possibly forged) then what the proxy appended.
        forwarded = f"10.9.9.9, {client_address}"
        return proxy.post(
            "/login", headers={"X-Forwarded-For": forwarded},
            data={"username": "bf-analyst", "password": password, "csrf_token": token},
        )  # fmt: skip

    for _ in range(3):
        through_proxy("203.0.113.20")
    assert counter(world, "address:203.0.113.20").failures == 3
    assert through_proxy("203.0.113.20", PASSWORD).status_code == 401
    assert through_proxy("203.0.113.21", PASSWORD).status_code == 302


def test_a_trusted_sign_in_does_not_reset_the_attackers_count(world):
    """A successful sign-in from a trusted browser leaves the untrusted counter alone: the
    attacker's count keeps growing instead of starting over."""
    admin = browser(world)
    assert try_sign_in(admin, "admin").status_code == 302
    attacker = browser(world, "198.51.100.5")
    for _ in range(5):
        try_sign_in(attacker, "admin", "wrong password 123")
    blocked = counter(world, account_key(world, "admin"))
    assert blocked.failures == 5 and blocked.blocked_until is not None
    assert try_sign_in(admin, "admin").status_code == 302
    after = counter(world, account_key(world, "admin"))
    assert (after.failures, after.blocked_until) == (5, blocked.blocked_until)
