"""A log view that keeps its lines as plain strings: its size costs the garbage collector nothing.

Textual's RichLog keeps every line it was given as rendered strips (Rich segments and styles,
and seven small caches per strip): about 26 tracked objects per line. With its 5000 lines a full
garbage collection walked 128 000 more objects and took 83 ms instead of 5 (measured on this
bench's dev machine): after a long run, every full collection was one of the console's longest
stalls. This view keeps each line as a tuple of strings and integers (which the collector
untracks), wraps them to the width into row offsets (integers too), and makes strips only for
the rows on screen, when Textual asks for them.

A line is "21:17:34 : PSU: output ON": a time stamp, a source coloured by its kind, the text.
Rows after the first of a long line are indented under the source, and break at the last space
that fits (or mid-word when none does). Widths are counted in characters: the log's text is
ASCII and single-width symbols (µ, Ω, ±); a double-width character would be cut at the edge.
"""

from __future__ import annotations

import collections
import time

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..text import printable
from .lines import fit, style_of

#: Styles of sources in the log, so that problems and the loop stand out.
SOURCE_STYLES = {"error": "bold red", "warning": "yellow", "loop": "cyan", "PSU": "magenta",
                 "scope": "blue", "target": "green"}
STAMP_STYLE = "dim"
#: "21:17:34 : ": the width of the stamp, and the indent of a long line's later rows.
STAMP_WIDTH = 11
#: Below this width later rows are not indented (the indent would leave too little room).
MIN_INDENTED_WIDTH = 30


def log_line(when: float, source: str, text: str, severity: str = "") -> tuple[str, int, str, str]:
    """One line as the view keeps it: (plain text, where the text starts after the source,
    source style, text style)."""
    head = time.strftime("%H:%M:%S", time.localtime(when)) + " : " + f"{source}: "
    # Log text quotes instruments, files and names: shown escaped, never obeyed (text.py).
    return (head + printable(text.replace("\n", " ")), len(head),
            SOURCE_STYLES.get(severity) or SOURCE_STYLES.get(source, "bold"), SOURCE_STYLES.get(severity, ""))


def wrap_offsets(text: str, width: int, indent: int) -> list[tuple[int, int]]:
    """(start, end) of each row of `text` at `width` characters, later rows `indent` narrower."""
    rows: list[tuple[int, int]] = []
    start, room = 0, max(1, width)
    while len(text) - start > room:
        cut = text.rfind(" ", start + 1, start + room + 1)
        if cut <= start:
            rows.append((start, start + room))
            start += room
        else:
            rows.append((start, cut))
            start = cut + 1
        room = max(1, width - indent)
    rows.append((start, len(text)))
    return rows


class LogView(ScrollView, can_focus=True):
    """A scrolling, wrapping log of `log_line` lines; the newest stays in view while the view is
    scrolled to its end. Keeps at most `max_lines` lines."""

    DEFAULT_CSS = """
    LogView { background: $surface; color: $text; overflow-x: hidden; overflow-y: scroll; }
    """

    def __init__(self, max_lines: int = 5000, **kw) -> None:
        super().__init__(**kw)
        self.max_lines = max_lines
        self._lines: collections.deque[tuple[str, int, str, str]] = collections.deque()
        #: Rows at the current width: (line number counted from the first line ever, start, end).
        self._rows: list[tuple[int, int, int]] = []
        self._first = 0          # line number of self._lines[0]
        self._wrapped_at = 0     # the width self._rows were made for (0: not made yet)
        #: The view follows the newest line: it was at its end when last scrolled (or never was).
        self._follow = True
        self._base = Style()  # the view's style in the frame being drawn (render_lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def plain_lines(self) -> list[str]:
        return [line[0] for line in self._lines]

    def write_lines(self, lines: list[tuple[str, int, str, str]]) -> None:
        number = self._first + len(self._lines)
        self._lines.extend(lines)
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            for _ in range(excess):
                self._lines.popleft()
            self._first += excess
        if not self._wrapped_at or self._width() != self._wrapped_at:
            self._rewrap()  # the first lines since the view got its width, or a new width
        else:
            for n, line in enumerate(lines, number):
                if n >= self._first:
                    self._rows.extend(self._wrap(n, line[0]))
            drop = 0
            while drop < len(self._rows) and self._rows[drop][0] < self._first:
                drop += 1
            del self._rows[:drop]
        self._sized()
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = round(new_value) >= self.max_scroll_y

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def _wrap(self, number: int, text: str) -> list[tuple[int, int, int]]:
        width = self._wrapped_at
        indent = STAMP_WIDTH if width >= MIN_INDENTED_WIDTH else 0
        return [(number, s, e) for s, e in wrap_offsets(text, width, indent)]

    def _rewrap(self) -> None:
        self._wrapped_at = self._width()
        if not self._wrapped_at:  # not laid out yet (a hidden tab): rows are made on resize
            self._rows = []
            return
        self._rows = [row for n, line in enumerate(self._lines, self._first) for row in self._wrap(n, line[0])]

    def _sized(self) -> None:
        """The scroll range follows the rows; a view that follows the newest line stays at its end."""
        self.virtual_size = Size(self._wrapped_at, len(self._rows))
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def on_resize(self) -> None:
        if self._width() != self._wrapped_at:
            self._rewrap()
            self._sized()

    def render_lines(self, crop: Region) -> list[Strip]:
        # The view's style, read once per frame: `rich_style` walks the ancestors each time.
        self._base = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        index = self.scroll_offset.y + y
        if index >= len(self._rows):
            return Strip.blank(width, base)
        number, start, end = self._rows[index]
        text, text_at, source_style, text_style = self._lines[number - self._first]
        segments = []
        if start and self._wrapped_at >= MIN_INDENTED_WIDTH:
            segments.append(Segment(" " * STAMP_WIDTH, base))
        for lo, hi, spec in ((0, STAMP_WIDTH, STAMP_STYLE), (STAMP_WIDTH, text_at, source_style),
                             (text_at, len(text), text_style)):
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                segments.append(Segment(text[lo:hi], base + style_of(spec)))
        return fit(Strip(segments), width, base)
