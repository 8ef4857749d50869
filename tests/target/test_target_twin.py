"""TargetLink against the STM32F767 twin, through the stock pyOCD stack (probe plugin or TCP
probe server), like real hardware: connect, identity, option bytes, erase/program/verify,
write and read protection, and how each failure is classified."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from benchtui.devices.mcu import stm32f7 as f7
from benchtui.devices.firmware import load_firmware
from benchtui.devices.target import TargetLink, list_probes
from benchtui.profile import AddressAlias
from benchtui.errors import (Cancelled, ProbeNotFound, ConfirmationRequired, FirmwareError, NoSwdAck, SafetyError,
                             TargetError, TransferFault, WriteProtected)

from .conftest import ITCM_ALIAS, config, make_twin, register, write_hex


def _image(link: TargetLink, path: Path):
    return load_firmware(path, aliases=[ITCM_ALIAS], flash=link.flash_regions())


def test_list_probes_shows_the_twin() -> None:
    uid = register(make_twin("zg"))
    probes = {p.uid: p for p in list_probes()}
    assert uid in probes
    assert probes[uid].description


def test_connect_under_reset_reads_identity_of_a_zg(link: TargetLink) -> None:
    ident = link.identity
    assert link.connected
    assert ident.dev_id == 0x451 and ident.revision == "Z" and ident.rev_id == 0x1001
    assert ident.flash_kb == 1024
    assert ident.dp_idr == 0x5BA02477 and ident.cpuid == 0x411FC270
    assert ident.part == "STM32F76x/F77x" and ident.target_type == "stm32f767zg"
    assert ident.probe_uid == link.cfg.probe_uid


def test_zi_twin_reports_2048_kb() -> None:
    target = TargetLink(config(register(make_twin("zi"))))
    try:
        assert target.connect("halt").flash_kb == 2048
    finally:
        target.disconnect()
    assert not target.connected


def test_factory_option_bytes(link: TargetLink) -> None:
    ob = link.read_option_bytes()
    assert ob.optcr == 0xFFFFAAFD and ob.optcr1 == 0x00400080
    assert ob.rdp_level == 0 and ob.protected_sectors() == []
    assert ob.differences_from_factory() == []


@pytest.mark.slow
def test_program_and_verify_seed_sized_hex_linked_at_itcm(link: TargetLink, seed_hex: Path) -> None:
    image = _image(link, seed_hex)
    assert image.start == 0x08000000 and image.size == 705_413
    assert link.sectors_for(image) == [0, 1, 2, 3, 4, 5, 6]
    seen: list[tuple[int, int]] = []
    result = link.program(image, progress=lambda done, total: seen.append((done, total)))
    assert result.bytes == image.size
    assert seen and seen[-1] == (image.size, image.size)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    verify = link.verify(image)
    assert verify.ok and verify.bytes_checked == image.size and verify.mismatch_count == 0
    assert link.read_memory(0x08000000, 8) == image.segments[0][1][:8]
    # a byte the flash holds differently from the file: first address and count
    data = bytearray(image.segments[0][1])
    data[0x12345] ^= 0x01
    data[0x40000] ^= 0xFF
    corrupt = type(image)(((0x08000000, bytes(data)),), image.path)
    bad = link.verify(corrupt)
    assert not bad.ok and bad.first_mismatch == 0x08012345 and bad.mismatch_count == 2


def test_erase_sectors_and_chip_erase_needs_confirmation(link: TargetLink, small_hex: Path) -> None:
    image = _image(link, small_hex)
    link.program(image)
    link.erase([1])
    assert link.read_memory(0x08008000, 16) == b"\xff" * 16
    assert link.read_memory(0x08000000, 8) == image.segments[0][1][:8]
    with pytest.raises(ConfirmationRequired):
        link.erase(None)
    link.erase(None, confirm=True)
    assert link.read_memory(0x08000000, 16) == b"\xff" * 16
    with pytest.raises(TargetError, match="sector 8 does not exist"):
        link.erase([8])


def test_write_protected_sector_erase_names_the_sector(link: TargetLink) -> None:
    protected = link.write_option_bytes(link.read_option_bytes().with_protection([2]), confirm=True)
    assert protected.protected_sectors() == [2]
    with pytest.raises(WriteProtected) as info:
        link.erase([2])
    assert "sector 2 is write-protected" in str(info.value)
    assert "WRPERR" in info.value.flags
    link.erase([1])  # an unprotected neighbour still erases
    assert link.erased_sectors() == [1]  # a refused erase is not remembered as done
    cleared = link.remove_write_protection()  # removing protection alone needs no confirmation
    assert cleared.protected_sectors() == []
    link.erase([2])
    assert link.read_memory(0x08010000, 4) == b"\xff" * 4


def test_option_write_without_confirm_is_refused_and_changes_nothing(link: TargetLink) -> None:
    with pytest.raises(ConfirmationRequired, match="IWDG_STOP 0x1 -> 0x0"):
        link.write_option_bytes(link.read_option_bytes().replace(iwdg_stop=0))
    with pytest.raises(ConfirmationRequired, match="BOR_LEV"):
        link.set_bor_level(3)
    assert link.read_option_bytes() == f7.FACTORY
    assert link.set_bor_level(2, confirm=True).bor_level == 2


def test_rdp_level_2_is_always_refused(link: TargetLink) -> None:
    with pytest.raises(SafetyError, match="RDP level 2"):
        link.write_option_bytes(link.read_option_bytes().replace(rdp=0xCC), confirm=True)
    assert link.read_option_bytes().rdp == 0xAA


def test_rdp1_blocks_flash_reads_and_rdp0_mass_erases(link: TargetLink, small_hex: Path) -> None:
    image = _image(link, small_hex)
    link.program(image)
    link.write_option_bytes(link.read_option_bytes().replace(rdp=f7.RDP_LEVEL1), confirm=True)
    link.disconnect()
    link.connect()  # the new level is loaded at reset
    assert link.read_option_bytes().rdp_level == 1
    with pytest.raises(TransferFault) as info:
        link.read_memory(0x08000000, 16)
    assert info.value.address is not None and 0x08000000 <= info.value.address < 0x08000010
    assert "0x0800" in str(info.value) and "RDP level 1" in info.value.one_line()
    with pytest.raises(TransferFault):
        link.verify(image)
    with pytest.raises(ConfirmationRequired, match="mass-erases"):
        link.write_option_bytes(link.read_option_bytes().replace(rdp=f7.RDP_LEVEL0))
    with pytest.raises(ConfirmationRequired, match="second confirmation"):
        link.write_option_bytes(link.read_option_bytes().replace(rdp=f7.RDP_LEVEL0), confirm=True)
    assert link.read_option_bytes().rdp_level == 1
    link.write_option_bytes(link.read_option_bytes().replace(rdp=f7.RDP_LEVEL0), confirm=True,
                            confirm_erase=True)   # reconnects under reset: the new level loads
    assert link.read_option_bytes().rdp_level == 0
    assert link.read_memory(0x08000000, 64) == b"\xff" * 64


def test_hex_outside_the_zg_flash_is_a_firmware_error(link: TargetLink, tmp_path: Path) -> None:
    # a 2 MB image (linked for a ZI, alias as in the demo profile) does not fit a ZG
    alias_2mb = AddressAlias(start=0x00200000, target=0x08000000, size=0x00200000)
    path = write_hex(tmp_path / "too-big.hex", 16, base=0x00300000 - 8)
    with pytest.raises(FirmwareError) as info:
        load_firmware(path, aliases=[alias_2mb], flash=link.flash_regions())
    assert "too-big.hex" in str(info.value) and "0x08100000" in str(info.value)


class _Unpowered:
    """A power source whose board has no supply (what a PSU with output off looks like)."""

    def __init__(self) -> None:
        from benchtui.sim.twin.power import AlwaysPowered
        self._inner = AlwaysPowered()
        self.on = True

    def powered(self) -> bool:
        return self.on

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def test_unpowered_target_gives_no_swd_ack() -> None:
    power = _Unpowered()
    twin = make_twin("zg", power=power)
    power.on = False
    target = TargetLink(config(register(twin)))
    with pytest.raises(NoSwdAck, match="no SWD ACK: target unpowered or wiring"):
        target.connect()
    assert not target.connected


def test_calls_from_another_thread_are_refused(link: TargetLink) -> None:
    errors: list[BaseException] = []
    worker = threading.Thread(target=lambda: _catch(errors, link.flash_status))
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], TargetError)
    assert "thread" in str(errors[0])


def _catch(errors: list, fn) -> None:
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - collected for the assertion
        errors.append(exc)


def test_cancel_stops_verify_and_program(link: TargetLink, small_hex: Path) -> None:
    image = _image(link, small_hex)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        link.program(image, cancel=cancel)
    with pytest.raises(Cancelled):
        link.verify(image, cancel=cancel)
    link.program(image)  # the link is still usable
    assert link.verify(image).ok


@contextlib.contextmanager
def _through_probe_server():
    """A TargetLink connected to a ZG twin served with pyOCD's probe-server protocol."""
    from benchtui.sim.twin.server import serve_twin

    server = serve_twin(make_twin("zg"), port=0)
    try:
        target = TargetLink(config(f"remote:127.0.0.1:{server.port}"))
        target.connect()
        try:
            yield target
        finally:
            target.disconnect()
    finally:
        server.stop()


def test_through_the_tcp_probe_server(small_hex: Path) -> None:
    with _through_probe_server() as target:
        assert target.identity.dev_id == 0x451 and target.identity.flash_kb == 1024
        image = load_firmware(small_hex, aliases=[ITCM_ALIAS], flash=target.flash_regions())
        target.program(image)
        assert target.verify(image).ok


def test_an_operation_locks_the_remote_probe_once(small_hex: Path, monkeypatch) -> None:
    """pyOCD locks the probe around every AP access; through a probe server each outermost
    lock and unlock is a round trip. Held across each operation (classified(..., link)), an
    erase + program + verify sends a handful of lock requests, not one per access."""
    from benchtui.devices.target import remote

    sent: dict[str, int] = {}
    perform = remote.TimedTCPClientProbe._perform_request_without_raise

    def counted(self, request, *args):
        sent[request] = sent.get(request, 0) + 1
        return perform(self, request, *args)
    monkeypatch.setattr(remote.TimedTCPClientProbe, "_perform_request_without_raise", counted)
    with _through_probe_server() as target:
        image = load_firmware(small_hex, aliases=[ITCM_ALIAS], flash=target.flash_regions())
        connect_locks = sent.get("lock", 0)
        target.erase(target.sectors_for(image))
        target.program(image)
        assert target.verify(image).ok
    operation_locks = sent["lock"] - connect_locks
    accesses = sum(sent.values())
    assert sent["lock"] == sent["unlock"], "every lock released"
    assert operation_locks <= 12, f"{operation_locks} lock requests for erase + program + verify"
    assert accesses > 20 * operation_locks, f"{sent}: the accesses ran under the held lock"


@pytest.mark.parametrize("uid", ["benchtui-twin-does-not-exist", "nosuchtype:abc"])
def test_unknown_probe_uid_is_probe_not_found(uid: str) -> None:
    target = TargetLink(config(uid))
    with pytest.raises(ProbeNotFound, match=uid.split(":")[0]):
        target.connect()
    assert not target.connected


def test_remote_uid_with_nothing_listening_is_probe_not_found() -> None:
    import socket

    with socket.socket() as sock:  # a free port that nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ProbeNotFound, match=f"remote:127.0.0.1:{port}"):
        TargetLink(config(f"remote:127.0.0.1:{port}")).connect()


def test_program_after_an_explicit_erase_does_not_erase_again(link: TargetLink, small_hex: Path,
                                                              tmp_path: Path) -> None:
    image = _image(link, small_hex)
    erases = link.twin.flash.erase_counts
    sectors = link.sectors_for(image)
    link.erase(sectors)
    assert link.erased_sectors() == sectors
    after_erase = dict(erases)
    seen: list[tuple[int, int]] = []
    link.program(image, progress=lambda done, total: seen.append((done, total)))
    assert dict(erases) == after_erase          # the loader's second erase did not happen
    assert link.erased_sectors() == []          # programmed sectors are no longer "erased"
    assert seen[-1] == (image.size, image.size)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert link.verify(image).ok
    # Default stays safe: new content over programmed sectors is erased by pyOCD's loader.
    other = _image(link, write_hex(tmp_path / "other.hex", 40 * 1024, seed=2))
    link.program(other)
    assert all(erases[i] == after_erase[i] + 1 for i in sectors)
    assert link.verify(other).ok


def test_program_erased_true_needs_sectors_this_link_erased(link: TargetLink, small_hex: Path) -> None:
    image = _image(link, small_hex)
    link.erase([0])
    with pytest.raises(TargetError, match="sector 1 was not erased"):
        link.program(image, erased=True)
    link.erase([1])
    before = dict(link.twin.flash.erase_counts)
    link.program(image, erased=True)
    assert dict(link.twin.flash.erase_counts) == before
    assert link.verify(image).ok
    link.erase([0, 1])
    link.disconnect()   # a new session knows nothing about earlier erases
    link.connect()
    assert link.erased_sectors() == []


@pytest.mark.slow
def test_a_reset_mid_programming_is_classified_as_core_reset(small_hex) -> None:
    """An NRST pulse during a program burst resets the core: the error says so, with a hint."""
    from benchtui.errors import CoreReset
    from tests.twin.test_power_and_state import BenchSupply

    supply = BenchSupply()
    twin = make_twin("zg", power=supply)
    # The virtual bench's flash-algorithm timeouts (start_virtual_bench sets them): the reset
    # leaves the core running, and pyOCD would wait its default 10 s for the algorithm to halt.
    link = TargetLink(config(register(twin), pyocd_options=tuple(twin.flash_algo_timeouts().items())))
    link.connect()
    try:
        image = load_firmware(small_hex, aliases=(ITCM_ALIAS,), flash=link.flash_regions())
        link.erase(link.sectors_for(image))
        supply.verdicts = ["nrst-reset"]
        with pytest.raises(CoreReset) as info:
            link.program(image)
        assert "programming" in str(info.value) and "NRST" in info.value.hint
    finally:
        link.disconnect()
