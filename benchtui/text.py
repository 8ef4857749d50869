"""Text from outside benchtui made safe to show: the one helper every output edge uses.

Strings that come from a profile (names, labels, resources, paths), an instrument (`*IDN?`, error
queue entries), a firmware file name or a results database may hold characters a terminal or a
document acts on: ESC and CSI/OSC sequences recolour the terminal, set its title or clear it; CR,
LF and the Unicode line separators forge lines ("FAKE: all passed"); bidi overrides reorder what
is read. `printable()` escapes every such character the way a Python repr does (`\\x1b`,
`\\r`, `\\u202e`), so that the text is shown, never obeyed, and stays on one line.

It is applied where text leaves for a terminal, the console, a log line or a report (the CLI's
print sites, `BenchError.one_line`, the text and Markdown reports, the console's log), not where
the text is stored: the database and the exports keep the value as it was given.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any, Iterable

#: Unicode categories escaped: controls (C0, DEL, C1), format characters (bidi overrides and
#: isolates, zero-width characters, the BOM), surrogates, code points unassigned in this
#: Python's Unicode table, and the line and paragraph separators. Spaces (Zs, e.g. U+00A0),
#: marks and private-use characters (icon fonts) are kept.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(c: str) -> str:
    if c in _SHORT:
        return _SHORT[c]
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def is_printable(text: str) -> bool:
    """True if `text` holds no character `printable()` would escape."""
    if text.isascii():
        return text.isprintable()
    return not any(unicodedata.category(c) in UNSAFE_CATEGORIES for c in text)


def printable(text: Any) -> str:
    """`text` (str() of it) with every control, format or separator character escaped, so
    that it shows as one line and no terminal or viewer acts on it. A backslash is left as it
    is: `\\x1b` in the output is either an escaped ESC or those four characters as written."""
    text = text if isinstance(text, str) else str(text)
    if text.isascii() and text.isprintable():   # the common case, in C
        return text
    return "".join(_escape(c) if unicodedata.category(c) in UNSAFE_CATEGORIES else c for c in text)


def printable_lines(lines: Iterable[str]) -> str:
    """Lines joined by newlines, each made printable first: a newline inside one of them (a
    name from a database) is shown as `\\n`, never starts a line of its own."""
    return "\n".join(printable(line) for line in lines)


class TerminalWriter:
    """A text stream for a terminal that writes each `write()` printable but for one line end
    at its end: a CSV or JSON-lines export shown on a terminal (a row per write, as the csv
    module writes them) cannot act on it, while the same export to a file or a pipe is the
    data as stored (the exports are data; GNU `ls` quotes file names the same way, on a
    terminal only)."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        body = text.rstrip("\r\n")
        self.stream.write(printable(body) + text[len(body):].replace("\r", ""))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


class PrintableFormatter(logging.Formatter):
    """A log formatter whose messages are printable (`%(message)s` may carry an instrument's
    reply or a file name); a traceback appended to the record keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = printable(record.message)
        return super().formatMessage(record)


__all__ = ["PrintableFormatter", "TerminalWriter", "UNSAFE_CATEGORIES", "is_printable", "printable", "printable_lines"]
