"""SCPI header patterns: `[:SOURce#]:VOLTage[:LEVel]`-style notation compiled to regexes.

Upper-case letters are the short form, the whole mnemonic the long form (only those two
spellings match, case-insensitive), `[...]` marks an optional node, `#` a numeric suffix
(`SOURce2`, passed to the handler) and `[1]` an optional literal one (`SOUrce[1]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
