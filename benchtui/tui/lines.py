"""Widgets drawn from Rich Text through Textual's line API, their strips kept until they change.

A widget whose `render()` returns Rich Text is drawn by Textual through its general content
pipeline: the Text is converted to Textual content, wrapped or cut to the width, and turned into
strips, with a style resolved for every span. For the console's plots and bars that was 2-3 ms a
plot (a 48x7 waveform, measured on this bench's dev machine: 1.1 ms of it making the Text) and
about 2 ms a bar, paid for each one on every tab key and every capture while the loop runs.

These widgets make the same lines themselves: each row of Text becomes one strip (one segment
per run of equal style, styles combined once and cached), cut or padded to the width, and kept
until the widget's content, size or style changes. What they draw is exactly what `render()`
returns, which the tests read.
"""

from __future__ import annotations

import functools
from typing import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


@functools.lru_cache(maxsize=512)
def _parse(spec: str) -> Style:
    return Style.parse(spec) if spec else Style()


def style_of(style: str | Style) -> Style:
    """A style spec ('bold red') as a Rich Style, parsed once per spec; a Style as it is."""
    return style if isinstance(style, Style) else _parse(style)


def text_strip(line: Text, width: int, base: Style) -> Strip:
    """One row of Text (no newline) as a strip `width` cells wide on `base`.

    Spans may overlap (a joined Text carries each part's style as a span around its own spans):
    each run between span edges gets the base, the line's style, then every span over it in
    order, as Rich renders them. Longer rows are cut, shorter ones padded with `base`.
    """
    plain = line.plain
    line_style = base + style_of(line.style) if line.style else base
    spans = [span for span in line.spans if span.end > span.start]
    if not spans:
        segments = [Segment(plain, line_style)] if plain else []
    else:
        edges = sorted({0, len(plain), *(s.start for s in spans), *(s.end for s in spans)})
        segments = []
        for start, end in zip(edges, edges[1:]):
            if start >= len(plain):
                break
            style = line_style
            for span in spans:
                if span.start <= start and span.end >= end:
                    style = style + style_of(span.style)
            segments.append(Segment(plain[start:end], style))
    return fit(Strip(segments), width, base)


def fit(strip: Strip, width: int, base: Style) -> Strip:
    """`strip` cut or padded with `base` to `width` cells.

    Not `crop_extend` alone: for a strip already that wide it returns the strip itself and keeps
    it in the strip's own cache, a reference cycle that only a full collection frees.
    """
    return strip if strip.cell_length == width else strip.crop_extend(0, width, base)


def text_strips(lines: Sequence[Text], width: int, height: int, base: Style) -> list[Strip]:
    """`height` strips of `width` cells: the rows of `lines`, then blank rows."""
    strips = [text_strip(line, width, base) for line in lines[:height]]
    strips.extend(Strip.blank(width, base) for _ in range(height - len(strips)))
    return strips


class TextLines(Widget):
    """A widget drawn from the Rich Text its `render()` returns (rows split at newlines), through
    the line API. Call `changed()` (not `refresh()`) when what `render()` returns has changed."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._generation = 0
        self._strips: list[Strip] = []
        self._strips_key: tuple | None = None
        self._base = Style()
        self._content = Size(0, 0)  # not _size: that is Textual's outer size

    def changed(self) -> None:
        """The content changed: make the strips anew at the next frame."""
        self._generation += 1
        self.refresh()

    def render_rows(self) -> Sequence[Text]:
        """The rows to draw; the default splits `render()` at its newlines."""
        return self.render().split("\n", allow_blank=True)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style (colours from its ancestors and the theme), as Textual's line-API
        # widgets take it, and its size: read once per frame, not once per line (both walk the
        # DOM or the compositor's map).
        self._base, self._content = self.rich_style, self.content_size
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        size = self._content
        key = (size, self._base, self._generation)
        if key != self._strips_key:
            self._strips = text_strips(self.render_rows(), size.width, size.height, self._base)
            self._strips_key = key
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(size.width, self._base)
