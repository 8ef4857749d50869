"""Waveform benchmark: benchtui's `Scope.fetch_all()` against a bare pyvisa loop, same run.

Run: /work/venv/bin/python benchmarks/waveforms.py [--repeat N] [--scope rigol-ds1054z|keysight-dsox3034t|all]

On the simulated scope (healthy board, one power-up capture), it times
  * benchtui: `fetch_all()` of the 4 nets (preamble + data per channel, decoded to volts, one
    error-queue check at the end),
  * bare pyvisa: per channel, the same waveform-selection writes and `query_binary_values` of the
    data (raw codes, no preamble, no decoding; Rigol with the same STAR/STOP windows), once as
    pyvisa-py leaves the socket (Nagle on) and once with TCP_NODELAY as VisaSession sets it,
for each transfer format, best of N, and prints the times and ratios.
"""

from __future__ import annotations

import argparse
import socket
import time

import numpy as np
import pyvisa

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.devices.scope.rigol_ds1000z import CHUNK_POINTS as RIGOL_CHUNK_POINTS
from benchtui.profile import PsuConfig, ScopeChannel, ScopeConfig, TriggerConfig
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments

PSU_FOR = {"rigol-ds1054z": "rigol-dp832", "keysight-dsox3034t": "keysight-e36312a"}
CHANNELS = {"VDD": ScopeChannel(channel=1, scale=1.0),
            "VCAP1": ScopeChannel(channel=2, scale=0.2, offset=-1.2),
            "VCAP2": ScopeChannel(channel=3, scale=0.2, offset=-1.2),
            "NRST": ScopeChannel(channel=4, scale=1.0)}
POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)


def capture(servers, fmt: str):
    """Power-cycle the board with the scope armed; return the open scope (stopped, data ready)."""
    psu = open_psu(PsuConfig(resource=servers.psu_resource, voltage=3.3, current_limit=0.5,
                             max_voltage=3.6, max_current=1.0))
    scope = open_scope(ScopeConfig(resource=servers.scope_resource, format=fmt, channels=CHANNELS,
                                   power_up=POWER_UP))
    psu.apply(3.3, 0.5)
    psu.set_output(False)
    scope.setup_channels()
    scope.arm(POWER_UP)
    psu.set_output(True)
    if not scope.wait_for_trigger(5.0):
        raise SystemExit("the simulated scope did not trigger on the power-up edge")
    psu.close()
    return scope


def bare_loop(resource: str, rigol: bool, fmt: str, points: int, nodelay: bool = False) -> int:
    """Fetch the 4 channels with plain pyvisa; returns the number of samples read.

    `nodelay` also sets TCP_NODELAY as VisaSession does (pyvisa-py cannot via its attribute).
    """
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(resource, read_termination="\n", write_termination="\n", timeout=10000)
    inst.chunk_size = 4 * 1024 * 1024
    if nodelay:
        inst.visalib.sessions[inst.session].interface.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    datatype = "B" if fmt == "BYTE" else "H"
    total = 0
    try:
        for n in range(1, 5):
            inst.write(f":WAV:SOUR CHAN{n}")
            if rigol:
                inst.write(":WAV:MODE RAW")
                inst.write(f":WAV:FORM {fmt}")
                step = RIGOL_CHUNK_POINTS[fmt]
                for start in range(1, points + 1, step):
                    inst.write(f":WAV:STAR {start}")
                    inst.write(f":WAV:STOP {min(start + step - 1, points)}")
                    total += len(inst.query_binary_values(":WAV:DATA?", datatype=datatype,
                                                          container=np.array))
            else:
                inst.write(f":WAV:FORM {fmt}")
                inst.write(":WAV:POIN:MODE RAW")
                inst.write(":WAV:POIN MAX")
                total += len(inst.query_binary_values(":WAV:DATA?", datatype=datatype,
                                                      is_big_endian=True, container=np.array))
    finally:
        inst.close()
    return total


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(model: str, repeat: int) -> None:
    with start_instruments(BoardModel(scenario="healthy", seed=0), psu_model=PSU_FOR[model],
                           scope_model=model, host="127.0.0.1", psu_port=0, scope_port=0) as servers:
        for fmt in ("BYTE", "WORD"):
            scope = capture(servers, fmt)
            try:
                waves = scope.fetch_all()
                points = len(waves["VDD"])
                ours = best_of(repeat, scope.fetch_all)
            finally:
                scope.close()
            rigol = model.startswith("rigol")
            assert bare_loop(servers.scope_resource, rigol, fmt, points) == 4 * points
            bare = best_of(repeat, lambda: bare_loop(servers.scope_resource, rigol, fmt, points))
            fast = best_of(repeat, lambda: bare_loop(servers.scope_resource, rigol, fmt, points, True))
            print(f"{model:<20} {fmt:<5} 4 x {points:>7} points: benchtui {ours * 1e3:7.1f} ms | "
                  f"bare pyvisa {bare * 1e3:7.1f} ms, ratio {ours / bare:5.2f} | "
                  f"bare + TCP_NODELAY {fast * 1e3:7.1f} ms, ratio {ours / fast:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scope", default="all", choices=["all", *PSU_FOR])
    args = parser.parse_args()
    for model in (PSU_FOR if args.scope == "all" else [args.scope]):
        run(model, args.repeat)


if __name__ == "__main__":
    main()
