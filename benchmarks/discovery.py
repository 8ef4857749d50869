"""Discovery benchmark: what a serial port costs `benchtui discover`.

Run: python benchmarks/discovery.py [--repeat N] [--plain]

A serial line is asked up to three questions (a Korad's *IDN? without a terminator, a Riden's
Modbus read of its model register, SCPI's *IDN? after a bare terminator), each with a timeout:
LISTED_TIMEOUT_MS for a port discovery found by listing the machine's ports, the caller's
timeout for a named one (the serial families' questions at most SERIAL_ANSWER_MS). This measures,
on pseudo-terminals this benchmark makes (nothing else is opened):

  * an empty listed port (nothing answers): against its floor, the three question timeouts, and
    against what one used to cost (a single SCPI *IDN? with the former 2 000 ms listing timeout,
    measured here the same way: the bare baseline);
  * a Korad, a Riden and (named) the same empty port as `--resource` names them: each against
    the floor of the questions asked before the one it answers.

With --plain it also times a plain `discover()` of this machine (its USB probes, USB-TMC
devices and listed serial ports: opens them; nothing is sent to the network).
"""

from __future__ import annotations

import argparse
import os
import time
import tty

from benchtui.devices import discovery
from benchtui.devices.discovery import LISTED_TIMEOUT_MS, SERIAL_ANSWER_MS, identify_resource
from benchtui.devices.visa import VisaSession
from benchtui.errors import BenchError
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments

#: The listing timeout before this was bounded (one SCPI *IDN? per listed port).
FORMER_LISTED_TIMEOUT_MS = 2000


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def empty_line() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, f"ASRL{os.ttyname(slave)}::INSTR"


def drain(master: int) -> None:
    os.set_blocking(master, False)
    try:
        while os.read(master, 4096):
            pass
    except BlockingIOError:
        pass


def former_listing(resource: str) -> None:
    """What a listed empty port cost before: one SCPI *IDN? with a 2 s timeout."""
    session = VisaSession(resource, timeout_ms=FORMER_LISTED_TIMEOUT_MS, name="instrument")
    try:
        session.query("*IDN?")
    except BenchError:
        pass
    finally:
        session.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plain", action="store_true", help="also time a plain discover() of this machine")
    args = ap.parse_args()
    n = args.repeat

    master, slave, resource = empty_line()
    try:
        listed = best(lambda: (identify_resource(resource, LISTED_TIMEOUT_MS, "serial"), drain(master)), n)
        floor = 3 * LISTED_TIMEOUT_MS / 1000
        before = best(lambda: (former_listing(resource), drain(master)), 1)
        print(f"empty listed port:  {listed * 1000:7.0f} ms   floor (3 x {LISTED_TIMEOUT_MS} ms) "
              f"{floor * 1000:.0f} ms: x{listed / floor:.2f};  before (one *IDN?, {FORMER_LISTED_TIMEOUT_MS} ms) "
              f"{before * 1000:.0f} ms: x{listed / before:.2f}")
        named_timeout = 2000
        named = best(lambda: (identify_resource(resource, named_timeout), drain(master)), 1)
        floor = (2 * min(named_timeout, SERIAL_ANSWER_MS) + named_timeout) / 1000
        print(f"empty named port:   {named * 1000:7.0f} ms   floor (2 x {SERIAL_ANSWER_MS} ms + the "
              f"{named_timeout} ms *IDN? timeout) {floor * 1000:.0f} ms: x{named / floor:.2f}")
    finally:
        os.close(master)
        os.close(slave)

    board = BoardModel("healthy", seed=1)
    for model, asked_before in (("korad-ka3005p", 0), ("riden-rd6006", 1)):
        with start_instruments(board, psu_model=model, psu_line="pty") as servers:
            took = best(lambda: identify_resource(servers.psu_resource), n)
            floor = asked_before * SERIAL_ANSWER_MS / 1000
            vs = f"floor ({asked_before} x {SERIAL_ANSWER_MS} ms before its question) {floor * 1000:.0f} ms: " \
                 f"x{took / floor:.2f}" if floor else "its question is the first one asked"
            print(f"{model + ' named:':<20}{took * 1000:7.0f} ms   {vs}")

    if args.plain:
        seen = discovery.local_resources()[0]
        serial = [r for r, source in seen if source == "serial"]
        discovery.discover(timeout_ms=15_000)          # imports pyOCD's probe stack, not timed
        took = best(lambda: discovery.discover(timeout_ms=15_000), n)
        print(f"plain discover():   {took * 1000:7.0f} ms   ({len(serial)} listed serial port(s): "
              f"{', '.join(serial) or 'none'}; each question {LISTED_TIMEOUT_MS} ms, the ports in parallel)")


if __name__ == "__main__":
    main()
