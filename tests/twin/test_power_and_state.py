"""Power, reset and persistence: the twin follows its power source's verdicts."""

from __future__ import annotations

import pytest
from pyocd.core import exceptions

from benchtui.sim.twin.flash import ERSERR, OPERR, WRPERR
from benchtui.sim.twin.mcu import Stm32Twin
from benchtui.sim.twin.plugin import register_twin, unregister_twin
from benchtui.sim.twin.power import AlwaysPowered
from benchtui.sim.twin.probe import TwinProbe

from .conftest import open_session
from .test_pyocd_session import FLASH_CR, FLASH_KEYR, FLASH_OPTCR, FLASH_SR, write_options


class BenchSupply(AlwaysPowered):
    """A supply a test switches by hand, with scripted verdicts (a real PowerSource)."""

    def __init__(self):
        super().__init__()
        self.on = True
        self.load_ok = True
        self.verdicts: list[str | None] = []

    def powered(self):
        return self.on

    def option_load_ok(self):
        return self.load_ok

    def disturbance(self, t0, t1):
        return self.verdicts.pop(0) if self.verdicts else None


@pytest.fixture
def supply():
    return BenchSupply()


@pytest.fixture
def powered_uid(supply):
    twin = Stm32Twin("zi", power=supply)
    uid = register_twin(twin)
    yield twin, uid
    unregister_twin(uid)


def erase_sector_by_hand(target, snb):
    target.write32(FLASH_KEYR, 0x45670123)
    target.write32(FLASH_KEYR, 0xCDEF89AB)
    target.write32(FLASH_CR, (2 << 8) | (snb << 3) | 2 | (1 << 16))
    return target.read32(FLASH_SR)


def test_unpowered_target_gives_no_ack(powered_uid, supply):
    twin, uid = powered_uid
    supply.on = False
    probe = TwinProbe(twin, uid)
    with pytest.raises(exceptions.TransferError) as info:
        probe.read_dp(0)
    assert not isinstance(info.value, exceptions.TransferFaultError)


def test_failed_option_load_protects_every_sector(powered_uid, supply, tmp_path):
    twin, uid = powered_uid
    supply.load_ok = False
    supply.power_cycle()
    with open_session(uid, tmp_path) as session:
        target = session.target
        assert target.read32(FLASH_OPTCR) == 0xF000AAFD
        assert erase_sector_by_hand(target, 3) & WRPERR
        target.write32(FLASH_CR, (1 << 2) | (1 << 16))          # mass erase
        assert target.read32(FLASH_SR) & WRPERR
    supply.load_ok = True
    supply.power_cycle()
    with open_session(uid, tmp_path) as session:
        assert session.target.read32(FLASH_OPTCR) == 0xFFFFAAFD


def test_vcap_dip_leaves_sector_half_erased_with_errors(powered_uid, supply, tmp_path):
    twin, uid = powered_uid
    twin.nv.flash[0:0x8000] = bytes(0x8000)
    with open_session(uid, tmp_path) as session:
        supply.verdicts = ["vcap-dip"]
        sr = erase_sector_by_hand(session.target, 0)
    assert sr & (OPERR | ERSERR) == OPERR | ERSERR
    assert twin.nv.flash[:0x4000] == b"\xff" * 0x4000
    assert twin.nv.flash[0x4000:0x8000] == bytes(0x4000)
    assert supply.loads[-1][2] > 0 and "erase" in supply.loads[-1][3]


def test_reset_during_option_write_corrupts_option_bytes(powered_uid, supply, tmp_path):
    twin, uid = powered_uid
    with open_session(uid, tmp_path) as session:
        target = session.target
        supply.verdicts = ["nrst-reset"]
        write_options(target, target.read32(FLASH_OPTCR) & ~(1 << 16))
        assert "nrst-reset" in twin.reset_log
        optcr = target.read32(FLASH_OPTCR)
        assert optcr >> 8 & 0xFF == 0xFF and optcr >> 16 & 0xFFF == 0
        assert target.read32(0x40023C18) == 0xFFFFFFFF
        with pytest.raises(exceptions.TransferFaultError):
            target.read32(0x08000000)


def test_state_file_keeps_flash_and_options(tmp_path):
    state = tmp_path / "twin.state"
    twin = Stm32Twin("zg", state_file=state)
    twin.nv.flash[:4] = b"\x01\x02\x03\x04"
    twin.nv.optcr &= ~(1 << 20)
    twin.save()
    again = Stm32Twin("zg", state_file=state)
    assert again.nv.flash[:4] == b"\x01\x02\x03\x04"
    assert again.bus_read(0x40023C14, 4) == 0xFFEFAAFD
    assert again.bus_read(0x1FF0F442, 2) == 0x0400
    with pytest.raises(ValueError, match="twin.state"):
        Stm32Twin("zi", state_file=state)


def test_rdp_level2_locks_debug_port_for_good(tmp_path):
    state = tmp_path / "l2.state"
    twin = Stm32Twin("zi", state_file=state)
    uid = register_twin(twin)
    try:
        with open_session(uid, tmp_path) as session:
            write_options(session.target, (session.target.read32(FLASH_OPTCR) & ~0xFF00) | 0xCC00)
            session.target.reset()
    except exceptions.Error:
        pass   # the reset loads level 2: the session loses the target while closing
    finally:
        unregister_twin(uid)
    twin.save()
    probe = TwinProbe(Stm32Twin("zi", state_file=state), "x")
    with pytest.raises(exceptions.TransferError):
        probe.read_dp(0)
