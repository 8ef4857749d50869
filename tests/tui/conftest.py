"""Fixtures for the console's Pilot tests: a virtual bench per test and helpers to read the screen."""

from __future__ import annotations

import dataclasses
import io
import socket

import pytest
from rich.console import Console

from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile

#: Longest wait for something the bench must do (connect, a cycle); a test fails after it.
WAIT_S = 20.0


@pytest.fixture
def bench_factory(tmp_path, small_firmware):
    """Start a virtual bench for a scenario with the small test image; database in tmp_path."""
    started = []

    def start(scenario: str = "healthy", seed: int = 7, **cycle):
        profile = load_profile(DEMO_PROFILE)
        vb, live = start_virtual_bench(profile, scenario=scenario, seed=seed)
        started.append(vb)
        live = live.replace(store=dataclasses.replace(live.store, database=str(tmp_path / "bench.db")),
                            target=dataclasses.replace(live.target, firmware=str(small_firmware)),
                            cycle=dataclasses.replace(live.cycle, **{"off_s": 0.05, **cycle}))
        return vb, live

    yield start
    for vb in started:
        vb.stop()


def closed_port() -> int:
    """A localhost port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def absent_profile(database: str):
    """The demo profile with no instrument behind its addresses (nothing listens there)."""
    profile = load_profile(DEMO_PROFILE)
    return profile.replace(
        psu=dataclasses.replace(profile.psu, resource=f"TCPIP0::127.0.0.1::{closed_port()}::SOCKET"),
        scope=dataclasses.replace(profile.scope, resource=f"TCPIP0::127.0.0.1::{closed_port()}::SOCKET"),
        store=dataclasses.replace(profile.store, database=database))


@pytest.fixture
def absent_bench(tmp_path):
    """A bench whose instruments are not there (the console must open and say so)."""
    return absent_profile(str(tmp_path / "none.db"))


async def wait_for(pilot, condition, what: str, timeout: float = WAIT_S):
    """Let the app run until `condition()` is true; fail naming `what` after `timeout` seconds."""
    import time
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; log:\n" + "\n".join(log_lines(pilot.app)[-15:]))
        await pilot.pause(0.05)


async def on_screen(pilot, test, what: str, timeout: float = WAIT_S) -> list[str]:
    """Wait until the screen shows something, then return its rows. `test` is a string some row
    must contain, or a function of the rows.

    Panels repaint at most every PAINT_INTERVAL_S and a loaded machine adds its own delay, so a
    fixed pause before reading the screen is a race; waiting for what the user would see is not.
    """
    check = (lambda rows: any(test in row for row in rows)) if isinstance(test, str) else test
    await wait_for(pilot, lambda: check(screen_text(pilot.app)), what, timeout)
    return screen_text(pilot.app)


def log_lines(app) -> list[str]:
    """The log tab's lines as plain text."""
    from benchtui.tui.panels import LogPanel
    return list(app.query_one(LogPanel).lines)


def log_has(app, text: str) -> bool:
    return any(text in line for line in log_lines(app))


def screen_text(app) -> list[str]:
    """What the terminal shows now, one string per row (as a user over SSH would see it)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def connected(app) -> bool:
    """PSU and scope both connected."""
    st = app.session.state if app.session else None
    return bool(st and st.psu_connected and st.scope_connected)


async def power_on(pilot, app) -> None:
    """Wait for the instruments, switch the PSU output on (`o`) and wait until it is on."""
    await wait_for(pilot, lambda: connected(app), "instruments")
    await pilot.press("o")
    await wait_for(pilot, lambda: log_has(app, "output ON"), "output on")
