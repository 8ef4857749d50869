"""Behaviour common to the simulated scope dialects: channel arguments and channel settings."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from .core import Call, Instrument, ScpiError
from .scope import ScopeChannel, ScopeEngine

_CHAN = re.compile(r"^CHAN(?:NEL)?([1-4])$", re.I)


class SimScope(Instrument, ABC):
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
        self.configure()
        self.engine.power_on()

    def configure(self) -> None:
        """Dialect hook: default settings (timebase, formats) before the engine starts."""

    def chan_arg(self, text: str) -> int:
        """'CHAN1' / 'CHANnel1' -> 1."""
        m = _CHAN.match(text.strip())
        if not m:
            raise ScpiError(-224, text.strip())
        return int(m.group(1))

    def ch(self, call: Call) -> ScopeChannel:
        n = call.suffix(0)
        if n not in self.engine.channels:
            raise ScpiError(-113, call.header)
        return self.engine.channels[n]

    # measurement and waveform sources/format: the same in both dialects
    def c_meas_src(self, call: Call) -> None:
        self.meas_src = self.chan_arg(call.arg(0))

    def q_meas_src(self, call: Call) -> str:
        return f"CHAN{self.meas_src}"

    def c_wav_src(self, call: Call) -> None:
        self.wav_src = self.chan_arg(call.arg(0))

    def q_wav_src(self, call: Call) -> str:
        return f"CHAN{self.wav_src}"

    def c_wav_fmt(self, call: Call) -> None:
        self.wav_fmt = call.choice(0, {"BYTE": "BYTE", "WORD": "WORD", "ASCii": "ASC"})

    def q_wav_fmt(self, call: Call) -> str:
        return self.wav_fmt

    # channel settings, formatted by the dialect's `fmt`
    @abstractmethod
    def fmt(self, x: float) -> str:
        ...

    def c_ch_disp(self, call: Call) -> None:
        self.ch(call).display = call.boolean(0)

    def q_ch_disp(self, call: Call) -> str:
        return "1" if self.ch(call).display else "0"

    def c_ch_scale(self, call: Call) -> None:
        ch = self.ch(call)
        ch.scale = call.number(0, 1e-3 * ch.probe / 10, 10.0 * ch.probe)

    def q_ch_scale(self, call: Call) -> str:
        return self.fmt(self.ch(call).scale)

    def c_ch_range(self, call: Call) -> None:
        ch = self.ch(call)
        ch.scale = call.number(0, 8e-3 * ch.probe / 10, 80.0 * ch.probe) / 8

    def q_ch_range(self, call: Call) -> str:
        return self.fmt(8 * self.ch(call).scale)

    def c_ch_offset(self, call: Call) -> None:
        ch = self.ch(call)
        ch.offset = call.number(0, -100.0 * ch.scale, 100.0 * ch.scale)

    def q_ch_offset(self, call: Call) -> str:
        return self.fmt(self.ch(call).offset)

    def c_ch_probe(self, call: Call) -> None:
        self.ch(call).probe = call.number(0, 0.01, 10000.0)

    def q_ch_probe(self, call: Call) -> str:
        return self.fmt(self.ch(call).probe)

    def c_ch_coup(self, call: Call) -> None:
        self.ch(call).coupling = call.choice(0, {"DC": "DC", "AC": "AC", "GND": "GND"})

    def q_ch_coup(self, call: Call) -> str:
        return self.ch(call).coupling

    def c_ch_bwl(self, call: Call) -> None:
        self.ch(call).bwl = call.arg(0).upper()

    def q_ch_bwl(self, call: Call) -> str:
        return self.ch(call).bwl

    # run control shared by both dialects
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
