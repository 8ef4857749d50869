"""The power tab: setpoint and current limit within the profile's maxima, live readback, power-cycle."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.validation import Number
from textual.widgets import Input, Label, Static

from ...errors import SafetyError
from ...bench import events as ev
from ..keys import button
from ..widgets import PsuHistory
from .base import BenchPanel, set_text

#: How often the readback is refreshed while no loop runs (seconds).
POLL_S = 1.0
#: Readbacks kept in the V/I history plot.
HISTORY_POINTS = 60


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
    """Edit and apply the PSU setpoint; see V/I, CC/CV and the output; power-cycle the board."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.reading: Any = None
        self._polling = False

    def compose(self) -> ComposeResult:
        psu = self.bench.profile.psu
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
                     f"{psu.max_current:g} A; power-cycle off {self.bench.profile.cycle.off_s:g} s",
                     classes="hint")
        yield PsuHistory(psu.voltage, psu.current_limit, size=HISTORY_POINTS, id="psu-history")

    def on_mount(self) -> None:
        self.set_interval(POLL_S, self.poll)

    # -- readback ---------------------------------------------------------------------------
    def poll(self) -> None:
        """Refresh the readback unless a loop owns the bench or a read is still in flight."""
        session = self.bench.session
        if self._polling or session is None or not session.state.psu_connected or self.bench.loop_running:
            return
        self._polling = True
        self.run_worker(self._read(), group="psu-poll", exit_on_error=False)

    async def _read(self) -> None:
        try:
            self.show_reading(await self.bench.session.psu_read())
        except Exception as exc:  # a PSU that stopped answering: say so once, mark it lost
            self.bench.instrument_lost("psu", exc, "PSU readback")
        finally:
            self._polling = False

    def show_reading(self, reading: Any) -> None:
        self.reading = reading
        set_text(self.query_one("#readback", Static), reading_text(reading))  # 3 rows, fixed
        self.query_one(PsuHistory).add(reading)

    def bench_event(self, event: Any) -> None:
        """While the loop owns the PSU, its readbacks (power on, during the erase) feed the history."""
        if isinstance(event, ev.CycleFinished):
            history = self.query_one(PsuHistory)
            for window in ("on", "flash"):
                reading = cycle_readback(event.record, window)
                if reading is not None:
                    history.add(reading)

    def connection_changed(self) -> None:
        if self.bench.session and self.bench.session.state.psu_connected:
            self.poll()

    # -- actions ----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.apply()

    def apply(self) -> None:
        """Send the edited setpoint and limit; out-of-range values are refused here, in words."""
        psu = self.bench.profile.psu
        try:
            volts = _number(self.query_one("#voltage", Input).value, "setpoint", "V", psu.max_voltage)
            amps = _number(self.query_one("#current", Input).value, "current limit", "A", psu.max_current)
        except SafetyError as exc:
            self.bench.report(exc, "apply setpoint")
            return

        async def work() -> None:
            await self.bench.session.psu_apply(volts, amps)
            self.query_one(PsuHistory).set_limits(volts, amps)
            self.show_reading(await self.bench.session.psu_read())
        self.bench.act("psu", "apply setpoint", work)


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


def cycle_readback(record: Any, window: str) -> Any:
    """The PSU readback a loop cycle stored as psu.<window>.voltage/current/cc, or None."""
    values = {f.name: f.value for f in record.features if f.name.startswith(f"psu.{window}.")}
    volts, amps = values.get(f"psu.{window}.voltage"), values.get(f"psu.{window}.current")
    if volts is None and amps is None:
        return None
    cc = values.get(f"psu.{window}.cc")
    return SimpleNamespace(voltage=volts, current=amps, mode="CC" if cc else "CV", output=True)
