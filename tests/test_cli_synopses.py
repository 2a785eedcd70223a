"""The README's synopses of the analysis commands agree with the commands: every option they
show exists, every option appears, a required one is not in brackets and one taking a value
that may be left out is, and an option given several times is written `[--opt X]...` (the
form `--opt X...` reads as several values after one `--opt`, which click refuses)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from cips.cli import load_command

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = ["import", "export", "codebook", "analyze", "report", "generate",
            "weights set", "weights show", "weights clear"]  # fmt: skip
OPTION = re.compile(
    r"(\[?)(--[a-z][a-z-]*|-o)((?: [A-Z][A-Za-z.]*| [a-z]+(?:\\\|[a-z]+)+)?)(\]?)(\.\.\.)?"
)


def synopses(name: str) -> list[str]:
    rows = [line.split(" | ")[0] for line in README.splitlines() if line.startswith("| `cips ")]
    found = [s for row in rows for s in re.findall(r"`(cips [^`]*)`", row)]
    return [s for s in found if re.match(rf"cips {name}( |$)", s)]


def command(name: str) -> click.Command:
    group, *sub = name.split()
    found = load_command(group)
    return found.commands[sub[0]] if sub else found


@pytest.mark.parametrize("name", COMMANDS)
def test_the_readme_synopsis_is_what_the_command_takes(name):
    shown = synopses(name)
    assert shown, f"no synopsis of cips {name} in the README"
    options = {opt: p for p in command(name).params if isinstance(p, click.Option)
               for opt in p.opts}  # fmt: skip
    seen = set()
    for synopsis in shown:
        for bracket, opt, value, closing, repeated in OPTION.findall(synopsis):
            assert opt in options, f"{synopsis}: cips {name} has no {opt}"
            param = options[opt]
            seen.add(param.name)
            assert not value.endswith("..."), f"{synopsis}: write [{opt}{value[:-3]}]..."
            if repeated:
                assert param.multiple, f"{synopsis}: {opt} is given once"
            if param.required:
                assert not bracket, f"{synopsis}: {opt} is required"
            elif value and not param.is_flag:
                assert bracket and closing, f"{synopsis}: {opt} may be left out: [{opt}{value}]"
    missing = {p.name for p in command(name).params if isinstance(p, click.Option)} - seen
    assert not missing - {"help"}, f"cips {name}: the README leaves out {sorted(missing)}"


def test_analyze_takes_its_input_files_as_the_readme_shows(tmp_path):
    from analysis.interchange import write
    from analysis.synthetic import generate_wave
    from survey.loader import load_questionnaires
    from tests.cli_support import run_cips

    questionnaires = load_questionnaires()
    files = []
    for number, qid in enumerate(("cips-officials", "cips-private-sector")):
        frame = generate_wave(questionnaires[qid], 30, administration="BF", wave="2026",
                              seed=number)  # fmt: skip
        files += ["--input", str(write(frame, tmp_path / f"{qid}.csv"))]
    run_cips("analyze", *files, "--format", "csv", "--out", str(tmp_path / "out"))
    assert set((tmp_path / "out" / "factors.csv").read_text().split("\n")[1:3]) != {""}
