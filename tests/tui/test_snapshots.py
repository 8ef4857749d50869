"""Snapshots of the overview, the console's first screen, at 80x24 and 120x36.

pytest-textual-snapshot renders the real app headless and compares the SVG with the accepted
one in __snapshots__/ (regenerate after an intended change with `pytest --snapshot-update` and
look at the SVGs). Everything on screen is fixed: the real virtual bench with the PSU output off
(its readback is 0 V / 0 A), a capture made of fixed synthetic waveforms (drawn through the scope
tab's real path), option bytes decoded from fixed register values, and the clock text of the
"read at" times pinned. No live value changes between runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchtui.devices.mcu import STM32F7
from benchtui.devices.waveform import Waveform
from benchtui.tui.app import BenchApp
from benchtui.tui.panels import OverviewPanel, ScopePanel
from benchtui.tui.panels import overview as overview_module
from benchtui.tui.widgets import WaveformPlot

from .conftest import connected, on_screen, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

#: Register values of the pinned option bytes: RDP level 0, sectors 0-3 write-protected.
OPTCR, OPTCR1 = 0x0FFCAAED, 0x00400080


def synthetic_power_up() -> dict[str, Waveform]:
    """A power-up record, 1 ms before to 4 ms after the trigger: VDD ramps to 3.3 V, the VCAPs
    follow to 1.2 V (VCAP1 dips below its 1.1 V minimum once), NRST is released at 2 ms."""
    t0, dt, n = -1e-3, 5e-6, 1000
    t = t0 + dt * np.arange(n)
    up = np.clip(t / 0.6e-3, 0.0, 1.0)
    vdd = 3.3 * up
    vcap = 1.2 * np.clip((t - 0.2e-3) / 0.6e-3, 0.0, 1.0)
    vcap1 = vcap - 0.25 * ((t > 2.4e-3) & (t < 2.5e-3))
    nrst = np.where(t > 2e-3, 3.3, 0.0)
    return {net: Waveform(net, ch, t0, dt, volts) for ch, (net, volts) in enumerate(
        (("VDD", vdd), ("VCAP1", vcap1), ("VCAP2", vcap), ("NRST", nrst)), start=1)}


@pytest.fixture
def pinned_clock(monkeypatch):
    """Every 'read at' / capture time on the overview reads 12:00:00."""
    monkeypatch.setattr(overview_module, "_ago", lambda when: "12:00:00" if when else "")


@pytest.fixture
def overview_app(bench_factory, pinned_clock):
    vb, profile = bench_factory()
    app = BenchApp(profile)

    async def settle(pilot) -> None:
        await wait_for(pilot, lambda: connected(app) and not app.busy, "the instruments")
        app.panel(ScopePanel).show_capture("power_up", 3, synthetic_power_up())
        app.option_bytes_read(STM32F7.decode_options(0x451, 2048, OPTCR, OPTCR1))
        plots = list(app.query(".ov-plot").results(WaveformPlot))
        assert len(plots) == len(app.profile.scope.channels)
        await wait_for(pilot, lambda: all(len(p.volts) for p in plots), "the capture on the overview")
        app.panel(OverviewPanel).refresh_cards()
        await on_screen(pilot, "WRP 4 sectors", "the option bytes on the overview")
    return app, settle


def test_overview_80x24(overview_app, snap_compare):
    app, settle = overview_app
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_overview_120x36(overview_app, snap_compare):
    app, settle = overview_app
    assert snap_compare(app, terminal_size=(120, 36), run_before=settle)
