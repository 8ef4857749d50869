"""Which driver an instrument gets: by the profile's name for it, or by its `*IDN?` answer.

`identify(identity, kind)` names the dialect that would drive an instrument answering `identity`
and, when none would, the closest registered family: same maker (the dialect's `MAKERS`), the
longest model prefix in common (`FAMILY_MODELS`: `DS2072A` -> rigol-ds1000z, `DP711` ->
rigol-dp800). `identify_any(identity)` does so for PSUs and scopes at once (what `benchtui
discover` shows). Nothing is opened by either.

A family whose instrument is not reached by a newline-terminated `*IDN?` (a serial supply without
terminators, a Modbus one) has a classmethod `open(cfg)` that makes its own link; it is used when
the profile names it, and never guessed by "auto". Such a family also has `probe(resource,
timeout_ms)`: its own question on a serial line, answered with the unit's identity or None;
`probe_line(resource, timeout_ms)` asks each of them in turn. `open_identified` opens the
profile's resource and builds the driver.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from .. import registry
from ..errors import BenchError, InstrumentGarbage, InstrumentUnreachable, UnsupportedInstrument
from . import guard
from .scpi import preview
from .visa import VisaSession

_GROUP = {"psu": registry.PSU, "scope": registry.SCOPE}
KINDS = ("psu", "scope")


def dialects_of(kind: str) -> tuple[type, ...]:
    """The registered dialects of "psu" or "scope", in registration order."""
    return tuple(registry.load(_GROUP[kind.lower()]).values())


@dataclass(frozen=True)
class Identification:
    """What an identity means to benchtui: the kind, the driver (None: not supported) and, for
    an instrument no driver handles, the closest family (None: no family of that maker)."""

    kind: str | None
    driver: str | None
    closest: str | None


def identify(identity: str, kind: str) -> tuple[str | None, str | None]:
    """(driver whose `matches(identity)` is true, else None; the closest registered family,
    else None), for `kind` "psu" or "scope"."""
    for dialect in dialects_of(kind):
        if _auto(dialect) and dialect.matches(identity):
            return dialect.DRIVER, dialect.DRIVER
    best = _closest(identity, kind)
    return None, best[0] if best else None


def identify_any(identity: str) -> Identification:
    """The PSU or scope driver for `identity`, else the closest family of either kind."""
    for kind in KINDS:
        driver, _ = identify(identity, kind)
        if driver is not None:
            return Identification(kind, driver, driver)
    ranked = [(best[1], -k, kind, best[0]) for k, kind in enumerate(KINDS)
              if (best := _closest(identity, kind)) is not None]
    if not ranked:
        return Identification(None, None, None)
    _, _, kind, closest = max(ranked)
    return Identification(kind, None, closest)


def _fields(identity: str) -> tuple[str, str]:
    """(maker, model) of an *IDN? answer; one without commas ('KORAD KA3005P V5.5 SN:1') is
    read as words."""
    fields = [f.strip() for f in identity.split(",")]
    if len(fields) > 1:
        return fields[0], fields[1]
    words = identity.split()
    return (words[0], words[1]) if len(words) > 1 else (identity.strip(), "")


def _closest(identity: str, kind: str) -> tuple[str, int] | None:
    """(family, length of the model prefix in common) of the registered family of the same
    maker most like the model; the first registered one wins a tie."""
    maker, model = _fields(identity)
    best: tuple[str, int] | None = None
    for dialect in dialects_of(kind):
        if not dialect.MAKERS or not maker or not re.match(dialect.MAKERS, maker, re.I):
            continue
        score = max((len(os.path.commonprefix([p.upper(), model.upper()])) for p in dialect.FAMILY_MODELS),
                    default=0)
        if best is None or score > best[1]:
            best = (dialect.DRIVER, score)
    return best


def _auto(dialect: type) -> bool:
    return not callable(getattr(dialect, "open", None))


def line_families() -> tuple[type, ...]:
    """The registered families reached over a serial line of their own (with `probe`)."""
    return tuple(d for kind in KINDS for d in dialects_of(kind) if callable(getattr(d, "probe", None)))


def probe_line(resource: str, timeout_ms: int) -> tuple[type, str] | None:
    """(family, identity) of the unit that answered its own family's question on the serial
    line `resource`, asking each family with a `probe` in registration order, each for at most
    `timeout_ms`; None when none did. A line that cannot be opened raises InstrumentUnreachable
    (from the first family: the others would fail alike)."""
    for family in line_families():
        try:
            identity = family.probe(resource, timeout_ms)
        except BenchError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyserial / minimalmodbus below the probe
            raise InstrumentUnreachable(f"instrument {resource}: {family.DRIVER} probe: "
                                        f"{type(exc).__name__}: {exc}", where="instrument") from None
        if identity:
            return family, identity
    return None


def open_identified(cfg: Any, dialects: tuple[type, ...], kind: str,
                    identify_timeout_ms: int | None = None) -> Any:
    """Open `cfg.resource`, ask *IDN?, and build the dialect the profile names or *IDN? picks.

    Each dialect class has `DRIVER` (the profile's name for it), `matches(identity)` and is
    built as `dialect(session, cfg, identity)`. Nothing on the instrument is changed except its
    status: `*CLS` and a drained error queue, so that errors an earlier client left behind are not
    blamed on our first command. `identify_timeout_ms` (if longer) is the timeout of the first
    reply only (an instrument that answers seconds after the connection is accepted).
    """
    named = next((d for d in dialects if d.DRIVER == cfg.driver), None)
    if named is not None and not _auto(named):
        return named.open(cfg)
    session = VisaSession(cfg.resource, timeout_ms=cfg.timeout_ms, name=kind)
    try:
        with session.timeout(max(cfg.timeout_ms, identify_timeout_ms or 0)):
            identity = session.query("*IDN?").strip()
        try:
            guard.identity(identity)
        except guard.ReplyError as exc:
            raise InstrumentGarbage(session.message(
                f"'*IDN?' was answered '{preview(identity)}', which is not an instrument identity "
                f"(expected {exc}): is this the instrument's SCPI port?"), where=kind) from None
        instrument = _pick_dialect(dialects, cfg, identity, kind)(session, cfg, identity)
        # A dialect whose instrument reads its errors otherwise says how (`clear_status()`).
        clear = getattr(instrument, "clear_status", None)
        (clear if callable(clear) else session.clear_status)()
        return instrument
    except BaseException:
        session.close()
        raise


def _pick_dialect(dialects: tuple[type, ...], cfg: Any, identity: str, kind: str) -> type:
    if cfg.driver != "auto":
        return next(d for d in dialects if d.DRIVER == cfg.driver)
    for dialect in dialects:
        if _auto(dialect) and dialect.matches(identity):
            return dialect
    raise UnsupportedInstrument(
        f"{kind} {cfg.resource}: no driver for *IDN? {identity!r}; set {kind.lower()}.driver to "
        f"one of {', '.join(d.DRIVER for d in dialects)}", where=kind)


__all__ = ["Identification", "dialects_of", "identify", "identify_any", "line_families", "open_identified",
           "probe_line"]
