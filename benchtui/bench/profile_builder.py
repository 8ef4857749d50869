"""`benchtui init`: a bench profile from what discovery found, as commented TOML.

`BenchParts` says which probe, target, PSU (and channel), scope and scope channels make the
bench; `build_profile_text(parts)` writes the profile every example in profiles/ is: the target
type from the chip, the PSU's safe limits from the target's datasheet supply range, each net's
channel with its volts/div, offset and limits, the power-up and fault-catch trigger presets, the
driver *IDN? picked and the transfer format and timeout that suit it, and the cycle settings of a
real bench. The text is validated by the profile loader before it is returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..profile import NETS, Profile, load_profile, parse_profile

# --- what the target's datasheet allows (one place) ----------------------------------------
#: Per family: (VDD operating range in V, VCAP regulator output nominal V). STM32F76x DS11532 and
#: STM32F405/407 DS8626 / F427/429 DS9405 "General operating conditions": VDD 1.7 (F4: 1.8 with the
#: supervisor on) to 3.6 V; the internal regulator's output on VCAP1/VCAP2 is 1.2 V nominal.
SUPPLY = {"STM32F7": ((1.7, 3.6), 1.2), "STM32F4": ((1.8, 3.6), 1.2)}
DEFAULT_SUPPLY = ((1.8, 3.6), 1.2)
#: The bench setpoint, current limit and the hard maximum current of a board of this kind.
SETPOINT_V, CURRENT_LIMIT_A, MAX_CURRENT_A = 3.3, 0.5, 1.0

#: Per net: scope volts/div, offset (Rigol sign: added to the signal), min, max.
CHANNEL_PRESETS: dict[str, tuple[float, float, float | None, float | None]] = {
    "VDD": (1.0, 0.0, 3.0, 3.6),          # 10 % under the setpoint .. the datasheet maximum
    "VCAP1": (0.2, -1.2, 1.10, 1.40),     # 1.2 V centred; below 1.10 V a flash write fails
    "VCAP2": (0.2, -1.2, 1.10, 1.40),
    "NRST": (1.0, 0.0, 2.0, None),        # high after reset
}
#: The trigger presets: (source, level V, slope, s/div, pre-trigger fraction).
POWER_UP = ("VDD", 1.5, "rising", 0.002, 0.1)
FAULT_CATCH = ("VCAP1", 1.10, "falling", 0.001, 0.5)
#: The fault catch of a part without VCAP pins (STM32L4): a reset pulse during erase / program.
FAULT_CATCH_NRST = ("NRST", 1.0, "falling", 0.001, 0.5)

#: Per scope driver: (transfer format, timeout in ms). WORD where the ADC has more than 8 bits or
#: the dialect interpolates (DHO 12-bit, InfiniiVision, SDS2000X Plus/HD); the DSO-X 2000 answers
#: ~10 s after connecting.
SCOPE_SETTINGS = {"rigol-ds1000z": ("BYTE", 5000), "rigol-dho": ("WORD", 5000),
                  "keysight-infiniivision": ("WORD", 15000), "siglent-sds1000x-e": ("BYTE", 5000),
                  "siglent-sds2000x-plus": ("WORD", 5000), "tektronix-mso": ("BYTE", 5000)}
PSU_TIMEOUT_MS = 2000
#: The cycle of a real bench: bulk capacitors discharge in 2 s, two connect retries.
CYCLE = {"count": 50, "off_s": 2.0, "on_settle_s": 0.2, "trigger_timeout_s": 5.0, "retries": {"connect": 2}}
#: The STM32F7's flash is also mapped at the ITCM address (RM0410 §2.3.2 "Embedded Flash memory").
ITCM_FLASH, FLASH_BASE = 0x00200000, 0x08000000


@dataclass(frozen=True)
class BenchParts:
    """The parts of one bench, as discovery found them and the user chose."""

    probe_uid: str
    target_type: str
    family: str | None
    flash_kb: int | None
    part: str
    psu_resource: str
    psu_driver: str
    psu_channel: int
    psu_identity: str
    scope_resource: str
    scope_driver: str
    scope_identity: str
    nets: dict[str, int] = field(default_factory=lambda: {"VDD": 1, "VCAP1": 2, "VCAP2": 3, "NRST": 4})
    firmware: str | None = None
    database: str = "bench.db"
    name: str | None = None
    uid: str | None = None


def parse_nets(text: str) -> dict[str, int]:
    """'VDD=1,VCAP1=2' -> {'VDD': 1, 'VCAP1': 2}; ValueError naming the bad item."""
    nets: dict[str, int] = {}
    for item in (x.strip() for x in text.split(",") if x.strip()):
        net, sep, ch = item.partition("=")
        if not sep or not ch.strip().isdigit() or not 1 <= int(ch) <= 4:
            raise ValueError(f"--nets {item!r}: expected NET=CHANNEL with a channel 1-4, e.g. VDD=1")
        if net.strip() in nets:
            raise ValueError(f"--nets: {net.strip()} is given twice")
        if int(ch) in nets.values():
            other = next(n for n, c in nets.items() if c == int(ch))
            raise ValueError(f"--nets {item!r}: channel {ch} already carries {other}")
        nets[net.strip()] = int(ch)
    if not nets:
        raise ValueError("--nets: no NET=CHANNEL given")
    return nets


#: How the one-line refusals name what was chosen: the CLI's flags (the console screen passes
#: its own field names).
FLAGS = {"probe": "--probe", "psu": "--psu", "scope": "--scope", "target": "--target"}


def parts_from_discovery(found: Any, *, probe: str, psu: str, channel: int | None, scope: str,
                         nets: dict[str, int], firmware: str | None, target_type: str | None,
                         database: str, name: str | None, flags: dict[str, str] = FLAGS) -> BenchParts:
    """BenchParts from a discovery (devices.discovery.Discovery) of the chosen probe, PSU and
    scope, or one BenchError line naming what is missing (an unreachable PSU, a scope that is a
    PSU, a channel it lacks, a target that does not answer)."""
    def instrument(resource: str, kind: str) -> Any:
        flag = flags[kind]
        item = next((i for i in found.instruments if i.resource == resource), None)
        if item is None:
            raise BenchError(f"{flag} {resource}: not among the instruments discovered", where="init")
        if item.error:
            raise BenchError(f"{flag} {resource}: {item.error}", where="init")
        if item.kind != kind or not item.driver:
            what = (f"a {item.kind.upper() if item.kind == 'psu' else item.kind}" if item.driver
                    else "not supported" + (f" (closest family: {item.closest})" if item.closest else ""))
            raise BenchError(f"{flag} {resource}: *IDN? {item.identity!r} is {what}, not a "
                             f"{'PSU' if kind == 'psu' else 'scope'} benchtui drives", where="init")
        return item

    p, s = instrument(psu, "psu"), instrument(scope, "scope")
    channel = channel or 1
    if p.channels and channel not in p.channels:
        raise BenchError(f"{flags['psu']} {psu},{channel}: the {p.model or p.driver} has channels "
                         f"{p.channels[0]}-{p.channels[-1]}", where="init")
    found_probe = next((x for x in found.probes if x.uid == probe), None)
    if found_probe is None:
        raise BenchError(f"{flags['probe']} {probe}: not among the probes discovered", where="init")
    if found_probe.target is None:
        raise BenchError(f"{flags['probe']} {probe}: no target answers ({found_probe.error}); power "
                         "the board (the PSU output) and try again", where="init")
    t = found_probe.target
    chosen = target_type or t.target_type
    if chosen is None:
        raise BenchError(f"{flags['probe']} {probe}: benchtui has no target type for {t.part}: name "
                         f"one with {flags['target']} (a pyOCD target type)", where="init")
    part = t.part + (f" (IDCODE 0x{t.idcode:08X})" if t.idcode is not None else "")
    return BenchParts(probe_uid=probe, target_type=chosen, family=t.family, flash_kb=t.flash_kb,
                      part=part, psu_resource=psu, psu_driver=p.driver, psu_channel=channel,
                      psu_identity=p.identity, scope_resource=scope, scope_driver=s.driver,
                      scope_identity=s.identity, nets=nets, firmware=firmware, database=database,
                      name=name, uid=t.uid)


def _model(identity: str) -> str:
    """The model an identity names: its second field, or its second word ('KORAD KA3005P V5.5')."""
    fields = [f.strip() for f in identity.split(",")]
    if len(fields) > 1:
        return fields[1] or "?"
    words = identity.split()
    return words[1] if len(words) > 1 else "?"


def write_profile(parts: BenchParts, out: str | Path, *, force: bool = False) -> Profile:
    """Write the profile of `parts` to `out` (refused in one BenchError line if it exists and
    not `force`); the Profile as it loads from the file."""
    out = Path(out)
    if out.exists() and not force:
        raise BenchError(f"{out} exists: give another file, or replace it (--force)", where="init")
    text, _ = build_profile_text(parts, source=str(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BenchError(f"cannot write {out}: {exc.strerror or exc}", where="init") from None
    return load_profile(out)


def summary(parts: BenchParts, out: str | Path) -> str:
    """'wrote bench.toml: rigol-dp800 CH1, rigol-ds1000z (VDD=CH1, ...), stm32f767zg on UID'."""
    return (f"wrote {out}: {parts.psu_driver} CH{parts.psu_channel}, {parts.scope_driver} "
            f"({', '.join(f'{n}=CH{c}' for n, c in parts.nets.items())}), {parts.target_type} on "
            f"{parts.probe_uid}")


def _q(text: str) -> str:
    """A TOML basic string (JSON's escaping is TOML's for these characters)."""
    return json.dumps(str(text), ensure_ascii=False)


def _num(x: float) -> str:
    text = f"{x:.6g}"
    return text if any(c in text for c in ".e") else text + ".0"


def aliases_for(parts: BenchParts, firmware_base: int | None) -> list[tuple[int, int, int]]:
    """[(from, to, size)]: the ITCM flash alias of an STM32F7, or the address an image given to
    init is linked at when that is not in flash (mapped onto the start of flash)."""
    size = (parts.flash_kb or 1024) * 1024
    if firmware_base is not None and not FLASH_BASE <= firmware_base < FLASH_BASE + size:
        return [(firmware_base, FLASH_BASE, size)]
    if parts.family == "STM32F7":
        return [(ITCM_FLASH, FLASH_BASE, size)]
    return []


def firmware_base(path: str | None) -> int | None:
    """The lowest address of an Intel HEX image (None for other files or none)."""
    if not path or not str(path).lower().endswith((".hex", ".ihex")) or not Path(path).is_file():
        return None
    from intelhex import IntelHex
    try:
        return IntelHex(str(path)).minaddr()
    except Exception:  # noqa: BLE001 - a bad image is said by check and flash, not here
        return None


def build_profile_text(parts: BenchParts, *, source: str = "bench.toml") -> tuple[str, Profile]:
    """The commented TOML profile for `parts`, and the Profile it loads as (validated)."""
    (vmin, vmax), vcap = SUPPLY.get(parts.family or "", DEFAULT_SUPPLY)
    fmt, scope_timeout = SCOPE_SETTINGS.get(parts.scope_driver, ("BYTE", 5000))
    name = parts.name or (f"Bench: {_model(parts.psu_identity)} + {_model(parts.scope_identity)} + "
                          f"probe {parts.probe_uid}, {parts.target_type.upper()} board")
    lines = [
        "# A bench profile written by `benchtui init` from what it found on this bench.",
        "# Check it with `benchtui check --profile FILE` (and `--wiring` with the board fitted).",
        f"name = {_q(name)}",
        "",
        "[target]",
        f"probe_uid = {_q(parts.probe_uid)}" + (f"     # the probe's target: {parts.part}" if parts.part else ""),
        f"target_type = {_q(parts.target_type)}"
        + (f"     # {parts.flash_kb} KB read from the chip's flash-size word" if parts.flash_kb else ""),
        "frequency_hz = 4_000_000",
        'connect_mode = "under-reset"',
    ]
    if parts.firmware:
        lines.append(f"firmware = {_q(parts.firmware)}")
    else:
        lines.append('# firmware = "board-test.hex"   # the image `flash` and the loop program')
    lines.append('erase = "sectors"')
    aliases = aliases_for(parts, firmware_base(parts.firmware))
    if aliases:
        lines.append("# The image's addresses that the chip sees in flash (e.g. the F7's ITCM alias).")
        lines.append("aliases = [" + ", ".join(f"{{ from = 0x{a:08X}, to = 0x{b:08X}, size = 0x{s:08X} }}"
                                              for a, b, s in aliases) + "]")
    lines += [
        "",
        "[psu]",
        f"# *IDN?: {parts.psu_identity}",
        f"resource = {_q(parts.psu_resource)}",
        f"driver = {_q(parts.psu_driver)}",
        f"channel = {parts.psu_channel}",
        f"voltage = {_num(SETPOINT_V)}",
        f"current_limit = {_num(CURRENT_LIMIT_A)}",
        f"max_voltage = {_num(vmax)}       # hard limits: the PSU is never commanded past these",
        f"max_current = {_num(MAX_CURRENT_A)}       # ({parts.family or 'the target'}: VDD {vmin:g}-{vmax:g} V)",
        f"timeout_ms = {PSU_TIMEOUT_MS}",
        "",
        "[scope]",
        f"# *IDN?: {parts.scope_identity}",
        f"resource = {_q(parts.scope_resource)}",
        f"driver = {_q(parts.scope_driver)}",
        f"format = {_q(fmt)}",
        f"timeout_ms = {scope_timeout}",
    ]
    for net, ch in sorted(parts.nets.items(), key=lambda kv: kv[1]):
        scale, offset, lo, hi = CHANNEL_PRESETS.get(net, (1.0, 0.0, None, None))
        if net in ("VCAP1", "VCAP2"):
            offset = -vcap
        lines += ["", f"[scope.channels.{net}]" if _bare(net) else f"[scope.channels.{_q(net)}]",
                  f"channel = {ch}", f"scale = {_num(scale)}"]
        if offset:
            lines.append(f"offset = {_num(offset)}")
        if lo is not None:
            lines.append(f"min = {lo:.2f}" if net != "VDD" else f"min = {_num(lo)}")
        if hi is not None:
            lines.append(f"max = {hi:.2f}" if net != "VDD" else f"max = {_num(min(hi, vmax))}")
    catch = (FAULT_CATCH, "catch a VCAP dip during erase / program") if FAULT_CATCH[0] in parts.nets \
        or FAULT_CATCH_NRST[0] not in parts.nets else (FAULT_CATCH_NRST, "catch an NRST pulse during erase / program")
    for table, preset, comment in (("power_up", POWER_UP, "catch the power-up edge"), ("fault_catch", *catch)):
        source, level, slope, timebase, pre = preset
        if source not in parts.nets:
            lines += ["", f"# [scope.{table}]: no {source} channel mapped, so no {comment} trigger"]
            continue
        lines += ["", f"[scope.{table}]          # {comment}", f"source = {_q(source)}",
                  f"level = {level:.2f}" if source != "VDD" else f"level = {_num(level)}",
                  f"slope = {_q(slope)}", f"timebase = {timebase:g}", f"pretrigger = {pre:g}"]
    c = CYCLE
    lines += ["", "[cycle]", f"count = {c['count']}",
              f"off_s = {_num(c['off_s'])}          # let the board's bulk capacitors discharge",
              f"on_settle_s = {_num(c['on_settle_s'])}", f"trigger_timeout_s = {_num(c['trigger_timeout_s'])}",
              "retries = { " + ", ".join(f"{k} = {v}" for k, v in c["retries"].items()) + " }",
              "", "[store]", f"database = {_q(parts.database)}"]
    if parts.uid:
        lines += ["", "[bench.labels]", f"# {parts.uid} = \"board #1\"   # a sticker per board UID"]
    text = "\n".join(lines) + "\n"
    base = Path(source).parent if source != "<memory>" else None
    return text, parse_profile(text, source=source, base=base)


def _bare(name: str) -> bool:
    return all(c.isalnum() or c in "_-" for c in name)


def known_nets() -> tuple[str, ...]:
    return NETS
