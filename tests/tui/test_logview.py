"""The log view: wraps long lines under their source, follows the newest line unless scrolled
back, keeps its last `max_lines`, and keeps nothing the garbage collector has to walk per line."""

from __future__ import annotations

import gc

import pytest
from textual.app import App, ComposeResult

from benchtui.tui.logview import STAMP_WIDTH, LogView, log_line, wrap_offsets

WHEN = 1_700_000_000.0


class LogApp(App):
    def compose(self) -> ComposeResult:
        yield LogView(max_lines=300, id="log")


def rows(view: LogView) -> list[str]:
    return ["".join(s.text for s in view.render_line(y)).rstrip() for y in range(view.size.height)]


def test_rows_break_at_the_last_space_that_fits_or_mid_word() -> None:
    text = "12:00:00 : PSU: output ON readback 3.301 V"
    assert [text[s:e] for s, e in wrap_offsets(text, 30, STAMP_WIDTH)] == \
        ["12:00:00 : PSU: output ON", "readback 3.301 V"]
    assert wrap_offsets("x" * 25, 10, 0) == [(0, 10), (10, 20), (20, 25)]
    assert wrap_offsets("short", 40, STAMP_WIDTH) == [(0, 5)]


async def test_a_long_line_wraps_under_its_source_and_the_newest_stays_in_view() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 8)) as pilot:
        view = app.query_one(LogView)
        view.write_lines([log_line(WHEN, "PSU", f"readback {n} V") for n in range(20)])
        view.write_lines([log_line(WHEN, "error", "erase failed: sector 3 write-protected", "error")])
        await pilot.pause()
        shown = rows(view)
        # 38 columns (the scrollbar takes 2): the line breaks at the last space that fits.
        assert shown[-2].endswith(" : error: erase failed: sector") and len(shown[-2]) == 38, shown
        assert shown[-1] == " " * STAMP_WIDTH + "3 write-protected", shown
        assert "readback 19 V" in shown[-3]
        style = next(s.style for s in view.render_line(view.size.height - 2) if s.text == "error: ")
        assert style.bold and style.color.name == "red"


async def test_scrolled_back_the_view_stays_put_and_old_lines_go_past_max_lines() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(LogView)
        view.write_lines([log_line(WHEN, "loop", f"cycle {n}") for n in range(100)])
        await pilot.pause()
        view.scroll_to(y=10, animate=False)
        await pilot.pause()
        before = rows(view)
        assert before[0].endswith("cycle 10"), before
        view.write_lines([log_line(WHEN, "loop", f"cycle {n}") for n in range(100, 350)])
        await pilot.pause()
        assert view.line_count == 300
        view.scroll_home(animate=False)
        await pilot.pause()
        assert rows(view)[0].endswith("loop: cycle 50"), rows(view)
        view.scroll_end(animate=False)
        await pilot.pause()
        assert rows(view)[-1].endswith("cycle 349")


@pytest.mark.slow
async def test_a_full_log_adds_nothing_per_line_for_the_garbage_collector_to_walk() -> None:
    """RichLog kept ~26 tracked objects a line: 5000 lines made every full collection ~80 ms."""
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(LogView)
        view.max_lines = 5000

        async def tracked_after(chunks: range) -> int:
            for chunk in chunks:
                view.write_lines([log_line(WHEN, "PSU", f"cycle {chunk} readback 3.301 V 0.062 A CV " * 3)
                                  for _ in range(100)])
                await pilot.pause()
            gc.collect()
            return len(gc.get_objects())

        at_1000 = await tracked_after(range(10))  # the screen's own strips are made by now
        at_5000 = await tracked_after(range(10, 50))
        assert view.line_count == 5000 and at_5000 - at_1000 < 200, at_5000 - at_1000


async def test_lines_written_while_hidden_show_with_the_newest_at_the_bottom() -> None:
    """The log tab gets its lines while hidden (no width yet) and when shown, at any size."""
    app = LogApp()
    async with app.run_test(size=(80, 12)) as pilot:
        view = app.query_one(LogView)
        view.display = False
        await pilot.pause()
        view.write_lines([log_line(WHEN, "target", f"connected STM32F76x/F77x (0x451 rev Z), 1024 KB single "
                                                   f"bank, LQFP144, UID 0088001339 cycle {n}") for n in range(40)])
        view.display = True
        await pilot.pause()
        await pilot.pause()
        assert rows(view)[-1].endswith("cycle 39"), rows(view)
        await pilot.resize_terminal(60, 10)
        await pilot.pause()
        await pilot.pause()
        assert rows(view)[-1].endswith("cycle 39"), rows(view)
