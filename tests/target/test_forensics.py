"""Option-byte forensics: a write cut short leaves the stored words' complements disagreeing
(F7), the link reports it, and the run's identity tracker turns cycle-to-cycle changes into
the `ob.*` features and the `option_bytes_changed` / `board_changed` events."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchtui.bench.forensics import IdentityTracker
from benchtui.devices.mcu.stm32f7 import factory
from benchtui.devices.target import OptionForensics, TargetLink
from benchtui.errors import BenchError

from .conftest import config, make_twin, register


def test_an_option_write_cut_short_breaks_the_stored_complements() -> None:
    from tests.twin.test_power_and_state import BenchSupply

    supply = BenchSupply()
    twin = make_twin("zg", power=supply)
    link = TargetLink(config(register(twin)))
    link.connect()
    try:
        clean = link.option_forensics()
        assert clean.complement_errors == 0 and len(clean.complements) == 4
        supply.verdicts = ["brownout-reset"]          # the supply dips during OPTSTRT
        with pytest.raises(BenchError):
            link.write_option_bytes(link.read_option_bytes().replace(iwdg_stop=0), confirm=True)
    finally:
        link.disconnect()
    link.connect()                                    # the next power-up loads what was left
    try:
        broken = link.option_forensics()
        assert broken.options.rdp_level == 1 and broken.options.protected_sectors() == list(range(8))
        assert broken.complement_errors == 3
        assert all("complement disagrees" in n for n in broken.notes)
        record = broken.to_record()
        assert record["complement_errors"] == 3 and record["rdp_level"] == 1
    finally:
        link.disconnect()


def _ident(uid: str):
    return SimpleNamespace(uid=uid, profile_mismatch=None, notes=(), to_record=lambda: {"part": "x"})


def test_the_tracker_says_what_changed_since_the_previous_cycle() -> None:
    tracker = IdentityTracker()
    good = factory(1024)
    bad = good.replace(nwrp=0x000, rdp=0xFF)

    obs = tracker.identity(11, _ident("A" * 24))
    assert obs.board_uid == "A" * 24 and not obs.events
    obs = tracker.option_bytes(11, OptionForensics(good))
    features = {f.name: f.value for f in obs.features}
    assert features == {"ob.protected_sectors": 0.0, "ob.changed": 0.0, "ob.rdp_level": 0.0,
                        "ob.complement_errors": None}
    assert all(f.kind == "ob" for f in obs.features)

    tracker.identity(12, _ident("A" * 24))
    obs = tracker.option_bytes(12, OptionForensics(bad))
    (event,) = obs.events
    assert event.kind == "option_bytes_changed" and event.cycle == 12
    assert event.text == ("cycle 12: option bytes changed since cycle 11: "
                          "RDP 0xAA -> 0xFF, nWRP 0xFFF -> 0x000")
    features = {f.name: f.value for f in obs.features}
    assert features["ob.changed"] == 1.0 and features["ob.protected_sectors"] == 8.0
    assert features["ob.rdp_level"] == 1.0

    obs = tracker.identity(13, _ident("B" * 24))       # another board on the bench
    (event,) = obs.events
    assert event.kind == "board_changed" and "since cycle 12" in event.text
    obs = tracker.option_bytes(13, OptionForensics(good))
    assert not obs.events                             # another board's bytes are no "change"
