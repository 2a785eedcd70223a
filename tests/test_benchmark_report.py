"""The country report's benchmark section (issue 23, item 4): once an administration imported
a host's published benchmark (signed by the host, trusted with `cips benchmark trust --host`),
its report says "compared with N administrations of the region", in the report's language
(English and French here), with the region's medians; without the file, no such section."""

from __future__ import annotations

import io

import pypdf
import pytest

from analysis.benchmark import signing
from analysis.benchmark.compute import compute
from analysis.benchmark.published import published_payload
from analysis.interchange import write
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.loader import load_questionnaires
from tests.cli_support import run_cips
from tests.test_benchmark_compute import ADMINISTRATIONS, frames_of, participant

QUESTIONNAIRES = load_questionnaires()


@pytest.fixture
def cips(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_SIGNING_KEYS_DIR", str(tmp_path / "keys"))
    run_cips("administration", "create", "CI", "--name", "Côte d'Ivoire", "--timezone", "UTC")
    for qid, n in (("cips-officials", 60), ("cips-private-sector", 40)):
        frame = generate_wave(QUESTIONNAIRES[qid], n, administration="CI", wave="2026", seed=5)
        run_cips("import", str(write(frame, tmp_path / f"{qid}.csv")), "--code", f"ci-{qid[5:8]}")
    yield run_cips
    context.settings.cache_clear()


@pytest.fixture(scope="module")
def host_payload():
    """A host's published benchmark of the 7 made-up administrations, all put in one region."""
    found = []
    questionnaires = {"officials": QUESTIONNAIRES["cips-officials"],
                      "private_sector": QUESTIONNAIRES["cips-private-sector"]}  # fmt: skip
    for index, code in enumerate(ADMINISTRATIONS):
        p = participant(code, frames_of(code, index), questionnaires)
        found.append(p.__class__(**{**p.__dict__, "region": "West Africa"}))
    return published_payload(compute(found, 10), "WCO Regional Office", None)


def text_of(path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_report_compares_with_the_region_in_two_languages(cips, tmp_path, host_payload):
    report = tmp_path / "before.pdf"
    cips("report", "--campaign", "ci-off", "--language", "en", "-o", str(report))
    assert "Compared with" not in text_of(report)

    host_keys = tmp_path / "host-keys"
    signing.create_key(host_keys)
    published = tmp_path / "benchmark.json"
    published.write_bytes(signing.canonical(signing.sign(host_payload, host_keys)))
    cips("benchmark", "trust", str(next(host_keys.glob("*.pub"))), "--host", "WCO")
    cips("benchmark", "import", str(published), "--region", "West Africa")

    cips("report", "--campaign", "ci-off", "--language", "en", "-o", str(report))
    english = text_of(report)
    assert "Compared with 7 administrations of West Africa" in english
    assert "The benchmark published by WCO Regional Office" in english
    median = next(g["median"] for g in host_payload["groups"]
                  if g["region"] == "West Africa" and g["survey"] == "officials"
                  and g["unit"] == "1" and g["measure"] == "pct_favourable")  # fmt: skip
    assert f"{median:.1f}" in english
    cips("report", "--campaign", "ci-off", "--language", "fr", "-o", str(report))
    french = text_of(report)
    assert "Comparée à 7 administrations de la région West Africa" in french
    assert "La comparaison publiée par WCO Regional Office" in french
    assert f"{median:.1f}".replace(".", ",") in french


def test_a_benchmark_signed_by_an_untrusted_host_is_refused(cips, tmp_path, host_payload):
    forger = tmp_path / "forger-keys"
    signing.create_key(forger)
    published = tmp_path / "benchmark.json"
    published.write_bytes(signing.canonical(signing.sign(host_payload, forger)))
    result = cips("benchmark", "import", str(published), ok=False)
    assert "does not trust" in result.output
