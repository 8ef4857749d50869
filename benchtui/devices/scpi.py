"""SCPI reply parsers and the declarative operation the dialects are written with.

`Scpi` is PyMeasure's `control` in spirit: one operation = command template(s) + an optional reply
parser, so that each dialect is a table of templates rather than a wall of f-strings. The parsers
take one reply line and raise ValueError (or guard.ReplyError, with the reason) for anything that
is not a true answer; `VisaSession.query_parsed` turns that into one InstrumentGarbage line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import guard

#: How many leading bytes of a bad reply go into an InstrumentGarbage message.
GARBAGE_PREVIEW = 40


def parse_float(text: str) -> float:
    """A finite SCPI number (NR1/NR2/NR3; a unit suffix such as 'V', NaN and inf are refused)."""
    return guard.finite(text.strip())


def parse_int(text: str) -> int:
    """A whole SCPI number ('8', '+8', '8.0', '8E+0'); '8.5', 'inf', 'nan' are refused."""
    return guard.integer(text.strip())


def parse_bool(text: str) -> bool:
    """'1'/'0'/'ON'/'OFF' (Rigol answers ON/OFF, Keysight and SCPI-99 answer 1/0)."""
    word = text.strip().upper()
    if word in ("1", "ON", "+1"):
        return True
    if word in ("0", "OFF", "+0"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_word(text: str) -> str:
    """A bare keyword reply (e.g. 'CV', 'WAIT'), upper-cased, quotes stripped."""
    word = text.strip().strip('"').upper()
    if not word or not re.fullmatch(r"[A-Z0-9_'+-]+", word):
        raise ValueError(f"not a keyword: {text!r}")
    return word


_ERR = re.compile(r'^\s*([+-]?\d+)\s*(?:,\s*)?"?(.*?)"?\s*$')


def parse_error(text: str) -> tuple[int, str]:
    """`SYST:ERR?` -> (code, text): '0,"No error"', '+0,"No error"', Siglent '0  No error'."""
    match = _ERR.match(text)
    if not match:
        raise ValueError(f"not an error queue entry: {text!r}")
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Scpi:
    """One instrument operation: command template(s), and for a query, how to read the reply.

    Templates use `str.format` fields (`{ch}`, `{v}`); a tuple sends several messages in order
    (e.g. select the channel, then set). With `parse`, the last message is a query and its reply
    goes through `parse` (ValueError -> InstrumentGarbage naming the command).
    """

    template: str | tuple[str, ...]
    parse: Callable[[str], Any] | None = None

    def render(self, **fields: Any) -> list[str]:
        templates = (self.template,) if isinstance(self.template, str) else self.template
        return [t.format(**fields) for t in templates]


def preview(data: bytes | str) -> str:
    """The first bytes of a reply, printable, for an error message."""
    if isinstance(data, str):
        data = data.encode("latin-1", "replace")
    head = data[:GARBAGE_PREVIEW]
    text = repr(bytes(head))[2:-1]
    return text + ("..." if len(data) > GARBAGE_PREVIEW else "")



def expected_of(parse: Callable[[str], Any]) -> str:
    return {parse_float: "a number", parse_int: "an integer", parse_bool: "ON/OFF or 1/0",
            parse_word: "a keyword"}.get(parse, "a valid reply")
