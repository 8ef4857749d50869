"""The browser fixture itself: a real headless Chromium renders a page and reports its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"


def test_chromium_renders_a_local_page_and_reports_console_errors(chromium, tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_text("<!doctype html><title>t</title><svg width='20' height='10'>"
                    "<rect width='5' height='5'/></svg>", encoding="utf-8")
    page = chromium.open_file(good)
    assert page.title() == "t"
    assert page.locator("svg rect").count() == 1
    assert chromium.errors(page) == []

    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><script>console.error('boom'); undefined_call();</script>"
                   "<img src='https://example.invalid/x.png'>", encoding="utf-8")
    page = chromium.open_file(bad)
    errors = chromium.errors(page)
    assert any("boom" in e for e in errors), errors
    assert any(e.startswith("pageerror") and "undefined_call" in e for e in errors), errors
    assert any(e.startswith("requestfailed") for e in errors), errors
