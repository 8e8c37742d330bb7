"""The HTML report: self-contained, complete, refused without its inputs, and rendered by a real browser."""
import base64
import re
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

import riskmodel as rm
from riskmodel.cli import cli
from riskmodel.present.report import build_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("results")
    run = CliRunner().invoke(cli, ["run", "--horizon", "3y", "--sims", "4000", "--quiet", "--out", str(d)])
    assert run.exit_code == 0, run.output
    return d  # the run alone: the report needs no other command


@pytest.fixture(scope="module")
def report_file(results_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = CliRunner().invoke(cli, ["report", str(results_dir), "-o", str(out)])
    assert r.exit_code == 0 and "self-contained" in r.output, r.output
    return out


def test_report_is_self_contained_and_complete(report_file):
    text = report_file.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)  # nothing to fetch: readable offline
    assert "<script" not in text
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    # loss distribution, exceedance, claims by year, contributions by country and by exporter
    assert len(images) == 5
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    for section in ("Summary", "Capital", "Exceedance", "Who consumes the capital", "Figures", "Lifetime",
                    "What the programme buys", "Pricing", "Scenario", "Provenance"):
        assert f"<h2>{section}" in text, section
    assert text.index("<h2>Summary") < text.index("<h2>Capital") < text.index("<h2>Who consumes")
    assert "id='contributions_country'" in text and "id='contributions_exporter'" in text
    assert "Herfindahl index of capital" in text and "risk_adjusted_rate" not in text  # labels in words
    assert "portfolio_sha256" in text and "&quot;horizon_years&quot;: 3.0" in text
    words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert "&lt;NA&gt;" not in words
    assert not re.search(r"\bnan\b", words, re.I)


def test_report_of_a_directory_without_results_names_what_is_missing(tmp_path):
    (tmp_path / "metrics.parquet").write_bytes(b"")
    with pytest.raises(rm.InputError) as e:
        build_report(tmp_path)
    missing = {p.source.split("/")[-1] for p in e.value.problems}
    assert missing == {"losses.parquet", "run.json", "scenario.json"}
    r = CliRunner().invoke(cli, ["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "riskmodel run --out" in r.output and not (tmp_path / "r.html").exists()


def test_report_renders_in_a_headless_browser(report_file, tmp_path):
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless browser found (chromium): install Debian's chromium to check how the report renders")
    shot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1200,2400",
                    f"--screenshot={shot}", report_file.as_uri()], check=True, capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1200)
    ink = (img.sum(axis=2) < 2.7).mean()  # share of pixels that are not white: text, tables, figures
    assert ink > 0.05, f"the page looks blank ({ink:.1%} ink)"
    heading = np.all(np.abs(img - np.array([0x1F, 0x4E, 0x79]) / 255) < 0.03, axis=2)
    assert heading[:200].any(), "the title is not drawn in the report's heading colour: the styles did not apply"
    figure_blue = np.all(np.abs(img - np.array([0x1F, 0x4E, 0x79]) / 255) < 0.25, axis=2)
    assert figure_blue[600:].mean() > 0.005, "no figure drawn below the tables"


def test_the_runs_contributions_sum_to_its_es_and_name_every_country(results_dir):
    from riskmodel.analysis.stored import StoredResult

    r = StoredResult(results_dir)
    level = r.scenario.lifetime.capital_level
    for by in ("country", "exporter", "importer", "region"):
        c = r.contributions(by=by)
        assert c["value"].sum() == pytest.approx(r.es(level).value, rel=1e-9)  # Euler: they add up
        assert (c["level"] == level).all() and (c["measure"] == "es").all()
    h = r.herfindahl().set_index("dimension")
    shares = r.contributions(by="country")["share"]
    assert h.loc["country", "hhi_capital"] == pytest.approx(float((shares ** 2).sum()), rel=1e-9)


def test_a_contributions_file_beside_the_run_adds_its_figure_only_when_it_is_the_same_runs(results_dir, tmp_path):
    d = tmp_path / "res"
    shutil.copytree(results_dir, d)
    same = ["contributions", "--by", "region", "--horizon", "3y", "--sims", "4000", "--quiet", "--out", str(d)]
    assert CliRunner().invoke(cli, same).exit_code == 0
    text = build_report(d)
    assert "id='contributions'" in text and "note:" not in text
    other = CliRunner().invoke(cli, same[:-2] + ["--seed", "99", "--out", str(d)])
    assert other.exit_code == 0, other.output
    text = build_report(d)
    assert "id='contributions'" not in text and "another run than run.json" in text and "seed" in text
    images = re.findall(r"src='data:image/png;base64,", text)
    assert len(images) == 5  # the run's own figures stand
