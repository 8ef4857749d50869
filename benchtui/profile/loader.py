"""A validated TOML -> frozen dataclass loader, strict and with one-line errors.

Fields carry their validation in metadata (`option`): range, choices, a path to resolve, the TOML
key when it differs from the field name. An unknown key is an error with a "did you mean"; every
error names the file, the line, the key path and the value as written.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
import types
import typing
import unicodedata
from dataclasses import field
from pathlib import Path
from typing import Any

from ..errors import ProfileError
from ..text import is_printable, printable

#: How deep tables and arrays may nest (tomllib itself recurses; profiles are 3 deep).
MAX_NESTING = 32
#: Longest value shown in an error message.
VALUE_PREVIEW = 60


def option(default: Any = dataclasses.MISSING, *, key: str | None = None, lo: float | None = None,
       hi: float | None = None, choices: tuple | None = None, lo_open: bool = False,
       path: bool = False) -> Any:
    """A dataclass field with validation metadata used by the loader."""
    meta = {"key": key, "lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open, "path": path}
    if isinstance(default, (dict, list, tuple)) and default != ():
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)




class Ctx:
    """Where we are while validating: the file, its text (for line numbers) and the key path."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()

    def line_of(self, keypath: tuple[str, ...]) -> int | None:
        """Best-effort line number of `keypath` in the TOML text (None when not found)."""
        clean = tuple(re.sub(r"\[\d+\]$", "", k) for k in keypath)
        candidates = [(clean[:-1], clean[-1])] if clean else []
        if len(clean) >= 2:  # a key inside an inline table: find the line that opens it
            candidates.append((clean[:-2], clean[-2]))
        for tables, key in candidates:
            current: tuple[str, ...] = ()
            for number, raw in enumerate(self.lines, 1):
                line = raw.strip()
                header = re.match(r"^\[+\s*([^\]]+?)\s*\]+", line)
                if header:
                    current = tuple(p.strip().strip('"') for p in header.group(1).split("."))
                    if current == tables + (key,):
                        return number
                    continue
                assign = re.match(r'^"?([A-Za-z0-9_\-]+)"?\s*=', line)
                if assign and assign.group(1) == key and current == tables:
                    return number
        return None

    def raw_text(self, keypath: tuple[str, ...]) -> str | None:
        """The value of `keypath` as written in the file (e.g. `1e309`, which TOML reads as inf)."""
        line = self.line_of(keypath)
        if not line or not keypath:
            return None
        key = re.sub(r"\[\d+\]$", "", keypath[-1])
        match = re.search(rf'(?:^|[\s{{,]){re.escape(key)}"?\s*=\s*([^,}}\]\s#]+)', self.lines[line - 1])
        return match.group(1) if match else None

    def error(self, keypath: tuple[str, ...], message: str) -> ProfileError:
        key = printable(".".join(keypath)) or "<top>"
        line = self.line_of(keypath)
        where = f"{self.file}:{line}" if line else self.file
        return ProfileError(f"{where}: {key}: {message}")


def show(value: Any) -> str:
    """repr(value), shortened for a one-line message."""
    text = printable(repr(value)) if not isinstance(value, (list, dict)) else printable(
        repr(value)[:VALUE_PREVIEW * 2])
    return text if len(text) <= VALUE_PREVIEW else text[:VALUE_PREVIEW - 3] + "..."


def depth(value: Any, limit: int) -> int:
    """Nesting depth of tables/arrays, counting no further than `limit` + 1 (no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def hints(unknown: str, known: list[str]) -> str:
    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(sorted(known))})"


def toml_key(f: dataclasses.Field) -> str:
    return f.metadata.get("key") or f.name


def build(cls: type, table: Any, ctx: Ctx, keypath: tuple[str, ...], base: Path) -> Any:
    if not isinstance(table, dict):
        raise ctx.error(keypath, f"expected a table, got {show(table)}")
    types_of = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    by_key = {toml_key(f): f for f in fields}
    for key in table:
        if key not in by_key:
            raise ctx.error(keypath + (key,), "unknown key" + hints(key, list(by_key)))
    values = {}
    for key, f in by_key.items():
        if key in table:
            values[f.name] = _convert(types_of[f.name], table[key], f, ctx, keypath + (key,), base)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ctx.error(keypath + (key,), "missing required key")
        elif f.default is None and dataclasses.is_dataclass(_unwrap(types_of[f.name])) \
                and not _is_optional(types_of[f.name]):
            values[f.name] = build(_unwrap(types_of[f.name]), {}, ctx, keypath + (key,), base)
    return cls(**values)


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _unwrap(tp: Any) -> Any:
    if _is_optional(tp):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _convert(tp: Any, value: Any, f: dataclasses.Field, ctx: Ctx, keypath: tuple[str, ...],
             base: Path) -> Any:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, ctx, keypath, base)
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise ctx.error(keypath, f"expected a list, got {show(value)}")
        items = []
        for i, item in enumerate(value):
            items.append(_convert(item_tp, item, f, ctx, keypath[:-1] + (f"{keypath[-1]}[{i}]",), base))
        return tuple(items)
    if origin is dict:
        item_tp = typing.get_args(tp)[1]
        if not isinstance(value, dict):
            raise ctx.error(keypath, f"expected a table, got {show(value)}")
        for k in value:
            _require_printable(k, ctx, keypath + (k,), "the key")
        return {k: _convert(item_tp, v, f, ctx, keypath + (k,), base) for k, v in value.items()}
    return _scalar(tp, value, f, ctx, keypath, base)


def _scalar(tp: Any, value: Any, f: dataclasses.Field, ctx: Ctx, keypath: tuple[str, ...],
            base: Path) -> Any:
    meta = f.metadata
    if tp is bool:
        if not isinstance(value, bool):
            raise ctx.error(keypath, f"expected true or false, got {show(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(keypath, f"expected a whole number, got {show(value)}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(keypath, f"expected a number, got {show(value)}")
        value = float(value)
        if not math.isfinite(value):
            # TOML reads nan, inf and numbers too large for a double (1e309) as non-finite.
            raise ctx.error(keypath, f"{ctx.raw_text(keypath) or repr(value)} is not a finite number")
    elif tp is str:
        if not isinstance(value, str):
            raise ctx.error(keypath, f"expected a string, got {show(value)}")
        _require_printable(value, ctx, keypath)
        if meta.get("path") and value and "://" not in value:  # a URL (postgresql://) stays as it is
            value = _path(value, base, ctx, keypath)
    choices = meta.get("choices")
    if choices and value not in choices:
        close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ctx.error(keypath, f"{show(value)} is not one of {', '.join(map(str, choices))}{hint}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        bound = f"greater than {lo}" if meta.get("lo_open") else f"at least {lo}"
        raise ctx.error(keypath, f"{value!r} is out of range: must be {bound}")
    if hi is not None and value > hi:
        raise ctx.error(keypath, f"{value!r} is out of range: must be at most {hi}")
    return value


def _require_printable(value: str, ctx: Ctx, keypath: tuple[str, ...], what: str = "") -> None:
    """Refuse a string holding a control, format or line-separator character (text.py).

    Refused outright rather than escaped when shown: every string of a profile ends up on a
    terminal, in the console or in a report (a name, a label, a resource, a path), none has a
    use for ESC, CR, LF or a bidi override, and a value shown escaped would not be the value the
    bench uses. Output is still escaped at every edge: a database or an instrument does not pass
    through this loader.
    """
    if is_printable(value):
        return
    bad = next(c for c in value if not is_printable(c))
    kind = _KINDS.get(unicodedata.category(bad), "an unassigned character")
    subject = f"{what} {show(value)}" if what else show(value)
    raise ctx.error(keypath, f"{subject} holds {printable(bad)}, {kind}, at position "
                             f"{value.index(bad)}: names, labels, resources and paths must be "
                             "printable text")


_KINDS = {"Cc": "a control character", "Cf": "a format character (bidi or zero-width)",
          "Cs": "a lone surrogate", "Zl": "a line separator", "Zp": "a paragraph separator"}


def _path(value: str, base: Path, ctx: Ctx, keypath: tuple[str, ...]) -> str:
    """A path from the profile, `~` expanded, relative to the profile's folder."""
    if "\0" in value:
        raise ctx.error(keypath, f"{show(value)} is not a usable path (it contains a NUL byte)")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~nouser/...": no such user, or no home directory to expand "~"
        user = value[1:].split("/", 1)[0]
        who = f"no user {user!r}" if user else "no home directory"
        raise ctx.error(keypath, f"{show(value)}: cannot expand '~' ({who})") from None
    return str(path if path.is_absolute() else base / path)


def located_error(source: str | None, keypath: tuple[str, ...], message: str) -> ProfileError:
    """A ProfileError for `keypath` of the profile file `source`, naming its line when the file
    can be read again (a check made after loading, e.g. against pyOCD's target list)."""
    text = ""
    if source and source != "<memory>":
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    return Ctx(source or "profile", text).error(keypath, message)


def read_toml(text: str, source: str) -> tuple[dict[str, Any], Ctx]:
    """Parse TOML text into a table, refusing nesting deeper than MAX_NESTING."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {printable(str(exc))}") from None
    except RecursionError:  # tomllib parses nested arrays / inline tables recursively
        raise ProfileError(f"{source}: not a usable profile: arrays or tables nest too deep "
                           f"(more than {MAX_NESTING} levels)") from None
    if depth(data, MAX_NESTING) > MAX_NESTING:
        raise ProfileError(f"{source}: not a usable profile: arrays or tables nest too deep "
                           f"(more than {MAX_NESTING} levels)")
    return data, Ctx(source, text)


def read_text(path: Path, what: str = "profile") -> str:
    """The UTF-8 text of a file, or a one-line ProfileError saying why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: is a folder, not a {what} file") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ProfileError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02X} at offset "
                           f"{exc.start}); save the {what} as UTF-8") from None
