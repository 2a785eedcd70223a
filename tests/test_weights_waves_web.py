"""Weights across waves on the results page (README, "Weights"): a wave is weighted only when its
own campaigns have margins, whatever an earlier wave's; a weighted trend over an unweighted wave
says so; the weighted and unweighted downloads of one wave have different file names."""

from __future__ import annotations

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.loader import load_questionnaires
from tests.test_weights_web import MARGINS
from tests.web_support import post_form

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()


def imported(world, tmp_path, wave: str, seed: int) -> str:
    """A closed campaign of CI's officials, 300 made-up respondents; its code."""
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 300, administration="CI", wave=wave,
                          seed=seed)  # fmt: skip
    path = write(frame, tmp_path / f"officials-{wave}.csv")
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES["cips-officials"], code=f"ci-{wave}")
    return f"ci-{wave}"


def set_margins(client, code: str) -> None:
    url = f"/campaigns/{code}/weights"
    assert post_form(client, url, url, MARGINS).status_code == 302


def disposition(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.headers["Content-Disposition"]


def test_a_wave_without_margins_is_not_labelled_weighted(world, signed_in, tmp_path):
    client = signed_in("ci-coordinator")
    set_margins(client, imported(world, tmp_path, "2024", seed=3))
    imported(world, tmp_path, "2025", seed=4)  # no margins of its own
    page = client.get("/results/CI/2025").text
    assert "Show the unweighted figures" not in page and 'id="weighting"' not in page
    assert 'id="mixed-trend"' not in page  # its trend is unweighted throughout
    assert 'id="weighting"' in client.get("/results/CI/2024").text


def test_the_weighted_and_unweighted_downloads_have_different_names(world, signed_in, tmp_path):
    client = signed_in("ci-coordinator")
    set_margins(client, imported(world, tmp_path, "2024", seed=3))
    weighted = disposition(client, "/results/CI/2024/results.xlsx")
    unweighted = disposition(client, "/results/CI/2024/results.xlsx?figures=unweighted")
    assert 'filename="cips-results_CI_2024_en_weighted.xlsx"' in weighted
    assert 'filename="cips-results_CI_2024_en_unweighted.xlsx"' in unweighted
    chart = "/results/CI/2024/charts/factors-officials.png?download=1"
    assert disposition(client, chart) != disposition(client, f"{chart}&figures=unweighted")


def test_a_weighted_trend_over_an_unweighted_wave_says_so(world, signed_in, tmp_path):
    client = signed_in("ci-coordinator")
    imported(world, tmp_path, "2024", seed=3)  # no margins
    set_margins(client, imported(world, tmp_path, "2025", seed=4))
    page = client.get("/results/CI/2025").text
    assert 'id="weighting"' in page
    assert (
        "The trend compares the weighted figures of 2025 with the unweighted figures of 2024"
        in page
    )
    client.get("/language/fr")
    assert 'id="mixed-trend"' in client.get("/results/CI/2025").text
    assert 'id="mixed-trend"' not in client.get("/results/CI/2025?figures=unweighted").text
