"""How fast the command line starts: `cips --help`, `cips health` and `cips campaign list`.

    python -m bench.cli_start [--runs 15]

Each command runs in a fresh process, as an operator or a container probe runs it (the `cips`
script of this environment), in a temporary folder with a fresh SQLite database (migrated, the two
demo campaigns created) and a fresh heartbeat file. Printed per command: the wall time from start
to exit, its CPU time (user + system) and its peak resident memory (the reaped child's rusage),
median and max over the runs, against issue 22's budget (0.5 s, 60 MB). The wall time grows
with whatever else the machine runs; the CPU time much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import machine
from survey.demo import demo_campaigns
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade

BUDGET_S = 0.5
BUDGET_MB = 60
COMMANDS = {
    "cips --help": ["--help"],
    "cips health --heartbeat FILE": ["health", "--heartbeat", "bot.heartbeat"],
    "cips campaign list": ["campaign", "list"],
}


def cips() -> list[str]:
    script = Path(sys.executable).with_name("cips")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cips"]


# A small process starts each command and reaps it: a child's peak memory counts the memory of
# the process it was forked from, so this benchmark (SQLAlchemy loaded) must not be its parent.
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_pid, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
      os.waitstatus_to_exitcode(status))
"""


def run_once(args: list[str], folder: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one `cips ARGS` in a fresh process."""
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *cips(), *args], cwd=folder,
                          env=env, capture_output=True, text=True)  # fmt: skip
    wall, cpu, rss_kb, code = done.stdout.split()[-4:]
    if done.returncode != 0 or code != "0":
        raise SystemExit(f"cips {' '.join(args)} failed:\n{done.stderr}")
    return float(wall), float(cpu), int(rss_kb) / 1024  # Linux gives kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(machine())
    print(f"date: {dt.date.today().isoformat()}, {args.runs} runs of each command")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = f"sqlite:///{folder / 'cips.db'}"
        upgrade(url)
        db = Database(url)
        with db.transaction() as session:
            demo_campaigns(session, load_questionnaires(), str(dt.date.today().year))
        db.dispose()
        (folder / "bot.heartbeat").touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CIPS_", "TELEGRAM_"))}
        env |= {"DATABASE_URL": url, "CIPS_SECRET_KEY": "bench"}
        run_once(["--help"], folder, env)  # the file cache warm, as for an installed command
        print(f"load average before: {os.getloadavg()[0]:.1f} (other work slows the wall time)")
        print(f"{'command':<30} {'wall median':>11} {'max':>7} {'CPU median':>10} {'max':>7} "
              f"{'RSS median':>11} {'max':>8}")  # fmt: skip
        for label, command in COMMANDS.items():
            runs = [run_once(command, folder, env) for _ in range(args.runs)]
            walls, cpus, rss = ([run[i] for run in runs] for i in range(3))
            within = max(walls) <= BUDGET_S and max(rss) <= BUDGET_MB
            print(f"{label:<30} {statistics.median(walls):>9.3f} s {max(walls):>5.3f} s "
                  f"{statistics.median(cpus):>8.3f} s {max(cpus):>5.3f} s "
                  f"{statistics.median(rss):>8.1f} MB {max(rss):>5.1f} MB"
                  f"  {'within' if within else 'OVER'} {BUDGET_S} s / {BUDGET_MB} MB")  # fmt: skip


if __name__ == "__main__":
    main()
