"""Bench profiles: one TOML file per bench + board, loaded into a validated, frozen model.

Validation is strict: an unknown key is an error with a "did you mean", a value of the wrong
type or out of range is an error, and every error names the file, the key path, the line and
the bad value, in one line. Cross-field rules (setpoint within the profile's own hard maxima,
trigger sources that exist in the channel map) are checked after the fields.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ProfileError

#: Cycle steps in their natural order (DESIGN.md "data flow of one cycle").
STEP_NAMES = (
    "power_off", "arm_power_up", "power_on", "capture_power_up", "connect", "read_identity",
    "arm_fault_catch", "erase", "program", "verify", "capture_fault", "disconnect",
)
#: Names of the virtual bench's fault scenarios (the simulator checks it knows each of them).
SIM_SCENARIOS = ("healthy", "vcap-marginal", "nrst-noise", "brownout", "swd-intermittent")
NETS = ("VDD", "VCAP1", "VCAP2", "NRST")
#: Instrument dialects (devices/psu, devices/scope) and simulated models (sim/instruments.py) by
#: name; the profile sits below both, so the names are listed here and tests check they agree.
PSU_DRIVERS = ("auto", "rigol-dp800", "keysight-e36300", "siglent-spd3303x", "rohde-hmc804x",
               "owon-spe", "scpi", "scpi-multi")
SCOPE_DRIVERS = ("auto", "rigol-ds1000z", "rigol-dho", "keysight-infiniivision", "siglent-sds1000x-e",
                 "siglent-sds2000x-plus", "tektronix-mso")
SIM_PSU_MODELS = ("rigol-dp832", "rigol-dp831a", "keysight-e36312a", "keysight-edu36311a",
                  "siglent-spd3303x", "rohde-hmc8043")
SIM_SCOPE_MODELS = ("rigol-ds1054z", "rigol-dho924", "keysight-dsox3034t", "keysight-dsox2024a",
                    "siglent-sds1104x-e", "siglent-sds2104x-plus", "tektronix-mso54")

# --- declared physical ranges: every number a profile can hold is finite and inside one -------
#: No bench supply goes past these; a profile's own maxima must lie inside them.
PSU_VOLTS = 1000.0
PSU_AMPS = 1000.0
#: Volts a scope channel can show (offset, trigger level, limits), probe ratio included.
SCOPE_VOLTS = 10_000.0
#: Cycles one run may plan (a run "until stopped" is asked for explicitly, not with a count).
MAX_CYCLES = 10_000_000
#: Net names become column names and file names: letters, digits and `_ - + .`, 1-32 long.
NET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]{0,31}")
#: Names the waveform exports use for their own columns and members (bench/export.py).
RESERVED_NETS = ("nets", "net", "time_s", "volts")
#: How deep tables and arrays may nest (tomllib itself recurses; ours are 3 deep).
MAX_NESTING = 32
#: Longest value shown in an error message.
VALUE_PREVIEW = 60


def _f(default: Any = dataclasses.MISSING, *, key: str | None = None, lo: float | None = None,
       hi: float | None = None, choices: tuple | None = None, lo_open: bool = False,
       path: bool = False) -> Any:
    """A dataclass field with validation metadata used by the loader."""
    meta = {"key": key, "lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open, "path": path}
    if isinstance(default, (dict, list, tuple)) and default != ():
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


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
    frequency_hz: int = _f(4_000_000, lo=1_000, hi=50_000_000)
    connect_mode: str = _f("under-reset", choices=("halt", "pre-reset", "under-reset", "attach"))
    firmware: str | None = _f(None, path=True)
    erase: str = _f("sectors", choices=("sectors", "chip"))
    aliases: tuple[AddressAlias, ...] = _f(())


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
    #: The twin's chip (sim/twin/variants.py; a test keeps this list equal to it).
    variant: str = _f("zg", choices=("zg", "zi", "f767zg", "f767zi", "f405rg", "f407vg", "f407ve",
                                     "f429zg", "f429zi", "f446re"))
    #: Start the twin in dual-bank mode (F7: nDBANK = 0; a 1 MB F42x: DB1M = 1).
    dual_bank: bool = _f(False)
    psu_model: str = _f("rigol-dp832", choices=SIM_PSU_MODELS)
    scope_model: str = _f("rigol-ds1054z", choices=SIM_SCOPE_MODELS)
    host: str = _f("127.0.0.1")
    psu_port: int = _f(0, lo=0, hi=65535)
    scope_port: int = _f(0, lo=0, hi=65535)
    probe_port: int = _f(0, lo=0, hi=65535)
    state_file: str | None = _f(None, path=True)
    #: A virtual batch of this many boards (0: one board); `faulty` carry the scenario's fault
    #: (None: one, chosen from the seed; []: none); `board` is the one on the bench.
    batch: int = _f(0, lo=0, hi=1000)
    faulty: tuple[int, ...] | None = _f(None)
    board: int = _f(1, lo=1, hi=1000)


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


# ---------------------------------------------------------------------------------------------
# Loader
# ---------------------------------------------------------------------------------------------

class _Ctx:
    """Where we are while validating: the file, its text (for line numbers) and the key path."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()

    def line_of(self, keypath: tuple[str, ...]) -> int | None:
        """Best-effort line number of `keypath` in the TOML text (None when not found)."""
        clean = tuple(re.sub(r"\[\d+\]$", "", k) for k in keypath)
        candidates = [(clean[:-1], clean[-1])] if clean else []
        if len(clean) >= 2:  # a key inside an inline table: find the line that opens it
            candidates.append((clean[:-2], clean[-2]))
        for tables, key in candidates:
            current: tuple[str, ...] = ()
            for number, raw in enumerate(self.lines, 1):
                line = raw.strip()
                header = re.match(r"^\[+\s*([^\]]+?)\s*\]+", line)
                if header:
                    current = tuple(p.strip().strip('"') for p in header.group(1).split("."))
                    if current == tables + (key,):
                        return number
                    continue
                assign = re.match(r'^"?([A-Za-z0-9_\-]+)"?\s*=', line)
                if assign and assign.group(1) == key and current == tables:
                    return number
        return None

    def raw_text(self, keypath: tuple[str, ...]) -> str | None:
        """The value of `keypath` as written in the file (e.g. `1e309`, which TOML reads as inf)."""
        line = self.line_of(keypath)
        if not line or not keypath:
            return None
        key = re.sub(r"\[\d+\]$", "", keypath[-1])
        match = re.search(rf'(?:^|[\s{{,]){re.escape(key)}"?\s*=\s*([^,}}\]\s#]+)', self.lines[line - 1])
        return match.group(1) if match else None

    def error(self, keypath: tuple[str, ...], message: str) -> ProfileError:
        key = _printable(".".join(keypath)) or "<top>"
        line = self.line_of(keypath)
        where = f"{self.file}:{line}" if line else self.file
        return ProfileError(f"{where}: {key}: {message}")


def _printable(text: str) -> str:
    """`text` with control characters escaped, so that a message stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _show(value: Any) -> str:
    """repr(value), shortened for a one-line message."""
    text = _printable(repr(value)) if not isinstance(value, (list, dict)) else _printable(
        repr(value)[:VALUE_PREVIEW * 2])
    return text if len(text) <= VALUE_PREVIEW else text[:VALUE_PREVIEW - 3] + "..."


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of tables/arrays, counting no further than `limit` + 1 (no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _hints(unknown: str, known: list[str]) -> str:
    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(sorted(known))})"


def _toml_key(f: dataclasses.Field) -> str:
    return f.metadata.get("key") or f.name


def _build(cls: type, table: Any, ctx: _Ctx, keypath: tuple[str, ...], base: Path) -> Any:
    if not isinstance(table, dict):
        raise ctx.error(keypath, f"expected a table, got {_show(table)}")
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    by_key = {_toml_key(f): f for f in fields}
    for key in table:
        if key not in by_key:
            raise ctx.error(keypath + (key,), "unknown key" + _hints(key, list(by_key)))
    values = {}
    for key, f in by_key.items():
        if key in table:
            values[f.name] = _convert(hints[f.name], table[key], f, ctx, keypath + (key,), base)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ctx.error(keypath + (key,), "missing required key")
        elif f.default is None and dataclasses.is_dataclass(_unwrap(hints[f.name])) \
                and not _is_optional(hints[f.name]):
            values[f.name] = _build(_unwrap(hints[f.name]), {}, ctx, keypath + (key,), base)
    return cls(**values)


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _unwrap(tp: Any) -> Any:
    if _is_optional(tp):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _convert(tp: Any, value: Any, f: dataclasses.Field, ctx: _Ctx, keypath: tuple[str, ...],
             base: Path) -> Any:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, ctx, keypath, base)
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise ctx.error(keypath, f"expected a list, got {_show(value)}")
        items = []
        for i, item in enumerate(value):
            items.append(_convert(item_tp, item, f, ctx, keypath[:-1] + (f"{keypath[-1]}[{i}]",), base))
        return tuple(items)
    if origin is dict:
        item_tp = typing.get_args(tp)[1]
        if not isinstance(value, dict):
            raise ctx.error(keypath, f"expected a table, got {_show(value)}")
        return {k: _convert(item_tp, v, f, ctx, keypath + (k,), base) for k, v in value.items()}
    return _scalar(tp, value, f, ctx, keypath, base)


def _scalar(tp: Any, value: Any, f: dataclasses.Field, ctx: _Ctx, keypath: tuple[str, ...],
            base: Path) -> Any:
    meta = f.metadata
    if tp is bool:
        if not isinstance(value, bool):
            raise ctx.error(keypath, f"expected true or false, got {_show(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(keypath, f"expected a whole number, got {_show(value)}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(keypath, f"expected a number, got {_show(value)}")
        value = float(value)
        if not math.isfinite(value):
            # TOML reads nan, inf and numbers too large for a double (1e309) as non-finite.
            raise ctx.error(keypath, f"{ctx.raw_text(keypath) or repr(value)} is not a finite number")
    elif tp is str:
        if not isinstance(value, str):
            raise ctx.error(keypath, f"expected a string, got {_show(value)}")
        if meta.get("path") and value and "://" not in value:  # a URL (postgresql://) stays as it is
            value = _path(value, base, ctx, keypath)
    choices = meta.get("choices")
    if choices and value not in choices:
        close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ctx.error(keypath, f"{_show(value)} is not one of {', '.join(map(str, choices))}{hint}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        bound = f"greater than {lo}" if meta.get("lo_open") else f"at least {lo}"
        raise ctx.error(keypath, f"{value!r} is out of range: must be {bound}")
    if hi is not None and value > hi:
        raise ctx.error(keypath, f"{value!r} is out of range: must be at most {hi}")
    return value


def _path(value: str, base: Path, ctx: _Ctx, keypath: tuple[str, ...]) -> str:
    """A path from the profile, `~` expanded, relative to the profile's folder."""
    if "\0" in value:
        raise ctx.error(keypath, f"{_show(value)} is not a usable path (it contains a NUL byte)")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~nouser/...": no such user, or no home directory to expand "~"
        user = value[1:].split("/", 1)[0]
        who = f"no user {user!r}" if user else "no home directory"
        raise ctx.error(keypath, f"{_show(value)}: cannot expand '~' ({who})") from None
    return str(path if path.is_absolute() else base / path)


def _cross_check(p: Profile, ctx: _Ctx) -> None:
    """Rules that involve more than one field."""
    _check_batch(p, ctx)
    psu = p.psu
    if psu.voltage > psu.max_voltage:
        raise ctx.error(("psu", "voltage"), f"{psu.voltage} V exceeds the profile's hard maximum "
                                             f"psu.max_voltage = {psu.max_voltage} V")
    if psu.current_limit > psu.max_current:
        raise ctx.error(("psu", "current_limit"), f"{psu.current_limit} A exceeds the profile's hard "
                                                   f"maximum psu.max_current = {psu.max_current} A")
    for i, alias in enumerate(p.target.aliases):
        for what, start in (("from", alias.start), ("to", alias.target)):
            if start + alias.size > 0x1_0000_0000:
                raise ctx.error(("target", f"aliases[{i}]", "size"),
                                f"0x{alias.size:X} bytes from {what} = 0x{start:08X} run past the "
                                "end of the 32-bit address space")
    used: dict[int, str] = {}
    for name, ch in p.scope.channels.items():
        if not NET_NAME.fullmatch(name):
            raise ctx.error(("scope", "channels", name),
                            f"{_show(name)} is not a usable net name (1-32 letters, digits, "
                            "'_', '-', '+' or '.', not starting with a sign or a dot)")
        if name.lower() in RESERVED_NETS or name.endswith(("_t0", "_dt")):
            raise ctx.error(("scope", "channels", name),
                            f"{_show(name)} is not a usable net name: the exports use "
                            f"{', '.join(RESERVED_NETS)} and <net>_t0 / <net>_dt for themselves")
        if ch.channel in used:
            raise ctx.error(("scope", "channels", name, "channel"),
                            f"channel {ch.channel} is already used by {used[ch.channel]}")
        used[ch.channel] = name
        if ch.min is not None and ch.max is not None and ch.min > ch.max:
            raise ctx.error(("scope", "channels", name, "min"), f"min {ch.min} is above max {ch.max}")
    for which in ("power_up", "fault_catch"):
        trig = getattr(p.scope, which)
        if trig is not None and trig.source not in p.scope.channels:
            raise ctx.error(("scope", which, "source"),
                            f"{trig.source!r} is not in scope.channels"
                            + _hints(trig.source, list(p.scope.channels)))
    for step in p.cycle.retries:
        if step not in STEP_NAMES:
            raise ctx.error(("cycle", "retries", step), "not a step name" + _hints(step, list(STEP_NAMES)))
        if p.cycle.retries[step] < 0:
            raise ctx.error(("cycle", "retries", step), f"{p.cycle.retries[step]} must be at least 0")
    if len(set(p.cycle.steps)) != len(p.cycle.steps):
        raise ctx.error(("cycle", "steps"), "a step is listed twice")


def _check_batch(p: Profile, ctx: _Ctx) -> None:
    """[sim] batch/faulty/board agree; [bench.labels] keys are UIDs."""
    for uid in p.bench.labels:
        if not re.fullmatch(r"[0-9A-Fa-f]{24}", uid):
            raise ctx.error(("bench", "labels", uid), "not a board UID (24 hex digits, as benchtui shows it)")
    sim = p.sim
    if sim is None:
        return
    size = sim.batch or 1
    if sim.board > size:
        raise ctx.error(("sim", "board"), f"board {sim.board} is not in the batch (boards 1..{size})")
    for k in sim.faulty or ():
        if not 1 <= k <= size:
            raise ctx.error(("sim", "faulty"), f"board {k} is not in the batch (boards 1..{size})")


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile. Raises ProfileError with a one-line message."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: is a folder, not a profile file") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ProfileError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02X} at offset "
                           f"{exc.start}); save the profile as UTF-8") from None
    return parse_profile(text, source=str(path), base=path.parent)


def parse_profile(text: str, *, source: str = "<memory>", base: Path | None = None) -> Profile:
    """Validate profile text; `base` resolves relative paths (firmware, database)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {_printable(str(exc))}") from None
    except RecursionError:  # tomllib parses nested arrays / inline tables recursively
        raise ProfileError(f"{source}: not a usable profile: arrays or tables nest too deep "
                           f"(more than {MAX_NESTING} levels)") from None
    if _depth(data, MAX_NESTING) > MAX_NESTING:
        raise ProfileError(f"{source}: not a usable profile: arrays or tables nest too deep "
                           f"(more than {MAX_NESTING} levels)")
    ctx = _Ctx(source, text)
    profile = _build(Profile, data, ctx, (), (base or Path.cwd()).resolve())
    profile = dataclasses.replace(profile, source=source)
    _cross_check(profile, ctx)
    return profile


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


__all__ = [
    "AddressAlias", "BenchConfig", "CycleConfig", "NETS", "Profile", "PsuConfig", "STEP_NAMES", "SIM_SCENARIOS",
    "ScopeChannel", "ScopeConfig", "SimConfig", "StoreConfig", "TargetConfig", "TriggerConfig",
    "load_profile", "parse_profile", "profile_to_dict", "net_of_channel",
]
