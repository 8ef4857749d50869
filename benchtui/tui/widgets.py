"""Small widgets of the console: status bar, braille plots, one-line value displays."""

from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from .braille import plot_strip, plot_waveform


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
        bottom = Text()
        for label, (text, ok) in (("PSU", psu), ("scope", scope), ("target", target)):
            bottom.append_text(dot(ok))
            bottom.append(f" {label} ", "bold")
            bottom.append(f"{text if ok is not False else short_error(text)}  ",
                          "default" if ok else "red" if ok is False else "dim")
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
