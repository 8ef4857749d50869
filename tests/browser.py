"""A real browser for tests: headless Chromium from the system packages, driven with Playwright.

The test starts Chromium itself (the flags below, a fresh profile directory, DevTools on a free
127.0.0.1 port) and Playwright attaches to it over the DevTools protocol, so no browser is ever
downloaded (`playwright install` is not needed). Use the `chromium` fixture (tests/conftest.py) from a sync test (the `chromium_process`
fixture gives the DevTools endpoint to async tests, for `async_playwright`):

    def test_page(chromium):
        page = chromium.open_file(path)       # or chromium.new_page(); page.goto(url)
        assert not chromium.errors(page)       # console errors and uncaught exceptions

Without Chromium the fixture skips, saying how to install it; under CI (`CI=true`) it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: Where Debian's `chromium` package puts the browser (`apt-get install chromium`).
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Flags for a headless browser on a closed network as root: no sandbox (root), no GPU, and no
#: background connections (update checks, sync, component downloads) that the network refuses.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic", "--no-default-browser-check")
INSTALL_HINT = "install it with: sudo apt-get install chromium (Debian/Ubuntu package)"
#: How long Chromium may take to open its DevTools port.
START_TIMEOUT_S = 30.0


def find_chromium() -> str | None:
    """The system Chromium (BENCHTUI_CHROMIUM overrides), or None."""
    override = os.environ.get("BENCHTUI_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def require_chromium() -> str:
    """The Chromium path; skips the test without one, or fails it under CI."""
    path = find_chromium()
    if path is None:
        where = os.environ.get("BENCHTUI_CHROMIUM") or ", ".join(CHROMIUM_PATHS)
        message = f"headless Chromium not found ({where}): {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " — CI must have it (.ci/run installs it)", pytrace=False)
        pytest.skip(message)
    return path


@dataclass
class ChromiumProcess:
    """A running headless Chromium: its DevTools endpoint on 127.0.0.1 and its fresh profile."""

    executable: str
    process: subprocess.Popen
    profile_dir: Path
    port: int

    @property
    def cdp_url(self) -> str:
        """For `playwright.chromium.connect_over_cdp` (sync or async API)."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        _stop(self.process)
        shutil.rmtree(self.profile_dir, ignore_errors=True)


def start_chromium(executable: str | None = None) -> ChromiumProcess:
    """Start headless Chromium with a fresh profile and DevTools on a free localhost port."""
    executable = executable or require_chromium()
    profile_dir = Path(tempfile.mkdtemp(prefix="benchtui-chromium-"))
    process = subprocess.Popen(
        [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _devtools_port(profile_dir, process)
    except BaseException:
        _stop(process)
        shutil.rmtree(profile_dir, ignore_errors=True)
        raise
    return ChromiumProcess(executable, process, profile_dir, port)


@dataclass
class Browser:
    """Playwright's sync API attached to a running Chromium, for one test.

    Playwright's sync API holds an event loop on its thread while it is started, so it is
    started per test (and stopped after it) rather than per session: asyncio tests that run
    later must find no loop. Async tests attach with `async_playwright` to `process.cdp_url`.
    """

    process: ChromiumProcess
    playwright: Any
    browser: Any
    messages: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def new_page(self) -> Any:
        """A fresh page (own context: no cookies or storage shared between tests) whose console
        errors and uncaught exceptions are collected for `errors(page)`."""
        context = self.browser.new_context()
        page = context.new_page()
        log = self.messages.setdefault(id(page), [])
        page.on("console", lambda m: log.append((m.type, m.text)))
        page.on("pageerror", lambda e: log.append(("pageerror", str(e))))
        page.on("requestfailed", lambda r: log.append(("requestfailed", r.url)))
        page.on("request", lambda r: log.append(("request", r.url)))
        return page

    def open_file(self, path: str | Path, *, wait_until: str = "load") -> Any:
        """A new page showing a local file."""
        page = self.new_page()
        page.goto(Path(path).resolve().as_uri(), wait_until=wait_until)
        return page

    def console(self, page: Any) -> list[tuple[str, str]]:
        """Everything the page logged so far: (type, text)."""
        return list(self.messages.get(id(page), []))

    def requests(self, page: Any) -> list[str]:
        """The URL of every request the page made (the page itself included)."""
        return [text for kind, text in self.console(page) if kind == "request"]

    def errors(self, page: Any) -> list[str]:
        """Console errors, uncaught exceptions and failed requests of the page so far."""
        return [f"{kind}: {text}" for kind, text in self.console(page)
                if kind in ("error", "pageerror", "requestfailed")]

    def close(self) -> None:
        """Close this test's contexts and detach (the Chromium process keeps running)."""
        try:
            for context in self.browser.contexts:
                context.close()
            self.browser.close()
        finally:
            self.playwright.stop()


def attach(process: ChromiumProcess) -> Browser:
    """Start Playwright (sync API) and attach it to the running Chromium."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.connect_over_cdp(process.cdp_url, timeout=START_TIMEOUT_S * 1000)
    except BaseException:
        pw.stop()
        raise
    return Browser(process, pw, browser)


def _devtools_port(profile_dir: Path, process: subprocess.Popen) -> int:
    """Chromium writes the port it chose to <profile>/DevToolsActivePort once it listens."""
    marker = profile_dir / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode} before opening DevTools")
        try:
            lines = marker.read_text().splitlines()
        except OSError:
            lines = []
        if lines and lines[0].strip().isdigit():
            return int(lines[0])
        time.sleep(0.05)
    raise RuntimeError(f"chromium did not open its DevTools port within {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
