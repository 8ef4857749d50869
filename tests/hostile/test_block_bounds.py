"""Every scope dialect bounds its waveform read by what the scope itself announced.

A man in the middle (hostile.py) in front of each family's simulator lets the whole fetch go
through (identity, preamble or descriptor, record length) and then answers the data query with
a block header claiming 50 MB: below the generic 128 MiB cap, far above the preamble's record.
The read must end at once (refused from the header, not after the profile's timeout) with one
line naming the scope, the command and the bound, and without allocating for the claim. A record
length the model cannot hold (memory depth) is refused before the data query is even sent.
"""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest

from benchtui.devices.scope import open_scope
from benchtui.errors import InstrumentGarbage
from benchtui.profile import ScopeChannel, ScopeConfig, TriggerConfig
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments

from .conftest import upstream
from .hostile import Rule, block_header, reply

TIMEOUT_MS = 3000
CLAIM = 50_000_000  # bytes: under guard.MAX_BLOCK_BYTES, so only the preamble's bound refuses it
#: Memory a refused read may allocate at most (the claim is 50 MB).
MAX_ALLOCATED = 4 * 1024 * 1024

#: scope_model -> (data command as sent for CH1, what the bound names).
DATA = {
    "rigol-ds1054z": (":WAV:DATA?", "the window :WAV:STAR 1..:WAV:STOP 12000 allows 12,000 BYTE points"),
    "keysight-dsox3034t": (":WAV:DATA?", "':WAV:PRE?' allows "),
    "rigol-dho924": (":WAV:DATA?", "the window :WAV:STAR 1..:WAV:STOP 1000 allows 1,000 BYTE points"),
    "siglent-sds1104x-e": ("C1:WF? DAT2", "'SARA? x TDIV? x 14' allows 14,141 BYTE points"),
    "siglent-sds2104x-plus": (":WAV:DATA?", "':ACQ:POIN?' allows 10,000 BYTE points"),
    "tektronix-mso54": ("CURV?", "'WFMO:NR_P?' allows 10,000 BYTE points"),
}


def cfg(resource: str) -> ScopeConfig:
    return ScopeConfig(resource=resource, driver="auto", timeout_ms=TIMEOUT_MS, format="BYTE",
                       channels={"VDD": ScopeChannel(channel=1)},
                       power_up=TriggerConfig(source="VDD", level=1.5))


@pytest.fixture
def scope_in_front(hostile):
    """Factory: (scope_model, *rules) -> a HostileInstrument in front of that simulator."""
    running = []

    def make(model: str, *rules: Rule):
        servers = start_instruments(BoardModel("healthy", seed=3), scope_model=model)
        running.append(servers)
        return hostile(*rules, upstream=upstream(servers.scope_resource))

    yield make
    for servers in running:
        servers.stop()


def fetch_refused(resource: str) -> tuple[InstrumentGarbage, float, int]:
    """Fetch VDD, expecting a refusal: (error, seconds, bytes allocated at most meanwhile)."""
    drv = open_scope(cfg(resource))
    try:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(InstrumentGarbage) as info:
                drv.fetch("VDD")
            took = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        drv.close()
    return info.value, took, peak


@pytest.mark.slow
@pytest.mark.parametrize("model", list(DATA))
def test_a_block_claiming_more_than_the_preamble_is_refused_from_its_header(model, scope_in_front):
    command, bound = DATA[model]
    scope = scope_in_front(model, Rule(re.escape(command), block_header(CLAIM)))
    error, took, peak = fetch_refused(scope.resource)
    text = error.one_line()
    assert "\n" not in text
    assert f"scope {scope.resource}: block reply to {command!r} claims {CLAIM:,} bytes, but " in text, text
    assert bound in text and "refused before reading it" in text, text
    assert took < 0.8 * TIMEOUT_MS / 1000, took   # refused from the header, not timed out
    assert peak < MAX_ALLOCATED, peak             # nothing allocated for the 50 MB claim
    assert scope.misbehaved == [command]


#: scope_model -> (rule on the record-length reply, expected message part, data command).
IMPOSSIBLE = {
    "keysight-dsox3034t": (Rule(r":WAV:PRE\?", reply("0,0,9000000,1,1e-06,-0.002,0,0.04,0,128")),
                           "':WAV:PRE?' says 9,000,000 points, more than a DSO-X 3034T can hold (8,000,000)",
                           ":WAV:DATA"),
    "rigol-dho924": (Rule(r":ACQ:MDEP\?", reply("1.0E+09")),
                     "':ACQ:MDEP?' says 1,000,000,000 points, more than a DHO924 can hold (50,000,000)",
                     ":WAV:DATA"),
    "siglent-sds1104x-e": (Rule(r"SARA\?", reply("SARA 1.00E+12Sa/s")),
                           "'SARA? x TDIV? x 14' says 14,000,000,000 points, more than a SDS1104X-E "
                           "can hold (14,000,000)", "C1:WF"),
    "siglent-sds2104x-plus": (Rule(r":ACQ:POIN\?", reply("3.00E+08")),
                              "':ACQ:POIN?' says 300,000,000 points, more than a SDS2104X Plus can hold "
                              "(200,000,000)", ":WAV:DATA"),
    "tektronix-mso54": (Rule(r"HOR:RECO\?", reply("2.0E+09")),
                        "'HOR:RECO?' says 2,000,000,000 points, more than a MSO54 can hold (500,000,000)",
                        "CURV"),
}


@pytest.mark.parametrize("model", list(IMPOSSIBLE))
def test_a_record_longer_than_the_model_can_hold_is_refused_before_the_data_query(model, scope_in_front):
    rule, expected, data = IMPOSSIBLE[model]
    scope = scope_in_front(model, rule)
    error, took, peak = fetch_refused(scope.resource)
    text = error.one_line()
    assert f"scope {scope.resource}: {expected}; refused before reading" in text, text
    assert not [line for line in scope.received if line.upper().startswith(data)], "data was asked for"
    assert took < 0.8 * TIMEOUT_MS / 1000 and peak < MAX_ALLOCATED


@pytest.mark.slow
def test_a_siglent_descriptor_block_is_bounded_by_the_wavedesc_size(scope_in_front):
    scope = scope_in_front("siglent-sds2104x-plus", Rule(r":WAV:PRE\?", block_header(CLAIM)))
    error, took, peak = fetch_refused(scope.resource)
    assert (f"block reply to ':WAV:PRE?' claims {CLAIM:,} bytes, but a WAVEDESC is 346 bytes "
            "(at most 1,024 bytes); refused before reading it") in str(error)
    assert took < 0.8 * TIMEOUT_MS / 1000 and peak < MAX_ALLOCATED
