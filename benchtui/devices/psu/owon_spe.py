"""Owon SPE series (SPE3103, SPE6103): single-output SCPI (`VOLT`, `CURR`, `OUTP 1`,
`MEAS:VOLT?`, no `INST`, as libsigrok's scpi-pps profile), with command pacing.

Pacing: UNCONFIRMED. Owon's USB-serial/LAN firmware is reported to lose commands sent
back-to-back (the same class of problem as Korad's 80 ms, sigrok); we keep 50 ms between
messages, our choice, here only.
"""

from __future__ import annotations

import re

from ..pacing import Pacing
from .base import ChannelRange
from .generic import GenericScpiPsu


class OwonSPE(GenericScpiPsu):
    DRIVER = "owon-spe"
    MAKERS = r"OWON"
    FAMILY_MODELS = ("SPE", "SP", "ODP")
    PACING = Pacing(gap_s=0.05)
    RANGES = {"SPE3103": {1: ChannelRange(30.0, 10.0)}, "SPE6103": {1: ChannelRange(60.0, 10.0)},
              "SPE3102": {1: ChannelRange(30.0, 10.0)}, "SPE6102": {1: ChannelRange(60.0, 10.0)}}

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^OWON,SPE\d{4}", identity.strip(), re.I))
