"""The power tab: setpoint and current limit within the profile's maxima, live readback, power-cycle."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.validation import Number
from textual.widgets import Input, Label, Static

from ...errors import SafetyError
from ...bench import events as ev
from ..keys import button
from ..messages import InputRefused, SetpointSubmitted
from ..state import HISTORY_POINTS
from ..widgets import PsuHistory
from .base import BenchPanel, set_text


def _value(x: float | None, unit: str) -> str:
    """'  3.301 V', or '     — V' for a measurement the PSU had no number for (9.9E37)."""
    return f"{x:6.3f} {unit}" if x is not None else f"{'—':>6} {unit}"


def reading_text(reading: Any) -> Text:
    """'3.301 V  0.124 A  mode CV  output ON', each value labelled, mode and output coloured.

    With the output off the PSU does not regulate: the mode reads 'mode —', not a second 'OFF'.
    """
    if reading is None:
        return Text("— V   — A   no reading", "dim")
    text = Text.assemble((_value(reading.voltage, "V"), "bold"), "   ", (_value(reading.current, "A"), "bold"), "   ")
    mode = str(getattr(reading, "mode", "") or "?").upper()
    text.append("mode ", "dim")
    if not reading.output or mode not in ("CC", "CV"):
        text.append("—", "dim")
    else:
        text.append(f" {mode} ", "black on yellow" if mode == "CC" else "black on green")
    text.append("   output ", "dim")
    text.append(" ON " if reading.output else " OFF ", "black on green" if reading.output else "white on grey30")
    return text


class PowerPanel(BenchPanel):
    """Edit the PSU setpoint; see V/I, CC/CV, the output and their history (console.psu)."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self._drawn = 0  # readings drawn into the history
        self._limits: tuple[float, float] | None = None  # the setpoint the history is drawn against

    def compose(self) -> ComposeResult:
        psu = self.profile.psu
        yield Static(reading_text(None), id="readback")
        with Horizontal(classes="row"):
            yield Label("Setpoint V", classes="field-label")
            yield Input(f"{psu.voltage:g}", id="voltage", type="number", classes="number",
                        validators=[Number(minimum=0.0, maximum=psu.max_voltage)])
            yield Label("Limit A", classes="field-label")
            yield Input(f"{psu.current_limit:g}", id="current", type="number", classes="number",
                        validators=[Number(minimum=0.0, maximum=psu.max_current)])
            yield button("apply_setpoint", "apply")
        with Horizontal(classes="row"):
            yield button("toggle_output", "output")
            yield button("power_cycle", "power-cycle", variant="primary")
        yield Static(f"channel {psu.channel} of {psu.resource}\nprofile maxima {psu.max_voltage:g} V / "
                     f"{psu.max_current:g} A; power-cycle off {self.profile.cycle.off_s:g} s",
                     classes="hint")
        yield PsuHistory(psu.voltage, psu.current_limit, size=HISTORY_POINTS, id="psu-history")

    def paint(self) -> None:
        psu = self.state.psu
        set_text(self.query_one("#readback", Static), reading_text(psu.reading))  # 3 rows, fixed
        history = self.query_one(PsuHistory)
        if psu.applied is not None and psu.applied != self._limits:
            self._limits = psu.applied
            history.set_limits(*psu.applied)
        for reading in psu.since(self._drawn):
            history.add(reading)
        self._drawn = psu.count

    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.CycleFinished):  # the loop's readbacks feed the history
            self.invalidate()

    # -- actions ----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.apply()

    def apply(self) -> None:
        """Ask for the edited setpoint and limit; out-of-range values are refused here, in words."""
        psu = self.profile.psu
        try:
            volts = _number(self.query_one("#voltage", Input).value, "setpoint", "V", psu.max_voltage)
            amps = _number(self.query_one("#current", Input).value, "current limit", "A", psu.max_current)
        except SafetyError as exc:
            self.post_message(InputRefused(exc, "apply setpoint"))
            return
        self.post_message(SetpointSubmitted(volts, amps))


def _number(text: str, what: str, unit: str, maximum: float) -> float:
    """Parse an input as a number within [0, maximum]; the error names the field and the limit."""
    try:
        value = float(text)
    except ValueError:
        raise SafetyError(f"{what} {text!r} is not a number", where="PSU") from None
    if not 0.0 <= value <= maximum:
        raise SafetyError(f"{what} {value:g} {unit} is outside 0..{maximum:g} {unit} (profile maximum)",
                          where="PSU")
    return value
