"""Behaviour common to the simulated scope dialects: channel owners, shared settings, run control."""

from __future__ import annotations

from .core import Call, Choice, Instrument, Number, ScpiError
from .scope import ScopeChannel, ScopeEngine


def scale(fmt) -> Number:
    """V/div, within what the probe ratio allows."""
    return Number(lambda c: 1e-3 * c.probe / 10, lambda c: 10.0 * c.probe, fmt)


def full_range(fmt) -> Number:
    return Number(lambda c: 8e-3 * c.probe / 10, lambda c: 80.0 * c.probe, fmt)


def offset(fmt) -> Number:
    return Number(lambda c: -100.0 * c.scale, lambda c: 100.0 * c.scale, fmt)


def sources(prefix: str, *aliases: str) -> Choice:
    """Channel names `<prefix>1`..`<prefix>4` (and aliases) -> 1..4; answered as the first."""
    return Choice({f"{p}{n}": n for p in (prefix, *aliases) for n in range(1, 5)})


class SimScope(Instrument):
    RECORD_POINTS = 1200

    def __init__(self, board, wiring: dict[int, str] | None = None) -> None:
        self._wiring = wiring
        self.board = board
        super().__init__()
        self.reset()

    #: Seconds from a new connection to the first reply (a DSO-X 2000 takes ~10 s).
    CONNECT_DELAY_S = 0.0
    #: Seconds the scope takes to act on a single-shot command (status still STOP meanwhile).
    SINGLE_LATENCY_S = 0.0

    def reset(self) -> None:
        """Power-on and *RST state: running, auto trigger, live acquisition."""
        self.engine = ScopeEngine(self.board, self._wiring, self.RECORD_POINTS)
        self.apply_defaults()
        self.configure()
        self.engine.power_on()

    def configure(self) -> None:
        """Dialect hook: default settings that are not a Setting's `default`, and the geometry."""

    def geometry(self, _owner: object = None) -> None:
        """Dialect hook: the engine's window from the timebase settings (Setting `after`)."""

    def ch(self, call: Call | None) -> ScopeChannel:
        """The channel of the header's suffix (Setting owner)."""
        n = call.suffix(0) if call is not None else 1
        if n not in self.engine.channels:
            raise ScpiError(-113, call.header if call else "")
        return self.engine.channels[n]

    # run control shared by the dialects
    def c_run(self, call: Call) -> None:
        self.engine.run()

    def c_stop(self, call: Call) -> None:
        self.engine.stop()

    def c_single(self, call: Call) -> None:
        self.engine.single(self.SINGLE_LATENCY_S)

    def c_autoscale(self, call: Call) -> None:
        """Autoscale: our signals are fixed rails, so only run-state changes: auto sweep, running."""
        self.engine.sweep = "AUTO"
        self.engine.run()

    def c_force(self, call: Call) -> None:
        self.engine.force()
