"""The rules of the board comparison, in one place (the package docstring says how they are used)."""

from __future__ import annotations

#: Cycles a board (or bench) needs before it is compared with the others.
MIN_CYCLES = 3
#: Boards with enough cycles needed for a comparison at all.
MIN_BOARDS = 5
#: Robust z-score beyond which a board's median is unlike its siblings'.
Z_STANDOUT = 5.0
#: ...and its cycles must separate from the siblings' this well by rank (AUC or 1 - AUC),
AUC_STANDOUT = 0.9
#: ...significantly: Mann-Whitney p below this, Bonferroni-corrected over boards x features.
RANK_ALPHA = 0.05
#: Family-wise error rate of the rate comparisons (Bonferroni over groups x modes/flags).
RATE_ALPHA = 0.01
#: Smallest difference between a board's rate and its siblings' that counts.
MIN_RATE_GAP = 0.2
#: Rail features shown per board in the table.
KEY_FEATURES = 3
#: Differences quoted per standing-out board in the text (JSON carries all).
QUOTED = 4
#: Feature kinds that describe the board's supply: listed first.
RAIL_KINDS = ("rail", "psu")
#: Kinds whose durations are wall-clock step times (not compared: the bench PC's load shows in
#: them as much as the board; their counts, e.g. connect attempts, are compared).
CLOCK_KINDS = ("timing", "link")
#: Finest difference worth a word, by unit (UNCONFIRMED choices: about a scope LSB / a PSU digit).
RESOLUTION = {"V": 1e-3, "A": 1e-4, "s": 1e-7, "": 1e-6}
