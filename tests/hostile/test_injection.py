"""Terminal and document injection: names from a profile, replies from an instrument and text
from a results database are shown, never obeyed.

A hostile string here carries what a terminal acts on (an OSC that sets the window title, a CSI
that clears the screen, SGR colours, a bell), what forges a line (CR, LF, U+2028) and a bidi
override; for documents, HTML and Markdown that would run or render (an <img onerror>, a
<script>, an entity written half-escaped, a link, a table pipe).
"""

from __future__ import annotations

import csv
import html.parser
import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from benchtui.bench.events import Log
from benchtui.bench.progress import ProgressLine
from benchtui.bench.records import CycleRecord, FeatureValue, RunSummary, StepRecord
from benchtui.bench.report.html import render_html
from benchtui.bench.report import load_report
from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE, main
from benchtui.errors import InstrumentGarbage, ProfileError
from benchtui.profile import load_profile
from benchtui.text import printable
from benchtui.tui.logview import LogView, log_line
from benchtui.tui.panels.results import cycle_row, run_row
from benchtui.tui.words import explain

from .conftest import ROOT, bench_profile, finish, start_cli, upstream
from .hostile import Rule, reply

#: Sets the window title, clears the screen, goes home, colours red and rings: then a forged line.
TERMINAL = "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31m"
FORGED = "FAKE: all passed"
HOSTILE_RUN = f"{TERMINAL}nightly\r{FORGED}\n{FORGED}\u2028x\u202egnp.exe"
HOSTILE_BENCH = f"bench <img src=x onerror=alert(2)>{TERMINAL}\n{FORGED}"
HOSTILE_LABEL = f"[@click=app.quit]label[/]{TERMINAL}\r{FORGED}"
DB_LABEL = f"\x1b[31msn 7\r{FORGED}"
HALF_ESCAPED = "&lt;script>alert(1)</script> *bold* [link](http://192.0.2.1/) | `code`"
ACTING = ("\x1b", "\x07", "\r", "\u2028", "\u202e")


def _no_acting_characters(text: str) -> None:
    found = [repr(c) for c in ACTING if c in text]
    assert not found, f"{found} reached the output: {text[:400]!r}"
    assert not re.search(rf"^\s*{FORGED}", text, re.M), f"a forged line: {text[:400]!r}"


# --- profiles: refused at load -----------------------------------------------------------------

PROFILE_CASES = {
    # TOML text to put in, the key named in the error, the escape shown
    "name-osc-title": ('name = "demo \\u001b]0;pwned\\u0007"', "name", r"\x1b"),
    "name-forged-line": ('name = "demo\\nFAKE: all passed"', "name", r"\n"),
    "bench-name-cr": ('[bench]\nname = "bench 3\\rFAKE: all passed"', "bench.name", r"\r"),
    "label-bidi": ('[bench.labels]\n"0123456789ABCDEF01234567" = "sn\\u202eexe.1"',
                   "bench.labels.0123456789ABCDEF01234567", r"\u202e"),
    "label-key-csi": ('[bench.labels]\n"AB\\u001b[2J" = "x"', r"bench.labels.AB\x1b[2J", r"\x1b"),
    "resource-line-separator": ('[psu]\nresource = "TCPIP0::192.0.2.1::5025::SOCKET\\u2028"',
                                "psu.resource", r"\u2028"),
}


def _demo_with(tmp_path: Path, toml: str) -> Path:
    text = DEMO_PROFILE.read_text(encoding="utf-8")
    first, _, rest = toml.partition("\n")
    if first.startswith("["):       # a table: replace its key if the demo has the table
        section, (key, value) = first, rest.split(" = ", 1)
        if section + "\n" in text and re.search(rf"(?ms)^{re.escape(section)}\n(?:(?!^\[).)*?^{re.escape(key)} =", text):
            text = re.sub(rf"(?ms)(^{re.escape(section)}\n(?:(?!^\[).)*?)^{re.escape(key)} = [^\n]*",
                          lambda m: f"{m.group(1)}{key} = {value}", text, count=1)
        else:
            text += f"\n{toml}\n"
    else:
        key = first.split(" = ")[0]
        text = re.sub(rf"(?m)^{key} = [^\n]*", lambda m: first, text, count=1)
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(PROFILE_CASES))
def test_the_loader_refuses_control_characters_in_profile_strings(case, tmp_path):
    toml, key, shown = PROFILE_CASES[case]
    path = _demo_with(tmp_path, toml)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    line = caught.value.one_line()
    assert re.match(rf"profile: {re.escape(str(path))}:\d+: {re.escape(key)}: ", line), line
    assert shown in line and "must be printable text" in line, line
    _no_acting_characters(line)


def test_a_printable_profile_with_unicode_names_loads(tmp_path):
    path = _demo_with(tmp_path, 'name = "Prüfplatz 3 — VCAP µF ±5 % 測試\u00a0bench"')
    assert load_profile(path).name == "Prüfplatz 3 — VCAP µF ±5 % 測試\u00a0bench"


def test_printable_escapes_what_a_terminal_acts_on_and_keeps_the_rest():
    assert printable(TERMINAL) == r"\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31m"
    assert printable("a\r\nb\tc\u2028d\u202ee\u200bf\x9b") == r"a\r\nb\tc\u2028d\u202ee\u200bf\x9b"
    kept = "VCAP1 1.2 V ± 5 % — µs Ω … ━ ✗ 測試 \u00a0 é"
    assert printable(kept) == kept


# --- a results database with hostile names -------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """12 cycles, 4 failed, whose run, bench, board label and error texts are hostile."""
    db = tmp_path_factory.mktemp("inject") / "runs.db"
    rng = np.random.default_rng(5)
    profile = {"source": "/bench/p\x1b[2J.toml", "target": {"target_type": f"stm32f767zi{TERMINAL}"}}
    with open_store(db) as store:
        run_id = store.start_run(HOSTILE_RUN, profile, {}, {}, scenario=None, bench=HOSTILE_BENCH)
        for i in range(1, 13):
            failed = i % 3 == 0
            dip = 0.15 if failed else 0.03
            features = (FeatureValue("power_up.VCAP1.dip_depth", dip + rng.normal(0, 0.005), "V", "rail"),
                        FeatureValue("power_up.VDD.min", 3.2 + rng.normal(0, 0.01), "V", "rail"))
            t = 100.0 * i
            steps = (StepRecord("erase", t, t + 0.2, "fail" if failed else "pass", 1,
                                "WriteProtected" if failed else None, None),)
            store.add_cycle(run_id, CycleRecord(
                i, t, t + 1, not failed, "erase" if failed else None,
                "WriteProtected" if failed else None,
                f"erase: sector 0 {TERMINAL}\r{FORGED}" if failed else None, steps, features,
                board_uid="0123456789ABCDEF01234567", board_label=DB_LABEL))
        store.end_run(run_id)
    return db


def test_text_report_shows_database_names_escaped(hostile_db, capsys):
    assert main(["report", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    _no_acting_characters(out)
    first = out.splitlines()[0]
    assert first.startswith(r'run 1 "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31mnightly\rFAKE: all passed\n'), first
    assert r"on bench <img src=x onerror=alert(2)>\x1b]0;pwned" in first, first


def test_by_board_report_and_store_info_show_labels_and_benches_escaped(hostile_db, capsys):
    assert main(["report", str(hostile_db), "--by-board"]) == 0
    out = capsys.readouterr().out
    _no_acting_characters(out)
    assert r"\x1b[31msn 7\rFAKE" in out, out
    assert main(["store", "info", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    _no_acting_characters(out)
    assert r"benches: bench <img src=x onerror=alert(2)>\x1b" in out, out


def _rendered(md: str) -> tuple[list[str], str]:
    """(tags, visible text) of Markdown rendered by a CommonMark renderer (markdown-it-py)."""
    class Tags(html.parser.HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.text: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.text.append(data)
    parser = Tags()
    parser.feed(MarkdownIt("commonmark").enable("table").render(md))
    return parser.tags, "".join(parser.text)


def test_markdown_escapes_the_bench_and_run_names_fully(tmp_path):
    db = tmp_path / "md.db"
    with open_store(db) as store:
        run_id = store.start_run(HALF_ESCAPED, {}, {}, {}, scenario=None,
                                 bench="bench <img src=x onerror=alert(2)>")
        store.add_cycle(run_id, CycleRecord(1, 1.0, 2.0, True, None, None, None))
        store.end_run(run_id)
    out = tmp_path / "report.md"
    assert main(["report", str(db), "--markdown", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert "<img" not in md and "<script" not in md and "&lt;script>" not in md, md[:300]
    tags, text = _rendered(md)
    assert not {"img", "script", "a", "em", "strong", "code", "table"} & set(tags[:3]), tags
    assert "img" not in tags and "script" not in tags and "a" not in tags, tags
    # What a reader sees is the name as it was recorded, character for character.
    assert f"run 1 “{HALF_ESCAPED}”" in text, text[:300]
    assert "bench bench <img src=x onerror=alert(2)>" in text, text[:400]


def test_markdown_shows_terminal_characters_escaped(hostile_db, capsys):
    assert main(["report", str(hostile_db), "--markdown"]) == 0
    md = capsys.readouterr().out
    _no_acting_characters(md)
    tags, text = _rendered(md)
    assert "img" not in tags
    assert r"\x1b]0;pwned\x07" in text and r"nightly\rFAKE: all passed\n" in text, text[:400]


def test_html_report_escapes_every_name(hostile_db):
    with open_store(hostile_db, readonly=True) as store:
        page = render_html(load_report(store))
    tags = []

    class Tags(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))
    Tags().feed(page)
    assert not [t for t, _ in tags if t in ("img", "script", "iframe", "object")], tags
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert "bench &lt;img src=x onerror=alert(2)&gt;" in page


@pytest.mark.slow
def test_export_is_data_in_a_file_and_printable_on_a_terminal(hostile_db, tmp_path):
    out = tmp_path / "runs.csv"
    assert main(["export", str(hostile_db), "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[2]["error_text"] == f"erase: sector 0 {TERMINAL}\r{FORGED}", "the file keeps the data"
    # On a terminal (a pty), the same export is shown printable, one row per line.
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "export", str(hostile_db)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:   # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(60) == 0, proc.stderr.read()
    text = shown.decode("utf-8").replace("\r\n", "\n")   # the pty's own line discipline
    _no_acting_characters(text)
    assert r"erase: sector 0 \x1b]0;pwned\x07" in text
    assert len(text.strip().splitlines()) == 13


# --- the CLI's progress lines and errors -----------------------------------------------------

def test_progress_lines_show_log_text_escaped():
    stream = io.StringIO()
    ProgressLine(stream).handle(Log("loop", f"target: {TERMINAL}\r{FORGED}"))
    _no_acting_characters(stream.getvalue())
    assert stream.getvalue() == r"target: \x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31m\rFAKE: all passed" + "\n"


@pytest.mark.slow
def test_an_instrument_error_queue_text_is_escaped_in_the_run_stopped_line(tmp_path, sim, hostile):
    """The PSU's error queue answers a text with ESC and CR in it after the first setpoint."""
    psu = hostile(Rule(r"SYST(EM)?:ERR(OR)?\?", reply(f'-222,"Data out of range{TERMINAL}\r{FORGED}"')),
                  upstream=upstream(sim.psu_resource))
    profile = bench_profile(tmp_path, psu.resource, sim.scope_resource)
    done = finish(start_cli("run", "--profile", str(profile), "--cycles", "1", "-q"), timeout=60)
    assert done.returncode == 2, done.stderr
    _no_acting_characters(done.stderr + done.stdout)
    assert r"Data out of range\x1b]0;pwned\x07" in done.stderr, done.stderr


@pytest.mark.slow
def test_check_shows_a_hostile_identity_escaped(tmp_path, sim, hostile):
    psu = hostile(Rule(r"\*IDN\?", reply(f"RIGOL TECHNOLOGIES,DP832{TERMINAL},DP8A1,00.01.16")),
                  upstream=upstream(sim.psu_resource))
    profile = bench_profile(tmp_path, psu.resource, sim.scope_resource)
    done = finish(start_cli("check", "--profile", str(profile)), timeout=60)
    assert done.returncode == 2
    _no_acting_characters(done.stdout + done.stderr)
    assert "\\x1b" in done.stdout, done.stdout


# --- the console ------------------------------------------------------------------------------------

def test_console_words_for_an_error_quoting_a_reply_are_printable():
    exc = InstrumentGarbage(f"scope X: unexpected reply to ':TRIG:STAT?': '[@click=app.quit]{TERMINAL}'")
    words = explain(exc, "arm")
    _no_acting_characters(words.sentence + words.what)


class Tables(App):
    def compose(self) -> ComposeResult:
        yield DataTable(id="runs")
        yield LogView(max_lines=50, id="log")


async def test_console_tables_and_log_show_database_text_as_written():
    app = Tables()
    run = RunSummary(1, "r", 0.0, 1.0, "completed", 3, 1, scenario="[b]healthy[/b]", bench=HOSTILE_LABEL)
    cycle = CycleRecord(1, 0.0, 1.0, False, "erase", "X", f"erase: [@click=app.quit]x{TERMINAL}")
    async with app.run_test(size=(160, 12)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("run", "started", "bench", "scenario", "cycles", "failed", "status")
        table.add_row(*run_row(run))
        table.add_row(*cycle_row(cycle), "", "", "", "")
        view = app.query_one(LogView)
        view.write_lines([log_line(0.0, "PSU", f"reply '{TERMINAL}'\r{FORGED}")])
        await pilot.pause()
        assert all(isinstance(cell, Text) for cell in run_row(run)[2:4] + cycle_row(cycle)[2:])
        shown = "\n".join("".join(s.text for s in table.render_line(y)) for y in range(table.size.height))
        assert "[b]healthy[/b]" in shown and "[@click=app.quit]label[/]" in shown, shown
        assert "[@click=app.quit]x" in shown
        logged = "".join(s.text for y in range(view.size.height) for s in view.render_line(y))
    _no_acting_characters(shown + logged)
    assert r"reply '\x1b]0;pwned\x07" in logged
