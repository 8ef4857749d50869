"""Command pacing: how long an instrument needs between two messages.

Some instruments lose commands that arrive too soon after the previous one (Siglent SPD3303X:
Fixate sleeps 20 ms + len/6000 s after every write; Siglent scopes: 50 ms after a message that
sets something, as scopehal's Siglent driver first did, see siglent_sds1000x_e.py). Each dialect that needs it declares a `Pacing` in its table; the VISA session
applies it (`VisaSession.pace`) by waiting, before a message, until the previous message's gap
has passed. Dialects that need nothing declare nothing and pay nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pacing:
    """`gap_s` + `per_char_s` x len(command) after every message; `after` adds longer gaps
    after messages that start with a given header (case-insensitive)."""

    gap_s: float = 0.0
    per_char_s: float = 0.0
    after: tuple[tuple[str, float], ...] = ()
    #: False: no gap after a query (its reply shows the instrument has processed it), only after
    #: messages that set something.
    queries: bool = True

    def __call__(self, command: str) -> float:
        upper = command.upper()
        extra = max((s for prefix, s in self.after if upper.startswith(prefix.upper())), default=0.0)
        if not self.queries and upper.split(" ", 1)[0].endswith("?"):
            return extra
        return max(self.gap_s + self.per_char_s * len(command), extra)

    def __bool__(self) -> bool:
        return bool(self.gap_s or self.per_char_s or self.after)


NO_PACING = Pacing()
