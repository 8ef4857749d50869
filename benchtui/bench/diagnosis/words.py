"""The diagnosis's words: what happened in a run, and the knowledge base's sentences and
commands with their {placeholders} filled from a finding and the run."""

from __future__ import annotations

import shlex

from ..analysis import Analysis, Finding, window_of
from ..quantity import format_quantity
from .context import RunContext

#: How a measurement window reads in a sentence.
WINDOW_WORDS = {"power_up": "at power-up", "flash": "during erase/program", "psu.on": "at power-on",
                "psu.flash": "during the erase", "ob": "after power-up"}


def what_happened(analysis: Analysis, modes: tuple[str, ...] | None = None) -> str:
    by = analysis.failures_by_step
    modes = tuple(by) if modes is None else modes
    if not by:
        return f"0 of {analysis.cycles} cycles failed"
    failed = sum(by.get(m, 0) for m in modes)
    detail = ", ".join(f"{m} {by[m]}" for m in sorted(modes, key=lambda m: -by.get(m, 0)))
    return f"{failed} of {analysis.cycles} cycles failed ({detail})"


def finding_words(f: Finding, ctx: RunContext) -> dict[str, str]:
    """What the {names} in an evidence rule's sentences stand for, for finding `f` of the run."""
    parts = f.feature.split(".")
    window = window_of(f.feature) or ""
    net = parts[1] if len(parts) >= 3 and parts[0] != "psu" else ""
    limit_min, limit_max = ctx.limits.get(net, (None, None))
    ratio = ""
    if ctx.current_limit and f.unit == "A":
        ratio = f"{f.threshold / ctx.current_limit:.0%}"
    return {"feature": f.feature, "net": net or parts[0], "window": WINDOW_WORDS.get(window, ""),
            "threshold": f.threshold_text, "current_limit": format_quantity(ctx.current_limit, "A"),
            "setpoint": format_quantity(ctx.setpoint, "V"), "limit_min": format_quantity(limit_min, "V"),
            "limit_max": format_quantity(limit_max, "V"), "ratio": ratio or "?",
            "fault_source": ctx.fault_source or "?", "fault_level": format_quantity(ctx.fault_level, "V"),
            "profile": profile_word(ctx)}


def profile_word(ctx: RunContext) -> str:
    """The run's profile as a command line takes it: its absolute path, quoted for the shell."""
    return shlex.quote(ctx.profile_path) if ctx.profile_path else "PROFILE.toml"


def command(template: str, words: dict[str, str]) -> str:
    """A text with its {placeholders} filled as is (a quoted path may hold two spaces in a row);
    a template naming an unknown placeholder stays as written."""
    try:
        return template.format(**words)
    except (KeyError, IndexError, ValueError):
        return template


def fill(template: str, words: dict[str, str]) -> str:
    """A knowledge-base sentence filled, its line breaks and runs of spaces made single spaces."""
    return " ".join(command(template, words).split())
