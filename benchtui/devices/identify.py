"""Which driver an instrument gets: by the profile's name for it, or by its `*IDN?` answer.

`identify(identity, kind)` names the dialect that would drive an instrument answering `identity`
(and, when none would, the family whose vendor it shares), without opening anything: `benchtui
discover` uses it. `open_identified` opens the profile's resource and builds the driver. A family
whose instrument is not reached by a newline-terminated `*IDN?` (a serial supply without
terminators, a Modbus one) has a classmethod `open(cfg)` that makes its own link; it is used when
the profile names it, and never guessed by "auto".
"""

from __future__ import annotations

from typing import Any

from .. import registry
from ..errors import InstrumentGarbage, UnsupportedInstrument
from . import guard
from .scpi import preview
from .visa import VisaSession

_GROUP = {"psu": registry.PSU, "scope": registry.SCOPE}


def dialects_of(kind: str) -> tuple[type, ...]:
    """The registered dialects of "psu" or "scope", in registration order."""
    return tuple(registry.load(_GROUP[kind.lower()]).values())


def identify(identity: str, kind: str) -> tuple[str | None, str | None]:
    """(driver whose `matches(identity)` is true, else None; the closest registered family by
    vendor, else None), for `kind` "psu" or "scope"."""
    found = [d for d in dialects_of(kind) if _auto(d)]
    for dialect in found:
        if dialect.matches(identity):
            return dialect.DRIVER, dialect.DRIVER
    vendor = identity.split(",")[0].strip().split(" ")[0].lower()[:5]
    closest = next((d.DRIVER for d in found if vendor and d.DRIVER.startswith(vendor)), None)
    return None, closest


def _auto(dialect: type) -> bool:
    return not callable(getattr(dialect, "open", None))


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


__all__ = ["dialects_of", "identify", "open_identified"]
