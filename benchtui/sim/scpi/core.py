"""The SCPI core shared by every simulated instrument.

A dialect is a class with a declarative command table, pyvisa-sim / PyMeasure style:
``COMMANDS = (("[:SOURce#]:VOLTage[:LEVel]", "set_voltage"), (":MEASure:VOLTage?", "meas_v"))``.
Patterns use SCPI notation: upper-case letters are the short form, the whole mnemonic the long
form (only those two spellings match, case-insensitive), ``[...]`` marks an optional node and
``#`` a numeric suffix (``SOURce2``), passed to the handler. The core splits compound messages
on ``;`` (a header without a leading colon continues the previous header's path), keeps the
error queue with real SCPI codes and formats IEEE 488.2 definite-length blocks.
"""

from __future__ import annotations

import inspect
import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

ERROR_TEXT = {
    0: "No error",
    -100: "Command error",
    -102: "Syntax error",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -200: "Execution error",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -350: "Queue overflow",
    -410: "Query INTERRUPTED",
}
ERROR_QUEUE_SIZE = 20
INVALID = 9.9e37  # SCPI "measurement cannot be made"


class ScpiError(Exception):
    """Raised by a handler: the code goes to the error queue and the command has no effect."""

    def __init__(self, code: int, detail: str = ""):
        super().__init__(f"{code},{ERROR_TEXT.get(code, 'Error')}{'; ' + detail if detail else ''}")
        self.code = code
        self.detail = detail


class ErrorQueue:
    """The instrument's SCPI error/event queue (FIFO, -350 on overflow)."""

    def __init__(self, plus_sign: bool = False):
        self._q: deque[tuple[int, str]] = deque()
        self._plus = plus_sign

    def push(self, code: int, detail: str = "") -> None:
        if len(self._q) >= ERROR_QUEUE_SIZE:
            self._q[-1] = (-350, "")
            return
        self._q.append((code, detail))

    def pop(self) -> str:
        code, detail = self._q.popleft() if self._q else (0, "")
        text = ERROR_TEXT.get(code, "Error") + (f"; {detail}" if detail else "")
        return f"{code:+d},\"{text}\"" if self._plus else f"{code:d},\"{text}\""

    def clear(self) -> None:
        self._q.clear()

    def __len__(self) -> int:
        return len(self._q)


# --- header patterns ------------------------------------------------------------------------------
_NODE = re.compile(r"(\[)?:?([A-Za-z*][A-Za-z0-9_]*)(#)?(\])?")


def compile_pattern(pattern: str) -> tuple[re.Pattern[str], bool]:
    """Compile an SCPI header pattern into a regex over ':'-prefixed headers; (regex, is_query)."""
    query = pattern.endswith("?")
    body = pattern[:-1] if query else pattern
    if body.startswith("*"):
        return re.compile(re.escape(":" + body.upper()) + (r"\?" if query else ""), re.I), query
    parts = []
    for m in _NODE.finditer(body):
        opt, name, suffix, _ = m.groups()
        # Mixed case: upper case is the short form. All upper case (LeCroy-style `VOLT_DIV`): as is.
        short = "".join(c for c in name if c.isupper() or c.isdigit() or c == "_") \
            if any(c.islower() for c in name) else name
        alts = sorted({name.upper(), short.upper()}, key=len, reverse=True)
        node = ":(?:" + "|".join(alts) + ")" + (r"(\d*)" if suffix else "")
        parts.append(f"(?:{node})?" if opt else node)
    return re.compile("".join(parts) + (r"\?" if query else ""), re.I), query


@dataclass(frozen=True)
class Command:
    regex: re.Pattern[str]
    query: bool
    handler: str


@dataclass
class Call:
    """One parsed program message unit, handed to a handler."""

    header: str
    args: list[str]
    suffixes: list[int | None]

    def suffix(self, i: int = 0, default: int = 1) -> int:
        s = self.suffixes[i] if i < len(self.suffixes) else None
        return default if s is None else s

    def arg(self, i: int, default: str | None = None) -> str:
        if i < len(self.args) and self.args[i] != "":
            return self.args[i]
        if default is None:
            raise ScpiError(-109)
        return default

    def number(self, i: int, lo: float | None = None, hi: float | None = None,
               default: float | None = None, keywords: dict[str, float] | None = None) -> float:
        """Numeric argument i, with MIN/MAX/DEF keywords and unit suffixes; -222 when out of range."""
        if i >= len(self.args) or self.args[i] == "":
            if default is None:
                raise ScpiError(-109)
            return default
        kw = {"MIN": lo, "MINIMUM": lo, "MAX": hi, "MAXIMUM": hi, **(keywords or {})}
        value = parse_number(self.args[i], kw)
        if lo is not None and value < lo - 1e-12 or hi is not None and value > hi + 1e-12:
            raise ScpiError(-222, f"{value:g} outside {lo:g}..{hi:g}")
        return value

    def boolean(self, i: int) -> bool:
        text = self.arg(i).upper()
        if text in ("ON", "1"):
            return True
        if text in ("OFF", "0"):
            return False
        raise ScpiError(-224, text)

    def choice(self, i: int, options: dict[str, Any]) -> Any:
        """Match argument i against SCPI mnemonics (short or long form) -> option value."""
        text = self.arg(i).upper()
        for mnemonic, value in options.items():
            short = "".join(c for c in mnemonic if c.isupper() or c.isdigit())
            if text in (mnemonic.upper(), short):
                return value
        raise ScpiError(-224, text)


_NUM = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*$")
_PREFIX = {"": 1.0, "M": 1e-3, "U": 1e-6, "N": 1e-9, "P": 1e-12, "K": 1e3, "MA": 1e6}
_UNITS = ("V", "A", "S", "HZ", "W", "OHM", "PCT", "DIV")


def parse_number(text: str, keywords: dict[str, float | None] | None = None) -> float:
    """An SCPI decimal numeric value ('3.3', '330mV', '1E-3', 'MAX'); -104 if not numeric."""
    key = text.strip().upper()
    if keywords and key in keywords and keywords[key] is not None:
        return float(keywords[key])
    m = _NUM.match(text)
    if not m:
        raise ScpiError(-104, text.strip())
    value, suffix = float(m.group(1)), m.group(2).upper()
    for unit in _UNITS:
        if suffix.endswith(unit):
            suffix = suffix[: -len(unit)]
            break
    if suffix not in _PREFIX:
        raise ScpiError(-104, text.strip())
    return value * _PREFIX[suffix]


def channel_list(text: str) -> list[int]:
    """Parse a SCPI channel list '(@1)', '(@1,3)', '(@1:3)'."""
    m = re.fullmatch(r"\s*\(@([0-9,:\s]+)\)\s*", text)
    if not m:
        raise ScpiError(-104, text.strip())
    out: list[int] = []
    for part in m.group(1).split(","):
        a, _, b = part.strip().partition(":")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def split_outside(text: str, sep: str) -> list[str]:
    """Split on sep outside quotes and parentheses."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if quote or depth:
        raise ScpiError(-102, "unbalanced quotes or parentheses")
    parts.append("".join(cur))
    return parts


def ieee_block(data: bytes, digits: int | None = None) -> bytes:
    """An IEEE 488.2 definite-length block: '#', N, N-digit length, data (no terminator)."""
    length = str(len(data))
    n = digits if digits is not None else len(length)
    return b"#" + str(n).encode() + length.zfill(n).encode() + data


_HEADER_OK = re.compile(r"^:?[A-Za-z*][A-Za-z0-9_:]*\??$")


class Instrument:
    """Base of every simulated SCPI instrument: dispatch, common commands, error queue."""

    IDN = "SIM,INSTRUMENT,0,0"
    #: Keysight: a new message while a reply is unread discards it with -410.
    QUERY_INTERRUPT = False
    #: Keysight prints '+0,"No error"', Rigol '0,"No error"'.
    ERROR_PLUS = False
    COMMON = (
        ("*IDN?", "q_idn"), ("*RST", "c_rst"), ("*CLS", "c_cls"), ("*OPC?", "q_opc"),
        ("*OPC", "c_noop"), ("*WAI", "c_noop"), ("*ESR?", "q_zero"), ("*STB?", "q_zero"),
        ("*ESE", "c_noop"), ("*SRE", "c_noop"), ("*TST?", "q_zero"),
        (":SYSTem:ERRor[:NEXT]?", "q_error"), (":SYSTem:VERSion?", "q_version"),
        (":SYSTem:REMote", "c_noop"), (":SYSTem:LOCal", "c_noop"),
    )
    COMMANDS: tuple[tuple[str, str], ...] = ()

    def __init__(self) -> None:
        self.errors = ErrorQueue(plus_sign=self.ERROR_PLUS)
        # The dialect's own table first: it may answer a common command its own way (Tek *ESR?).
        self._table = [Command(*compile_pattern(p), h) for p, h in self.COMMANDS + self.COMMON]

    # --- dispatch ------------------------------------------------------------------------------
    async def execute(self, message: str) -> bytes | None:
        """Run one program message; the reply (with terminator) or None if nothing to say."""
        try:
            units = split_outside(message, ";")
        except ScpiError as exc:
            self.errors.push(exc.code, exc.detail)
            return None
        replies: list[bytes] = []
        path = ""
        for unit in units:
            unit = unit.strip()
            if not unit:
                continue
            header, _, rest = unit.partition(" ")
            if not _HEADER_OK.match(header):
                self.errors.push(-102, header)
                continue
            found = self._lookup(header, path)
            if found is None:
                self.errors.push(-113, header)
                continue
            cmd, full, m = found
            if not header.startswith("*"):
                path = full.rsplit(":", 1)[0] if full.count(":") > 1 else ""
            try:
                args = [a.strip() for a in split_outside(rest, ",")] if rest.strip() else []
                if cmd.query is False and header.endswith("?"):
                    raise ScpiError(-113, header)
                call = Call(header, args, [int(g) if g else None for g in m.groups()])
                result = getattr(self, cmd.handler)(call)
                if inspect.isawaitable(result):
                    result = await result
            except ScpiError as exc:
                self.errors.push(exc.code, exc.detail)
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

    # --- common commands -------------------------------------------------------------------------
    def q_idn(self, call: Call) -> str:
        return self.IDN

    def c_rst(self, call: Call) -> None:
        self.reset()

    def reset(self) -> None:
        """*RST: back to the instrument's default settings (dialects override)."""

    def c_cls(self, call: Call) -> None:
        self.errors.clear()

    def q_opc(self, call: Call) -> str:
        return "1"

    def q_zero(self, call: Call) -> str:
        return "0"

    def c_noop(self, call: Call) -> None:
        return None

    def q_error(self, call: Call) -> str:
        return self.errors.pop()

    def q_version(self, call: Call) -> str:
        return "1999.0"


Handler = Callable[[Call], Any]
