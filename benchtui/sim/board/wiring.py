"""How the scope's probes sit on the board: the bench's wiring, with the mistakes people make.

`ProbeWiring(swap=("VDD", "VCAP1"))`: the probe meant for VDD is on VCAP1 and the other way
round (whichever channel the profile maps to VDD shows VCAP1). `ratios={"NRST": 10}`: the probe
on NRST is a 10x probe; the channel shows the net times its probe setting over 10 (a channel set
1x reads a tenth), as a real scope does with a probe whose ratio it was not told. A net without a
ratio has a probe that matches its channel's setting. The default is a correct bench.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProbeWiring:
    swap: tuple[str, ...] = ()
    ratios: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.swap and (len(self.swap) != 2 or self.swap[0] == self.swap[1]):
            raise ValueError(f"swap_nets needs two different nets, got {list(self.swap)}")

    def tip(self, net: str) -> str:
        """The net the probe meant for `net` touches."""
        if len(self.swap) == 2 and net in self.swap:
            return self.swap[1] if net == self.swap[0] else self.swap[0]
        return net

    def gain(self, net: str, setting: float) -> float:
        """What the channel multiplies the net by: its probe setting over the probe's real ratio."""
        ratio = self.ratios.get(net)
        return 1.0 if ratio is None or setting <= 0 else setting / ratio
