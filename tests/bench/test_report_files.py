"""`report --html` and `--markdown`: the same findings as the text report, the HTML checked in
a real headless Chromium (renders without console errors, shows its plots, asks the network
for nothing)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord, WaveformRecord
from benchtui.bench.features import compute_capture_features, step_features
from benchtui.bench.diagnosis import load_knowledge
from benchtui.bench.store import open_store
from benchtui.cli import build_parser, main

#: The salvage advice names `benchtui ob` only once that command exists (issue #9).
HAS_OB_COMMAND = "ob" in build_parser()._subparsers._group_actions[0].choices
DT = 2e-6
N = 3000
LIMITS = {"VDD": (3.0, 3.6), "VCAP1": (1.1, 1.4), "NRST": (2.0, None)}
PROFILE = {"source": "profiles/bench-3.toml", "psu": {"voltage": 3.3, "current_limit": 0.5},
           "scope": {"channels": {net: {"min": lo, "max": hi} for net, (lo, hi) in LIMITS.items()},
                     "fault_catch": {"source": "VCAP1", "level": 1.1, "slope": "falling"}}}


def power_up(rng: np.random.Generator, dip: float) -> dict[str, WaveformRecord]:
    """VDD ramps up at t = 0; VCAP1 follows and dips by `dip` when NRST releases at 1.5 ms."""
    t = -1e-3 + DT * np.arange(N)
    vdd = np.clip(t / 0.5e-3, 0, 1) * 3.3 + rng.normal(0, 0.004, N)
    vcap = np.clip(t / 0.5e-3, 0, 1) * 1.2 + rng.normal(0, 0.002, N)
    vcap[(t > 1.5e-3) & (t < 1.6e-3)] -= dip
    nrst = np.where(t > 1.5e-3, 3.3, 0.0)
    return {net: WaveformRecord("power_up", net, -1e-3, DT, v) for net, v in
            (("VDD", vdd), ("VCAP1", vcap), ("NRST", nrst))}


@pytest.fixture(scope="module")
def report_db(tmp_path_factory) -> Path:
    """30 cycles: a VCAP1 dip at power-up over 0.1 V loads the option bytes write-protected and
    the erase fails; the board ends the run protected."""
    rng = np.random.default_rng(21)
    db = tmp_path_factory.mktemp("report") / "run.db"
    with open_store(db) as store:
        run_id = store.start_run("report files", PROFILE, {}, {}, scenario="vcap-marginal")
        for i in range(1, 31):
            dip = rng.uniform(0.02, 0.2)
            protected = dip > 0.1 or i == 30
            waves = power_up(rng, dip)
            features = compute_capture_features("power_up", waves, LIMITS)
            features.append(FeatureValue("ob.protected_sectors", 12.0 if protected else 0.0, "", "ob"))
            t = 100.0 * i
            steps = (StepRecord("erase", t, t + (0.01 if protected else 0.5), "fail" if protected else "pass",
                                1, "WriteProtected" if protected else None, None),)
            store.add_cycle(run_id, CycleRecord(
                i, t, t + 1, not protected, "erase" if protected else None,
                "WriteProtected" if protected else None, "sector 0 is write-protected" if protected else None,
                steps, tuple(features + step_features(steps)), tuple(waves.values())))
        store.end_run(run_id)
    return db


@pytest.mark.slow
def test_html_report_renders_in_chromium_with_its_plots_and_no_network(report_db: Path, tmp_path: Path,
                                                                        chromium, capsys) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(report_db), "--html", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # Nothing to fetch: no src/href leaves the page; the only URLs are SVG namespace names and
    # the knowledge base's sources, as text.
    assert not re.findall(r'(?:src|href)="(?!#)', text)
    cited = {u for s in load_knowledge().sources.values() for u in re.findall(r"https?://[^\s\"'<>)]+", s)}
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= {"http://www.w3.org/2000/svg",
                                                                "http://www.w3.org/1999/xlink"} | cited

    page = chromium.open_file(out)
    assert page.title().startswith("benchtui report: run 1")
    assert chromium.errors(page) == []
    assert chromium.requests(page) == [out.resolve().as_uri()]
    verdict = page.locator("#verdict").inner_text()
    assert verdict.startswith("Verdict: likely the VCAP1/VCAP2 capacitors")
    assert page.locator("#finding-1").get_attribute("data-part") == "vcap"
    assert "next" in page.locator("#finding-1 dt").all_inner_texts()
    plots = page.locator("svg.plot")
    assert plots.count() >= 3  # distributions, the power-up waveforms, the timeline
    for i in range(plots.count()):
        box = plots.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, (i, box)
    assert page.locator("#waves-power_up svg.plot").count() == 1
    assert page.locator("#timeline svg.plot").count() == 1
    assert page.locator("#dist-1 svg text", has_text="threshold").count() == 1
    # Salvage: the board ended protected; the commands named are ones this benchtui has.
    salvage = page.locator("#salvage").inner_text()
    assert "remove the write protection" in salvage and "Unprotect…" in salvage
    assert ("benchtui ob " in salvage) == HAS_OB_COMMAND
    assert page.locator("#features tbody tr").count() >= 3


def test_markdown_report_has_the_same_findings_as_tables(report_db: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.md"
    assert main(["report", str(report_db), "--markdown", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# benchtui report: run 1")
    assert "**Verdict:** likely the VCAP1/VCAP2 capacitors" in md
    assert "### 1. VCAP1/VCAP2 capacitors" in md and "| **next** |" in md
    assert "| # | feature | failure | AUC |" in md and "<svg" not in md
    assert "## Salvage" in md and "Unprotect…" in md and ("nWRP=0xFFF" in md) == HAS_OB_COMMAND
    assert "`power_up.VCAP1.dip_depth`" in md  # feature names as code, not emphasis
    assert main(["report", str(report_db), "--markdown"]) == 0
    assert capsys.readouterr().out == md


def test_report_text_and_json_from_the_cli(report_db: Path, capsys) -> None:
    assert main(["report", str(report_db)]) == 0
    text = capsys.readouterr().out
    assert "verdict: likely the VCAP1/VCAP2 capacitors" in text
    assert "salvage (the board ended the run protected):" in text
    assert "consequences (what the failure did" in text and "step.erase.duration" in text
    assert main(["report", str(report_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"][0]["part"].startswith("VCAP1/VCAP2") and data["findings"][0]["advice"]


@pytest.mark.slow
def test_report_to_an_unwritable_path_is_one_line(report_db: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "missing" / "r.html"
    assert main(["report", str(report_db), "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{target}: cannot write the HTML report" in err
