"""The profile model: one frozen dataclass per TOML section, each field with its range."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import registry
from .loader import option as _f

#: Cycle steps in their natural order (docs/architecture.md, "one cycle").
STEP_NAMES = (
    "power_off", "arm_power_up", "power_on", "capture_power_up", "connect", "read_identity",
    "arm_fault_catch", "erase", "program", "verify", "capture_fault", "disconnect",
)
#: Names of the virtual bench's fault scenarios (the simulator checks it knows each of them).
SIM_SCENARIOS = ("healthy", "vcap-marginal", "nrst-noise", "brownout", "swd-intermittent")
NETS = ("VDD", "VCAP1", "VCAP2", "NRST")
#: Instrument dialects (devices/psu, devices/scope) and simulated models (sim/scpi) by name, as
#: their one registration line each (pyproject.toml entry points) names them.
PSU_DRIVERS = ("auto", *registry.names(registry.PSU))
SCOPE_DRIVERS = ("auto", *registry.names(registry.SCOPE))
SIM_PSU_MODELS = registry.names(registry.SIM_PSU)
SIM_SCOPE_MODELS = registry.names(registry.SIM_SCOPE)
SIM_FAULT_WORDS = ("uid", "package", "flash_size", "options")

# --- declared physical ranges: every number a profile can hold is finite and inside one -------
#: No bench supply goes past these; a profile's own maxima must lie inside them.
PSU_VOLTS = 1000.0
PSU_AMPS = 1000.0
#: Longest output ramp any supply here can make (R&S HMC804x EasyRamp: 10 s).
PSU_RAMP_S = 10.0
#: Volts a scope channel can show (offset, trigger level, limits), probe ratio included.
SCOPE_VOLTS = 10_000.0
#: Cycles one run may plan (a run "until stopped" is asked for explicitly, not with a count).
MAX_CYCLES = 10_000_000
#: Net names become column names and file names: letters, digits and `_ - + .`, 1-32 long.
NET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]{0,31}")
#: Names the waveform exports use for their own columns and members (bench/export.py).
RESERVED_NETS = ("nets", "net", "time_s", "volts")


@dataclass(frozen=True, kw_only=True)
class AddressAlias:
    """A range of addresses that the target sees elsewhere (e.g. ITCM flash 0x00200000)."""

    start: int = _f(key="from", lo=0, hi=0xFFFFFFFF)
    target: int = _f(key="to", lo=0, hi=0xFFFFFFFF)
    size: int = _f(lo=1, hi=0x100000000)

    def translate(self, address: int) -> int | None:
        if self.start <= address < self.start + self.size:
            return address - self.start + self.target
        return None


@dataclass(frozen=True, kw_only=True)
class TargetConfig:
    probe_uid: str = _f()
    target_type: str = _f("stm32f767zg")
    #: The MCU family module to use: "auto" (from the target type and the chip), a family's name
    #: ("STM32H7", ...) or "generic" (pyOCD's own target type; checked by devices/mcu).
    family: str = _f("auto")
    frequency_hz: int = _f(4_000_000, lo=1_000, hi=50_000_000)
    connect_mode: str = _f("under-reset", choices=("halt", "pre-reset", "under-reset", "attach"))
    firmware: str | None = _f(None, path=True)
    erase: str = _f("sectors", choices=("sectors", "chip"))
    aliases: tuple[AddressAlias, ...] = _f(())
    #: pyOCD session options the bench adds (name, value): the virtual bench sets the flash
    #: algorithm's timeouts from the twin's own operation times (not a TOML key).
    pyocd_options: tuple[tuple[str, Any], ...] = field(default=(), metadata={"internal": True})


@dataclass(frozen=True, kw_only=True)
class PsuConfig:
    resource: str = _f()
    driver: str = _f("auto", choices=PSU_DRIVERS)
    channel: int = _f(1, lo=1, hi=4)
    voltage: float = _f(lo=0.0, hi=PSU_VOLTS)
    current_limit: float = _f(lo=0.0, lo_open=True, hi=PSU_AMPS)
    max_voltage: float = _f(lo=0.0, lo_open=True, hi=PSU_VOLTS)
    max_current: float = _f(lo=0.0, lo_open=True, hi=PSU_AMPS)
    timeout_ms: int = _f(2000, lo=50, hi=120_000)
    #: Seconds the supply ramps its output up over at each output-on (R&S EasyRamp), 0: no ramp;
    #: None: leave the supply's own setting alone. Only dialects with a ramp accept it.
    ramp_s: float | None = _f(None, lo=0.0, hi=PSU_RAMP_S)


@dataclass(frozen=True, kw_only=True)
class ScopeChannel:
    channel: int = _f(lo=1, hi=4)
    scale: float = _f(1.0, lo=1e-4, hi=100.0)
    offset: float = _f(0.0, lo=-SCOPE_VOLTS, hi=SCOPE_VOLTS)
    probe: float = _f(1.0, lo=0.01, hi=1000.0)
    min: float | None = _f(None, lo=-SCOPE_VOLTS, hi=SCOPE_VOLTS)
    max: float | None = _f(None, lo=-SCOPE_VOLTS, hi=SCOPE_VOLTS)


@dataclass(frozen=True, kw_only=True)
class TriggerConfig:
    source: str = _f()
    level: float = _f(lo=-SCOPE_VOLTS, hi=SCOPE_VOLTS)
    slope: str = _f("rising", choices=("rising", "falling", "either"))
    timebase: float = _f(0.002, lo=1e-9, hi=50.0)
    #: Fraction of the record before the trigger point (0 = trigger at left edge).
    pretrigger: float = _f(0.2, lo=0.0, hi=1.0)


@dataclass(frozen=True, kw_only=True)
class ScopeConfig:
    resource: str = _f()
    driver: str = _f("auto", choices=SCOPE_DRIVERS)
    timeout_ms: int = _f(5000, lo=50, hi=120_000)
    format: str = _f("BYTE", choices=("BYTE", "WORD", "ASCII"))
    channels: dict[str, ScopeChannel] = _f({})
    power_up: TriggerConfig | None = _f(None)
    fault_catch: TriggerConfig | None = _f(None)


@dataclass(frozen=True, kw_only=True)
class CycleConfig:
    steps: tuple[str, ...] = _f(STEP_NAMES, choices=STEP_NAMES)
    count: int = _f(20, lo=1, hi=MAX_CYCLES)
    off_s: float = _f(0.5, lo=0.0, hi=600.0)
    on_settle_s: float = _f(0.05, lo=0.0, hi=600.0)
    trigger_timeout_s: float = _f(2.0, lo=0.0, lo_open=True, hi=600.0)
    retries: dict[str, int] = _f({}, lo=0, hi=100)
    stop_on_failure: bool = _f(False)


@dataclass(frozen=True, kw_only=True)
class StoreConfig:
    database: str = _f("benchtui.db", path=True)


@dataclass(frozen=True, kw_only=True)
class SimConfig:
    scenario: str = _f("healthy", choices=SIM_SCENARIOS)
    seed: int = _f(1, lo=0, hi=2**63 - 1)
    time_scale: float = _f(0.0, lo=0.0, hi=10.0)
    #: The twin's chip (checked, with a did-you-mean, by sim/twin/variants.py when it starts).
    variant: str = _f("zg")
    #: Start the twin in dual-bank mode (F7: nDBANK = 0; a 1 MB F42x: DB1M = 1).
    dual_bank: bool = _f(False)
    psu_model: str = _f("rigol-dp832", choices=SIM_PSU_MODELS)
    scope_model: str = _f("rigol-ds1054z", choices=SIM_SCOPE_MODELS)
    host: str = _f("127.0.0.1")
    psu_port: int = _f(0, lo=0, hi=65535)
    #: How a serial supply (Korad, Riden) is served: a loopback TCP port that pyserial opens as
    #: `socket://host:psu_port`, or a pseudo-terminal (its path is printed; a serial PSU only).
    psu_line: str = _f("socket", choices=("socket", "pty"))
    scope_port: int = _f(0, lo=0, hi=65535)
    probe_port: int = _f(0, lo=0, hi=65535)
    state_file: str | None = _f(None, path=True)
    #: A virtual batch of this many boards (0: one board); `faulty` carry the scenario's fault
    #: (None: one, chosen from the seed; []: none); `board` is the one on the bench.
    batch: int = _f(0, lo=0, hi=1000)
    faulty: tuple[int, ...] | None = _f(None)
    board: int = _f(1, lo=1, hi=1000)
    #: Words of the twin's chip that bus-fault when the debugger reads them (a clone, another
    #: revision): the unique ID, package word, flash-size word, stored option-byte area; and
    #: 32-bit words by address (sim/twin/faults.py; a test keeps the names equal to it).
    fault_words: tuple[str, ...] = _f((), choices=SIM_FAULT_WORDS)
    fault_addresses: tuple[int, ...] = _f((), lo=0, hi=0xFFFFFFFF)
    #: Wiring faults of the bench (sim/board/wiring.py): two nets whose scope probes are swapped,
    #: and the real ratio of a net's probe when it is not what its channel is set to.
    swap_nets: tuple[str, ...] = _f((), choices=NETS)
    probe_ratios: dict[str, float] = _f({}, lo=0.01, hi=1000.0)


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    #: Which bench a run comes from, recorded with it (default: the host name).
    name: str | None = _f(None)
    #: Labels (serial stickers) of boards by their 96-bit UID, 24 hex digits.
    labels: dict[str, str] = _f({})


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str = _f()
    target: TargetConfig = _f()
    psu: PsuConfig = _f()
    scope: ScopeConfig = _f()
    cycle: CycleConfig = _f(None)
    store: StoreConfig = _f(None)
    sim: SimConfig | None = _f(None)
    bench: BenchConfig = _f(None)
    #: The file this profile was read from (not a TOML key).
    source: str = field(default="<memory>", metadata={"internal": True})
    #: True once rewired to a virtual bench started in this process (`--virtual`, `demo`): the
    #: run record says so, and advice printed from it adds `--virtual` (not a TOML key).
    virtual: bool = field(default=False, metadata={"internal": True})

    def replace(self, **sections: Any) -> "Profile":
        """A copy with whole sections or fields replaced (e.g. resources of a started sim)."""
        return dataclasses.replace(self, **sections)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """A plain dict of the profile (for the results store's snapshot). `source` is the file's
    absolute path, so that commands printed from the record work from any folder."""
    data = dataclasses.asdict(profile)
    if profile.source != "<memory>":
        data["source"] = str(Path(profile.source).resolve())
    return data


def net_of_channel(scope: ScopeConfig, channel: int) -> str | None:
    for name, ch in scope.channels.items():
        if ch.channel == channel:
            return name
    return None
