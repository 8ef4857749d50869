"""`benchtui web`: the console served by textual-serve, opened in headless Chromium.

The browser loads the page, its terminal connects over the websocket, the server starts a
console on the virtual bench for it, and the overview's text reaches the browser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from benchtui.cli import main

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

#: Starting the console behind the page: a Python process, the virtual bench, the first frame.
FIRST_FRAME_S = 60.0


@pytest.fixture
def web_server(tmp_path):
    """`benchtui web --demo --port 0` in a child process; yields the URL it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "web", "--demo", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                            env=env)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, f"benchtui web printed {line!r}"
        url = match.group(0)
        deadline = time.monotonic() + 20
        import urllib.request
        while True:  # the server binds right after printing
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"benchtui web did not answer at {url}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_web_serves_the_overview_to_a_browser(web_server, chromium):
    page = chromium.new_page()
    frames: list[str] = []

    def on_ws(ws):
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else payload.decode("utf-8", "replace")))
    page.on("websocket", on_ws)
    page.goto(web_server)
    deadline = time.monotonic() + FIRST_FRAME_S
    while not ("Overview" in "".join(frames) and "PSU (1)" in "".join(frames)):
        if time.monotonic() > deadline:
            raise AssertionError(f"no overview in the browser's terminal after {FIRST_FRAME_S} s; "
                                 f"received {sum(map(len, frames))} characters")
        page.wait_for_timeout(250)
    text = "".join(frames)
    assert "last capture (3)" in text and "loop (4)" in text
    # textual-serve's page asks for a favicon it does not ship (a 404); nothing else may fail
    errors = [e for e in chromium.errors(page) if "404" not in e]
    assert not errors, errors


def test_web_refuses_a_broken_profile_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[psu]\nvoltage = 'x'\n")
    assert main(["web", "--profile", str(bad), "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err
