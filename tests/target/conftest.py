"""Fixtures: STM32F767 twins reached through the stock pyOCD probe plugin, and a seed-like hex."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from intelhex import IntelHex

from benchtui.profile import AddressAlias, TargetConfig

ITCM_ALIAS = AddressAlias(start=0x00200000, target=0x08000000, size=0x00100000)
SEED_SIZE = 705_413  # 688.88 KB, the size in the seed's log


def write_hex(path: Path, size: int, base: int = 0x00200000, seed: int = 767) -> Path:
    """A Cortex-M-looking image (vector table + pseudo-random body) as Intel HEX."""
    rng = random.Random(seed)
    head = struct.pack("<II", 0x20020000, base + 0x201)
    ih = IntelHex()
    ih.frombytes(head + rng.randbytes(size - len(head)), offset=base)
    ih.write_hex_file(str(path))
    return path


@pytest.fixture(scope="session")
def seed_hex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hex(tmp_path_factory.mktemp("fw") / "stm32f767-board-test-v1.hex", SEED_SIZE)


@pytest.fixture
def small_hex(tmp_path: Path) -> Path:
    """40 KB at the ITCM alias: sectors 0 and 1 of a ZG."""
    return write_hex(tmp_path / "small.hex", 40 * 1024, seed=1)


def make_twin(variant: str = "zg", power=None):
    from benchtui.sim.twin.mcu import Stm32Twin
    return Stm32Twin(variant, power=power, time_scale=0.0)


def register(twin) -> str:
    import pyocd  # noqa: F401  (load pyOCD before the plugin module, as a real client would)
    from benchtui.sim.twin.registry import register_twin
    return register_twin(twin)


def config(uid: str, **kw) -> TargetConfig:
    kw.setdefault("aliases", (ITCM_ALIAS,))
    return TargetConfig(probe_uid=uid, target_type="stm32f767zg", **kw)


@pytest.fixture
def link():
    """A TargetLink connected under reset to a fresh ZG twin."""
    from benchtui.devices.target import TargetLink

    twin = make_twin("zg")
    target = TargetLink(config(register(twin)))
    target.connect()
    target.twin = twin  # for tests that look at the silicon's side
    yield target
    target.disconnect()
