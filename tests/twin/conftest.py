"""Shared fixtures for the twin tests: a fresh ZI twin registered with the pyOCD plugin."""

from __future__ import annotations

import pytest
from pyocd.core.helpers import ConnectHelper

from benchtui.sim.twin.mcu import Stm32Twin
from benchtui.sim.twin.registry import register_twin, unregister_twin


@pytest.fixture
def twin():
    return Stm32Twin("zi")


@pytest.fixture
def uid(twin):
    uid = register_twin(twin)
    yield uid
    unregister_twin(uid)


def open_session(uid: str, tmp_path, **options):
    """A stock pyOCD session on the twin, connected under reset like the bench does."""
    return ConnectHelper.session_with_chosen_probe(
        unique_id=uid, target_override="stm32f767zi", connect_mode="under-reset",
        project_dir=str(tmp_path), options={"frequency": 4_000_000, **options})
