"""Looking after every cycle without inflating the error: alpha spending.

A loop that stops as soon as a finding separates tests again after every cycle. Tested each time
at the full family-wise level, a run of pure chance would sooner or later "separate" (that is
the inflation a fixed-sample rule suffers when watched). `SpendingPlan` gives each look its own
share of the error instead: by cycle n at most

    spent(n) = alpha * ln(1 + (e - 1) * n / max_cycles)

has been spent (Lan and DeMets' spending function of the Pocock type, which spends the error
about evenly over the looks, so that a clear signature stops the loop early), and look n tests
the family at level spent(n) - spent(n - 1). Every look's test is valid on its own at its level
(exact rank tests, Holm over the family), so the chance that *any* look claims a finding on a
board with no effect is at most the sum of the levels, spent(max_cycles) = alpha, whatever the
correlation between looks (Bonferroni over looks: no normal approximation of the path needed,
at the price of some power). Looks where too few failures were seen to test spend their share
unused. Stopping because a signature can be ruled out (the "by elimination" answer) only
removes claims, so it costs no error.

Reference: K. K. G. Lan and D. L. DeMets, "Discrete sequential boundaries for clinical trials",
Biometrika 70 (1983) 659–663.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The family-wise error rate every decision is held to (fixed sample or over all looks).
FAMILY_ALPHA = 0.05
#: At most this many cycles when a run watched until diagnosed is given no maximum.
DEFAULT_MAX_CYCLES = 100


@dataclass(frozen=True)
class SpendingPlan:
    """Alpha spent over looks after cycles 1..max_cycles."""

    max_cycles: int
    alpha: float = FAMILY_ALPHA

    def spent(self, n: int) -> float:
        """Family-wise error spent by the look after cycle n (all of it from max_cycles on)."""
        t = min(1.0, max(0, n) / self.max_cycles)
        return self.alpha * math.log(1 + (math.e - 1) * t)

    def level(self, n: int) -> float:
        """The family-wise level of the look after cycle n (0 beyond max_cycles)."""
        if n < 1 or n > self.max_cycles:
            return 0.0
        return self.spent(n) - self.spent(n - 1)

    def describe(self, n: int) -> str:
        return (f"sequential: look after cycle {n} of at most {self.max_cycles}, at level {self.level(n):.2g} "
                f"({self.spent(n):.3f} of α = {self.alpha:g} spent; Lan–DeMets Pocock-type alpha spending)")


def fixed_rule(n: int, alpha: float = FAMILY_ALPHA) -> str:
    return f"fixed sample: {n} cycles at family-wise α = {alpha:g}"


__all__ = ["DEFAULT_MAX_CYCLES", "FAMILY_ALPHA", "SpendingPlan", "fixed_rule"]
