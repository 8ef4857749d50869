"""Declarative settings: one line per parameter makes both its set and its query form."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .values import Call, ScpiError

if TYPE_CHECKING:
    from .core import Instrument

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
