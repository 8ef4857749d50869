"""State shared by the simulated bench PSUs: channels, limits, and the link to the board.

Channel 1 drives the board model (setpoint, current limit, output edge) and reads back from it,
so the measured V/I and the CV/CC mode follow the board (sag, CC at the limit). Other channels
are plain state with an ideal, unloaded output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .core import Call, Instrument, ScpiError


@dataclass
class Channel:
    number: int
    v_max: float
    i_min: float
    i_max: float
    ovp_max: float
    voltage: float = 0.0
    current: float = 0.0
    output: bool = False
    ovp_level: float = 0.0
    ovp_on: bool = False
    ocp_level: float = 0.0
    ocp_on: bool = False
    ocp_tripped: bool = False
    ovp_tripped: bool = False
    chosen: bool = False       # selected for a master output switch (HMC804x)
    ramp: bool = False         # the output ramps up at output-on (HMC804x EasyRamp)
    ramp_s: float = 0.01       # over this many seconds
    v_min: float = 0.0         # a negative output goes from 0 down to v_min (v_max is then 0)
    extra: dict = field(default_factory=dict)


class SimPsu(Instrument):
    """A multi-channel PSU; dialects add the command table and reply formats."""

    #: (v_max, i_min, i_max, ovp_max[, v_min]) per channel, from the models' data sheets and
    #: libsigrok's scpi-pps profiles.c; a negative output
    #: has v_max 0 and v_min < 0 (DP831A CH3, E36311A CH3).
    RANGES: tuple[tuple[float, ...], ...] = ()
    DEFAULT_CURRENT = 1.0   # A, limit after *RST (UNCONFIRMED)

    def __init__(self, board) -> None:
        super().__init__()
        self.board = board
        self.selected = 1
        self.channels: dict[int, Channel] = {}
        self.reset()

    def reset(self) -> None:
        self.channels = {
            n: Channel(n, r[0], r[1], r[2], r[3], current=min(self.DEFAULT_CURRENT, r[2]),
                       ovp_level=r[3], ocp_level=r[2], v_min=r[4] if len(r) > 4 else 0.0)
            for n, r in enumerate(self.RANGES, start=1)}
        self.selected = 1
        self.apply_defaults()
        self._push(1)

    # --- state changes --------------------------------------------------------------------------
    def channel(self, n: int) -> Channel:
        ch = self.channels.get(n)
        if ch is None:
            raise ScpiError(-222, f"channel {n}")
        return ch

    def set_voltage(self, n: int, value: float) -> None:
        ch = self.channel(n)
        if not ch.v_min - 1e-12 <= value <= ch.v_max + 1e-12:
            raise ScpiError(-222, f"{value:g} V outside {ch.v_min:g}..{ch.v_max:g} V on channel {n}")
        ch.voltage = value
        self._push(n)

    def set_current(self, n: int, value: float) -> None:
        ch = self.channel(n)
        if not ch.i_min - 1e-12 <= value <= ch.i_max + 1e-12:
            raise ScpiError(-222, f"{value:g} A outside {ch.i_min:g}..{ch.i_max:g} A on channel {n}")
        ch.current = value
        self._push(n)

    def set_output(self, n: int, on: bool) -> None:
        ch = self.channel(n)
        ch.output = on
        if on:
            ch.ocp_tripped = ch.ovp_tripped = False
        self._push(n)

    def pushed(self, ch: Channel) -> None:
        """A setting of `ch` changed: the board follows channel 1 (Setting `after`)."""
        self._push(ch.number)

    def output_set(self, ch: Channel) -> None:
        """An output state was stored: switch it as `set_output` does (Setting `after`)."""
        self.set_output(ch.number, ch.output)

    def sel(self, call: Call | None) -> Channel:
        """The selected channel (Setting owner)."""
        return self.channel(self.selected)

    def argch(self, call: Call | None) -> Channel:
        """The channel a leading `CH<n>` argument names, else the selected one (Setting owner:
        `:OUTP CH1,ON`, `:OUTP? CH1`)."""
        if call is None:
            return self.sel(call)
        leading = len(call.args) - (0 if call.header.endswith("?") else 1)
        return self.channel(self.channel_arg(call, 0) if leading > 0 else self.selected)

    def _push(self, n: int) -> None:
        if n == 1 and self.board is not None and 1 in self.channels:
            ch = self.channels[1]
            self.board.set_psu(on=ch.output, voltage=ch.voltage, current_limit=ch.current)

    # --- readback -------------------------------------------------------------------------------
    def measure(self, n: int) -> tuple[float, float, str]:
        """(volts, amperes, 'CV'|'CC'|'OFF') at the output now; trips OCP/OVP if enabled."""
        ch = self.channel(n)
        if n == 1 and self.board is not None:
            v, i, mode = self.board.psu_readback()
        else:
            v, i, mode = (ch.voltage, 0.0, "CV") if ch.output else (0.0, 0.0, "OFF")
        if ch.output and ch.ocp_on and i >= ch.ocp_level - 1e-9:
            ch.ocp_tripped = True
            self.set_output(n, False)
            ch.ocp_tripped = True
            return 0.0, 0.0, "OFF"
        return v, i, mode

    def channel_arg(self, call: Call, i: int, default: int | None = None) -> int:
        """A 'CH<n>' argument (or the selected channel when absent)."""
        if i >= len(call.args) or not call.args[i]:
            return self.selected if default is None else default
        text = call.args[i].upper()
        if text.startswith("CH") and text[2:].isdigit():
            n = int(text[2:])
            self.channel(n)
            return n
        raise ScpiError(-224, call.args[i])
