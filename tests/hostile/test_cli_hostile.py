"""`benchtui check` and a short `benchtui run` against hostile instruments, as real processes.

Each case: the one-line error naming the instrument and the command, the time it took (bounded by
the profile's timeout, which is TOTAL per exchange), the process's peak RSS (bounded: nothing is
read that the instrument could not have sent), and for `run` the PSU's final state (OFF).

Measured before these bounds existed (same cases, same machine): a reply without a newline or
trickling 1 byte / 50 ms held `check` for more than 200 s (killed) at 3.2+ GB RSS; see the
closing report of issue #13 for the full table.
"""

from __future__ import annotations

import re

import pytest

from .conftest import bench_profile, finish, run_cli, start_cli, upstream
from .hostile import Rule, block_header, endless, http_server, reply, silent, trickle

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

#: The profile timeout of the hostile instrument in these tests.
TIMEOUT_S = 1.0
TIMEOUTS = dict(psu_timeout_ms=int(TIMEOUT_S * 1000), scope_timeout_ms=int(TIMEOUT_S * 1000))
#: What a process may take on top of its own timeouts: interpreter start, pyOCD's probe search
#: for `check`, a 2-core machine shared with others (measured: 1.5-3 s for check, 1-2 s for run).
START_S = 8.0
#: Peak RSS of a healthy `check` / `run` is 85-95 MB; a 4 MB-at-a-time unbounded read is GBs.
RSS_MB = 250

PRE = "0,0,{points},1,1e-06,-0.002,0,0.04,0,128"


def _line(out: str, name: str) -> str:
    """The detail line under `FAIL <name> <resource>` in check's output (the error, one line)."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("FAIL") and line.split()[1] == name:
            return lines[i + 1].strip()
    pytest.fail(f"no FAIL line for {name} in:\n{out}")


CHECK_CASES = {
    # psu rule, expected text in the PSU line, scope rule, expected text in the scope line
    "endless-and-trickle": (Rule(r"\*IDN\?", endless()), "reply to '*IDN?' runs past 1 MiB without an end of line",
                            Rule(r"\*IDN\?", trickle()), "reply to '*IDN?' not complete within 1000 ms"),
    "http-and-silent": (Rule(r".*", http_server()), "'*IDN?' was answered 'HTTP/1.1 400 Bad Request', which is not an instrument identity",
                        Rule(r".*", silent()), "no reply to '*IDN?' within 1000 ms"),
    "nan-and-status-endless": (Rule(r":MEAS:VOLT\? CH1", reply("nan")), "unexpected reply to ':MEAS:VOLT? CH1' (expected a number; nan is not a finite number): 'nan'",
                               Rule(r":TRIG:STAT\?", endless()), "reply to ':TRIG:STAT?' runs past 1 MiB"),
}


@pytest.mark.parametrize("case", list(CHECK_CASES))
def test_check_gives_one_line_per_hostile_instrument_within_its_timeout(case, tmp_path, sim, hostile):
    psu_rule, psu_text, scope_rule, scope_text = CHECK_CASES[case]
    psu = hostile(psu_rule, upstream=upstream(sim.psu_resource))
    scope = hostile(scope_rule, upstream=upstream(sim.scope_resource))
    done = run_cli("check", "--profile", str(bench_profile(tmp_path, psu.resource, scope.resource,
                                                           **TIMEOUTS)), timeout=60)
    assert done.returncode == 2
    psu_line, scope_line = _line(done.stdout, "PSU"), _line(done.stdout, "scope")
    assert re.search(rf"^FAIL PSU +{re.escape(psu.resource)}$", done.stdout, re.M), done.stdout
    assert re.search(rf"^FAIL scope +{re.escape(scope.resource)}$", done.stdout, re.M), done.stdout
    assert psu_text in psu_line, psu_line
    assert scope_text in scope_line, scope_line
    assert "Traceback" not in done.stderr + done.stdout
    # PSU and scope are checked at the same time: one timeout (plus the PSU's three exchanges).
    assert done.seconds < 3 * TIMEOUT_S + START_S, f"check took {done.seconds:.1f} s"
    assert done.peak_rss_mb < RSS_MB, f"peak RSS {done.peak_rss_mb:.0f} MB"


RUN_CASES = {
    # scope rule, the expected error text
    "block-of-1-GB": (Rule(r":WAV:DATA\?", block_header(999_999_999)),
                      "block reply to ':WAV:DATA?' claims 999,999,999 bytes, but the window :WAV:STAR 1.."),
    "data-not-a-block": (Rule(r":WAV:DATA\?", endless()),
                         "unexpected reply to ':WAV:DATA?' (expected an IEEE 488.2 #N block): 'AAAA"),
    "block-trickling": (Rule(r":WAV:DATA\?", block_header(100, then=trickle())),
                        "reply to ':WAV:DATA?' not complete within 1000 ms"),
    "points-inf": (Rule(r":WAV:PRE\?", reply(PRE.format(points="inf"))),
                   "unexpected reply to ':WAV:PRE?'"),
    "status-trickle": (Rule(r":TRIG:STAT\?", trickle(), after=3),
                       "reply to ':TRIG:STAT?' not complete within 1000 ms"),
}


@pytest.mark.parametrize("case", list(RUN_CASES))
def test_run_stops_with_one_line_within_its_timeout_and_the_psu_off(case, tmp_path, sim, hostile):
    rule, text = RUN_CASES[case]
    scope = hostile(rule, upstream=upstream(sim.scope_resource))
    profile = bench_profile(tmp_path, sim.psu_resource, scope.resource, **TIMEOUTS)
    done = finish(start_cli("run", "--profile", str(profile), "--cycles", "2", "-q"), timeout=60)
    assert done.returncode == 2, done.stderr
    stopped = [line for line in done.error_lines if line.startswith("benchtui: run stopped: ")]
    assert len(stopped) == 1, done.stderr
    assert f"scope {scope.resource}: " in stopped[0] and text in stopped[0], stopped[0]
    assert "Traceback" not in done.stderr
    assert done.seconds < TIMEOUT_S + START_S, f"run took {done.seconds:.1f} s"
    assert done.peak_rss_mb < RSS_MB, f"peak RSS {done.peak_rss_mb:.0f} MB"
    assert not sim.instruments.psu.channels[1].output, "the PSU output was left ON"
    assert "status error" in done.stdout


def test_a_psu_measurement_of_inf_stops_the_run_and_the_psu_still_goes_off(tmp_path, sim, hostile):
    psu = hostile(Rule(r":MEAS:CURR\? CH1", reply("inf")), upstream=upstream(sim.psu_resource))
    profile = bench_profile(tmp_path, psu.resource, sim.scope_resource)
    done = finish(start_cli("run", "--profile", str(profile), "--cycles", "2", "-q"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert ("unexpected reply to ':MEAS:CURR? CH1' (expected a number; inf is not a finite number)"
            in done.stderr), done.stderr
    assert not sim.instruments.psu.channels[1].output
    assert "may still be ON" not in done.stderr
