"""`cips demo`: simulated respondents fill two waves through the real bot (the local chat
stand-in for Telegram), so that the dashboard, the scores and the trend have something to show."""

from __future__ import annotations

import re
import subprocess
import sys

from sqlalchemy import func, select

from analysis.database import load_database
from analysis.results import analyze
from survey.storage.db import Database
from survey.storage.models import (
    Answer,
    Campaign,
    Contact,
    Respondent,
    RespondentStatus,
    SealedAnswer,
    SealedResponse,
)
from tests.bot_harness import assert_no_identifiers
from tests.cli_support import CipsProcess, newcomer_env

RESPONDENTS = 6  # per wave: 3 officials and 3 traders
# A simulated person's Telegram id (web.chat.respondents.SIMULATED_IDS) written as a number: the
# 12 digits stand alone, not inside a longer word, since a hex hash or a base64 token in the dump
# holds such a run of digits by chance now and then (one failed the check that way).
SIMULATED_ID = r"(?<![0-9A-Za-z])7\d{11}(?![0-9A-Za-z])"


def _demo(folder, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cips", "demo", *args], cwd=folder, env=newcomer_env(),
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_two_waves_of_simulated_respondents_answer_through_the_bot(tmp_path):
    done = _demo(tmp_path, "--respondents", str(RESPONDENTS))
    assert done.returncode == 0, done.stdout + done.stderr
    # 3 people per survey are fewer than k = 10: the demo says the scores will stay hidden.
    assert "so some or all scores will stay hidden. --respondents 40" in done.stdout
    db = Database(f"sqlite:///{tmp_path / 'cips.db'}")
    with db.sessions() as session:
        campaigns = {c.code: c for c in session.scalars(select(Campaign))}
        previous, current = sorted({c.wave for c in campaigns.values()})
        assert int(current) == int(previous) + 1
        # Last year's responses are sealed (its campaigns closed); this year's are under way
        # or wait for a batch of k.
        by_wave = {
            wave: dict(session.execute(
                select(model.status, func.count())
                .join(Campaign)
                .where(Campaign.wave == wave)
                .group_by(model.status)
            ).all())
            for wave, model in ((previous, SealedResponse), (current, Respondent))
        }  # fmt: skip
        for wave, counts in by_wave.items():
            assert sum(counts.values()) == RESPONDENTS, (wave, counts)
            assert counts.get(RespondentStatus.COMPLETED, 0) >= 2, (wave, counts)
        # Officials and private sector in both waves; last year's wave closed, its contacts gone.
        now_open = {c.code for c in campaigns.values() if c.closed_at is None}
        assert now_open == {"demo", "demo-traders"}
        assert {c.questionnaire_id for c in campaigns.values()} == {
            "cips-officials", "cips-private-sector"}  # fmt: skip
        closed_ids = [c.id for c in campaigns.values() if c.closed_at is not None]
        assert not session.scalar(
            select(func.count()).select_from(Contact).where(Contact.campaign_id.in_(closed_ids))
        )
        answers = [*session.scalars(select(Answer.value)),
                   *session.scalars(select(SealedAnswer.value))]  # fmt: skip
        assert {"DK"} <= set(answers), "some answer Don't know"
        assert len({a for a in answers if a in {"1", "2", "3", "4", "5"}}) == 5, (
            "the whole scale is used"
        )
        # The analysis sees last year's released wave of both surveys; this year's is open, and
        # nothing of it is published before it closes.
        results = analyze(load_database(session), min_cell=5)
    assert set(zip(results.factors["wave"], results.factors["survey"], strict=True)) == {
        (previous, "officials"), (previous, "private_sector")}  # fmt: skip
    db.dispose()
    assert "no answer from the bot" not in done.stdout + done.stderr
    assert_no_identifiers(f"sqlite:///{tmp_path / 'cips.db'}", done.stdout + done.stderr,
                          pattern=SIMULATED_ID)  # fmt: skip

    # Run again: last year's wave is closed and stays as it is; this year's gets more people.
    again = _demo(tmp_path, "--respondents", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"wave {previous}: its campaigns are closed" in again.stdout
    # New people, answered by a new bot process (update ids go on growing across runs).
    assert "no answer from the bot" not in again.stdout + again.stderr
    assert re.search(rf"wave {current}: \d+ completed", again.stdout), again.stdout


def test_demo_refuses_while_cips_run_holds_the_database(tmp_path):
    from cips.embedded import sole_bot

    with sole_bot(f"sqlite:///{tmp_path / 'cips.db'}"):
        refused = _demo(tmp_path, "--respondents", "2")
    assert refused.returncode != 0
    assert "another cips run or cips demo is using" in refused.stderr


def test_cips_run_fills_the_demo_while_it_serves(tmp_path):
    """`cips run --demo N`: the simulated respondents use the running bot; the dashboards fill."""
    import urllib.request

    cips = CipsProcess(tmp_path, "run", "--port", "0", "--demo", "2")
    try:
        cips.wait_for(r"wave \d+: \d+ completed", count=2, timeout=240)
        url = cips.wait_for(r"cips is running: (http://\S+)/").group(1)
        with urllib.request.urlopen(f"{url}/healthz") as health:
            assert health.status == 200
        assert "some or all scores will stay hidden" in cips.output()
        # The note names cips run's own option (cips run has no --respondents).
        assert "--demo 40 or more shows them" in cips.output()
        assert "--respondents" not in cips.output()
    finally:
        cips.interrupt()
    # Started again: no new password, but how to sign in (and to set a new password).
    again = CipsProcess(tmp_path, "run", "--port", "0")
    try:
        again.wait_for(r"polling")
        assert "Sign in with your account" in again.output()
        assert "`cips user password admin` sets a new one" in again.output()
        assert "with the password" not in again.output()
    finally:
        again.interrupt()
    db = Database(f"sqlite:///{tmp_path / 'cips.db'}")
    with db.sessions() as session:
        live = session.scalar(select(func.count()).select_from(Respondent))
        sealed = session.scalar(select(func.count()).select_from(SealedResponse))
        assert (live, sealed) == (2, 2)  # this year's under way, last year's sealed at close
    db.dispose()
