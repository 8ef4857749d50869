"""The diagnosis on runs with a planted cause, stored and read back like a real run: which part
it names, the evidence it quotes, what it says to measure, salvage, and what it leaves apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.diagnosis import diagnose, load_knowledge
from benchtui.bench.diagnosis.knowledge import KNOWLEDGE_FILE
from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord
from benchtui.bench.report import load_report, report_json
from benchtui.bench.store import open_store
from benchtui.errors import KnowledgeError

PROFILE = {"source": "profiles/bench-7.toml",
           "psu": {"voltage": 3.3, "current_limit": 0.5},
           "scope": {"channels": {"VDD": {"min": 3.0, "max": 3.6}, "VCAP1": {"min": 1.1, "max": 1.4},
                                  "NRST": {"min": 2.0, "max": None}},
                     "fault_catch": {"source": "VCAP1", "level": 1.1, "slope": "falling"}},
           "target": {"target_type": "stm32f767zg"},
           "sim": {"time_scale": 0.0}}


def cycle(index: int, failed: str | None, error: str | None, features: dict[str, tuple[float, str, str]],
          identity: dict | None = None) -> CycleRecord:
    t = 10.0 * index
    steps = [StepRecord("connect", t, t + 0.1, "pass"),
             StepRecord("read_identity", t + 0.1, t + 0.2, "pass", details=identity or {}),
             StepRecord("erase", t + 0.2, t + (0.25 if failed else 0.9), "fail" if failed else "pass", 1,
                        error, "planted" if failed else None)]
    values = [FeatureValue(n, v, u, k) for n, (v, u, k) in features.items()]
    values += [FeatureValue("step.erase.duration", steps[-1].duration, "s", "timing"),
               FeatureValue("step.erase.attempts", 1.0, "", "timing")]
    return CycleRecord(index, t, t + 1, failed is None, failed, error, "planted" if failed else None,
                       tuple(steps), tuple(values))


def store_run(path: Path, records: list[CycleRecord], profile: dict = PROFILE) -> Path:
    with open_store(path) as store:
        run_id = store.start_run("planted", profile, {}, {}, scenario=None)
        for r in records:
            store.add_cycle(run_id, r)
        store.end_run(run_id)
    return path


def report_of(path: Path):
    with open_store(path, readonly=True) as store:
        return load_report(store)


@pytest.fixture(scope="module")
def write_protect_run(tmp_path_factory) -> Path:
    """60 cycles: when VCAP1 dips at power-up the option bytes load with every sector
    write-protected (ob.protected_sectors = 12) and the erase fails write-protected; other
    erases fail with a flash error when VCAP1 dips during the erase. The last cycle ends
    protected, with RDP level 1."""
    rng = np.random.default_rng(12)
    records = []
    for i in range(1, 61):
        dip_up = rng.uniform(0.02, 0.20)
        dip_flash = rng.uniform(0.0, 0.16)
        protected = dip_up > 0.14 or i == 60
        flash_fail = not protected and dip_flash > 0.12
        feats = {"power_up.VCAP1.dip_depth": (dip_up + rng.normal(0, 0.002), "V", "rail"),
                 "power_up.VDD.mean": (3.3 + rng.normal(0, 0.004), "V", "rail"),
                 "psu.on.current": (0.06 + rng.normal(0, 0.002), "A", "psu"),
                 "flash.VCAP1.min": (1.2 - dip_flash, "V", "rail"),
                 "ob.protected_sectors": (12.0 if protected else 0.0, "", "ob"),
                 "ob.changed": (1.0 if protected else 0.0, "", "ob"),
                 "ob.rdp_level": (1.0 if i == 60 else 0.0, "", "ob")}
        failed, error = ("erase", "WriteProtected") if protected else \
            ("erase", "FlashOperationError") if flash_fail else (None, None)
        records.append(cycle(i, failed, error, feats))
    return store_run(tmp_path_factory.mktemp("wp") / "run.db", records)


def test_knowledge_base_loads_with_every_part_rule_and_source_checked() -> None:
    kb = load_knowledge()
    assert set(kb.families) == {"STM32F7", "STM32F4", "STM32H7", "STM32L4"}
    assert {"vcap", "supply", "supervisor", "reset", "ob_load", "swd"} <= set(kb.parts)
    assert kb.rule_for("power_up.VCAP2.dip_depth", "above").part == "vcap"
    assert kb.rule_for("psu.flash.current", "above").part == "supply"
    assert kb.rule_for("power_up.VDD.rise_time", "above").part == "supervisor"
    assert kb.rule_for("flash.NRST.min", "below").part == "reset"
    assert kb.rule_for("ob.protected_sectors", "above").part == "ob_load"
    # A VCAP that is *higher* in failing cycles during the flash is no VCAP dip.
    assert kb.rule_for("flash.VCAP1.min", "above") is None
    assert kb.mode_rule("program (no SWD ACK)").part == "swd"
    assert kb.mode_rule("erase (core reset)").part == "reset"
    for part in kb.parts.values():
        assert part.sources, f"part {part.id} cites no source"


def test_a_broken_knowledge_base_is_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    """The knowledge base is read by the profile's loader: the same one-line errors."""
    original = KNOWLEDGE_FILE.read_text(encoding="utf-8")
    line = original[:original.index('part = "vcap"')].count("\n") + 1
    broken = tmp_path / "knowledge.toml"
    cases = [(original.replace('part = "vcap"', 'part = "vcapp"', 1),
              f"{broken}:{line}: evidence[0].part: unknown part 'vcapp'"),
             (original.replace('direction = "below"', 'direction = "under"', 1),
              "evidence[0].direction: 'under' is not one of below, above"),
             (original.replace('observation = "{net} dips', 'observaton = "{net} dips', 1),
              "evidence[0].observaton: unknown key (did you mean 'observation'?)"),
             (original.replace('features = ["*.VCAP*.min", "*.VCAP*.mean"]', 'features = "*.VCAP*.min"', 1),
              "evidence[0].features: expected a list"),
             (original.replace('sources = ["f7-34", "st-v12"]', 'sources = ["f7-99"]', 1),
              "evidence[0].sources: unknown source 'f7-99'"),
             ("families = [", "not valid TOML")]
    for text, expected in cases:
        broken.write_text(text, encoding="utf-8")
        with pytest.raises(KnowledgeError) as err:
            load_knowledge(broken)
        message = str(err.value)
        assert expected in message and str(broken) in message and "\n" not in message, message
        load_knowledge.cache_clear()


def test_write_protection_after_power_up_points_back_at_the_vcap_dip(write_protect_run: Path) -> None:
    report = report_of(write_protect_run)
    d = report.diagnosis
    first, second = d.items[0], d.items[1]
    assert first.part_id == "vcap" and first.kind == "evidence"
    assert d.verdict.startswith("likely the VCAP1/VCAP2 capacitors")
    assert "erase (write-protected)" in first.modes and "erase (flash error)" in first.modes
    assert second.part_id == "ob_load"
    assert second.evidence.feature in ("ob.protected_sectors", "ob.changed")
    assert second.points_back.startswith("points back at the VCAP1/VCAP2 capacitors")
    assert "power_up.VCAP1.dip_depth" in second.points_back
    # Each finding reads: what happened, the evidence with both sides' counts, part, next step.
    assert first.happened.endswith(")") and " of 60 cycles failed (" in first.happened
    ev = first.evidence
    group_failures = sum(n for m, n in report.analysis.failures_by_step.items() if m == ev.mode or ev.mode is None)
    assert ev.failures_near + ev.failures_far == group_failures
    assert ev.cycles_near + ev.cycles_far == 60 - (report.analysis.failures - group_failures)
    assert f"failures in {ev.failures_near} of {ev.cycles_near} cycles" in first.evidence_text
    assert first.confidence in ("strong", "moderate")
    assert "VCAP" in first.measure and "1.2 V ± 5 %" in first.measure and "1 ms" in first.measure
    assert any("ESR" in c for c in first.checks) and any("solder" in c for c in first.checks)
    assert first.sources and all(s for s in first.sources)


def test_consequences_are_shown_apart_and_never_in_a_finding(write_protect_run: Path) -> None:
    report = report_of(write_protect_run)
    d = report.diagnosis
    assert any(f.feature == "step.erase.duration" for f in d.consequences)
    quoted = [e.feature for i in d.items for e in ([i.evidence] if i.evidence else []) + list(i.supporting)]
    assert quoted and not any(q.startswith("step.") for q in quoted)
    assert all(f.kind != "timing" for f in report.analysis.evidence)


def test_salvage_when_the_board_ends_protected_names_commands_and_cost(write_protect_run: Path) -> None:
    d = report_of(write_protect_run).diagnosis
    by_id = {s.id: s for s in d.salvage}
    assert set(by_id) == {"wrp", "rdp1"}
    wrp, rdp = by_id["wrp"], by_id["rdp1"]
    assert "12 sectors write-protected after cycle 60" in wrp.state
    assert any("profiles/bench-7.toml" in c and "nWRP=0xFFF" in c for c in wrp.commands)
    assert "flash content stays" in wrp.cost
    assert "mass-erases" in rdp.cost and "16 s" in rdp.cost and "IWDG_SW" in rdp.cost
    assert any("RDP=0xAA" in c for c in rdp.commands)


def test_report_json_carries_part_and_advice_per_finding(write_protect_run: Path) -> None:
    report = report_of(write_protect_run)
    data = report_json(report.analysis, report.run, report.diagnosis)
    first = data["findings"][0]
    assert first["part"].startswith("VCAP1/VCAP2") and first["part_id"] == "vcap"
    assert first["advice"] == first["measure"] and "VCAP" in first["advice"]
    assert first["evidence"]["feature"] and first["checks"]
    assert data["verdict"] == report.diagnosis.verdict
    assert {s["id"] for s in data["salvage"]} == {"wrp", "rdp1"}
    rows = {(f["feature"], f["step"]): f for f in data["features"]}
    assert any(r["part_id"] == "vcap" for r in rows.values())
    assert all(r["part_id"] is None for r in rows.values() if r["role"] == "consequence")


def test_supply_sag_in_cc_names_the_current_limit_with_the_ratio(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    records = []
    for i in range(1, 41):
        extra = rng.uniform(0.36, 0.44)
        current = 0.06 + extra
        failed = current > 0.47
        records.append(cycle(i, "erase" if failed else None, "NoSwdAck" if failed else None,
                             {"psu.on.current": (round(current, 4), "A", "psu"),
                              "power_up.VCAP1.dip_depth": (rng.normal(0.11, 0.005), "V", "rail")}))
    d = report_of(store_run(tmp_path / "cc.db", records)).diagnosis
    first = d.items[0]
    assert first.part_id == "supply" and "current limit" in first.part
    assert "CC" in first.meaning and "constant current" in first.meaning
    assert "of the 500 mA limit" in first.observation and "%" in first.observation
    assert "3.30 V ± 3 %" in first.measure


def test_the_supply_finding_quotes_the_scope_rail_beside_stronger_psu_readbacks(tmp_path: Path) -> None:
    """Three PSU readbacks split the failures perfectly; VDD on the scope splits them less
    cleanly. The finding still quotes VDD: an independent instrument that agrees outweighs a
    third reading of the PSU."""
    rng = np.random.default_rng(5)
    records = []
    for i in range(1, 41):
        failed = i % 3 == 0
        sag = 0.08 if failed else 0.0
        records.append(cycle(i, "erase" if failed else None, "FlashOperationError" if failed else None, {
            "psu.on.current": (0.47 + (0.03 if failed else -0.03) + rng.normal(0, 0.002), "A", "psu"),
            "psu.flash.current": (0.48 + (0.03 if failed else -0.03) + rng.normal(0, 0.002), "A", "psu"),
            "psu.flash.cc": (1.0 if failed else 0.0, "", "psu"),
            "psu.flash.voltage": (3.3 - sag + rng.normal(0, 0.002), "V", "psu"),
            "power_up.VDD.mean": (3.0 - sag / 2 + rng.normal(0, 0.03), "V", "rail")}))
    first = report_of(store_run(tmp_path / "cc.db", records)).diagnosis.items[0]
    quoted = [first.evidence.feature] + [e.feature for e in first.supporting]
    assert first.part_id == "supply" and first.evidence.feature.startswith("psu."), quoted
    assert "power_up.VDD.mean" in quoted, quoted


def test_a_feature_measured_mostly_in_failing_cycles_is_not_compared(tmp_path: Path) -> None:
    """The fault catch captures every failing cycle but only a few passing ones: VDD in those
    captures splits perfectly, and says only how the captures were selected. The reset line,
    measured in every cycle, names the part."""
    rng = np.random.default_rng(9)
    records = []
    for i in range(1, 38):
        failed = i % 7 == 0
        feats = {"flash.NRST.min": (0.0 if failed or i % 5 == 0 else 3.3 + rng.normal(0, 0.01), "V", "rail"),
                 "flash.NRST.triggered": (1.0 if failed or i % 5 == 0 else 0.0, "", "rail")}
        if failed or i in (1, 2, 3, 4, 6, 8):
            feats["flash.VDD.mean"] = ((3.27 if failed else 3.29) + rng.normal(0, 0.001), "V", "rail")
        records.append(cycle(i, "erase" if failed else None, "CoreReset" if failed else None, feats))
    report = report_of(store_run(tmp_path / "caught.db", records))
    assert not [f for f in report.analysis.findings if f.feature == "flash.VDD.mean"]
    assert "different kinds of cycles" in report.analysis.untested["flash.VDD.mean"]
    assert report.diagnosis.items[0].part_id == "reset", report.diagnosis.items[0].part_id


def test_too_few_core_resets_say_how_many_more_cycles_and_which_trigger(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    records = []
    for i in range(1, 41):
        failed = i in (7, 19, 33)
        records.append(cycle(i, "erase" if failed else None, "CoreReset" if failed else None,
                             {"power_up.VCAP1.dip_depth": (rng.normal(0.11, 0.005), "V", "rail"),
                              "flash.VCAP1.min": (1.1, "V", "rail")}))
    d = report_of(store_run(tmp_path / "few.db", records)).diagnosis
    first = d.items[0]
    assert first.kind == "mode" and first.part_id == "reset" and first.confidence == "failure mode only"
    assert not first.confident and d.status == "not yet" and not d.settled
    assert d.verdict.startswith("not enough yet (3 failures in 40 cycles): about ")
    assert d.verdict.endswith("the failure mode alone suggests the reset line NRST")
    assert "only 3 failures in 40 cycles" in first.evidence_text
    more = " | ".join(d.more_data)
    assert "about 27 more cycles give them" in more  # 5 / (3/40) = 67 cycles
    assert f"after about {40 + d.more_cycles} cycles in all ({d.more_cycles} more)" in more
    assert 'source = "NRST"' in more and "[sim] time_scale = 1" in more


def test_no_rail_signature_points_at_the_swd_link(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    records = []
    for i in range(1, 61):
        failed = rng.random() < 0.25
        records.append(cycle(i, "erase" if failed else None, "NoSwdAck" if failed else None,
                             {f"power_up.{net}.mean": (rng.normal(v, 0.01), "V", "rail")
                              for net, v in (("VDD", 3.3), ("VCAP1", 1.2), ("NRST", 3.3))}))
    d = report_of(store_run(tmp_path / "swd.db", records)).diagnosis
    first = d.items[0]
    assert first.kind == "mode" and first.part_id == "swd" and "wiring" in first.part
    assert d.verdict.startswith("no rail signature")
    assert "no rail, PSU or option-byte feature separates" in first.evidence_text
    assert "SWD clock" in first.measure


def test_no_failures_gives_the_upper_bound_and_no_findings(tmp_path: Path) -> None:
    records = [cycle(i, None, None, {"power_up.VDD.mean": (3.3 + 0.001 * i, "V", "rail")}) for i in range(1, 21)]
    d = report_of(store_run(tmp_path / "ok.db", records)).diagnosis
    assert d.verdict == "no failures in 20 cycles" and d.items == ()
    assert "below 13.9%" in d.more_data[0]
    assert "takes 74 cycles without a failure (54 more)" in d.more_data[1]


def test_diagnose_without_a_store_or_profile_still_names_parts() -> None:
    from benchtui.bench.analysis import analyse
    from benchtui.bench.records import FeatureMatrix
    rng = np.random.default_rng(6)
    records = []
    for i in range(1, 41):
        glitches = float(rng.integers(0, 2) if i % 3 else rng.integers(2, 5))
        failed = glitches >= 2
        records.append(cycle(i, "verify" if failed else None, "CoreReset" if failed else None,
                             {"power_up.NRST.glitches": (glitches, "", "rail")}))
    d = diagnose(analyse(FeatureMatrix.from_records(records)))
    assert d.items[0].part_id == "reset" and "> 1.5" in d.items[0].evidence_text


def test_core_resets_the_nrst_fault_catch_missed_say_what_to_trigger_on_next(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    records = [cycle(i, "program" if i % 4 == 0 else None, "CoreReset" if i % 4 == 0 else None,
                     {"power_up.VDD.mean": (rng.normal(3.3, 0.01), "V", "rail"),
                      "flash.NRST.triggered": (0.0, "", "rail")}) for i in range(1, 41)]
    nrst = {**PROFILE, "scope": {**PROFILE["scope"], "fault_catch": {"source": "NRST", "level": 1.0,
                                                                     "slope": "falling"}}}
    d = report_of(store_run(tmp_path / "missed.db", records, nrst)).diagnosis
    first = d.items[0]
    assert first.kind == "mode" and first.part_id == "reset"
    assert "NRST fault catch was on" in first.measure and "BOR level" in first.measure
    assert not any('source = "NRST"' in m for m in d.more_data)  # it already is


def test_too_few_failures_never_name_a_confident_part_even_with_a_perfect_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    records = []
    for i in range(1, 41):
        failed = i in (5, 17, 26, 38)
        current = rng.uniform(0.47, 0.49) if failed else rng.uniform(0.06, 0.2)
        records.append(cycle(i, "erase" if failed else None, "NoSwdAck" if failed else None,
                             {"psu.on.current": (current, "A", "psu"),
                              "power_up.VCAP1.dip_depth": (rng.normal(0.11, 0.005), "V", "rail")}))
    d = report_of(store_run(tmp_path / "provisional.db", records)).diagnosis
    first = d.items[0]
    assert first.kind == "mode" and not first.confident and d.status == "not yet"
    # No SWD ACK during the erase: the failure mode alone cannot tell the link from a supply dip.
    assert d.verdict.startswith("not enough yet (4 failures in 40 cycles)")
    assert "the SWD link, or a supply dip that resets the chip" in d.verdict
    assert "resets it and silences SWD just the same" in first.meaning and "CC mode" in first.meaning


def test_the_watch_settles_at_the_look_a_report_of_the_same_cycles_decides(tmp_path: Path) -> None:
    """A recorded vcap-marginal run watched after every cycle under the plan (40 cycles at most):
    it settles once a VCAP feature clears that look's share of the error; a report of the stored
    run reads the plan from the run's profile and decides exactly as the loop did."""
    from benchtui.bench.watch import DiagnosisWatch
    from tests.recorded import load

    run = load("vcap-marginal", 4)
    watch = DiagnosisWatch(40)
    snapshot = watch.snapshot_with_plan(run.metadata["profile"])
    assert snapshot["sequential"] == {"max_cycles": 40, "alpha": 0.05, "spending": "lan-demets-pocock"}
    for record in run.cycles:
        diagnosis = watch.observe(record)
        if watch.done:
            break
    n = watch.settled_at
    assert n is not None and n < 40 and diagnosis.settled and diagnosis.first.part_id == "vcap"
    assert watch.analysis.level == watch.plan.level(n) and watch.analysis.plan == watch.plan
    earlier = DiagnosisWatch(40)
    earlier.snapshot_with_plan(run.metadata["profile"])
    assert not any(earlier.observe(r).settled for r in run.cycles[:n - 1])
    db = tmp_path / "watched.db"
    with open_store(db) as store:
        run_id = store.start_run("watched", snapshot, {}, {})
        for record in run.cycles[:n]:
            store.add_cycle(run_id, record)
        store.end_run(run_id)
    report = report_of(db)
    assert report.analysis.level == watch.plan.level(n)
    assert report.diagnosis.verdict == diagnosis.verdict and report.diagnosis.settled


def test_an_erase_that_flash_errors_points_at_the_flash_supply_never_the_link(tmp_path: Path) -> None:
    """Knowledge base: OPERR/ERSERR in an erase is the flash controller aborting, with the link
    working; with too few failures to compare rails the hint is the flash supply."""
    kb = load_knowledge()
    assert kb.mode_rule("erase (flash error)", ("OPERR", "ERSERR")).part == "flash_power"
    assert kb.mode_rule("erase (flash error)").part == "flash_power"
    assert kb.mode_rule("program (flash error)", ("PGPERR",)).part == "flash_power"
    assert not any("flash error" in w for r in kb.modes if r.part == "swd" for w in r.words)
    rng = np.random.default_rng(2)
    records = []
    for i in range(1, 21):
        failed = i in (4, 9, 15)
        rec = cycle(i, "erase" if failed else None, "FlashOperationError" if failed else None,
                    {"power_up.VCAP1.dip_depth": (rng.normal(0.05, 0.01), "V", "rail")})
        if failed:
            rec = CycleRecord(**{**rec.__dict__, "error_text": "erasing sector 0 at 0x08000000: OPERR ERSERR in "
                                 "sector 0; FLASH_SR=0x00000082: OPERR (operation error: the flash controller "
                                 "aborted the operation); ERSERR (erase sequence error)"})
        records.append(rec)
    d = report_of(store_run(tmp_path / "sr.db", records)).diagnosis
    first = d.first
    assert first.part_id == "flash_power" and first.rule == "flash-erase-aborted" and not first.confident
    assert "FLASH_SR OPERR ERSERR" in first.observation and "not the SWD link" in d.verdict
