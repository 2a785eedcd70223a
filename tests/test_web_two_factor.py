"""Two-factor sign-in, played as a user and as an attacker who has the password: enrolment,
wrong, reused and expired codes, recovery codes, throttled guessing, forced enrolment, the
operator's reset."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from survey.storage.models import AuditEntry, RecoveryCode, User
from tests.web_support import PASSWORD, csrf_token, post_form, sign_in
from web.config import flask_config
from web.qr import qr_svg
from web.two_factor import provisioning_uri

pytest_plugins = ["tests.web_fixtures"]

# A fixed second in the middle of a 30-second step, reached from now (any date works).
NOW = dt.datetime.fromtimestamp((int(dt.datetime.now(dt.UTC).timestamp()) // 30) * 30 + 10, dt.UTC)


def enrol(client) -> tuple[str, list[str]]:
    """Enrol the signed-in user as a person would; returns the key and the recovery codes."""
    assert post_form(client, "/account/2fa", "/account/2fa/start", {}).status_code == 302
    page = client.get("/account/2fa").text
    secret = re.search(r'id="totp-secret" dir="ltr">([A-Z2-7]+)<', page).group(1)
    page = post_form(client, "/account/2fa", "/account/2fa/confirm",
                     {"code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert page.status_code == 200, page.text
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", page.text)
    return secret, codes


def code_step(client, code: str):
    token = csrf_token(client.get("/login/code").text)
    return client.post("/login/code", data={"code": code, "csrf_token": token})


def signed_in_now(client) -> bool:
    return client.get("/campaigns").status_code == 200


def sign_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account/2fa").text)})


def audited(world, prefix: str) -> list[tuple[str, str]]:
    with world.db.transaction() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.action.startswith(prefix))
            .order_by(AuditEntry.seq)
        )
        return [tuple(row) for row in rows]


def user_row(world, username: str) -> User:
    with world.db.transaction() as session:
        row = session.scalar(select(User).where(User.username == username))
        session.expunge(row)
        return row


def test_enrolment_with_a_qr_code_then_sign_in_asks_for_the_code(world, signed_in):
    with time_machine.travel(NOW, tick=False):
        client = signed_in("ci-analyst")
        assert "Set up two-factor sign-in" in client.get("/account/2fa").text
        assert client.get("/account/2fa/qr.svg").status_code == 404, "nothing to show yet"
        post_form(client, "/account/2fa", "/account/2fa/start", {})
        page = client.get("/account/2fa").text
        secret = re.search(r'id="totp-secret" dir="ltr">([A-Z2-7]+)<', page).group(1)
        assert 'src="/account/2fa/qr.svg"' in page
        qr = client.get("/account/2fa/qr.svg")
        assert qr.mimetype == "image/svg+xml" and qr.headers["Cache-Control"] == "no-store"
        row = user_row(world, "ci-analyst")
        uri = provisioning_uri(row, secret)
        assert uri.startswith("otpauth://totp/CIPS:ci-analyst?secret=" + secret)
        assert qr.data == qr_svg(uri)
        assert secret not in row.totp_secret, "the key is stored encrypted"
        # A wrong code does not turn it on.
        wrong = post_form(client, "/account/2fa", "/account/2fa/confirm", {"code": "000000"})
        assert wrong.status_code == 400 and user_row(world, "ci-analyst").totp_confirmed_at is None
        page = post_form(client, "/account/2fa", "/account/2fa/confirm",
                         {"code": pyotp.TOTP(secret).now()})  # fmt: skip
        codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", page.text)
        assert page.status_code == 200 and len(set(codes)) == 10
        assert user_row(world, "ci-analyst").totp_confirmed_at == NOW
        assert audited(world, "2fa") == [("2fa.enrol", "ci-analyst")]
        with world.db.transaction() as session:
            hashes = set(session.scalars(select(RecoveryCode.code_hash)))
        assert len(hashes) == 10 and not hashes & set(codes), "stored hashed"
        assert "not shown again" not in client.get("/account/2fa").text, "shown once"
        assert client.get("/account/2fa/qr.svg").status_code == 404, "never shown again"
        sign_out(client)
        # The password alone no longer signs in: a second step asks for the code.
        response = sign_in(client, "ci-analyst")
        assert response.status_code == 302 and response.location.endswith("/login/code")
        assert not signed_in_now(client)
        assert code_step(client, "123456").status_code == 401
        assert not signed_in_now(client)

    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        assert code_step(client, pyotp.TOTP(secret).now()).status_code == 302
        assert signed_in_now(client)
    assert audited(world, "2fa.f") == [("2fa.failed", "ci-analyst")]
    assert audited(world, "2fa.code") == [("2fa.code", "ci-analyst")]


def test_a_code_works_once_and_only_within_its_window(world, signed_in):
    with time_machine.travel(NOW, tick=False) as clock:
        client = signed_in("ci-coordinator")
        secret, _ = enrol(client)  # spends the code of this step
        totp = pyotp.TOTP(secret)
        sign_out(client)
        sign_in(client, "ci-coordinator")
        assert code_step(client, totp.now()).status_code == 401, "used to enrol: spent"
        # Seen over a shoulder: the code of the step before is refused too (older than the last).
        assert code_step(client, totp.at(NOW - dt.timedelta(seconds=30))).status_code == 401
        clock.shift(dt.timedelta(seconds=30))
        code = totp.now()
        assert code_step(client, code).status_code == 302
        sign_out(client)
        # The same code again, within its window (replayed by someone who saw it): refused.
        clock.shift(dt.timedelta(seconds=5))
        sign_in(client, "ci-coordinator")
        assert code_step(client, code).status_code == 401
        assert not signed_in_now(client)
        # A code written down and typed 90 s later has expired (one step of drift is allowed).
        clock.shift(dt.timedelta(seconds=25))
        late = totp.now()
        clock.shift(dt.timedelta(seconds=90))
        sign_in(client, "ci-coordinator")
        assert code_step(client, late).status_code == 401
        assert code_step(client, totp.now()).status_code == 302


def test_a_recovery_code_signs_in_once(world, signed_in):
    client = signed_in("ci-analyst")
    _, codes = enrol(client)
    sign_out(client)
    sign_in(client, "ci-analyst")
    assert code_step(client, codes[3].upper()).status_code == 302, "case does not matter"
    assert signed_in_now(client)
    sign_out(client)
    sign_in(client, "ci-analyst")
    assert code_step(client, codes[3]).status_code == 401, "spent"
    assert code_step(client, "abcd-efgh-jkmn-pqrs").status_code == 401
    assert code_step(client, codes[4]).status_code == 302
    assert "Recovery codes left: 8." in client.get("/account/2fa").text
    assert len(audited(world, "2fa.recovery-code")) == 2


def test_guessing_codes_is_throttled_like_passwords(world, signed_in):
    """An attacker with the password guesses codes from untrusted browsers: after five wrong
    ones even the right code is refused to them for a while; the user's trusted browser is not."""
    with time_machine.travel(NOW, tick=False) as clock:
        owner = signed_in("ci-analyst")  # this browser is trusted from now on
        secret, _ = enrol(owner)
        totp = pyotp.TOTP(secret)
        attacker = world.app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = "198.51.100.77"
        for guess in range(5):
            assert sign_in(attacker, "ci-analyst").status_code == 302
            assert code_step(attacker, f"{guess:06d}").status_code == 401
        clock.shift(dt.timedelta(seconds=30))
        sign_in(attacker, "ci-analyst")
        assert code_step(attacker, totp.now()).status_code == 401, "blocked: not even the right one"
        # The owner's browser holds its device cookie: not blocked.
        sign_out(owner)
        sign_in(owner, "ci-analyst")
        assert code_step(owner, totp.now()).status_code == 302
        # The block expires (one minute after the fifth wrong code).
        clock.shift(dt.timedelta(seconds=60))
        sign_in(attacker, "ci-analyst")
        assert code_step(attacker, totp.now()).status_code == 302


def test_the_code_must_follow_the_password_within_five_minutes(world, signed_in):
    with time_machine.travel(NOW, tick=False) as clock:
        client = signed_in("ci-analyst")
        secret, _ = enrol(client)
        sign_out(client)
        sign_in(client, "ci-analyst")
        token = csrf_token(client.get("/login/code").text)
        clock.shift(dt.timedelta(minutes=5, seconds=30))
        response = client.post(
            "/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
        )
        assert response.status_code == 302 and response.location.endswith("/login")
        assert not signed_in_now(client)
        # Without the password step, there is no code step at all.
        fresh = world.app.test_client()
        assert fresh.get("/login/code").location.endswith("/login")


def test_admins_must_enrol_before_anything_else(world, signed_in):
    world.app.config["CIPS_REQUIRE_2FA"] = "admins"
    admin = signed_in("admin")
    for path in (
        "/campaigns",
        "/results",
        "/account/tokens",
        f"/campaigns/{world.campaigns['CI']}",
    ):
        response = admin.get(path)
        assert response.status_code == 302 and response.location.endswith("/account/2fa"), path
    assert signed_in("ci-analyst").get("/campaigns").status_code == 200, "admins only"
    enrol(admin)
    assert admin.get("/campaigns").status_code == 200
    world.app.config["CIPS_REQUIRE_2FA"] = "everyone"
    assert signed_in("ci-analyst").get("/campaigns").location.endswith("/account/2fa")
    world.app.config["CIPS_REQUIRE_2FA"] = "off"
    assert signed_in("bf-analyst").get("/campaigns").status_code == 200


def test_the_setting_defaults_to_admins_and_the_laptop_demo_turns_it_off(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("CIPS_REQUIRE_2FA")
    assert flask_config()["CIPS_REQUIRE_2FA"] == "admins"
    monkeypatch.setenv("CIPS_REQUIRE_2FA", "sometimes")
    with pytest.raises(ValueError, match="admins, everyone, off"):
        flask_config()
    from cips.embedded import web_app

    monkeypatch.delenv("CIPS_REQUIRE_2FA")
    monkeypatch.delenv("CIPS_WEB_INSECURE_COOKIES", raising=False)
    app = web_app(None)
    assert app.config["CIPS_REQUIRE_2FA"] == "off"
    app.extensions["cips"].db.dispose()


def test_cips_user_reset_2fa(world, signed_in, database_url, monkeypatch):
    from tests.cli_support import run_cips

    world.app.config["CIPS_REQUIRE_2FA"] = "everyone"
    client = signed_in("ci-analyst")
    enrol(client)
    assert signed_in_now(client)
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = run_cips("user", "reset-2fa", "ci-analyst").output
    assert "two-factor sign-in of ci-analyst reset" in out
    signed_out = client.get("/account/2fa")
    assert signed_out.status_code == 302 and "/login" in signed_out.location, "its sessions end"
    row = user_row(world, "ci-analyst")
    assert (row.totp_secret, row.totp_confirmed_at) == (None, None)
    with world.db.transaction() as session:
        assert session.scalar(select(RecoveryCode)) is None
    # The password alone signs in again, straight to enrolment (required for everyone here).
    response = sign_in(client, "ci-analyst", PASSWORD)
    assert response.status_code == 302 and not response.location.endswith("/login/code")
    assert client.get("/campaigns").location.endswith("/account/2fa")
    assert "no user nobody" in run_cips("user", "reset-2fa", "nobody", ok=False).output
    assert [action for action, _ in audited(world, "2fa")] == ["2fa.enrol", "2fa.reset"]
