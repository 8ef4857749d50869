"""Fixtures for the instrument driver tests: a scripted SCPI peer and profile sections."""

from __future__ import annotations

import pytest

from benchtui.profile import PsuConfig, ScopeChannel, ScopeConfig, TriggerConfig

from .scpi_peer import ScriptedPeer


@pytest.fixture
def peer_factory():
    """Make scripted peers; each is closed, and checked to be fully consumed, at the end."""
    peers: list[ScriptedPeer] = []

    def make(script=(), **kw) -> ScriptedPeer:
        peer = ScriptedPeer(script, **kw)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


def psu_cfg(resource: str, driver: str = "auto", **kw) -> PsuConfig:
    values = dict(resource=resource, driver=driver, channel=1, voltage=3.3, current_limit=0.5,
                  max_voltage=3.6, max_current=1.0, timeout_ms=1000)
    values.update(kw)
    return PsuConfig(**values)


STANDARD_CHANNELS = {
    "VDD": ScopeChannel(channel=1, scale=1.0),
    "VCAP1": ScopeChannel(channel=2, scale=0.2, offset=-1.2),
    "VCAP2": ScopeChannel(channel=3, scale=0.2, offset=-1.2),
    "NRST": ScopeChannel(channel=4, scale=1.0),
}


def scope_cfg(resource: str, driver: str = "auto", **kw) -> ScopeConfig:
    values = dict(resource=resource, driver=driver, timeout_ms=2000, format="BYTE",
                  channels=STANDARD_CHANNELS,
                  power_up=TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002,
                                         pretrigger=0.1))
    values.update(kw)
    return ScopeConfig(**values)
