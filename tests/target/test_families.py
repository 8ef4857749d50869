"""The STM32H7 and STM32L4 families end to end on their twins, through the stock pyOCD stack: the
chip's own layout (the family module and the twin's silicon agree sector for sector), erase by
sector number, program and verify, write protection per sector named in the error, option bytes
decoded, changed with verify and compared with the factory values; then the stock pyOCD CLI
against a served twin, benchtui's `flash`, `erase` and `ob --set` on the virtual bench, a
10-cycle loop per scenario and the console."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import pytest
from intelhex import IntelHex

from benchtui.devices.firmware import FirmwareImage
from benchtui.devices.mcu import family_by_name
from benchtui.devices.target import TargetLink
from benchtui.errors import ConfirmationRequired, SafetyError, WriteProtected
from benchtui.profile import TargetConfig, load_profile

from .conftest import register

ROOT = Path(__file__).resolve().parents[2]
K = 1024

# (twin variant, profile target type, family, dev_id, flash KB, dual bank, sector numbers,
#  pyOCD's own target type for the stock CLI, the demo profile)
CHIPS = {
    "h743zi": ("stm32h743zi", "STM32H7", 0x450, 2048, True, list(range(16)), "stm32h743xx",
               "demo-stm32h743.toml"),
    "h750vb": ("stm32h750vb", "STM32H7", 0x450, 128, False, [0], "stm32h750xx", None),
    "h723zg": ("stm32h723zg", "STM32H7", 0x483, 1024, False, list(range(8)), "stm32h723xx", None),
    "l476rg": ("stm32l476rg", "STM32L4", 0x415, 1024, True, list(range(512)), "stm32l475xg",
               "demo-stm32l476.toml"),
    "l432kc": ("stm32l432kc", "STM32L4", 0x435, 256, False, list(range(128)), "stm32l432kc", None),
}


def _twin(variant: str, **kw):
    from benchtui.sim.twin.mcu import Stm32Twin
    return Stm32Twin(variant, time_scale=0.0, seed=5, **kw)


def _link(variant: str, **kw):
    twin = _twin(variant, **kw)
    link = TargetLink(TargetConfig(probe_uid=register(twin), target_type=CHIPS[variant][0]))
    link.connect()
    return twin, link


@pytest.mark.parametrize("variant", CHIPS)
def test_layout_erase_program_verify_and_protection(variant):
    target_type, family, dev_id, kb, dual, numbers, _, _ = CHIPS[variant]
    twin, link = _link(variant)
    try:
        ident = link.identity
        assert (ident.family, ident.dev_id, ident.flash_kb) == (family, dev_id, kb)
        assert ident.profile_mismatch is None and ident.uid == twin.uid_hex
        layout = link.layout()
        assert layout.numbers == numbers and layout.dual_bank == dual
        assert sum(s.size for s in layout) == kb * K
        silicon = [(s.number, 0x08000000 + s.offset, s.size, s.snb, s.wrp_bit, s.bank)
                   for s in twin.flash.sectors()]
        assert sorted(silicon) == sorted((s.number, s.start, s.size, s.snb, s.wrp_bit, s.bank)
                                         for s in layout)
        # An image over a sector boundary (across the banks on a dual-bank part).
        if dual:
            bank2 = layout.get(numbers[len(numbers) // 2])
            start, size = bank2.start - 16 * K, 40 * K
        else:
            start, size = layout[0].start + 4 * K, min(kb * K - 8 * K, 3 * layout[0].size // 2)
        data = random.Random(kb).randbytes(size)
        image = FirmwareImage(((start, data),), f"{variant}.bin")
        covered = link.sectors_for(image)
        assert covered == [s.number for s in layout.covering(start, start + size)]
        link.erase(covered)
        assert dict(twin.flash.erase_counts) == {n: 1 for n in covered}
        link.program(image)
        assert link.verify(image).ok
        assert dict(twin.flash.erase_counts) == {n: 1 for n in covered}
        # Write protection of one sector: the erase names it, unprotect needs no confirmation.
        last = covered[-1]
        ob = link.read_option_bytes()
        assert ob.differences_from_factory() == [] and ob.protected_sectors() == []
        with pytest.raises(ConfirmationRequired):
            link.write_option_bytes(ob.with_protection([last]))
        protected = link.write_option_bytes(ob.with_protection([last]), confirm=True)
        assert protected.protected_sectors() == [last]
        assert [st for st, _, _ in protected.differences_from_factory()]
        with pytest.raises(WriteProtected, match=f"sector {last} is write-protected"):
            link.erase([last])
        assert link.remove_write_protection().protected_sectors() == []
        link.erase([last])
    finally:
        link.disconnect()


#: (the watchdog field, a bank-2 field) by family.
FIELDS = {"STM32H7": ("IWDG1_SW", "WPSN2"), "STM32L4": ("IWDG_SW", "WRP2A_STRT")}


@pytest.mark.parametrize("variant", ["h743zi", "h723zg", "l476rg", "l432kc"])
def test_option_bytes_change_verify_and_refusals(variant):
    twin, link = _link(variant)
    try:
        ob = link.read_option_bytes()
        assert ob.rdp_level == 0 and ob.bor_level == 0
        names = {st for st, _ in ob.fields()}
        watchdog, bank2 = FIELDS[CHIPS[variant][1]]
        assert {"RDP", "BOR_LEV", watchdog} <= names
        assert (bank2 in names) == CHIPS[variant][4]
        found = link.set_bor_level(2, confirm=True)
        assert found.bor_level == 2
        assert [st for st, _, _ in found.differences_from_factory()] == ["BOR_LEV"]
        assert link.reconnect() and link.read_option_bytes().bor_level == 2   # stored: survives reset
        with pytest.raises(SafetyError, match="RDP level 2"):
            link.write_option_bytes(ob.replace(rdp=0xCC), confirm=True)
        with pytest.raises(SafetyError):
            link.set_bor_level(7, confirm=True)
    finally:
        link.disconnect()


def test_the_l4_option_loader_flags_a_spoiled_load_and_a_broken_complement():
    """L4: a spoiled option-byte load sets FLASH_SR.OPTVERR and comes up with bank 1 protected;
    an option write cut short leaves a stored value whose complement disagrees, seen by the
    forensics at the next power-up."""
    from benchtui.sim.twin.power import AlwaysPowered

    class Scripted(AlwaysPowered):
        bad_load = False
        hit: str | None = None

        def option_load_ok(self) -> bool:
            return not self.bad_load

        def disturbance(self, t0, t1):
            return self.hit

    power = Scripted()
    twin, link = _link("l476rg", power=power)
    try:
        clean = link.option_forensics()
        assert clean.complements and clean.complement_errors == 0 and clean.notes == ()
        link.disconnect()
        power.bad_load = True
        power.power_cycle()
        link.connect()
        spoiled = link.option_forensics()
        assert spoiled.options.protected_sectors() == list(range(256))
        assert any("OPTVERR" in n for n in spoiled.notes)
        power.bad_load = False
        power.hit = "nrst-glitch"          # the next option write is cut short by a reset
        ob = link.read_option_bytes()
        with pytest.raises(Exception):
            link.write_option_bytes(ob.replace(bor_lev=1), confirm=True)
        power.hit = None
        link.disconnect()
        power.power_cycle()
        link.connect()
        after = link.option_forensics()
        assert after.complement_errors == 1 and after.options.rdp_level == 1
        assert any("OPTR" in n and "complement disagrees" in n for n in after.notes)
    finally:
        link.disconnect()


def test_an_option_load_the_supply_spoils_protects_every_sector():
    """The seed's symptom on the H7: a disturbed option-byte load at power-up comes up with every
    sector write-protected; the forensics see it, and the next clean power-up is clean again."""
    from benchtui.sim.twin.power import AlwaysPowered

    class Spoiled(AlwaysPowered):
        bad = False

        def option_load_ok(self) -> bool:
            return not self.bad

    power = Spoiled()
    twin, link = _link("h743zi", power=power)
    try:
        link.disconnect()
        power.bad = True
        power.power_cycle()
        link.connect()
        forensics = link.option_forensics()
        assert forensics.options.protected_sectors() == list(range(16))
        assert forensics.complements == ()    # the H7's stored option bytes are not mapped
        link.disconnect()
        power.bad = False
        power.power_cycle()
        link.connect()
        assert link.option_forensics().options.protected_sectors() == []
    finally:
        link.disconnect()


# --- the stock pyOCD command line ---------------------------------------------------------------

def _pyocd(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyocd", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


@pytest.mark.slow
@pytest.mark.parametrize("variant", CHIPS)
def test_the_stock_pyocd_cli_flashes_and_erases_the_twin(variant, tmp_path):
    from benchtui.sim.twin.server import serve_twin

    stock = CHIPS[variant][6]
    twin = _twin(variant)
    server = serve_twin(twin)
    try:
        data = random.Random(9).randbytes(40 * K)
        ih = IntelHex()
        ih.frombytes(data, offset=0x08000000)
        ih.write_hex_file(str(tmp_path / "fw.hex"))
        res = _pyocd("flash", "-u", server.uid, "-t", stock, "-M", "under-reset", str(tmp_path / "fw.hex"),
                     cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert bytes(twin.nv.flash[:len(data)]) == data
        res = _pyocd("erase", "--chip", "-u", server.uid, "-t", stock, "-M", "under-reset", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert twin.nv.flash == b"\xff" * len(twin.nv.flash)
    finally:
        server.stop()


# --- benchtui's flash, erase, ob, the loop and the console on the virtual bench ----------------

def _profile(tmp_path: Path, firmware: Path, name: str, **sim) -> Path:
    text = (ROOT / "profiles" / name).read_text()
    text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{firmware}"')
    text = text.replace("off_s = 0.3", "off_s = 0.05")
    lines = text.splitlines()
    for key, value in sim.items():
        at = next((i for i, line in enumerate(lines) if line.split("=")[0].strip() == key), None)
        if at is None:
            lines.insert(lines.index("[sim]") + 1, f"{key} = {value}")
        else:
            lines[at] = f"{key} = {value}"
    text = "\n".join(lines) + "\n"
    path = tmp_path / name
    path.write_text(text)
    return path


def _benchtui(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchtui.cli", *args], capture_output=True, text=True,
                          timeout=240, cwd=cwd)


DEMOS = {v: c[7] for v, c in CHIPS.items() if c[7]}


@pytest.mark.slow
@pytest.mark.parametrize("variant", DEMOS)
def test_flash_erase_and_ob_commands(variant, tmp_path, small_firmware):
    path = _profile(tmp_path, small_firmware, DEMOS[variant], scenario='"healthy"',
                    state_file=f'"{tmp_path / "twin.state"}"')
    res = _benchtui("flash", "--profile", str(path), "--virtual", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verify OK" in res.stdout and CHIPS[variant][1] in res.stderr.replace("STM32H742/H743", "STM32H7")
    res = _benchtui("erase", "--profile", str(path), "--virtual", "--sectors", "1", "-q", cwd=tmp_path)
    assert res.returncode == 0 and "erased sector(s) 1" in res.stdout, res.stdout + res.stderr
    res = _benchtui("ob", "--profile", str(path), "--virtual", "--set", "BOR_LEV=0x1", cwd=tmp_path)
    assert res.returncode == 2 and "--yes" in res.stderr
    res = _benchtui("ob", "--profile", str(path), "--virtual", "--set", "BOR_LEV=0x1", "--yes", cwd=tmp_path)
    assert res.returncode == 0 and "written and verified" in res.stdout, res.stdout + res.stderr
    res = _benchtui("ob", "--profile", str(path), "--virtual", "--json", cwd=tmp_path)
    import json
    record = json.loads(res.stdout)
    assert record["option_bytes"]["fields"]["BOR_LEV"] == 1
    assert record["option_bytes"]["factory_differences"] == [["BOR_LEV", 1, 0]]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["healthy", "vcap-marginal", "nrst-noise", "brownout", "swd-intermittent"])
@pytest.mark.parametrize("variant", DEMOS)
def test_a_ten_cycle_loop_per_scenario(variant, scenario, tmp_path, small_firmware):
    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.session import BenchSession
    from benchtui.bench.store import open_store
    from benchtui.cli import start_virtual_bench

    profile = load_profile(_profile(tmp_path, small_firmware, DEMOS[variant]))
    profile = profile.replace(store=dataclasses.replace(profile.store, database=str(tmp_path / "r.db")),
                              cycle=dataclasses.replace(profile.cycle, on_settle_s=0.01))
    vb, live = start_virtual_bench(profile, scenario=scenario, seed=3)

    async def run():
        session = BenchSession(live)
        await session.open()
        try:
            return await CycleEngine(session).run(10)
        finally:
            await session.close()

    try:
        summary = asyncio.run(run())
    finally:
        vb.stop()
    assert summary.status == "completed" and summary.cycles == 10
    if scenario == "healthy":
        assert summary.failures == 0
    with open_store(live.store.database, readonly=True) as store:
        cycles = store.cycles(summary.id)
    family = family_by_name(CHIPS[variant][1])
    connected = [c for c in cycles if c.target]
    assert connected and all(c.target["family"] == family.name for c in connected)
    with_ob = [c for c in connected if c.option_bytes and c.option_bytes.get("fields")]
    assert with_ob and all(c.option_bytes["family"] == family.name for c in with_ob)


@pytest.mark.slow
@pytest.mark.parametrize("variant", DEMOS)
async def test_the_console_flashes_the_twin(variant, tmp_path, small_firmware):
    from benchtui.cli import start_virtual_bench
    from benchtui.tui.app import BenchApp
    from benchtui.tui.dialogs import ConfirmDialog
    from tests.tui.conftest import log_has, on_screen, power_on, wait_for

    profile = load_profile(_profile(tmp_path, small_firmware, DEMOS[variant], scenario='"healthy"'))
    vb, live = start_virtual_bench(profile)
    live = live.replace(store=dataclasses.replace(live.store, database=str(tmp_path / "c.db")))
    first_field = {"STM32H7": "IWDG1_SW", "STM32L4": "IWDG_SW"}[CHIPS[variant][1]]
    try:
        app = BenchApp(live)
        async with app.run_test(size=(100, 32)) as pilot:
            await power_on(pilot, app)
            await pilot.press("2")
            await pilot.press("c")
            await wait_for(pilot, lambda: app.state.target.option_bytes is not None, "option bytes")
            rows = await on_screen(pilot, lambda rows: any(f"UID {vb.board.uid}" in r for r in rows)
                                   and any(first_field in r for r in rows), "identity and option bytes")
            assert any("no sector write-protected" in r for r in rows)
            await pilot.press("f")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await wait_for(pilot, lambda: log_has(app, "verify OK"), "program + verify")
    finally:
        vb.stop()


# --- a reset while pyOCD's flash algorithm runs is seen at once ---------------------------------

@pytest.mark.parametrize("variant", ["zg", "h743zi", "l476rg"])
def test_a_reset_during_programming_is_seen_at_once(variant):
    """An NRST pulse that hits while the algorithm programs: the link reports a core reset
    within a fraction of a second (DHCSR.S_RESET_ST), not after pyOCD's algorithm timeout."""
    import time

    from benchtui.errors import CoreReset
    from benchtui.sim.twin.power import AlwaysPowered

    class ResetWhileProgramming(AlwaysPowered):
        armed = False
        label = ""

        def add_load(self, current_a, duration_s, label="", after=None):
            self.label = label
            return super().add_load(current_a, duration_s, label, after)

        def disturbance(self, t0, t1):
            return "nrst-glitch" if self.armed and self.label == "program" else None

    power = ResetWhileProgramming()
    target_type = CHIPS[variant][0] if variant in CHIPS else "stm32f767zg"
    twin = _twin(variant, power=power)
    link = TargetLink(TargetConfig(probe_uid=register(twin), target_type=target_type))
    link.connect()
    try:
        image = FirmwareImage(((0x08000000, random.Random(2).randbytes(16 * K)),), "fw.bin")
        link.erase(link.sectors_for(image))
        power.armed = True
        started = time.monotonic()
        with pytest.raises(CoreReset, match="S_RESET_ST"):
            link.program(image)
        assert time.monotonic() - started < 1.0
        assert "nrst-glitch" in twin.reset_log
    finally:
        link.disconnect()
