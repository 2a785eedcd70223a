"""`cips analyze` as an analyst mistypes it: an indicator naming what the data does not have is
refused with what it has, instead of an empty KPI table; a wave whose campaigns are still open
is said to be open (with how to close it), not to have no responses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.campaigns import create_campaign
from survey.loader import load_questionnaires
from survey.storage.models import Administration
from tests.test_analysis_import import cips  # noqa: F401 (the fixture: a database with BF)

QUESTIONNAIRES = load_questionnaires()


@pytest.fixture
def officials(tmp_path):
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 40, administration="BF", wave="2026",
                          seed=1)  # fmt: skip
    return write(frame, tmp_path / "officials-2026.csv")


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("officials:item:zz9:pct_favourable", "no item zz9 in the officials survey (items: "),
        ("officials:factor:11:score", "no factor 11 in the officials survey (factors: "),
        ("private_sector:factor:1:score", "no private_sector responses (surveys: officials)"),
        ("officials:item:ai2:alpha", "alpha is not measured for an item (metrics: score, "),
    ],
)
def test_an_indicator_the_data_lacks_is_refused_naming_what_it_has(
    cips,  # noqa: F811 (the fixture)
    officials,
    tmp_path,
    spec,
    said,
):
    out = tmp_path / "out"
    for source in (["--input", str(officials)], []):  # a file, then the database
        refused = cips("analyze", *source, "--format", "csv", "--out", str(out), "--kpi", spec,
                       ok=False)  # fmt: skip
        assert refused.exit_code == 2
        assert "Invalid value for --kpi: " + spec in refused.output
        assert said in refused.output, refused.output
        assert not (out / "kpis.csv").exists()
        if not source:
            break
        cips("import", str(officials))
    if spec.endswith("zz9:pct_favourable"):
        assert "ai1, ai2" in refused.output and "integrity_index" not in refused.output
    if ":factor:11:" in spec:
        assert "(factors: integrity_index, 1, 2, 3" in refused.output


def test_a_wave_still_open_is_named_with_how_to_close_it(cips, db, officials, tmp_path):  # noqa: F811
    # As after `cips demo`: last year's wave closed, this year's campaigns open and answered.
    with db.transaction() as session:
        bf = session.scalar(select(Administration).where(Administration.code == "BF"))
        for code, qid, wave in (("bf-2027-officials", "cips-officials", "2027"),
                                ("bf-2027-traders", "cips-private-sector", "2027"),
                                ("bf-2028", "cips-officials", "2028")):  # fmt: skip
            create_campaign(session, bf, QUESTIONNAIRES[qid], wave, code=code)
    out = ["--format", "csv", "--out", str(tmp_path / "out")]
    only_open = cips("analyze", "--administration", "BF", *out, ok=False)
    assert ("no responses to analyse: campaigns bf-2027-officials, bf-2027-traders, bf-2028 are "
            "open: their responses are analysed when they close (cips campaign close CODE)"
            in only_open.output)  # fmt: skip
    cips("import", str(officials), "--code", "bf-2026")  # a closed wave beside the open ones
    assert "no responses for wave 2027: campaigns bf-2027-officials, bf-2027-traders are " in cips(
        "analyze", "--administration", "BF", "--wave", "2027", *out, ok=False).output  # fmt: skip
    one = cips("analyze", "--wave", "2028", *out, ok=False).output
    assert (
        "no responses for wave 2028: campaign bf-2028 is open: its responses are analysed "
        "when it closes (cips campaign close bf-2028)"
    ) in one
    # Nothing open in that wave: the plain message.
    assert "Error: no responses for wave 2030\n" in cips("analyze", "--wave", "2030", *out,
                                                         ok=False).output  # fmt: skip
