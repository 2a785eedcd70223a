"""`cips weights set --language` and `cips import --language` say all of their refusal in that
language: click's "Error:" word, the heading, and the numbers grouped as the language groups
them (French "1 000", not "1,000"); and every reason at once."""

from __future__ import annotations

import pandas as pd
from babel.numbers import format_decimal

from analysis.interchange import write
from analysis.synthetic import generate_wave
from tests.test_weights_release import MARGINS, OFFICIALS, cips  # noqa: F401 (the fixture)


def test_weights_set_refuses_in_its_language(cips, tmp_path):  # noqa: F811
    run, _db = cips
    (tmp_path / "bad.csv").write_text(MARGINS.replace("leadership,no,770", "leadership,no,700"))
    margins = ["weights", "set", "--campaign", "bf-2025", "--margins", str(tmp_path / "bad.csv")]
    french = run(*margins, "--language", "fr", ok=False).output
    assert french.startswith("Erreur\u202f: bf-2025\u202f: marges non définies\n- "), french
    assert f"leadership totalise 930, gender {format_decimal(1000, locale='fr')}." in french
    assert "1,000" not in french and "Error" not in french
    english = run(*margins, ok=False).output
    assert english.startswith("Error: bf-2025: margins not set\n- ")
    assert "leadership sums to 930, gender to 1,000" in english
    # Every reason at once: a category that is not one of the question's, and the totals.
    (tmp_path / "bad.csv").write_text(MARGINS.replace("leadership,no,770", "leadership,no,700")
                                      .replace("gender,male", "gender,men"))  # fmt: skip
    both = run(*margins, "--language", "fr", ok=False).output
    assert "men n'est pas une catégorie de gender" in both
    assert f"leadership totalise 930, gender {format_decimal(1000, locale='fr')}." in both


def test_import_refuses_in_its_language(cips, tmp_path):  # noqa: F811
    run, _db = cips
    path = write(generate_wave(OFFICIALS, 12, administration="BF", wave="2026", seed=4),
                 tmp_path / "bad.csv")  # fmt: skip
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "lc1"] = "7"
    frame.to_csv(path, index=False)
    out = run("import", str(path), "--language", "fr", ok=False).output
    assert "\nErreur\u202f: 1 problème(s) trouvé(s) dans " in out
    assert "Error" not in out
