"""The SCPI core shared by every simulated instrument.

A dialect is a class with declarative tables, pyvisa-sim / PyMeasure style: `SETTINGS` (one
`Setting` per parameter: its set and its query form, settings.py) and `COMMANDS` for the rest,
``(("[:SOURce#]:APPLy", "c_apply"), (":MEASure:VOLTage?", "q_meas_v"))``, in SCPI header
notation (patterns.py). The core splits compound messages
on ``;`` (a header without a leading colon continues the previous header's path), keeps the
error queue with real SCPI codes and formats IEEE 488.2 definite-length blocks.
"""

from __future__ import annotations

import inspect
import re
from functools import partial
from dataclasses import dataclass
from typing import Any, Callable

from .patterns import compile_pattern, header_text
from .settings import UNSET, Choice, Flag, Number, Setting
from .values import (ERROR_QUEUE_SIZE, ERROR_TEXT, INVALID, Call, ErrorQueue, ScpiError, channel_list,
                     ieee_block, parse_number, split_outside)

__all__ = ["Call", "Choice", "Command", "ERROR_QUEUE_SIZE", "ERROR_TEXT", "ErrorQueue", "Flag", "INVALID",
           "Instrument", "Number", "ScpiError", "Setting", "UNSET", "channel_list", "compile_pattern",
           "header_text", "ieee_block", "parse_number", "split_outside"]


@dataclass(frozen=True)
class Command:
    regex: re.Pattern[str]
    query: bool
    handler: "str | Callable[[Call], Any]"
    pattern: str = ""


_HEADER_OK = re.compile(r"^:?[A-Za-z*][A-Za-z0-9_:]*\??$")


class Instrument:
    """Base of every simulated SCPI instrument: dispatch, settings, common commands, error queue."""

    IDN = "SIM,INSTRUMENT,0,0"
    #: `*OPT?` as the guide prints it for a unit without options.
    OPT = "0"
    #: Keysight: a new message while a reply is unread discards it with -410.
    QUERY_INTERRUPT = False
    #: Keysight prints '+0,"No error"', Rigol '0,"No error"'.
    ERROR_PLUS = False
    #: How an enumerated setting is answered (Choice.format): "short", "long" or "as-written".
    CHOICE_REPLY = "short"
    COMMON = (
        ("*IDN?", "q_idn"), ("*OPT?", "q_opt"), ("*RST", "c_rst"), ("*CLS", "c_cls"),
        ("*OPC?", "q_opc"), ("*OPC", "c_opc"), ("*WAI", "c_noop"), ("*ESR?", "q_esr"),
        ("*STB?", "q_stb"), ("*TST?", "q_zero"),
        (":SYSTem:ERRor[:NEXT]?", "q_error"), (":SYSTem:VERSion?", "q_version"),
        (":SYSTem:REMote", "c_noop"), (":SYSTem:LOCal", "c_noop"),
    )
    #: IEEE 488.2 status settings every instrument has.
    COMMON_SETTINGS = (Setting("*ESE", "ese", Number(0, 255, "d", integer=True), default=0),
                       Setting("*SRE", "sre", Number(0, 255, "d", integer=True), default=0))
    COMMANDS: tuple[tuple[str, Any], ...] = ()
    SETTINGS: tuple[Setting, ...] = ()

    def __init__(self) -> None:
        self.errors = ErrorQueue(plus_sign=self.ERROR_PLUS)
        self.esr = 0
        table = []
        for setting in self.SETTINGS + self.COMMON_SETTINGS:
            for query in (False, True):
                pattern = setting.pattern + ("?" if query else "")
                handler = (lambda call, s=setting: s.get(self, call)) if query else \
                    (lambda call, s=setting: s.set(self, call))
                table.append(Command(*compile_pattern(pattern), handler, pattern))
        # The dialect's own table before the common one: it may answer a common command its way.
        # A handler is a method name, or a function of (instrument, call) for a one-line reading.
        table += [Command(*compile_pattern(p), h if isinstance(h, str) else partial(h, self), p)
                  for p, h in self.COMMANDS + self.COMMON]
        self._table = table
        for setting in self.COMMON_SETTINGS:
            setting.apply_default(self)

    def apply_defaults(self) -> None:
        """Store every setting's `default` (part of *RST)."""
        for setting in self.SETTINGS:
            setting.apply_default(self)

    def reply(self, call: Call, setting: Setting, text: str) -> str:
        """A setting's query reply; dialects that repeat headers or print units override it."""
        return text

    # --- dispatch ------------------------------------------------------------------------------
    async def execute(self, message: str) -> bytes | None:
        """Run one program message; the reply (with terminator) or None if nothing to say."""
        try:
            units = split_outside(message, ";")
        except ScpiError as exc:
            self.push_error(exc.code, exc.detail)
            return None
        replies: list[bytes] = []
        path = ""
        for unit in units:
            unit = unit.strip()
            if not unit:
                continue
            header, _, rest = unit.partition(" ")
            if not _HEADER_OK.match(header):
                self.push_error(-102, header)
                continue
            found = self._lookup(header, path)
            if found is None:
                self.push_error(-113, header)
                continue
            cmd, full, m = found
            if not header.startswith("*"):
                path = full.rsplit(":", 1)[0] if full.count(":") > 1 else ""
            try:
                args = [a.strip() for a in split_outside(rest, ",")] if rest.strip() else []
                if cmd.query is False and header.endswith("?"):
                    raise ScpiError(-113, header)
                call = Call(header, args, [int(g) if g else None for g in m.groups()], cmd.pattern)
                handler = getattr(self, cmd.handler) if isinstance(cmd.handler, str) else cmd.handler
                result = handler(call)
                if inspect.isawaitable(result):
                    result = await result
            except ScpiError as exc:
                self.push_error(exc.code, exc.detail)
                continue
            if result is not None:
                replies.append(result if isinstance(result, bytes) else str(result).encode())
        if not replies:
            return None
        return b";".join(replies) + b"\n"

    def _lookup(self, header: str, path: str):
        """The command for a header, trying the compound-message path first."""
        query = header.endswith("?")
        candidates = []
        if header.startswith("*"):
            candidates.append(":" + header)
        else:
            if not header.startswith(":") and path:
                candidates.append(path + ":" + header)
            candidates.append(":" + header.lstrip(":"))
        for full in candidates:
            for cmd in self._table:
                if cmd.query != query:
                    continue
                m = cmd.regex.fullmatch(full)
                if m:
                    return cmd, full, m
        return None

    # --- status: error queue and the standard event status register -------------------------------
    def push_error(self, code: int, detail: str = "") -> None:
        """Queue an error and set its IEEE 488.2 event bit (command 32, execution 16,
        device-dependent 8, query 4)."""
        self.errors.push(code, detail)
        self.esr |= 32 if -200 < code <= -100 else 16 if -300 < code <= -200 else \
            4 if -500 < code <= -400 else 8 if code else 0

    # --- common commands -------------------------------------------------------------------------
    def q_idn(self, call: Call) -> str:
        return self.IDN

    def q_opt(self, call: Call) -> str:
        return self.OPT

    def c_rst(self, call: Call) -> None:
        self.reset()

    def reset(self) -> None:
        """*RST: back to the instrument's default settings (dialects override)."""
        self.apply_defaults()

    def c_cls(self, call: Call) -> None:
        self.errors.clear()
        self.esr = 0

    def q_opc(self, call: Call) -> str:
        return "1"

    def c_opc(self, call: Call) -> None:
        self.esr |= 1       # operation complete: nothing here is overlapped

    def q_esr(self, call: Call) -> str:
        esr, self.esr = self.esr, 0
        return str(esr)

    def q_stb(self, call: Call) -> str:
        """Bit 2 error queue not empty, bit 5 an enabled standard event, bit 6 a service request."""
        stb = (4 if len(self.errors) else 0) | (32 if self.esr & self.ese else 0)
        return str(stb | (64 if stb & self.sre else 0))

    def q_zero(self, call: Call) -> str:
        return "0"

    def c_noop(self, call: Call) -> None:
        return None

    def q_error(self, call: Call) -> str:
        return self.errors.pop()

    def q_version(self, call: Call) -> str:
        return "1999.0"


Handler = Callable[[Call], Any]
