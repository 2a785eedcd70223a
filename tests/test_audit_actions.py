"""An audit entry for each audited action, on the web and on the command line, on SQLite and
PostgreSQL; the admins' page and its CSV; no respondent identifier in any entry."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey import audit
from survey.loader import load_questionnaires
from survey.storage.models import AuditEntry, Campaign, SealedResponse
from tests.cli_support import run_cips
from tests.web_support import PASSWORD, csrf_token, post_form, sign_in

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()


def entries(world) -> list[AuditEntry]:
    with world.db.transaction() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def last(world, action: str) -> AuditEntry:
    found = [e for e in entries(world) if e.action == action]
    assert found, f"no {action} entry in {[e.action for e in entries(world)]}"
    return found[-1]


def closed_wave(world, tmp_path) -> str:
    """An imported (closed, released) wave of CI with 30 sealed responses; its campaign code."""
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 30, administration="CI",
                          wave="2025", seed=4)  # fmt: skip
    path = write(frame, tmp_path / "ci-2025.csv")
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES["cips-officials"])
        return session.scalar(select(Campaign.code).where(Campaign.wave == "2025"))


def test_sign_ins_failures_and_sign_outs_are_recorded_with_the_address(world):
    client = world.app.test_client()
    environ = {"REMOTE_ADDR": "198.51.100.7"}
    page = client.get("/login")
    token = csrf_token(page.text)
    for name, password in (("admin", "wrong password!"), ("nobody", "my-secret-pass")):
        response = client.post("/login", data={"username": name, "password": password,
                               "csrf_token": token}, environ_base=environ)  # fmt: skip
        assert response.status_code == 401
    failed = [e for e in entries(world) if e.action == audit.SIGNIN_FAILED]
    assert [(e.actor, e.address) for e in failed] == [("admin", "198.51.100.7"),
                                                      ("(unknown name)", "198.51.100.7")]  # fmt: skip
    # Whatever was typed as an unknown name (a password, maybe) is not kept.
    assert all("nobody" not in str(vars(e)) for e in entries(world))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                           "csrf_token": token}, environ_base=environ)  # fmt: skip
    assert response.status_code == 302
    signed = last(world, audit.SIGNIN)
    assert (signed.actor, signed.address) == ("admin", "198.51.100.7")
    post_form(client, "/campaigns", "/logout", {}, environ_base=environ)
    out = last(world, audit.SIGNOUT)
    assert (out.actor, out.address) == ("admin", "198.51.100.7")


def test_web_downloads_closes_and_campaign_changes_are_recorded(world, signed_in, tmp_path):
    code = world.campaigns["CI"]
    client = signed_in("ci-coordinator")
    assert client.get(f"/campaigns/{code}/dashboard.csv").status_code == 200
    entry = last(world, audit.DOWNLOAD)
    assert (entry.actor, entry.administration, entry.campaign, entry.format) == (
        "ci-coordinator", "CI", code, "csv")  # fmt: skip
    # A QR code shown on the page is not a download; downloaded, it is.
    before = len(entries(world))
    assert client.get(f"/campaigns/{code}/qr.svg").status_code == 200
    assert len(entries(world)) == before
    edit = {"remind_after": "24h", "remind_every": "48h", "max_reminders": "3",
            "quiet_hours": "20-08", "last_call": "24h", "target_population": "300"}  # fmt: skip
    page = f"/campaigns/{code}"
    assert post_form(client, f"{page}/edit", f"{page}/edit", edit).status_code == 302
    assert (last(world, "campaign.edit").actor, last(world, "campaign.edit").campaign) == (
        "ci-coordinator", code)  # fmt: skip
    assert post_form(client, page, f"{page}/close", {}).status_code == 302
    release = last(world, audit.RELEASE)
    assert (release.actor, release.campaign, release.administration) == ("ci-coordinator", code,
                                                                         "CI")  # fmt: skip
    assert post_form(client, page, f"{page}/archive", {}).status_code == 302
    assert last(world, "campaign.archive").campaign == code

    analyst = signed_in("ci-analyst")
    wave_code = closed_wave(world, tmp_path)
    response = analyst.get("/results/CI/2025/responses/cips-officials.csv")
    assert response.status_code == 200
    entry = last(world, audit.DOWNLOAD)
    assert (entry.actor, entry.administration, entry.format) == ("ci-analyst", "CI", "csv")
    assert "respondent-level" in entry.detail and "2025" in entry.detail
    # No respondent identifier (the ids the file carries) in any entry.
    with world.db.transaction() as session:
        ids = set(session.scalars(select(SealedResponse.id)))
    text = " ".join(str(vars(e)) for e in entries(world))
    assert ids and not any(i in text for i in ids) and wave_code
    assert audit.verify(world.db.sessions())[1] is None


def test_the_clock_records_the_closes_it_makes(world):
    import datetime as dt

    from web.clock import Clock

    code = world.campaigns["BF"]
    with world.db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == code))
        campaign.closes_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    Clock(world.db, QUESTIONNAIRES).close_campaigns()
    entry = last(world, audit.RELEASE)
    assert (entry.actor, entry.campaign, entry.administration) == ("clock", code, "BF")


def test_command_line_actions_are_recorded(world, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    password = tmp_path / "password"
    password.write_text("a long enough passphrase 42")
    run_cips("user", "create", "newbie", "--role", "analyst", "--administration", "CI",
             "--password-file", str(password))  # fmt: skip
    entry = last(world, "user.create")
    assert entry.actor.startswith("cli:") and "newbie" in entry.detail
    run_cips("user", "role", "newbie", "--role", "coordinator", "--administration", "CI")
    assert "coordinator" in last(world, "user.role").detail
    run_cips("user", "deactivate", "newbie")
    assert last(world, "user.deactivate").detail == "newbie"
    code = world.campaigns["BF"]
    run_cips("campaign", "close", code)
    assert (last(world, audit.RELEASE).campaign, last(world, audit.RELEASE).administration) == (
        code, "BF")  # fmt: skip
    run_cips("campaign", "next-wave", code, "--code", "bf-2027", "--wave", "2027")
    assert last(world, "campaign.next-wave").campaign == "bf-2027"
    run_cips("campaign", "delete", "bf-2027")
    assert last(world, "campaign.delete").campaign == "bf-2027"
    wave_code = closed_wave(world, tmp_path)
    out = tmp_path / "out.csv"
    run_cips("export", "--campaign", wave_code, "-o", str(out))
    entry = last(world, audit.EXPORT)
    assert (entry.campaign, entry.format, entry.administration) == (wave_code, "csv", "CI")
    assert "30 rows" in entry.detail
    run_cips("codebook", "--questionnaire", "cips-officials", "-o", str(tmp_path / "book.md"))
    assert "codebook of cips-officials" in last(world, audit.EXPORT).detail
    run_cips("analyze", "--administration", "CI", "--format", "csv", "--out", str(tmp_path / "t"))
    assert "result tables" in last(world, audit.EXPORT).detail

    # `cips audit` prints them, filtered; verify and head agree with the chain.
    printed = run_cips("audit", "--action", "campaign").output
    assert "campaign.next-wave" in printed and "campaign.delete" in printed
    assert "user.create" not in printed
    assert "newbie" in run_cips("audit", "--actor", entry.actor, "--action", "user").output
    verified = run_cips("audit", "verify").output
    head = run_cips("audit", "head").output.split()
    assert "intact" in verified and head[1] in verified
    with world.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_entries SET detail = 'x' WHERE seq = 2")
    broken = run_cips("audit", "verify", ok=False).output
    assert "NOT intact" in broken and "entry 2" in broken


def test_admins_read_filter_and_download_the_log(world, signed_in):
    client = signed_in("admin")
    client.get(f"/campaigns/{world.campaigns['CI']}/dashboard.csv")
    with world.db.transaction() as session:
        audit.record(session, "campaign.edit", actor='=HYPERLINK("http://x")', campaign="C")
    page = client.get("/audit")
    assert page.status_code == 200 and "The chain verifies" in page.text
    assert "dashboard" in page.text
    filtered = client.get("/audit?action=signin").text
    rows = re.findall(r"<tr><td class=\"num\">", filtered)
    assert len(rows) == 1 and "signin" in filtered  # the admin's own sign-in only
    download = client.get("/audit.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert table[0][:4] == ["seq", "at", "actor", "action"]
    actors = [row[2] for row in table[1:]]
    assert '\'=HYPERLINK("http://x")' in actors  # neutralized for spreadsheets
    assert last(world, audit.DOWNLOAD).detail.startswith("audit log")
    with world.db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq = 2")
    assert "breaks at entry 3" in client.get("/audit").text


def test_only_admins_see_the_log(world, signed_in):
    for username in ("ci-coordinator", "ci-analyst"):
        client = signed_in(username)
        assert client.get("/audit").status_code == 403
        assert client.get("/audit.csv").status_code == 403
        assert 'id="nav-audit"' not in client.get("/campaigns").text
    anonymous = world.app.test_client()
    assert "/login" in anonymous.get("/audit").location
    assert sign_in(anonymous, "admin").status_code == 302
    assert 'id="nav-audit"' in anonymous.get("/campaigns").text
