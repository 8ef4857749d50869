"""What every flash controller of the twin shares, whatever the chip: the non-volatile memory,
the physics of an operation (its supply load, the power source's verdict and when it hits),
BSY held for an operation's scaled duration, a reset scheduled at the instant a disturbance
hits, and the programming clock that makes programming last as long as on silicon.

A chip's controller (flash.py for the F4/F7, stm32h7.py, stm32l4.py) subclasses
`ControllerBase` and gives its register block (`regs_base`, `regs_size`, `read`, `write`,
`snapshot`), its programming path (`program`) and its option bytes (options.py for the F4/F7).
The twin (mcu.py) and the core (core.py) speak only the public part below.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from . import constants as C
from .power import PowerSource

if TYPE_CHECKING:
    from .variants import TwinVariant


@dataclass
class NvMemory:
    """Flash array plus the stored option words: everything that survives a power cycle."""

    variant: "TwinVariant"
    flash: bytearray = field(default=None)  # type: ignore[assignment]
    #: The stored option words (F4/F7: OPTCR[31:2], OPTCR1; H7: OPTSR, PRAR1, ...; L4: OPTR, ...).
    words: list[int] = field(default=None)  # type: ignore[assignment]
    #: Stored option words whose complement no longer matches, left by an option-byte write cut
    #: short (UNCONFIRMED hardware rule, constants.py).
    broken_complements: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.flash is None:
            self.flash = bytearray(b"\xff" * (self.variant.flash_kb * 1024))
        if self.words is None:
            self.words = list(self.variant.factory_words())

    @property
    def flash_kb(self) -> int:
        return self.variant.flash_kb

    @property
    def rdp(self) -> int:
        """The stored RDP byte."""
        return (self.words[0] >> self.variant.rdp_shift) & 0xFF

    # F4/F7 names of the first two words.
    @property
    def optcr(self) -> int:
        return self.words[0]

    @optcr.setter
    def optcr(self, value: int) -> None:
        self.words[0] = value

    @property
    def optcr1(self) -> int:
        return self.words[1]

    @optcr1.setter
    def optcr1(self, value: int) -> None:
        self.words[1] = value


def rdp_level(rdp: int) -> int:
    """0, 1 or 2 from an RDP byte (0xAA = 0, 0xCC = 2, anything else = 1)."""
    return 0 if rdp == C.RDP_LEVEL0 else 2 if rdp == C.RDP_LEVEL2 else 1


class ControllerBase:
    """The shared machinery; see the module docstring.

    `request_reset(reason)` is called when the power source says a brown-out or an NRST pulse
    hit an operation in flight: the twin resets the core (the operation is left incomplete).
    An erase or option write holds BSY until the instant the power source names and resets
    then (`poll`), so the chip resets when the scope sees the NRST glitch or the VDD sag, not
    when the operation starts; a programming burst resets at the unit it was programming then.
    `debug_attached()` tells whether a debugger holds the DP (RDP level 1 then blocks flash).
    """

    regs_base: int
    regs_size: int
    #: Bytes one programming unit writes (F4/F7 word 4, H7 flash word 32, L4 double word 8),
    #: and the longest time the twin takes for one (unscaled).
    unit_bytes: int = 4
    unit_s_max: float = C.T_PROG_WORD_S
    #: Register offsets the core spins on while an operation runs (SR): reading them lets real
    #: time pass instead of burning emulated instructions.
    status_offsets: frozenset[int] = frozenset()

    def __init__(self, nv: NvMemory, power: PowerSource, time_scale: float,
                 request_reset: Callable[[str], None], debug_attached: Callable[[], bool],
                 on_nv_change: Callable[[], None]):
        self.nv = nv
        self.variant = nv.variant
        self.power = power
        self.time_scale = time_scale
        self._request_reset = request_reset
        self._debug_attached = debug_attached
        self._on_nv_change = on_nv_change
        #: When the operation in flight ends (time.monotonic()), 0.0 when none is timed.
        self.busy_until = 0.0
        self._reset_due: tuple[float, str, Callable[[], None]] | None = None
        self._load_end = 0.0
        # Programming time accounting (see settle()).
        self._pending_s = 0.0
        self._pending_t0 = 0.0
        self._prog_deadline = 0.0
        self._burst_left = 0
        self._burst_size = 1
        self._burst_verdict: str | None = None
        self._burst_index = 0
        self._burst_hit = 1
        self._burst_hit_at = 0.0
        #: The programming time of the last unit programmed (unscaled), for benchmarks' floors.
        self.last_unit_s = C.T_PROG_WORD_S
        #: Erase operations started per sector number (sector and mass erases), for tests and
        #: benchmarks that check how often a tool erases.
        self.erase_counts: Counter[int] = Counter()

    # --- what the twin and the core use ---------------------------------------------------------
    def busy(self) -> bool:
        """True while the timed operation in flight runs (its deadline is forgotten once past, so
        the core's fast paths apply again)."""
        if self.busy_until == 0.0:
            return False
        if time.monotonic() < self.busy_until:
            return True
        self.busy_until = 0.0
        self.poll()
        return False

    def poll(self) -> bool:
        """Fire a scheduled disturbance whose instant has passed; True if it fired now."""
        due = self._reset_due
        if due is None or time.monotonic() < due[0]:
            return False
        self._reset_due = None
        due[2]()
        self._request_reset(due[1])
        return True

    def finish_due(self) -> None:
        """Whatever reset ends this controller's state, an operation cut short by a scheduled
        disturbance leaves what it had done by the disturbance's instant."""
        due, self._reset_due = self._reset_due, None
        if due is not None:
            due[2]()

    def status_token(self) -> object:
        """A cheap value that changes when a status register changes (the core republishes)."""
        return 0

    def fast_write(self, offset: int, size: int, value: int) -> bool | None:
        """A register write on the core's hot path, done here: True when the raw store is the
        true value and no other register changed (the core need not republish the page), False
        when done but the page must be republished, None when not handled (the core calls
        `write`)."""
        return None

    def hardware_watchdog(self) -> bool:
        """The option bytes as loaded start the independent watchdog at reset."""
        return False

    def boot_address(self) -> int:
        """Where the core fetches its vectors after reset."""
        return self.variant.flash_aliases[0]

    def option_image_word(self, addr: int) -> int | None:
        """A word of the stored option bytes mapped at `addr`, None where none is."""
        return None

    def settle(self) -> None:
        """Let the programming time of the units written since the last call pass (scaled):
        sleep until the programming clock catches up with real time."""
        pending, self._pending_s = self._pending_s, 0.0
        if not pending or self.time_scale <= 0:
            return
        start = self._pending_t0
        if start - self._prog_deadline < C.PROGRAM_CHAIN_S:
            # The debugger fed the next units while the controller was still busy with the last
            # ones (or right after): the controller programs back to back, as silicon does when
            # the probe keeps it fed; the host's own latency between two pages is not the
            # controller's time.
            start = self._prog_deadline
        deadline = start + pending * self.time_scale
        self._prog_deadline = deadline
        wait = deadline - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    @property
    def rdp_level(self) -> int:
        return rdp_level(self.loaded_rdp)

    loaded_rdp: int = C.RDP_LEVEL0

    def flash_read_blocked(self) -> bool:
        """RDP level >= 1 with a debugger attached: flash reads bus-fault."""
        return self.loaded_rdp != C.RDP_LEVEL0 and self._debug_attached()

    # --- for subclasses -------------------------------------------------------------------------
    def _schedule_reset(self, verdict: str, delay: float, action: Callable[[], None]) -> None:
        """The operation in flight is hit by `verdict` in `delay` seconds: BSY holds until then,
        then `action` runs (what the cut-short operation leaves) and the core resets."""
        self.busy_until = time.monotonic() + max(0.0, delay)
        self._reset_due = (self.busy_until, verdict, action)

    def _operate(self, current: float, duration: float, label: str) -> tuple[str | None, float, float]:
        """Draw the operation's current, hold BSY for its (scaled) duration; return the verdict
        and when it hits: (verdict, seconds from now, fraction of the operation done by then).

        The load lasts as long as the operation does on this twin's clock (duration x time
        scale): at time scale 0 the board floors it to a short visible pulse, so compressed
        operations never pile physical seconds of load onto later power cycles.
        """
        t0, t1 = self.power.add_load(current, duration * self.time_scale, label, after=self._load_end)
        self._load_end = t1
        hit = self.power.disturbance_at(t0, t1)
        if self.time_scale > 0:
            self.busy_until = time.monotonic() + duration * self.time_scale
        if hit is None:
            return None, 0.0, 1.0
        verdict, when = hit
        done = min(1.0, max(0.0, (when - t0) / (t1 - t0))) if t1 > t0 else 1.0
        return verdict, max(0.0, when - self.power.now()), done

    def _erase_ranges(self, ranges: Iterable[tuple[int, int, int]], done: float = 1.0) -> None:
        """Erase [(number, offset, size)] in order; an erase cut short at fraction `done` of its
        time has erased that fraction of its bytes (at least one byte: it had started)."""
        ranges = list(ranges)
        flash = self.nv.flash
        self.erase_counts.update(n for n, _, _ in ranges)
        total = sum(size for _, _, size in ranges)
        left = total if done >= 1.0 else max(1, int(done * total))
        for _, offset, size in ranges:
            n = min(size, left)
            flash[offset:offset + n] = b"\xff" * n
            left -= n
            if left <= 0:
                break
        self._on_nv_change()

    def _reset_bursts(self) -> None:
        self._burst_left = 0
        self._burst_verdict = None
        self._burst_index = 0

    def _account(self, unit_s: float, current: float) -> str | None:
        """One programming unit (a word, a 256-bit flash word, a double word) taking `unit_s`:
        its time is accounted on the programming clock, and every burst of units is one supply
        load with one verdict. Returns None, "weak" (a VCAP dip: this unit programs weakly) or
        "reset" (a reset hits at or before this unit: it is not programmed; the twin resets at
        the unit the disturbance hits)."""
        if not self._pending_s:
            self._pending_t0 = time.monotonic()
        self._pending_s += unit_s
        self.last_unit_s = unit_s
        if self._burst_left == 0:
            self._start_burst(unit_s, current)
        self._burst_left -= 1
        self._burst_index += 1
        verdict = self._burst_verdict
        if verdict is None or self._burst_index < self._burst_hit:
            return None
        if verdict == "vcap-dip":
            return "weak"
        if self._burst_index == self._burst_hit:
            # The host writes units ahead of the programming clock: this one is programmed (and
            # the reset hits) at the disturbance's instant, not before.
            wait = self._burst_hit_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._request_reset(verdict)
        return "reset"

    def _start_burst(self, unit_s: float, current: float) -> None:
        """One supply-load event (and verdict) per burst of about PROGRAM_BURST_S of units."""
        size = max(1, round(C.PROGRAM_BURST_WORDS * C.T_PROG_WORD_S / unit_s))
        self._burst_size = self._burst_left = size
        self._burst_index = 0
        self._burst_verdict, delay, done = self._operate(current, unit_s * size, "program")
        self._burst_hit_at = time.monotonic() + delay
        # A reset hits the unit being programmed at its instant; a VCAP dip spoils the burst's
        # second half (weak programming).
        self._burst_hit = (max(1, size // 2) if self._burst_verdict in (None, "vcap-dip")
                           else max(1, min(size, math.ceil(done * size))))
        self.busy_until = 0.0   # BSY per unit is too short to matter
