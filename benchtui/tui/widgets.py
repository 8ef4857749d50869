"""Small widgets of the console: status bar, braille plots, one-line value displays."""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple, Sequence

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from .braille import plot_series, plot_strip, plot_waveform


def short_identity(idn: str | None) -> str:
    """'RIGOL TECHNOLOGIES,DP832,DP8C0000001,00.01.16' -> 'RIGOL DP832' (fits an 80-column bar)."""
    if not idn:
        return "-"
    parts = [p.strip() for p in idn.split(",")]
    if len(parts) >= 2:
        vendor = parts[0].split()[0] if parts[0] else ""
        return f"{vendor} {parts[1]}".strip()
    return idn[:24]


def short_error(line: str, width: int = 22) -> str:
    """'PSU: PSU TCPIP0::…: connection refused — is it on?' -> 'connection refused' (status bar size)."""
    core = line.split(" — ")[0].split(" (")[0]
    core = core.rsplit(": ", 1)[-1]
    return core if len(core) <= width else core[: width - 1] + "…"


def dot(ok: bool | None) -> Text:
    """A connection dot: green connected, red failed, dim unknown."""
    if ok is None:
        return Text("○", "dim")
    return Text("●", "green" if ok else "bold red")


def instruments_line(*items: tuple[str, bool | None]) -> Text:
    """'● PSU RIGOL DP832  ● scope …  ○ target not connected' for (PSU, scope, target)."""
    line = Text()
    for label, (text, ok) in zip(("PSU", "scope", "target"), items):
        line.append_text(dot(ok))
        line.append(f" {label} ", "bold")
        line.append(f"{text if ok is not False else short_error(text)}  ",
                    "default" if ok else "red" if ok is False else "dim")
    return line


class StatusBar(Static):
    """Profile, instruments and their connection state, target identity, cycle counters."""

    DEFAULT_CSS = """
    StatusBar { height: 2; background: $boost; padding: 0 1; }
    """

    def show(self, *, profile: str, psu: tuple[str, bool | None], scope: tuple[str, bool | None],
             target: tuple[str, bool | None], cycles: tuple[int, int, int], activity: str) -> None:
        """Redraw both lines; each (text, ok) pair gets a connection dot."""
        done, passed, failed = cycles
        top = Text(f"cycles {done} ")
        top.append(f"✓{passed}", "green")
        top.append(" ")
        top.append(f"✗{failed}", "bold red" if failed else "dim")
        if activity:
            top.append(f" │ {activity}", "cyan")
        top.append(" │ ", "dim")
        top.append(profile, "bold")
        width = self.size.width - 2 if self.size.width else 200
        bottom = instruments_line(psu, scope, target)
        bottom.rstrip()
        if bottom.cell_len > width and target[1]:  # narrow: 'STM32F76x/F77x (0x451 rev Z), 1024 KB' -> part name
            bottom = instruments_line(psu, scope, (target[0].split(" (")[0], target[1]))
            bottom.rstrip()
        bottom.truncate(max(10, width), overflow="ellipsis")
        top.truncate(max(10, self.size.width - 2 if self.size.width else 200), overflow="ellipsis")
        self.update(Text("\n").join([top, bottom]))


class WaveformPlot(Widget):
    """One net's waveform as braille, with its limits as dashed lines; redraws to fit its size."""

    DEFAULT_CSS = """
    WaveformPlot { height: 5; width: 1fr; }
    """

    def __init__(self, net: str, lo: float | None, hi: float | None, **kw: Any):
        super().__init__(**kw)
        self.net, self.lo, self.hi = net, lo, hi
        self.volts: Sequence[float] = ()

    def set_waveform(self, volts: Sequence[float]) -> None:
        self.volts = list(volts)
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        if not self.volts:
            return Text(f"{self.net}: no capture yet", "dim")
        return plot_waveform(self.volts, width, height, lo_limit=self.lo, hi_limit=self.hi)


class StripPlot(Widget):
    """A feature across the cycles of a run, failures in red, the best threshold as a line."""

    DEFAULT_CSS = """
    StripPlot { height: 6; width: 1fr; }
    """

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.points: list[tuple[float, bool]] = []
        self.threshold: float | None = None
        self.title = ""

    def set_points(self, title: str, points: list[tuple[float, bool]], threshold: float | None) -> None:
        self.title, self.points, self.threshold = title, points, threshold
        self.refresh()

    def render(self) -> Text:
        if not self.points:
            return Text("top feature plot: appears when cycles have passed and failed", "dim")
        head = Text.assemble((self.title, "bold"), "  ", ("● pass", "green"), "  ", ("● fail", "bold red"))
        if self.threshold is not None:
            head.append(f"  ┄ threshold {self.threshold:.4g}", "yellow")
        body = plot_strip(self.points, self.size.width, max(1, self.size.height - 1),
                          threshold=self.threshold)
        return Text("\n").join([head, body])


class Readback(NamedTuple):
    """One PSU readback as the history keeps it; mode is 'CV', 'CC' or 'OFF'."""

    voltage: float | None
    current: float | None
    mode: str


#: Style of a history point per regulation mode: CC must stand out, an output off is dim.
MODE_STYLES = {"CV": "green", "CC": "bold yellow", "OFF": "grey50"}


def readback_mode(reading: Any) -> str:
    """'CV', 'CC' or 'OFF' from a PsuReading (an output that is off counts as OFF)."""
    if not getattr(reading, "output", True):
        return "OFF"
    mode = str(getattr(reading, "mode", "") or "").upper()
    return mode if mode in MODE_STYLES else "CV"


class PsuHistory(Widget):
    """The last `size` V/I readbacks as two braille traces, each point coloured CV / CC / off.

    Voltage is drawn against the setpoint, current against the limit, so a sag into CC or a
    power-cycle reads at a glance. Stacked when narrow, side by side from 100 columns.
    """

    DEFAULT_CSS = """
    PsuHistory { height: 1fr; min-height: 6; width: 1fr; }
    """

    def __init__(self, setpoint: float, limit: float, size: int = 60, **kw: Any):
        super().__init__(**kw)
        self.setpoint, self.limit, self.size_points = setpoint, limit, size
        self.points: deque[Readback] = deque(maxlen=size)

    def add(self, reading: Any) -> None:
        """Append a PsuReading (or anything with voltage/current/mode/output)."""
        if reading is None:
            return
        self.points.append(Readback(getattr(reading, "voltage", None), getattr(reading, "current", None),
                                    readback_mode(reading)))
        self.refresh()

    def set_limits(self, setpoint: float, limit: float) -> None:
        self.setpoint, self.limit = setpoint, limit
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        if not self.points:
            return Text("V/I history: appears with the first readback", "dim")
        styles = [MODE_STYLES[p.mode] for p in self.points]
        side = width >= 100
        plot_h = max(1, height - 1) if side else max(1, (height - 2) // 2)
        plot_w = (width - 2) // 2 if side else width
        volts = plot_series([p.voltage for p in self.points], styles, plot_w, plot_h,
                            span=self.size_points, levels=[(self.setpoint, "yellow")], floor=0.0)
        amps = plot_series([p.current for p in self.points], styles, plot_w, plot_h,
                           span=self.size_points, levels=[(self.limit, "yellow")], floor=0.0)
        cc = sum(1 for p in self.points if p.mode == "CC")
        off = sum(1 for p in self.points if p.mode == "OFF")
        v_head = Text.assemble(("V", "bold"), f" (setpoint {self.setpoint:g} V)  ",
                               ("━ CV", MODE_STYLES["CV"]), " ", ("━ CC", MODE_STYLES["CC"]), " ",
                               ("━ off", MODE_STYLES["OFF"]), (f"   last {len(self.points)} readbacks", "dim"))
        a_head = Text.assemble(("I", "bold"), f" (limit {self.limit:g} A)  ",
                               (f"CC in {cc}", "bold yellow" if cc else "dim"), (f", off in {off}", "dim"))
        if side:
            rows = [v_head.copy(), *volts.split("\n")]
            right = [a_head, *amps.split("\n")]
            out = []
            for left, r in zip(rows, right):
                left.pad_right(plot_w + 2 - left.cell_len)
                left.truncate(plot_w + 2)
                out.append(Text.assemble(left, r))
            return Text("\n").join(out)
        return Text("\n").join([v_head, volts, a_head, amps])
