"""How fast the real bot process answers: respondents on the fake Bot API over loopback HTTP.

    python -m bench.bot_throughput --respondents 200 [--database-url URL] [--telegram-pace]
        [--bot-core N]

Starts the fake Telegram Bot API of the tests and `cips bot` against it, then lets simulated
respondents answer the officials questionnaire as fast as the bot lets them: each answers the
moment the next question arrives. Prints answers per second and the time from an update being
available to the next question being shown (the card edited, or a new card; p50 / p99).

By default Telegram's pace (30 messages/s overall, 1/s per chat) is lifted in the bot and the
fake, to measure what the bot itself can carry; `--telegram-pace` keeps it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from survey.engine import messages
from survey.i18n import Text, render
from tests.bot_harness import BotProcess, prepare_database, question_of
from tests.fake_telegram import ChatMessage, FakeTelegram, FakeUser, Pace

FAST_ENV = {"CIPS_CHAT_RATE": "0", "CIPS_SEND_RATE": "0"}
THANKS = render(Text(messages.THANKS), "en").split(".")[0]  # the end of the survey


class Respondent:
    """Answers the moment a new question arrives (called by the fake, under its lock)."""

    def __init__(self, user: FakeUser, seed: int):
        self.user = user
        self.random = random.Random(seed)
        self.answered: set[str] = set()
        self.pushed_at: float | None = None
        self.latencies: list[float] = []
        self.done = False

    def on_message(self, message: ChatMessage, new: bool) -> None:
        question = question_of(message)
        if question is not None and question not in self.answered:
            options = [b for b in message.buttons if b["callback_data"][0] in "at"]
            ticked = any(b["text"].startswith("✅") for b in message.buttons)
            if self.pushed_at is not None:  # a new card, or the card edited: the next question
                self.latencies.append(time.perf_counter() - self.pushed_at)
            if ticked:  # multiple choice, one ticked: Done
                done = next(b for b in message.buttons if b["callback_data"][0] == "d")
                self._act(lambda: self.user.tap(done["callback_data"], message), question)
            elif options:
                choice = self.random.choice(options)["callback_data"]
                if choice[0] == "a":
                    self._act(lambda: self.user.tap(choice, message), question)
                else:
                    self.pushed_at = None  # the tick is an edit, not a new question
                    self.user.tap(choice, message)
            else:  # free text
                self._act(lambda: self.user.send("no comment"), question)
        elif not message.keyboard and THANKS in message.text and self.answered:
            if self.pushed_at is not None:
                self.latencies.append(time.perf_counter() - self.pushed_at)
            self.done = True

    def _act(self, push, question: str) -> None:
        self.answered.add(question)
        self.pushed_at = time.perf_counter()
        push()


def notify_respondents(fake: FakeTelegram, respondents: dict[int, Respondent]) -> None:
    """Have the fake call each respondent as soon as the bot sends or edits their chat."""

    def on_bot_message(chat: int, message: ChatMessage, new: bool) -> None:
        respondent = respondents.get(chat)
        if respondent is None:
            return
        # The fake's lock is re-entrant: the tap is queued at once.
        respondent.on_message(message, new)

    fake.on_bot_message = on_bot_message


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--telegram-pace", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile")
    parser.add_argument("--bot-core", type=int, metavar="N",
                        help="pin the bot to CPU core N (taskset), and this process to the "
                             "others: what the bot carries on one core")  # fmt: skip
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cips-bench-"))
    url = args.database_url or f"sqlite:///{folder}/cips.db"
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    prepare_database(url, {"bench": "cips-officials"})
    pace = Pace() if args.telegram_pace else Pace(rate=0, overall=None)
    fake = FakeTelegram(pace).start()
    env = {} if args.telegram_pace else FAST_ENV
    bot = BotProcess(fake, url, folder, **env)
    if args.profile:
        bot.command[1:1] = ["-m", "cProfile", "-o", str(Path(args.profile).resolve())]
    if args.bot_core is not None:
        bot.command[:0] = ["taskset", "-c", str(args.bot_core)]
        others = set(range(os.cpu_count() or 1)) - {args.bot_core}
        os.sched_setaffinity(0, others or {args.bot_core})
    bot.start()
    respondents = {}
    for i in range(args.respondents):
        user = fake.user(900_000_000 + i, "en")
        respondents[user.id] = Respondent(user, seed=i)
    notify_respondents(fake, respondents)
    started = time.perf_counter()
    bench_cpu = _cpu(resource.RUSAGE_SELF)
    for respondent in respondents.values():
        respondent.user.send("/start bench")
    # Consent: press it when the consent message arrives (handled here, not by on_message).
    fake.wait_until(lambda: all(any(b["callback_data"] == "c||yes" for m in fake.chats.get(r, [])
                                    for b in m.buttons) for r in respondents), timeout=300)  # fmt: skip
    for chat, respondent in respondents.items():
        consent = next(m for m in fake.chats[chat] if m.keyboard)
        respondent.pushed_at = time.perf_counter()
        respondent.user.tap("c||yes", consent)
    fake.wait_until(lambda: all(r.done for r in respondents.values()), timeout=1800)
    elapsed = time.perf_counter() - started
    bench_cpu = _cpu(resource.RUSAGE_SELF) - bench_cpu
    bot.stop()
    bot_cpu = _cpu(resource.RUSAGE_CHILDREN)  # the bot process, reaped by stop()
    fake.stop()

    answers = sum(len(r.answered) for r in respondents.values())
    latencies = sorted(x for r in respondents.values() for x in r.latencies)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99)]
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"bot throughput ({database}, {args.respondents} respondents, "
          f"{'Telegram pace' if args.telegram_pace else 'pace lifted'}, {os.cpu_count()} cores)")  # fmt: skip
    print("  load average (1/5/15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"  answers            {answers}")
    print(f"  answers per second {answers / elapsed:,.0f}")
    print(f"  update -> next question: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"  CPU per answer: bot {bot_cpu / answers * 1000:.1f} ms (whole run, start-up included), "
          f"fake Bot API and respondents {bench_cpu / answers * 1000:.1f} ms")  # fmt: skip
    print("  Telegram's ceiling 30 messages/s, one message per answer; aim: 150 answers/s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
