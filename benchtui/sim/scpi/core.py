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
import math
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


# --- header patterns ------------------------------------------------------------------------------
#: One node of a header pattern: `[` optional, a mnemonic, a suffix (`#` any number, `[1]` an
#: optional literal number, `2` a literal one), `]`.
_NODE = re.compile(r"(\[)?:?([A-Za-z][A-Za-z_]*)(#|\[\d+\]|\d+)?(\])?")


@dataclass(frozen=True)
class Node:
    long: str
    short: str
    suffix: str      # "" | "#" | "[1]" | "1"
    optional: bool


def parse_pattern(pattern: str) -> list[Node]:
    """The nodes of a header pattern; ValueError if any of it is not SCPI notation."""
    body = pattern[:-1] if pattern.endswith("?") else pattern
    nodes, at = [], 0
    while at < len(body):
        m = _NODE.match(body, at)
        if not m or m.end() == at or (m.group(1) is None) != (m.group(4) is None):
            raise ValueError(f"header pattern {pattern!r}: cannot read {body[at:]!r}")
        opt, name, suffix, _ = m.groups()
        # Mixed case: upper case is the short form. All upper case (LeCroy-style `VOLT_DIV`): as is.
        short = "".join(c for c in name if c.isupper() or c == "_") \
            if any(c.islower() for c in name) else name
        nodes.append(Node(name.upper(), short.upper(), suffix or "", bool(opt)))
        at = m.end()
    return nodes


def compile_pattern(pattern: str) -> tuple[re.Pattern[str], bool]:
    """Compile an SCPI header pattern into a regex over ':'-prefixed headers; (regex, is_query)."""
    query = pattern.endswith("?")
    body = pattern[:-1] if query else pattern
    if body.startswith("*"):
        return re.compile(re.escape(":" + body.upper()) + (r"\?" if query else ""), re.I), query
    parts = []
    for node in parse_pattern(pattern):
        alts = sorted({node.long, node.short}, key=len, reverse=True)
        if node.suffix == "#":
            tail = r"(\d*)"
        elif node.suffix.startswith("["):
            tail = f"(?:{node.suffix[1:-1]})?"
        else:
            tail = node.suffix
        part = ":(?:" + "|".join(alts) + ")" + tail
        parts.append(f"(?:{part})?" if node.optional else part)
    return re.compile("".join(parts) + (r"\?" if query else ""), re.I), query


def header_text(pattern: str, suffixes: list[int | None], long: bool = True) -> str:
    """The header a reply repeats (Tektronix `HEADer ON`): every node, long or short form, upper
    case, with the numbers the command was sent with (`:CH1:SCALE`)."""
    out, values = [], iter(suffixes)
    for node in parse_pattern(pattern):
        number = ""
        if node.suffix == "#":
            value = next(values, None)
            number = str(1 if value is None else value)
        elif node.suffix:
            number = node.suffix.strip("[]")
        out.append(":" + (node.long if long else node.short) + number)
    return "".join(out)


@dataclass(frozen=True)
class Command:
    regex: re.Pattern[str]
    query: bool
    handler: "str | Callable[[Call], Any]"
    pattern: str = ""


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


# --- declarative settings ------------------------------------------------------------------------
Bound = "float | Callable[[Any], float] | None"


def _bound(value: Any, owner: Any) -> float | None:
    return value(owner) if callable(value) else value


@dataclass(frozen=True)
class Number:
    """A numeric parameter: range (numbers or functions of the owner), snapping to steps, an
    integer, and its reply format (a format spec like `.4E`, or a function)."""

    lo: Any = None
    hi: Any = None
    fmt: "str | Callable[[float], str]" = "g"
    steps: tuple[float, ...] | None = None
    integer: bool = False
    keywords: dict[str, float] | None = None

    def parse(self, call: Call, i: int, owner: Any) -> float:
        value = call.number(i, _bound(self.lo, owner), _bound(self.hi, owner), keywords=self.keywords)
        if self.steps:
            value = min(self.steps, key=lambda s: abs(math.log(s / value)) if value > 0 else abs(s))
        return int(round(value)) if self.integer else value

    def format(self, value: Any, inst: "Instrument") -> str:
        return self.fmt(value) if callable(self.fmt) else format(value, self.fmt)


@dataclass(frozen=True)
class Choice:
    """An enumerated parameter: SCPI mnemonics (short or long form match) -> stored value. The
    reply is `reply[value]` when given, else the first mnemonic of that value in the
    instrument's `CHOICE_REPLY` style: "short", "long" (upper case) or "as-written"."""

    options: dict[str, Any]
    reply: dict[Any, str] | None = None

    def parse(self, call: Call, i: int, owner: Any) -> Any:
        return call.choice(i, self.options)

    def format(self, value: Any, inst: "Instrument") -> str:
        if self.reply is not None:
            return self.reply[value]
        mnemonic = next(m for m, v in self.options.items() if v == value)
        style = inst.CHOICE_REPLY
        if style == "as-written":
            return mnemonic
        if style == "long" or not any(c.islower() for c in mnemonic):
            return mnemonic.upper()
        return "".join(c for c in mnemonic if c.isupper() or c.isdigit())


@dataclass(frozen=True)
class Flag:
    """ON|OFF|1|0, answered as `on` / `off`."""

    on: str = "1"
    off: str = "0"

    def parse(self, call: Call, i: int, owner: Any) -> bool:
        return call.boolean(i)

    def format(self, value: Any, inst: "Instrument") -> str:
        return self.on if value else self.off


UNSET = object()  # a Setting without a *RST default


@dataclass(frozen=True)
class Setting:
    """One settable parameter, declared once: its set form `<pattern> <value>` and its query form
    `<pattern>?` both come from this line (SCPI-99: what can be set can be queried).

    `attr` is where the value lives: `name` on the instrument, or `owner.name` where `owner` is an
    attribute of the instrument (`engine.trig_level`) or a method taking the `Call` that returns
    the object addressed (`ch.scale`: the channel of the header's suffix), or a list of them
    (a channel list: each is set, the reply lists each). The value is the last argument (an owner
    method may read the ones before it, `:OUTP:OVP:VAL CH1,5`) unless `value_at` says. `after` names
    an instrument method called with the owner once a value is stored; `default` is stored at
    `*RST`; `unit` is what a dialect that prints units appends.
    """

    pattern: str
    attr: str
    arg: "Number | Choice | Flag"
    after: str | None = None
    default: Any = UNSET
    unit: str = ""
    #: Index of the value among the arguments (Keysight `VOLT 3.3,(@1)`: 0; default the last).
    value_at: int = -1

    def owner(self, inst: "Instrument", call: Call | None) -> tuple[Any, str]:
        *path, name = self.attr.split(".")
        target: Any = inst
        for i, part in enumerate(path):
            target = getattr(target, part)
            if i == 0 and inspect.ismethod(target):
                target = target(call)
        return target, name

    def set(self, inst: "Instrument", call: Call) -> None:
        if not call.args:
            raise ScpiError(-109)
        owner, name = self.owner(inst, call)
        owners = owner if isinstance(owner, list) else [owner]
        at = self.value_at % len(call.args)
        values = [self.arg.parse(call, at, o) for o in owners]   # all checked before any is set
        for o, value in zip(owners, values):
            setattr(o, name, value)
            if self.after:
                getattr(inst, self.after)(o)

    def get(self, inst: "Instrument", call: Call) -> str:
        owner, name = self.owner(inst, call)
        owners = owner if isinstance(owner, list) else [owner]
        return inst.reply(call, self, ",".join(self.arg.format(getattr(o, name), inst) for o in owners))

    def apply_default(self, inst: "Instrument") -> None:
        if self.default is not UNSET:
            owner, name = self.owner(inst, None)
            setattr(owner, name, self.default)


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
    COMMANDS: tuple[tuple[str, str], ...] = ()
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
        table += [Command(*compile_pattern(p), h, p) for p, h in self.COMMANDS + self.COMMON]
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
