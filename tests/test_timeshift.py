"""The any-date run (tests/timeshift): when it is on, this process and the Python processes the
tests start live that many days ahead of the real clock, which the file system still keeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

DAYS = os.environ.get("CIPS_TEST_TIME_SHIFT_DAYS")


@pytest.mark.skipif(not DAYS, reason="the suite runs on the real date (CIPS_TEST_TIME_SHIFT_DAYS)")
def test_every_python_process_lives_in_the_shifted_future(tmp_path):
    fresh = tmp_path / "now"
    fresh.touch()  # stamped by the kernel: the real time
    real = fresh.stat().st_mtime
    child = subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    for shifted in (time.time(), float(child.stdout)):
        assert abs(shifted - real - float(DAYS) * 86400) < 600
