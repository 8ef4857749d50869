"""What a run records when it cannot run as planned: never "completed" after a crash, nothing
at all for a bad firmware file, a consent event for a destructive loop."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from benchtui.bench.engine import CycleEngine
from benchtui.bench.session import BenchSession
from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE
from benchtui.errors import ConfirmationRequired, FirmwareError

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def demo_copy(tmp_path: Path, small_firmware: Path):
    """Factory: the demo profile with the small image (or `firmware`), its database in tmp_path."""
    def make(firmware: Path | str = small_firmware, erase: str = "sectors") -> Path:
        text = DEMO_PROFILE.read_text()
        text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{firmware}"')
        text = text.replace('database = "benchtui-demo.db"', f'database = "{tmp_path / "runs.db"}"')
        text = text.replace('erase = "sectors"', f'erase = "{erase}"').replace("off_s = 0.3", "off_s = 0.05")
        path = tmp_path / "demo.toml"
        path.write_text(text)
        return path
    return make


def benchtui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchtui.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_a_chip_erase_loop_is_refused_without_yes_and_recorded_with_it(demo_copy, tmp_path):
    profile = demo_copy(erase="chip")
    refused = benchtui("run", "--profile", str(profile), "--virtual", "--cycles", "1", "-q")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert 'safety: ' in refused.stderr and 'target.erase = "chip"' in refused.stderr
    assert "--yes" in refused.stderr
    assert not (tmp_path / "runs.db").exists(), "nothing may happen before the consent"
    done = benchtui("run", "--profile", str(profile), "--virtual", "--cycles", "1", "-q", "--yes")
    assert done.returncode == 0, done.stderr
    with open_store(tmp_path / "runs.db", readonly=True) as store:
        run = store.runs()[-1]
        events = [e for e in store.events(run.id) if e.kind == "destructive_confirmed"]
    assert run.cycles == 1 and len(events) == 1 and "--yes" in events[0].text


@pytest.mark.slow
def test_a_truncated_hex_stops_the_run_before_the_first_cycle(demo_copy, tmp_path, small_firmware):
    lines = small_firmware.read_text().splitlines()
    cut = tmp_path / "cut.hex"
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    done = benchtui("run", "--profile", str(demo_copy(cut)), "--virtual", "--cycles", "3", "-q")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"firmware: {cut}: the hex file has no end-of-file record" in done.stderr
    if (tmp_path / "runs.db").exists():
        with open_store(tmp_path / "runs.db", readonly=True) as store:
            assert store.runs() == [], "a bad file is not a board failure: no run, no cycles"


async def _engine(profile):
    session = BenchSession(profile)
    await session.open()
    assert session.state.psu_connected and session.state.scope_connected
    return session, CycleEngine(session)


@pytest.mark.parametrize("case", ["outside-flash", "missing"])
async def test_bad_firmware_raises_before_anything_is_recorded(case, virtual_bench, tmp_path):
    from intelhex import IntelHex

    _, profile = virtual_bench("healthy")
    if case == "outside-flash":
        ih = IntelHex()
        ih.frombytes(b"\x55" * 64, offset=0x09000000)  # past the 1 MB (ZG) / 2 MB (ZI) flash
        ih.write_hex_file(str(tmp_path / "far.hex"))
        firmware, text = tmp_path / "far.hex", "data at 0x09000000 is outside the target's flash"
    else:
        firmware, text = tmp_path / "gone.hex", "no such firmware file"
    profile = profile.replace(target=dataclasses.replace(profile.target, firmware=str(firmware)))
    session, engine = await _engine(profile)
    try:
        with pytest.raises(FirmwareError, match=text):
            await engine.run(3)
    finally:
        await session.close()
    assert engine.run_id is None
    assert not session.target.connected


async def test_a_confirmation_is_needed_in_the_engine_too(virtual_bench):
    _, profile = virtual_bench("healthy")
    profile = profile.replace(target=dataclasses.replace(profile.target, erase="chip"))
    session, engine = await _engine(profile)
    try:
        with pytest.raises(ConfirmationRequired, match='target.erase = "chip"'):
            await engine.run(1)
    finally:
        await session.close()
    assert engine.run_id is None


async def test_a_crashed_run_reads_back_interrupted_and_the_psu_is_off(virtual_bench, monkeypatch):
    vb, profile = virtual_bench("healthy")
    session, engine = await _engine(profile)
    calls = 0
    real = session.psu_read

    async def crash_on_the_second_read():
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyError("a bug nobody mapped")  # what escaped target.erase in the soak
        return await real()

    monkeypatch.setattr(session, "psu_read", crash_on_the_second_read)
    try:
        with pytest.raises(KeyError):
            await asyncio.wait_for(engine.run(5), 120)
    finally:
        await session.close()
    assert not vb.instruments.psu.channels[1].output
    assert engine.safe_state_confirmed
    with open_store(profile.store.database, readonly=True) as store:
        run = store.run(engine.run_id)
    assert run.status == "interrupted", run
