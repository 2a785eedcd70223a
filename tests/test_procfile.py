"""The Procfile's processes together against PostgreSQL, as a platform runs them.

The real `Procfile` is read and each line run through `sh -c` with the platform's environment
(PORT, DATABASE_URL, ...): `release` first, then `web`, `bot` and `clock` side by side, each in a
process group of its own (a platform signals every process of a dyno). Respondents answer on the
fake Bot API, a coordinator signs in through the login form as if behind the HTTPS reverse
proxy and reads the dashboard, the probes pass; then SIGTERM stops everything cleanly, and no
log line is anything but JSON or holds a Telegram identifier.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.bot_harness import BotProcess, Participant
from tests.cli_support import run_cips
from tests.fake_telegram import FakeTelegram
from tests.postgres_server import free_port
from tests.test_bot_e2e import FAST, FAST_PACE
from tests.web_support import csrf_token

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
PASSWORD = "a long enough password for the coordinator"
STOP_WITHIN_S = 10


def procfile() -> dict[str, str]:
    """Process name -> command line, as a platform reads the Procfile."""
    lines = (line.partition(":") for line in PROCFILE.read_text().splitlines())
    return {name.strip(): command.strip() for name, sep, command in lines if sep}


class ProcfileProcess(BotProcess):
    """One line of the Procfile through `sh -c`; its shell is replaced by the command, as
    Heroku's bash does for a simple command, so the exit status is the program's own."""

    def __init__(self, name: str, fake: FakeTelegram, url: str, folder: Path, ready, **env):
        super().__init__(fake, url, folder, **env)
        self.name = name
        self.log = folder / f"{name}.log"
        self.command = ["sh", "-c", f"exec {procfile()[name]}"]
        self.own_group = True
        self.is_ready = ready

    def ready(self) -> bool:
        return self.is_ready(self)

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_text().splitlines()]


def _answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


class Coordinator:
    """A browser behind the HTTPS reverse proxy: gunicorn trusts X-Forwarded-Proto from
    127.0.0.1, so the app sees HTTPS and sets `Secure` cookies (sent back here by hand, since
    this side of the proxy is plain HTTP)."""

    def __init__(self, base: str):
        self.client = httpx.Client(base_url=base, timeout=10)
        self.origin = "https://" + base.split("://", 1)[1]
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for cookie in response.cookies.jar:
            assert cookie.secure
            self.cookies[cookie.name] = cookie.value
        return response

    def sign_in(self, username: str, password: str) -> None:
        token = csrf_token(self.request("GET", "/login").text)
        data = {"username": username, "password": password, "csrf_token": token}
        response = self.request("POST", "/login", data=data)
        assert response.status_code == 302, response.text


def _kpi(html: str, name: str) -> int:
    match = re.search(rf'id="kpi-{name}">([\d,]+)<', html)
    assert match, f"no {name} figure on the dashboard"
    return int(match.group(1).replace(",", ""))


def _answer(participants: list[Participant], steps: list[int | None]) -> None:
    """Each participant joins and answers `steps` questions (None: to the end), in parallel."""
    errors: list[BaseException] = []

    def run(participant: Participant, count: int | None) -> None:
        try:
            participant.join("priv")
            if count is None:
                participant.finish()
            for _ in range(count or 0):
                participant.step()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair) for pair in zip(participants, steps, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


def _stop_all(processes) -> dict[str, int | None]:
    """SIGTERM to every running process at once; exit statuses (None: not within the time)."""
    running = [p for p in processes if p.process is not None]
    for process in running:
        if process.process.poll() is None:
            process.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WITHIN_S
    statuses = {}
    for process in running:
        try:
            statuses[process.name] = process.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.signal(signal.SIGKILL)
            process.process.wait()
            statuses[process.name] = None
    return statuses


@pytest.mark.postgres
def test_procfile_on_postgresql(empty_postgres_url, tmp_path, monkeypatch):
    url = empty_postgres_url
    fake = FakeTelegram(FAST_PACE).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **FAST,
        # The installed commands (cips, gunicorn) come first, as in the app's environment.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "CIPS_LOG_FORMAT": "json",
    }

    release = subprocess.run(
        ["sh", "-c", f"exec {procfile()['release']}"],
        env={**os.environ, **env, "DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert release.returncode == 0, release.stderr
    assert release.stdout.startswith("database at revision ")
    logs = {"release": [json.loads(line) for line in release.stderr.splitlines()]}

    monkeypatch.setenv("DATABASE_URL", url)
    run_cips("administration", "create", "TST", "--name", "Test Customs", "--timezone", "UTC")
    run_cips("campaign", "create", "--administration", "TST", "--questionnaire",
             "cips-private-sector", "--wave", "2026", "--code", "priv")  # fmt: skip
    (tmp_path / "password").write_text(PASSWORD)
    run_cips("user", "create", "coordinator", "--role", "coordinator", "--administration", "TST",
             "--password-file", str(tmp_path / "password"))  # fmt: skip

    heartbeat = {name: tmp_path / f"{name}.alive" for name in ("bot", "clock")}

    def process(name: str, ready, **extra: str) -> ProcfileProcess:
        return ProcfileProcess(name, fake, url, tmp_path, ready, **env, **extra)

    processes = {
        "web": process("web", lambda _: _answers_200(f"{base}/healthz")),
        "bot": process("bot", BotProcess.ready, CIPS_HEARTBEAT_FILE=str(heartbeat["bot"])),
        "clock": process(
            "clock",
            lambda _: heartbeat["clock"].exists(),
            CIPS_HEARTBEAT_FILE=str(heartbeat["clock"]),
        ),
    }
    try:
        for process in processes.values():
            process.launch()
        for process in processes.values():
            process.wait_ready()

        participants = [
            Participant(fake.user(760_000_000 + i, language), seed=i)
            for i, language in enumerate(["en", "fr", "es", "ar", "pt", "en", "fr", "ar"])
        ]
        # Five complete the survey; three stop after a few answers.
        _answer(participants, [None, None, None, None, None, 1, 3, 5])
        assert [p.answers > 20 for p in participants] == [True] * 5 + [False] * 3

        coordinator = Coordinator(base)
        coordinator.sign_in("coordinator", PASSWORD)
        dashboard = coordinator.request("GET", "/campaigns/priv/dashboard")
        assert dashboard.status_code == 200
        assert (_kpi(dashboard.text, "started"), _kpi(dashboard.text, "completed")) == (8, 5)

        probes = run_cips("health", "--url", base, "--heartbeat", str(heartbeat["bot"]),
                          "--heartbeat", str(heartbeat["clock"]), "--max-age", "30s")  # fmt: skip
        assert probes.output.count("ok: ") == 3
    finally:
        stopped = _stop_all(processes.values())
        fake.stop()

    for name, process in processes.items():
        assert stopped[name] == 0, f"{name} exited with {stopped[name]}:\n{process.log_text()}"
        assert "Traceback" not in process.log_text(), process.log_text()
        logs[name] = process.json_lines()  # every line is JSON
        assert {entry["role"] for entry in logs[name]} == {name}
    assert {entry["role"] for entry in logs["release"]} <= {"cli"}
    assert any("stopped" in entry["message"] for entry in logs["bot"])
    assert any(entry["message"] == "Shutting down: Master" for entry in logs["web"])

    identifiers = [str(p.user.id) for p in participants]  # private chats: chat id = user id
    for name, entries in logs.items():
        for entry in entries:
            line = json.dumps(entry)
            assert not [i for i in identifiers if i in line], f"{name}: {line}"


def test_the_systemd_units_run_the_procfile_commands():
    """deploy/systemd (README, "Deploying") runs what the Procfile runs, with a fixed address
    for the web and a heartbeat file for the bot and the clock."""
    units = PROCFILE.parent / "deploy" / "systemd"
    expected = {
        "web": procfile()["web"].replace("0.0.0.0:$PORT", "127.0.0.1:8000"),
        "bot": f"{procfile()['bot']} --heartbeat /run/cips-bot/alive",
        "clock": f"{procfile()['clock']} --heartbeat /run/cips-clock/alive",
    }
    for name, command in expected.items():
        unit = (units / f"cips-{name}.service").read_text()
        assert f"ExecStart=/opt/cips/venv/bin/{command}\n" in unit
        assert "EnvironmentFile=/etc/cips/cips.env" in unit and "Restart=always" in unit
    watch = (units / "cips-watch.service").read_text()
    for name in ("bot", "clock"):
        assert f"--heartbeat /run/cips-{name}/alive || systemctl restart cips-{name}'" in watch
