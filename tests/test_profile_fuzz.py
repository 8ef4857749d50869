"""Profile fuzz: whatever a profile file holds, it loads as a sane profile or raises ProfileError.

A valid profile is mutated (values replaced by numbers at the edge of a double, NaN, inf, wrong
types, odd strings; keys dropped or added), written as TOML text and loaded. The only outcomes
allowed are a Profile whose every number is finite, inside its declared range and whose setpoints
are within its own maxima, or a one-line ProfileError. Raw byte mutations of a shipped profile
go through `load_profile` from a file the same way.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchtui.errors import ProfileError
from benchtui.profile import Profile, bundled, load_profile, parse_profile

DEMO = bundled.path(bundled.DEMO)

BASE: dict[str, Any] = {
    "name": "fuzz",
    "target": {"probe_uid": "x", "frequency_hz": 4_000_000, "firmware": "fw.hex",
               "aliases": [{"from": 0x00200000, "to": 0x08000000, "size": 0x00200000}]},
    "psu": {"resource": "TCPIP0::127.0.0.1::5555::SOCKET", "channel": 1, "voltage": 3.3,
            "current_limit": 0.5, "max_voltage": 3.6, "max_current": 1.0, "timeout_ms": 2000},
    "scope": {"resource": "TCPIP0::127.0.0.1::5557::SOCKET", "timeout_ms": 5000,
              "channels": {"VDD": {"channel": 1, "scale": 1.0, "min": 3.0, "max": 3.6},
                           "VCAP1": {"channel": 2, "scale": 0.2, "offset": -1.2, "min": 1.1}},
              "power_up": {"source": "VDD", "level": 1.5, "timebase": 0.002, "pretrigger": 0.1},
              "fault_catch": {"source": "VCAP1", "level": 1.1, "slope": "falling"}},
    "cycle": {"count": 5, "off_s": 0.3, "on_settle_s": 0.05, "trigger_timeout_s": 2.0,
              "retries": {"connect": 1}},
    "store": {"database": "x.db"},
    "sim": {"scenario": "healthy", "seed": 7, "time_scale": 0.0, "psu_port": 0},
}


def _leaves(tree: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(tree, dict):
        return [p for k, v in tree.items() for p in _leaves(v, path + (k,))]
    if isinstance(tree, list):
        return [p for i, v in enumerate(tree) for p in _leaves(v, path + (i,))]
    return [path]


LEAVES = _leaves(BASE)
EDGE_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 0, -1, 2**63 - 1,
                -(2**63), 1e300, 29.0, 25.0, 2.5]


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        if v.startswith("\x00RAW:"):
            return v[5:]  # a literal TOML token (date, 1e309, ...)
        return json.dumps(v)  # a TOML basic string (JSON escapes are TOML escapes)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(tree: dict) -> str:
    return "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in tree.items()) + "\n"


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.booleans(),
    text_values,
    st.sampled_from(["\x00RAW:1e309", "\x00RAW:-1e309", "\x00RAW:1979-05-27T07:32:00Z",
                     "\x00RAW:07:32:00", "\x00RAW:+nan", "\x00RAW:0x7FFFFFFFFFFFFFFF",
                     "~nouser-benchtui/x", "~", "", "a\nb", "../../x"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(text_values, scalars, max_size=2))


def _set(tree: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    if value is _DELETE:
        if isinstance(tree, dict):
            del tree[path[-1]]
    else:
        tree[path[-1]] = value


_DELETE = object()


@st.composite
def mutated_profiles(draw: st.DrawFn) -> dict:
    tree = json.loads(json.dumps(BASE))
    for path in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=4, unique=True)):
        _set(tree, path, draw(st.one_of(values, st.just(_DELETE))))
    if draw(st.booleans()):
        section = draw(st.sampled_from([k for k, v in tree.items() if isinstance(v, dict)] or ["psu"]))
        if isinstance(tree.get(section), dict):
            tree[section][draw(text_values)] = draw(scalars)
    return tree


def assert_sane(profile: Profile) -> None:
    """Every number finite and in its declared range; setpoints within the profile's maxima."""
    def walk(obj: Any) -> None:
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                meta = f.metadata
                if isinstance(value, float):
                    assert math.isfinite(value), (f.name, value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    if meta.get("lo") is not None:
                        assert value >= meta["lo"], (f.name, value)
                    if meta.get("hi") is not None:
                        assert value <= meta["hi"], (f.name, value)
                walk(value)
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                walk(item)
    walk(profile)
    assert profile.psu.voltage <= profile.psu.max_voltage
    assert profile.psu.current_limit <= profile.psu.max_current


def load_or_error(text: str) -> Profile | None:
    try:
        profile = parse_profile(text, source="fuzz.toml", base=Path("/tmp"))
    except ProfileError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml") and "\n" not in message and len(message) < 400, message
        return None
    assert_sane(profile)
    return profile


def test_the_base_profile_of_the_fuzz_loads() -> None:
    assert load_or_error(to_toml(BASE)) is not None


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_profiles())
def test_every_generated_profile_loads_sane_or_raises_profile_error(tree: dict) -> None:
    load_or_error(to_toml(tree))



def _get(tree: Any, path: tuple) -> Any:
    for key in path:
        tree = tree[key]
    return tree


NUMBER_LEAVES = [p for p in LEAVES if isinstance(_get(BASE, p), float)]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(NUMBER_LEAVES),
       st.sampled_from([math.nan, math.inf, -math.inf, "\x00RAW:1e309", "\x00RAW:-1e309",
                        "\x00RAW:+nan", "\x00RAW:-nan", "\x00RAW:+inf"]))
def test_nan_and_inf_never_load(path: tuple, value: Any) -> None:
    tree = json.loads(json.dumps(BASE))
    _set(tree, path, value)
    assert load_or_error(to_toml(tree)) is None, f"{'.'.join(map(str, path))} = {value!r} loaded"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_byte_mutations_of_a_shipped_profile_load_or_raise_profile_error(tmp_path: Path,
                                                                          data: st.DataObject) -> None:
    raw = bytearray(DEMO.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(b"[]{}=\"'.,#\n0123456789e+-naif \xb5\xff\x00")))
        if op == "replace":
            raw[pos] = byte
        elif op == "insert":
            raw.insert(pos, byte)
        else:
            del raw[pos]
    path = tmp_path / "mutated.toml"
    path.write_bytes(bytes(raw))
    try:
        profile = load_profile(path)
    except ProfileError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc), str(exc)
        return
    assert_sane(profile)
