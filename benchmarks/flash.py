"""Flash benchmark: benchtui's program + verify against bare pyOCD on the same twin.

Run: /work/venv/bin/python benchmarks/flash.py [--size BYTES] [--repeat N] [--no-tcp]

On one in-process STM32F767ZG twin (time scale 0, so no modelled flash delays) it measures
  * benchtui: the bench cycle's TargetLink.erase(sectors_for(image)) (not timed), then
    TargetLink.program(image) + TargetLink.verify(image); program() must not erase again
  * bare pyOCD: FileProgrammer(session).program(bin at 0x08000000) + one read_memory_block8
    of the whole image and a byte compare,
the bare run after a chip erase (not timed), best of N, and prints their ratio (goal <= 1.10).
Then the same through pyOCD's TCP probe server (uid remote:127.0.0.1:PORT).
The bare run gets a .bin at the AXIM address: given the seed's ITCM-linked .hex, pyOCD's
FileProgrammer only logs a warning per record and programs nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from intelhex import IntelHex

from benchtui.devices.firmware import load_firmware
from benchtui.devices.target import TargetLink
from benchtui.profile import AddressAlias, TargetConfig

ITCM_ALIAS = AddressAlias(start=0x00200000, target=0x08000000, size=0x00100000)
SEED_SIZE = 705_413


def make_files(folder: Path, size: int) -> tuple[Path, Path, bytes]:
    data = random.Random(767).randbytes(size)
    ih = IntelHex()
    ih.frombytes(data, offset=0x00200000)
    hex_path = folder / "seed.hex"
    ih.write_hex_file(str(hex_path))
    bin_path = folder / "seed.bin"
    bin_path.write_bytes(data)
    return hex_path, bin_path, data


def bench_benchtui(uid: str, hex_path: Path, twin) -> tuple[float, float]:
    """The bench cycle: erase the image's sectors (not timed), then program + verify."""
    link = TargetLink(TargetConfig(probe_uid=uid, target_type="stm32f767zg", aliases=(ITCM_ALIAS,)))
    link.connect()
    try:
        image = load_firmware(hex_path, aliases=[ITCM_ALIAS], flash=link.flash_regions())
        link.erase(link.sectors_for(image))
        erases = sum(twin.flash.erase_counts.values())
        t0 = time.perf_counter()
        link.program(image)
        t1 = time.perf_counter()
        again = sum(twin.flash.erase_counts.values()) - erases
        assert again == 0, f"program() erased {again} sectors the cycle had just erased"
        result = link.verify(image)
        t2 = time.perf_counter()
        assert result.ok, result
        return t1 - t0, t2 - t1
    finally:
        link.disconnect()


def bench_bare(uid: str, bin_path: Path, data: bytes) -> tuple[float, float]:
    from pyocd.core.helpers import ConnectHelper
    from pyocd.core.session import Session
    from pyocd.flash.file_programmer import FileProgrammer

    import benchtui.devices.pyocd_targets  # noqa: F401  (the stm32f767zg target type)

    probe = ConnectHelper.get_all_connected_probes(blocking=False, unique_id=uid,
                                                   print_wait_message=False)[0]
    session = Session(probe, options={"connect_mode": "under-reset", "target_override": "stm32f767zg",
                                      "frequency": 4_000_000, "hide_programming_progress": True,
                                      "resume_on_disconnect": False, "no_config": True},
                      project_dir=os.getcwd())
    session.open()
    try:
        flash = session.target.memory_map.get_boot_memory().flash
        flash.init(flash.Operation.ERASE)
        flash.erase_all()
        flash.cleanup()
        t0 = time.perf_counter()
        FileProgrammer(session).program(str(bin_path), base_address=0x08000000)
        t1 = time.perf_counter()
        back = bytes(session.target.read_memory_block8(0x08000000, len(data)))
        t2 = time.perf_counter()
        assert back == data
        return t1 - t0, t2 - t1
    finally:
        session.close()


def run(label: str, uid: str, hex_path: Path, bin_path: Path, data: bytes, repeat: int, twin) -> None:
    ours_runs, bare_runs = [], []
    for _ in range(repeat):  # interleaved, so drift in machine load hits both alike
        ours_runs.append(bench_benchtui(uid, hex_path, twin))
        bare_runs.append(bench_bare(uid, bin_path, data))
    ours, bare = min(ours_runs, key=sum), min(bare_runs, key=sum)
    kb = len(data) / 1024
    print(f"[{label}] {kb:.1f} KB, best of {repeat}")
    print(f"  benchtui program {ours[0]:6.2f} s + verify {ours[1]:5.2f} s = {sum(ours):6.2f} s")
    print(f"  bare     program {bare[0]:6.2f} s + readback {bare[1]:5.2f} s = {sum(bare):6.2f} s")
    print(f"  ratio benchtui / bare = {sum(ours) / sum(bare):.3f} (goal <= 1.10)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=SEED_SIZE)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-tcp", action="store_true")
    args = parser.parse_args(argv)

    import pyocd  # noqa: F401  (load pyOCD before the twin's plugin module, like any client)
    from benchtui.sim.twin.mcu import Stm32Twin
    from benchtui.sim.twin.registry import register_twin
    from benchtui.sim.twin.server import serve_twin

    with tempfile.TemporaryDirectory() as tmp:
        hex_path, bin_path, data = make_files(Path(tmp), args.size)
        twin = Stm32Twin("zg", time_scale=0.0)
        run("in-process probe plugin", register_twin(twin), hex_path, bin_path, data, args.repeat, twin)
        if not args.no_tcp:
            server = serve_twin(twin, port=0)
            try:
                uid = getattr(server, "uid", None) or f"remote:127.0.0.1:{server.port}"
                run("TCP probe server", uid, hex_path, bin_path, data, args.repeat, twin)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
