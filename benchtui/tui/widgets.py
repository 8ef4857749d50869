"""Small widgets of the console: status bar, braille plots, one-line value displays."""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple, Sequence

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive

from .braille import series_rows, strip_rows, waveform_rows
from .lines import TextLines


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


#: Symbol and style per link state: the state reads without colour too.
LINK_SYMBOLS = {"connected": ("●", "green"), "connecting": ("◌", "dim"), "reconnecting": ("↻", "bold yellow"),
                "lost": ("✗", "bold red"), "absent": ("✗", "bold red"), "idle": ("○", "dim")}


def link_text(label: str, identity: str | None, error: str | None, link: str) -> Text:
    """'● PSU RIGOL DP832', '↻ PSU reconnecting…', '✗ PSU lost: connection refused'."""
    symbol, style = LINK_SYMBOLS.get(link, ("?", ""))
    text = Text(symbol, style)
    text.append(f" {label} ", "bold")
    if link == "connected":
        text.append(short_identity(identity))
    elif link in ("connecting", "reconnecting"):
        text.append(f"{link}…", "yellow" if link == "reconnecting" else "dim")
    elif link == "lost":
        text.append(f"lost: {short_error(error or '')}", "red")
    else:
        text.append(short_error(error or "not connected"), "red")
    return text


def instruments_line(psu: tuple, scope: tuple, target: tuple[str, str]) -> Text:
    """'● PSU RIGOL DP832  ✗ scope lost: …  ○ target not connected'."""
    line = Text()
    line.append_text(link_text("PSU", *psu))
    line.append("  ")
    line.append_text(link_text("scope", *scope))
    line.append("  ")
    text, link = target
    symbol, style = LINK_SYMBOLS.get(link, ("?", ""))
    line.append(symbol, style)
    line.append(" target ", "bold")
    line.append(text if link != "lost" else short_error(text),
                "default" if link == "connected" else "red" if link == "lost" else "dim")
    return line


class StatusBar(TextLines):
    """Cycle counters, activity, profile and scenario; each instrument's link with a symbol.

    Drawn at its current width (each line cut with an ellipsis, never wrapped).
    """

    DEFAULT_CSS = """
    StatusBar { height: 2; background: $boost; padding: 0 1; }
    """

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.state: dict[str, Any] | None = None

    def show(self, *, profile: str, psu: tuple, scope: tuple, target: tuple[str, str],
             cycles: tuple[int, int, int], activity: str, scenario: str | None = None) -> None:
        """psu/scope: (identity, error, link state); target: (text, state)."""
        state = dict(profile=profile, psu=psu, scope=scope, target=target, cycles=cycles,
                     activity=activity, scenario=scenario)
        if state != self.state:
            self.state = state
            self.changed()

    def render(self) -> Text:
        if self.state is None:
            return Text("")
        s = self.state
        done, passed, failed = s["cycles"]
        top = Text(f"cycles {done} ")
        top.append(f"✓{passed}", "green")
        top.append(" ")
        top.append(f"✗{failed}", "bold red" if failed else "dim")
        if s["activity"]:
            top.append(f" │ {s['activity']}", "cyan")
        if s["scenario"]:
            top.append(" │ ", "dim")
            top.append(f"scenario {s['scenario']}", "magenta")
        top.append(" │ ", "dim")
        top.append(s["profile"], "bold")
        width = max(10, self.content_size.width or 200)
        target = s["target"]
        bottom = instruments_line(s["psu"], s["scope"], target)
        if bottom.cell_len > width and target[1] == "connected":  # narrow: the part name only
            bottom = instruments_line(s["psu"], s["scope"], (target[0].split(" (")[0], target[1]))
        bottom.truncate(width, overflow="ellipsis")
        top.truncate(width, overflow="ellipsis")
        return Text("\n").join([top, bottom])


def _clickable(label: str, action: str, style: str = "") -> Text:
    """`label` that runs app action `action` when clicked (Textual's @click meta)."""
    return Text(label, style=Style.parse(style or "none") + Style(meta={"@click": f"app.{action}"}))


class TabBar(TextLines):
    """The tabs in one row, '0 Overview  1 Power  …', the shown tab in reverse video (it reads
    without colour); a click on a tab shows it.

    One widget drawing one line, not a widget per tab and an animated underline (Textual's
    TabbedContent): Textual renders every visible widget for each frame, and the console's
    chrome as one line each (tabs, keys) halves the work of every tab key and every repaint
    while the loop runs (benchmarks/ui.py).
    """

    DEFAULT_CSS = """
    TabBar { height: 1; background: $panel; link-style: none; link-style-hover: bold underline; }
    """

    active: reactive[str] = reactive("")

    def __init__(self, tabs: Sequence[tuple[str, str]], keys: dict[str, str], **kw: Any):
        super().__init__(**kw)
        self.tabs, self.keys = tuple(tabs), keys

    def watch_active(self) -> None:
        self.changed()

    def render(self) -> Text:
        line = Text()
        for tab, title in self.tabs:
            label = f" {self.keys[tab]} {title} "
            shown = tab == self.active
            line.append_text(_clickable(label, f"show_tab('{tab}')", "bold reverse" if shown else ""))
        line.truncate(max(1, self.size.width), overflow="ellipsis")
        return line


class KeyBar(TextLines):
    """The footer: the main keys in one row ('p Power-cycle  f Flash  …  ^p palette'), each key
    clickable; every other key is in the help (?) and the command palette (ctrl+p)."""

    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; link-style: none; link-style-hover: bold underline; }
    """

    def __init__(self, keys: Sequence[tuple[str, str, str]], **kw: Any):
        """keys: (key label, description, app action) in the order shown."""
        super().__init__(**kw)
        self.keys = tuple(keys)

    def render(self) -> Text:
        line = Text()
        for label, description, action in self.keys:
            line.append_text(_clickable(f" {label} ", action, "bold reverse"))
            line.append_text(_clickable(f" {description} ", action))
        line.truncate(max(1, self.size.width), overflow="ellipsis")
        return line


class Plot(TextLines):
    """The console's one plot: a waveform against time from the trigger, or a feature across
    the cycles of a run. Braille dots, round y ticks, limits and thresholds as labelled dashed
    lines, an x axis (ms/µs, or cycle numbers) when there are rows for it; redraws to its size.

    Used by the scope tab, the overview, the cycle view and the loop's top-feature plot.
    """

    DEFAULT_CSS = """
    Plot { height: 5; width: 1fr; }
    """

    def __init__(self, title: str = "", *, lo: float | None = None, hi: float | None = None,
                 empty: str = "no data yet", **kw: Any):
        super().__init__(**kw)
        self.title, self.lo, self.hi, self.empty = title, lo, hi, empty
        self.volts: Sequence[float] = ()
        self.t_span: tuple[float, float] | None = None
        self.points: list[tuple[float, bool]] = []
        self.threshold: float | None = None
        self.x_range: tuple[int, int] | None = None
        self.head: Text | None = None
        self.ramp = False

    # -- data -------------------------------------------------------------------------------
    def set_waveform(self, volts: Sequence[float], t_span: tuple[float, float] | None = None,
                     head: Text | None = None, ramp: bool = False) -> None:
        """A waveform (already reduced to at most a few thousand points) and its time span.
        `ramp`: the record starts below the min limit (a power-up, a reset held low), so the
        part before the net first reaches its min is its rise, not drawn as a violation."""
        self.volts, self.t_span, self.points, self.head = list(volts), t_span, [], head
        self.ramp = ramp
        self.changed()

    def set_points(self, title: str, points: list[tuple[float, bool]], threshold: float | None,
                   x_range: tuple[int, int] | None = None) -> None:
        """(value, failed) per cycle in order; the threshold the correlation found."""
        self.title, self.points, self.threshold, self.x_range = title, points, threshold, x_range
        self.volts, self.head = (), None
        self.changed()

    # -- drawing ----------------------------------------------------------------------------
    def render(self) -> Text:
        return Text("\n").join(self.render_rows())

    def render_rows(self) -> list[Text]:
        width, height = self.size.width, self.size.height
        if self.points:
            head = Text.assemble((self.title, "bold"), "  ", ("● pass", "green"), "  ", ("● fail", "bold red"))
            if self.threshold is not None:
                head.append(f"  ┄ threshold {self.threshold:.4g}", "yellow")
            head.truncate(width, overflow="ellipsis")
            return [head, *strip_rows(self.points, width, max(1, height - 1), threshold=self.threshold,
                                      x_range=self.x_range)]
        if not self.volts:
            return [Text(self.empty, "dim")]
        rows = height
        parts = []
        if self.head is not None:
            head = self.head.copy()
            head.truncate(width, overflow="ellipsis")
            parts.append(head)
            rows -= 1
        parts.extend(waveform_rows(self.volts, width, max(1, rows), lo_limit=self.lo, hi_limit=self.hi,
                                   t_span=self.t_span, ramp=self.ramp))
        return parts


class WaveformPlot(Plot):
    """A Plot of one net's waveform with its limits (scope tab, cycle view, overview)."""

    def __init__(self, net: str, lo: float | None, hi: float | None, **kw: Any):
        super().__init__(net, lo=lo, hi=hi, empty=f"{net}: no capture yet", **kw)
        self.net = net


class StripPlot(Plot):
    """A Plot of the top feature across the run's cycles (loop tab)."""

    def __init__(self, **kw: Any):
        super().__init__(empty="top feature plot: appears when cycles have passed and failed", **kw)


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


class PsuHistory(TextLines):
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
        self.changed()

    def set_limits(self, setpoint: float, limit: float) -> None:
        self.setpoint, self.limit = setpoint, limit
        self.changed()

    def render(self) -> Text:
        return Text("\n").join(self.render_rows())

    def render_rows(self) -> list[Text]:
        width, height = self.size.width, self.size.height
        if not self.points:
            return [Text("V/I history: appears with the first readback", "dim")]
        styles = [MODE_STYLES[p.mode] for p in self.points]
        side = width >= 100
        plot_h = max(1, height - 1) if side else max(1, (height - 2) // 2)
        plot_w = (width - 2) // 2 if side else width
        volts = series_rows([p.voltage for p in self.points], styles, plot_w, plot_h,
                            span=self.size_points, levels=[(self.setpoint, "yellow")], floor=0.0)
        amps = series_rows([p.current for p in self.points], styles, plot_w, plot_h,
                           span=self.size_points, levels=[(self.limit, "yellow")], floor=0.0)
        cc = sum(1 for p in self.points if p.mode == "CC")
        off = sum(1 for p in self.points if p.mode == "OFF")
        v_head = Text.assemble(("V", "bold"), f" (setpoint {self.setpoint:g} V)  ",
                               ("━ CV", MODE_STYLES["CV"]), " ", ("━ CC", MODE_STYLES["CC"]), " ",
                               ("━ off", MODE_STYLES["OFF"]), (f"   last {len(self.points)} readbacks", "dim"))
        a_head = Text.assemble(("I", "bold"), f" (limit {self.limit:g} A)  ",
                               (f"CC in {cc}", "bold yellow" if cc else "dim"), (f", off in {off}", "dim"))
        if side:
            rows = [v_head.copy(), *volts]
            right = [a_head, *amps]
            out = []
            for left, r in zip(rows, right):
                left.pad_right(plot_w + 2 - left.cell_len)
                left.truncate(plot_w + 2)
                out.append(Text.assemble(left, r))
            return out
        return [v_head, *volts, a_head, *amps]
