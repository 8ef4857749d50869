"""Waveform benchmark: benchtui's `Scope.fetch_all()` per scope family against a bare pyvisa loop
sending the same commands, in the same run, and the real instrument's expected time.

Run: python benchmarks/waveforms.py [--repeat N] [--scope MODEL|all] [--format BYTE|WORD]

For each simulated scope (healthy board, one power-up capture, scope stopped with the record):
  * benchtui: `fetch_all()` of the 4 nets (dialect commands, pacing, block reads, decoding to
    volts, the error check at the end);
  * bare pyvisa: the exact command list benchtui sent (recorded from its VISA log), replayed with
    plain pyvisa-py on a TCP_NODELAY socket (as VisaSession uses), keeping the same pacing gaps
    the instrument needs (a script without them fails on the real unit), block replies read with
    `read_bytes` and `np.frombuffer`, no scaling; best of N each, ratio = benchtui / bare
    (goal <= 1.2);
  * pacing floor: the sum of the dialect's gaps for that command list (paid by any client);
  * expected on the real instrument: pacing floor + payload / link rate, with the rate reported
    where one is known (DS1054Z about 1.7 MB/s over LAN, scopehal #12, pklaus/ds1054z #5;
    DHO assumed the same, UNCONFIRMED) and otherwise the 100 Mbit/s LAN link as a physical floor
    (the instrument can only be slower).
"""

from __future__ import annotations

import argparse
import logging
import socket
import time

import numpy as np
import pyvisa

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.profile import PsuConfig, ScopeChannel, ScopeConfig, TriggerConfig
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments

CHANNELS = {"VDD": ScopeChannel(channel=1, scale=1.0),
            "VCAP1": ScopeChannel(channel=2, scale=0.2, offset=-1.2),
            "VCAP2": ScopeChannel(channel=3, scale=0.2, offset=-1.2),
            "NRST": ScopeChannel(channel=4, scale=1.0)}
POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)
LAN_FLOOR = 100e6 / 8                     # bytes/s of a 100 Mbit/s link
#: Reported transfer rates (bytes/s: scopehal #12, pklaus/ds1054z #5); others use LAN_FLOOR.
RATES = {"rigol-ds1054z": (1.7e6, "1.7 MB/s (reported)"), "rigol-dho924": (1.7e6, "1.7 MB/s (assumed)")}
SCOPES = ("rigol-ds1054z", "rigol-dho924", "keysight-dsox3034t", "siglent-sds1104x-e",
          "siglent-sds2104x-plus", "tektronix-mso54")


class CommandLog(logging.Handler):
    """Collects 'scope > command' lines from benchtui's VISA log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.commands: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s > %s" and record.args and record.args[0] == "scope":
            self.commands.append(str(record.args[1]))


def capture(servers, fmt: str):
    """Power-cycle the board with the scope armed; return the open scope (stopped, data ready)."""
    psu = open_psu(PsuConfig(resource=servers.psu_resource, voltage=3.3, current_limit=0.5,
                             max_voltage=3.6, max_current=1.0))
    scope = open_scope(ScopeConfig(resource=servers.scope_resource, format=fmt, channels=CHANNELS,
                                   power_up=POWER_UP))
    psu.set_output(False)
    psu.apply(3.3, 0.5)
    scope.setup_channels()
    time.sleep(0.05)
    scope.arm(POWER_UP)
    psu.set_output(True)
    if not scope.wait_for_trigger(10.0):
        raise SystemExit("the simulated scope did not trigger on the power-up edge")
    psu.close()
    return scope


def _block(inst, trailer: int) -> bytes:
    head = inst.read_bytes(2)
    while head[:1] != b"#":                       # Siglent 'C1:WF DAT2,' prefix
        head = head[1:] + inst.read_bytes(1)
    length = int(inst.read_bytes(int(head[1:2])))
    data = inst.read_bytes(length) if length else b""
    inst.read_bytes(trailer)
    return data


def bare_replay(resource: str, commands: list[str], pace, blocks: dict[str, int]) -> int:
    """Send `commands` with plain pyvisa, pacing as the dialect does; return payload bytes.
    `blocks`: substring of a block query -> bytes after the block (Siglent sends two newlines)."""
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(resource, read_termination="\n", write_termination="\n", timeout=20000)
    inst.chunk_size = 4 * 1024 * 1024
    inst.visalib.sessions[inst.session].interface.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    total, last = 0, None
    try:
        for command in commands:
            if pace is not None and last is not None:
                wait = last[1] + pace(last[0]) - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            inst.write(command)
            last = (command, time.monotonic())
            if "?" not in command:
                continue
            trailer = next((n for key, n in blocks.items() if key in command), None)
            if trailer is None:
                inst.read_raw()
            else:
                total += len(np.frombuffer(_block(inst, trailer), dtype=np.uint8))
    finally:
        inst.close()
    return total


#: Block queries per family (substring -> trailing bytes), as the programming guides describe.
BLOCKS = {"rigol-ds1054z": {":WAV:DATA?": 1}, "rigol-dho924": {":WAV:DATA?": 1},
          "keysight-dsox3034t": {":WAV:DATA?": 1}, "siglent-sds1104x-e": {":WF?": 2},
          "siglent-sds2104x-plus": {":WAV:DATA?": 2, ":WAV:PRE?": 2}, "tektronix-mso54": {"CURV?": 1}}


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(model: str, fmt: str, repeat: int) -> None:
    with start_instruments(BoardModel(scenario="healthy", seed=0), psu_model="rigol-dp832",
                           scope_model=model) as servers:
        scope = capture(servers, fmt)
        log = logging.getLogger("benchtui.visa")
        handler = CommandLog()
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        try:
            waves = scope.fetch_all()
        finally:
            log.removeHandler(handler)
            log.setLevel(logging.WARNING)
        points = len(waves["VDD"])
        commands = handler.commands
        pace = scope.session.pace
        try:
            ours = best_of(repeat, scope.fetch_all)
        finally:
            scope.close()
        blocks = BLOCKS[model]
        payload = bare_replay(servers.scope_resource, commands, pace, blocks)
        bare = best_of(repeat, lambda: bare_replay(servers.scope_resource, commands, pace, blocks))
        floor = sum(pace(c) for c in commands[:-1]) if pace is not None else 0.0
        rate, rate_text = RATES.get(model, (LAN_FLOOR, "100 Mbit/s link floor"))
        real = floor + payload / rate
        print(f"{model:<22} {fmt:<4} 4 x {points:>6} pts {payload / 1e3:7.1f} kB {len(commands):>3} cmds | "
              f"benchtui {ours * 1e3:7.1f} ms  bare {bare * 1e3:7.1f} ms  ratio {ours / bare:4.2f} | "
              f"pacing floor {floor * 1e3:6.1f} ms | real instrument >= {real * 1e3:7.1f} ms ({rate_text})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scope", default="all", choices=["all", *SCOPES])
    parser.add_argument("--format", default="BYTE", choices=["BYTE", "WORD"])
    args = parser.parse_args()
    for model in (SCOPES if args.scope == "all" else [args.scope]):
        run(model, args.format, args.repeat)


if __name__ == "__main__":
    main()
