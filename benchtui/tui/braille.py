"""Braille plots drawn as Rich text: waveforms with limit lines, and pass/fail strip charts.

Each terminal cell holds a 2x4 grid of braille dots, so an 60x8-cell plot has 120x32 points:
enough to see a VCAP dip or an NRST glitch over SSH without a plotting dependency. Waveforms
are reduced to a min/max envelope per dot column so that a one-sample glitch is never lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from rich.text import Span, Text

#: Bit of each dot in a braille cell, indexed [row][column] (Unicode braille pattern layout).
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE_BASE = 0x2800


class BrailleCanvas:
    """A grid of braille cells; each cell keeps the style of its highest-priority dot."""

    def __init__(self, width: int, height: int):
        self.width, self.height = max(1, width), max(1, height)
        self._bits = [[0] * self.width for _ in range(self.height)]
        self._style: list[list[tuple[int, str]]] = [[(-1, "")] * self.width for _ in range(self.height)]

    @property
    def dots_x(self) -> int:
        return self.width * 2

    @property
    def dots_y(self) -> int:
        return self.height * 4

    def dot(self, x: int, y: int, style: str = "", priority: int = 0) -> None:
        """Set dot (x, y); y = 0 is the top row. Points outside the canvas are ignored."""
        if not (0 <= x < self.dots_x and 0 <= y < self.dots_y):
            return
        row, col = y // 4, x // 2
        self._bits[row][col] |= _DOT_BITS[y % 4][x % 2]
        if priority >= self._style[row][col][0]:
            self._style[row][col] = (priority, style)

    def vline(self, x: int, y0: int, y1: int, style: str = "", priority: int = 0) -> None:
        """The dots (x, y0)..(x, y1), as `dot` would set them one by one (a waveform plot draws
        one of these per dot column: cell by cell, not dot by dot, it is a third of the plot's time)."""
        lo, hi = max(0, min(y0, y1)), min(self.dots_y - 1, max(y0, y1))
        if not 0 <= x < self.dots_x or lo > hi:
            return
        col, half = x // 2, x % 2
        for row in range(lo // 4, hi // 4 + 1):
            bits = 0
            for y in range(max(lo, row * 4), min(hi, row * 4 + 3) + 1):
                bits |= _DOT_BITS[y % 4][half]
            self._bits[row][col] |= bits
            if priority >= self._style[row][col][0]:
                self._style[row][col] = (priority, style)

    def hline(self, y: int, style: str = "", priority: int = 0, dashed: bool = True) -> None:
        for x in range(self.dots_x):
            if not dashed or (x // 2) % 2 == 0:
                self.dot(x, y, style, priority)

    def lines(self) -> list[Text]:
        """One Text per cell row, one span per run of cells in the same style.

        A blank cell joins the run it is in (no style shows on a space), so a trace is a few
        spans a row, not one per cell: rendering cost in Textual grows with the spans.
        """
        out = []
        for bits_row, style_row in zip(self._bits, self._style):
            plain = "".join(chr(_BRAILLE_BASE + bits) if bits else " " for bits in bits_row)
            spans = []
            start, current = 0, ""
            for i, (bits, (_, style)) in enumerate(zip(bits_row, style_row)):
                if not bits or style == current:
                    continue
                if current:
                    spans.append(Span(start, i, current))
                start, current = i, style
            if current:
                spans.append(Span(start, self.width, current))
            out.append(Text(plain, spans=spans))
        return out


@dataclass(frozen=True)
class Scale:
    """Maps values to dot rows: lo at the bottom, hi at the top."""

    lo: float
    hi: float
    rows: int

    def row(self, value: float) -> int:
        span = self.hi - self.lo or 1.0
        return round((self.hi - value) / span * (self.rows - 1))


def value_range(values: Iterable[float], extra: Iterable[float | None] = (), pad: float = 0.08) -> tuple[float, float]:
    """A y range holding every value and every (non-None) extra level, with a little margin."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    finite += [v for v in extra if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    span = hi - lo or max(abs(hi) * 0.1, 0.1)
    return lo - span * pad, hi + span * pad


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power * 1.0001:
            return m * power
    return 10 * power


def nice_ticks(lo: float, hi: float, count: int = 3) -> list[float]:
    """Round values within [lo, hi], about `count` intervals apart: 0, 1, 2, 3 rather than 0.0867."""
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


def format_tick(value: float, step: float | None = None) -> str:
    """A tick label with as many decimals as the step needs: '3.3', '1.25', '0', '-0.5'."""
    if value == 0:
        return "0"
    decimals = 0 if step is None or step >= 1 else min(6, -math.floor(math.log10(step) + 1e-9))
    if step is not None and step < 1 and round(step * 10 ** decimals) % 10 not in (0, 1, 2, 5):
        decimals += 1
    text = f"{value:.{decimals}f}" if step is not None else f"{value:.3g}"
    return text


#: Width of the y gutter: label (6) + axis line (1).
GUTTER = 7


def _with_axis(rows: list[Text], scale: Scale, marks: Sequence[tuple[float, str]]) -> list[Text]:
    """Prefix each row with a 7-character gutter: round y ticks, and each marked level (a limit,
    a threshold) labelled in its own style where it is drawn (a mark wins over a tick)."""
    labels: dict[int, tuple[str, str]] = {}
    ticks = nice_ticks(scale.lo, scale.hi, max(1, min(4, len(rows) - 1)))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else None
    for tick in ticks:
        labels[min(len(rows) - 1, max(0, scale.row(tick) // 4))] = (format_tick(tick, step), "dim")
    for level, style in marks:
        labels[min(len(rows) - 1, max(0, scale.row(level) // 4))] = (f"{level:.4g}", style)
    out = []
    for i, row in enumerate(rows):
        text, style = labels.get(i, ("", "dim"))
        line = Text(text[:6].rjust(6), style=style)
        line.append("┤" if i in labels else "│", "dim")
        line.append_text(row)
        out.append(line)
    return out


def time_unit(span: float) -> tuple[float, str]:
    """(factor, unit) to label a time span: 0.004 s reads in ms, 4e-6 s in µs."""
    span = abs(span)
    return (1.0, "s") if span >= 2 else (1e3, "ms") if span >= 2e-3 else (1e6, "µs") if span >= 2e-6 else (1e9, "ns")


def x_axis(width: int, lo: float, hi: float, *, unit: str = "", factor: float = 1.0,
           integer: bool = False) -> Text:
    """One row under a plot: '      └──┬────────┬───' with round labels at their columns.

    `lo`..`hi` is the x range of the plot area (width - GUTTER cells); labels are placed where
    their value falls and never overlap. `unit` follows the last label.
    """
    cells = max(1, width - GUTTER)
    line = [" "] * cells
    span = (hi - lo) or 1.0
    ticks = nice_ticks(lo * factor, hi * factor, max(1, cells // 12))
    if integer:
        ticks = [t for t in ticks if abs(t - round(t)) < 1e-9]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else None
    last_end = -1
    placed = []
    for tick in ticks:
        col = round((tick / factor - lo) / span * (cells - 1))
        label = format_tick(tick, step) if not integer else str(int(round(tick)))
        start = max(0, min(cells - len(label), col - len(label) // 2))
        if start <= last_end + 1:
            continue
        placed.append((start, label))
        last_end = start + len(label) - 1
    for start, label in placed:
        for i, ch in enumerate(label):
            if start + i < cells:
                line[start + i] = ch
    # The unit sits in the gutter, under the y labels: 'ms' then the tick labels.
    return Text(unit[:GUTTER - 1].rjust(GUTTER - 1) + " ", "dim") + Text("".join(line), "dim")


def plot_waveform(volts: Sequence[float], width: int, height: int, **kw) -> Text:
    """`waveform_rows` joined into one Text."""
    return Text("\n").join(waveform_rows(volts, width, height, **kw))


def waveform_rows(volts: Sequence[float], width: int, height: int, *,
                  lo_limit: float | None = None, hi_limit: float | None = None,
                  t_span: tuple[float, float] | None = None,
                  style: str = "green", bad_style: str = "bold red",
                  limit_style: str = "yellow", ramp: bool = False) -> list[Text]:
    """A waveform as rows of braille text, `width` x `height` cells including a 7-cell axis gutter.

    Samples are reduced to a min/max envelope per dot column; dots beyond a limit are drawn in
    `bad_style`, and each limit is a dashed line labelled with its value. With `t_span` (the
    first and last sample's time from the trigger, seconds) and 3+ rows, the last row is a
    time axis in s/ms/µs. With `ramp` (a record that starts with the net below its min: a
    power-up, a reset held low), samples before the net first reaches its min are its rise and
    are not drawn as below the limit.
    """
    axis = t_span is not None and height >= 3
    canvas = BrailleCanvas(max(1, width - GUTTER), height - 1 if axis else height)
    n = len(volts)
    lo, hi = value_range((min(volts), max(volts)) if n else (), (lo_limit, hi_limit))
    scale = Scale(lo, hi, canvas.dots_y)
    marks = []
    for limit in (lo_limit, hi_limit):
        if limit is not None:
            canvas.hline(scale.row(limit), limit_style, priority=0)
            marks.append((limit, limit_style))
    up_from = 0  # first sample that counts against the min limit
    if ramp and lo_limit is not None:
        up_from = next((i for i, v in enumerate(volts) if v >= lo_limit), n)
    for x in range(canvas.dots_x if n else 0):
        a = x * n // canvas.dots_x
        b = max(a + 1, (x + 1) * n // canvas.dots_x)
        chunk = volts[a:b]
        vmin, vmax = min(chunk), max(chunk)
        settled = volts[max(a, up_from):b] if b > up_from else ()
        out = (lo_limit is not None and len(settled) > 0 and min(settled) < lo_limit) or \
            (hi_limit is not None and vmax > hi_limit)
        canvas.vline(x, scale.row(vmin), scale.row(vmax), bad_style if out else style,
                     priority=2 if out else 1)
    rows = _with_axis(canvas.lines(), scale, marks)
    if axis:
        t0, t1 = t_span
        factor, unit = time_unit(t1 - t0)
        rows.append(x_axis(width, t0, t1, unit=unit, factor=factor))
    return rows


def plot_strip(points: Sequence[tuple[float, bool]], width: int, height: int, **kw) -> Text:
    """`strip_rows` joined into one Text."""
    return Text("\n").join(strip_rows(points, width, height, **kw))


def strip_rows(points: Sequence[tuple[float, bool]], width: int, height: int, *,
               threshold: float | None = None, pass_style: str = "green",
               fail_style: str = "bold red", threshold_style: str = "yellow",
               x_range: tuple[int, int] | None = None) -> list[Text]:
    """One feature over the cycles of a run: x = cycle order, y = value; failures in red.

    A failing dot wins a shared cell, so a cluster of failures below a threshold stands out.
    With `x_range` (first and last cycle number) and 3+ rows, the last row numbers the cycles.
    """
    axis = x_range is not None and height >= 3
    canvas = BrailleCanvas(max(1, width - GUTTER), height - 1 if axis else height)
    lo, hi = value_range((v for v, _ in points), (threshold,))
    scale = Scale(lo, hi, canvas.dots_y)
    marks = []
    if threshold is not None:
        canvas.hline(scale.row(threshold), threshold_style, priority=0)
        marks.append((threshold, threshold_style))
    n = len(points)
    for i, (value, failed) in enumerate(points):
        if value is None or not math.isfinite(value):
            continue
        x = round(i * (canvas.dots_x - 1) / max(1, n - 1)) if n > 1 else canvas.dots_x // 2
        y = scale.row(value)
        for dx, dy in ((0, 0), (1, 0), (0, -1), (1, -1)):  # a 2x2 blob: one dot is hard to see
            canvas.dot(min(x + dx, canvas.dots_x - 1), max(0, y + dy), fail_style if failed else pass_style,
                       priority=2 if failed else 1)
    rows = _with_axis(canvas.lines(), scale, marks)
    if axis:
        rows.append(x_axis(width, x_range[0], x_range[1], unit="cycle", integer=True))
    return rows


def series_rows(values: Sequence[float | None], styles: Sequence[str], width: int, height: int, *,
                span: int | None = None, levels: Sequence[tuple[float, str]] = (),
                floor: float | None = None) -> list[Text]:
    """Readbacks in arrival order as a braille trace; each point drawn in its own style.

    `span` fixes the x scale to that many points (the newest point at the right edge), so a
    history that fills up scrolls instead of stretching. Consecutive points are joined by a
    vertical stroke in the newer point's style, so a step (output off, CC sag) stays visible.
    `levels` are dashed reference lines (e.g. the setpoint); `floor` is always in range (0 V).
    """
    canvas = BrailleCanvas(max(1, width - GUTTER), height)
    lo, hi = value_range(values, [level for level, _ in levels] + [floor])
    if floor is not None and all(v is None or v >= floor for v in values):
        lo = floor  # no margin below a floor nothing crosses: 0 V/0 A sits on the bottom row
    scale = Scale(lo, hi, canvas.dots_y)
    for level, style in levels:
        canvas.hline(scale.row(level), style, priority=0)
    n = len(values)
    slots = max(span or n, n, 2)
    step = (canvas.dots_x - 1) / (slots - 1)
    prev: int | None = None
    for i, (value, style) in enumerate(zip(values, styles)):
        if value is None or not math.isfinite(value):
            prev = None
            continue
        x, y = round((slots - n + i) * step), scale.row(value)
        if prev is not None:
            canvas.vline(x, prev, y, style, priority=1)
            for xi in range(round((slots - n + i - 1) * step) + 1, x):
                canvas.dot(xi, prev, style, priority=1)
        canvas.dot(x, y, style, priority=2)
        prev = y
    return _with_axis(canvas.lines(), scale, levels)
