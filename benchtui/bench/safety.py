"""What a run checks before its first cycle, and what it does to leave the bench safe.

Before: a destructive step repeated every cycle (a mass erase) needs one explicit confirmation
(`benchtui run --yes`, the console's dialog), recorded as a `destructive_confirmed` run event; the
firmware the cycle programs is read and checked against the target's flash once, and the
profile's target type against pyOCD's list, so that a bad file or a typo stops the run instead of
failing every cycle as if the board were bad.

After: the PSU output off. When the instrument's connection is what broke, one more try on a new
connection; when nothing works, the caller reports that the output may still be ON.
"""

from __future__ import annotations

from typing import Any

from ..devices.firmware import FirmwareImage, load_firmware
from ..devices.psu import open_psu
from ..errors import ConfirmationRequired, FirmwareError, TargetError
from ..profile import Profile

#: Steps that need the firmware image (erase "sectors" erases the sectors the image covers).
IMAGE_STEPS = ("program", "verify")


def destructive_steps(profile: Profile) -> list[str]:
    """What a run of `profile` destroys on every cycle, in words (empty: nothing to confirm)."""
    out = []
    if "erase" in profile.cycle.steps and profile.target.erase == "chip":
        out.append('a mass erase of the whole flash every cycle (target.erase = "chip")')
    return out


def require_confirmation(profile: Profile, confirmed: bool, how: str) -> list[str]:
    """Raise ConfirmationRequired naming the destructive steps unless `confirmed`; return them.
    `how` says how to confirm ("add --yes to confirm")."""
    steps = destructive_steps(profile)
    if steps and not confirmed:
        raise ConfirmationRequired(f"{profile.source}: this run does {' and '.join(steps)}; {how}",
                                   where="safety")
    return steps


def needs_image(profile: Profile) -> bool:
    steps = set(profile.cycle.steps)
    return bool(steps & set(IMAGE_STEPS)) or ("erase" in steps and profile.target.erase != "chip")


def check_firmware(session: Any) -> FirmwareImage | None:
    """Read the profile's firmware once against the target's flash (blocking: run it on the
    target's owner thread). FirmwareError for a missing, unreadable or truncated file, or data
    outside flash. Before a connection the flash comes from the profile's target type; a type
    with no known layout is checked for readability only (the connect step checks the rest)."""
    profile: Profile = session.profile
    if "connect" in profile.cycle.steps:   # a target type pyOCD lacks: one line, before cycle 1
        from ..devices.target.types import check_target_type
        check_target_type(profile.target.target_type, profile.source)
    if not needs_image(profile):
        return None
    if not profile.target.firmware:
        raise FirmwareError(f"{profile.source}: the cycle programs the target but target.firmware "
                            "is not set")
    try:
        return session.image()
    except TargetError:
        return load_firmware(profile.target.firmware, aliases=profile.target.aliases)


def psu_off_on_new_connection(cfg: Any) -> None:
    """Open the PSU afresh and switch its output off (its first connection may be the broken part)."""
    psu = open_psu(cfg)
    try:
        psu.safe_state()
    finally:
        psu.close()
