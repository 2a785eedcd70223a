"""Running `cips`: in the test process (settings re-read from the environment), or as a child
process started the way a newcomer or an operator starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner, Result

from cips.cli import context, main


def run_cips(*args: str, ok: bool = True) -> Result:
    """Run `cips ARGS...` in this process and check whether it succeeded."""
    context.settings.cache_clear()
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


def newcomer_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh machine: none of cips's own variables set (plus `extra`)."""
    own = ("CIPS_", "TELEGRAM_", "DATABASE_URL")
    return {k: v for k, v in os.environ.items() if not k.startswith(own)} | extra


class CipsProcess:
    """`cips ARGS...` as a child process in `folder`, its output in `folder/cips.log`."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None):
        self.log = folder / "cips.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "cips", *args], cwd=folder,
                                            env=env or newcomer_env(), stdout=out,
                                            stderr=subprocess.STDOUT)  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 60) -> re.Match:
        """The first match of `pattern` once the output has `count` of them."""
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.output(), re.S)) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"no {pattern!r} from cips:\n{self.output()}")
            time.sleep(0.1)
        return re.search(pattern, self.output(), re.S)

    def interrupt(self) -> None:
        """Ctrl-C: cips must stop cleanly."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(30) == 0, self.output()
        assert "Traceback" not in self.output()
