"""SCPI values: error codes and the error queue, one parsed message unit (`Call`) and its
arguments (decimal numbers with units, channel lists, quoted strings), IEEE 488.2 blocks."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any

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
    """The instrument's SCPI error/event queue (FIFO, -350 on overflow).

    Dialects read it through `next()` (code, detail) or `pop()` (the SCPI-99 reply text), and
    `clear()` it; nothing outside reaches into the deque.
    """

    def __init__(self, plus_sign: bool = False):
        self._q: deque[tuple[int, str]] = deque()
        self._plus = plus_sign

    def push(self, code: int, detail: str = "") -> None:
        if len(self._q) >= ERROR_QUEUE_SIZE:
            self._q[-1] = (-350, "")
            return
        self._q.append((code, detail))

    def next(self) -> tuple[int, str]:
        """The oldest entry, removed; (0, "") when the queue is empty."""
        return self._q.popleft() if self._q else (0, "")

    def drain(self) -> list[tuple[int, str]]:
        """Every entry, oldest first; the queue is empty afterwards."""
        entries, self._q = list(self._q), deque()
        return entries

    def pop(self) -> str:
        """`SYST:ERR?`: the oldest entry as `<code>,"<text>"`."""
        code, detail = self.next()
        text = ERROR_TEXT.get(code, "Error") + (f"; {detail}" if detail else "")
        return f"{code:+d},\"{text}\"" if self._plus else f"{code:d},\"{text}\""

    def clear(self) -> None:
        self._q.clear()

    def __len__(self) -> int:
        return len(self._q)


@dataclass
class Call:
    """One parsed program message unit, handed to a handler."""

    header: str
    args: list[str]
    suffixes: list[int | None]
    pattern: str = ""

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
