"""How values are written into, and read back from, either backend: numbers (NaN and infinity
become NULL), JSON snapshots and details, and waveforms (float32 little-endian, zlib)."""

from __future__ import annotations

import json
import math
import zlib
from typing import Any

import numpy as np

from ...errors import StoreError


def number(value: Any, what: str) -> float | None:
    """A float for the database (None for missing, NaN or infinite), or StoreError naming the field."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise StoreError(f"{what}: {value!r} is not a number") from None
    return result if math.isfinite(result) else None


def to_json(value: Any, what: str) -> str:
    """JSON text for a snapshot/details dict; numpy values and bytes are converted, other
    objects are stored as their str() rather than losing the cycle."""
    try:
        return json.dumps(value, default=_jsonable, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what}: cannot be stored as JSON ({exc})") from None


def from_json(text: str | None, where: str) -> Any:
    """The stored JSON text back as data (a damaged text is a StoreError naming the store)."""
    if text is None:
        return {}
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StoreError(f"{where}: a stored JSON value is corrupt ({exc})") from None


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (bytes, bytearray)):
        return obj.hex()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    return str(obj)


def pack_volts(volts: Any, what: str) -> tuple[int, bytes]:
    """(sample count, compressed bytes) of a waveform's samples."""
    try:
        samples = np.asarray(volts, dtype="<f4").ravel()
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what}: samples are not numbers ({exc})") from None
    return len(samples), zlib.compress(samples.tobytes(), 6)


def unpack_volts(data: bytes | memoryview, samples: int, where: str) -> np.ndarray:
    """The samples of a stored waveform as float64 volts."""
    try:
        volts = np.frombuffer(zlib.decompress(data), dtype="<f4")
    except zlib.error as exc:
        raise StoreError(f"{where}: a stored waveform is corrupt ({exc})") from None
    if len(volts) != samples:
        raise StoreError(f"{where}: a stored waveform has {len(volts)} samples, expected {samples}")
    return volts.astype(np.float64)


__all__ = ["from_json", "number", "pack_volts", "to_json", "unpack_volts"]


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
