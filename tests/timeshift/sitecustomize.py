"""Moves the wall clock of this Python process ahead by CIPS_TEST_TIME_SHIFT_DAYS days.

Python imports `sitecustomize` at start-up from the first folder of `sys.path` that has one, so
with this folder on PYTHONPATH every Python process of a test run (pytest, and the bot, clock,
web and CLI processes the tests start, which inherit the environment) lives that many days in the
future: `time.time()`, `datetime.now()`, `date.today()` move, and keep ticking. Monotonic clocks
are left alone, so timeouts and waits behave as usual. This is how the suite proves that it
passes on any date (`.ci/run` runs a slice of it this way; the README says how to run all of it):

    PYTHONPATH=tests/timeshift CIPS_TEST_TIME_SHIFT_DAYS=400 .venv/bin/pytest -n 2

Only Python moves: a PostgreSQL server or SQLite's own CURRENT_TIMESTAMP keep the real time,
which is why the product takes every time from Python (survey.storage.models.utcnow).
"""

import os

_days = os.environ.get("CIPS_TEST_TIME_SHIFT_DAYS")
if _days:
    # Absolute, so that child processes started in another folder (every test has its own) find
    # this file too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        os.path.abspath(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
    )
    import datetime as _dt

    import time_machine as _time_machine

    _destination = _dt.datetime.now(_dt.UTC) + _dt.timedelta(days=float(_days))
    _time_machine.travel(_destination, tick=True).start()
