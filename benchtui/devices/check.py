"""`benchtui check`: connect to each instrument, report identity and state, or one error line.

Returns data and prints nothing (the CLI formats it). Checks change no instrument state: they
only identify and read. The PSU and scope are checked at the same time, each on its own owner
thread, so two silent instruments cost one timeout, not two.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BenchError
from ..profile import Profile
from .owner import DeviceOwner
from .psu import open_psu
from .scope import open_scope


@dataclass(frozen=True)
class CheckResult:
    """One line of `benchtui check`: what was checked, where, and what was found."""

    name: str
    resource: str
    ok: bool
    identity: str | None = None
    #: A state summary when ok, the one-line error otherwise.
    detail: str | None = None

    def lines(self) -> list[str]:
        """The two lines `benchtui check` prints (not yet made printable): 'ok   PSU  RES',
        then the identity and the detail, without what the first line already says."""
        detail = _without_where(self.detail or "", self.name, self.resource)
        return [f"{'ok  ' if self.ok else 'FAIL'} {self.name:<8} {self.resource}",
                f"     {self.identity or ''}{' — ' if self.identity and detail else ''}{detail}"]


def _without_where(detail: str, name: str, resource: str = "") -> str:
    """The detail without what its line already says: 'PSU: PSU TCPIP0::…: connection refused'
    on the line 'FAIL PSU TCPIP0::…' reads 'connection refused'."""
    head, sep, rest = detail.partition(": ")
    if sep and head.lower() in (name.lower(), "target" if name == "probe" else name.lower()):
        detail = rest
    for prefix in (f"{name} {resource}: ", f"{resource}: "):
        if resource and detail.startswith(prefix):
            return detail[len(prefix):]
    return detail


def check_psu(profile: Profile) -> CheckResult:
    cfg = profile.psu
    try:
        psu = open_psu(cfg)
        try:
            volts, amps = psu.setpoints()
            reading = psu.read()
        finally:
            psu.close()
    except BenchError as exc:
        return CheckResult("PSU", cfg.resource, False, None, exc.one_line())
    state = (f"CH{cfg.channel} set {volts:.3f} V / {amps:.3f} A, output "
             f"{'ON' if reading.output else 'OFF'}, reads {_value(reading.voltage, 'V')} "
             f"{_value(reading.current, 'A')} ({reading.mode})"
             + (f"; {reading.invalid}" if reading.invalid else ""))
    return CheckResult("PSU", cfg.resource, True, psu.identity, state)


def _value(x: float | None, unit: str) -> str:
    return f"{x:.3f} {unit}" if x is not None else f"— {unit}"


def check_scope(profile: Profile) -> CheckResult:
    cfg = profile.scope
    try:
        scope = open_scope(cfg)
        try:
            state = scope.trigger_state()
        finally:
            scope.close()
    except BenchError as exc:
        return CheckResult("scope", cfg.resource, False, None, exc.one_line())
    nets = " ".join(f"{net}=CH{ch.channel}" for net, ch in cfg.channels.items()) or "no channels mapped"
    return CheckResult("scope", cfg.resource, True, scope.identity, f"{nets}, acquisition {state}")


def check_instruments(profile: Profile) -> list[CheckResult]:
    """[PSU result, scope result], checked concurrently on their own owner threads."""
    owners = [DeviceOwner("check-psu"), DeviceOwner("check-scope")]
    try:
        futures = [owners[0].submit(check_psu, profile), owners[1].submit(check_scope, profile)]
        return [f.result() for f in futures]
    finally:
        for owner in owners:
            owner.close()


# --- the boundary with the probe / target part ---------------------------------------------------

def check_target(profile: Profile) -> CheckResult:
    """The probe line of `benchtui check`: connect with the profile's connect mode, read the
    identity (part, flash size and layout, package, 96-bit UID) and the option-byte state,
    disconnect (all on this thread, as a pyOCD session requires)."""
    from . import target

    cfg = profile.target
    link = target.TargetLink(cfg, source=profile.source)
    state = ""
    try:
        ident = link.connect()
        if link.chip is not None:
            try:
                forensics = link.option_forensics()
                ob = forensics.options
                prot = ob.protected_sectors()
                state = (f"; RDP level {ob.rdp_level}, "
                         + (f"write-protected sectors {_sectors(prot)}" if prot else "no sector write-protected"))
                if forensics.complement_errors:
                    state += f", {forensics.complement_errors} stored option word(s) with a bad complement"
                unreadable = forensics.unreadable
                if unreadable:
                    why = set(unreadable.values())
                    state += (f", stored option word{'s' if len(unreadable) > 1 else ''} "
                              f"{', '.join(unreadable)} "
                              + (why.pop() if len(why) == 1 and len(unreadable) == 1 else
                                 "unreadable (bus faults)"))
            except BenchError as exc:
                state = f"; option bytes unreadable: {exc.one_line()}"
    except BenchError as exc:
        return CheckResult("probe", cfg.probe_uid, False, None, exc.one_line())
    finally:
        try:
            link.disconnect()
        except BenchError:
            pass  # nothing more to release; the connect error (if any) is what matters
    layout = f"; {ident.layout.describe()}" if ident.layout is not None else ""
    mismatch = f"; {ident.profile_mismatch}" if ident.profile_mismatch else ""
    return CheckResult("probe", cfg.probe_uid, True, ident.describe(),
                       f"connected {cfg.connect_mode}{layout}{state}{mismatch}")


def check_firmware(profile: Profile) -> CheckResult | None:
    """The firmware line of `benchtui check` (None: the profile names no image)."""
    firmware = profile.target.firmware
    if not firmware:
        return None
    from pathlib import Path
    found = Path(firmware).expanduser().is_file()
    return CheckResult("firmware", firmware, found, None,
                       "readable" if found else "no such file (target.firmware in the profile)")


def check_profile(profile: Profile) -> list[CheckResult]:
    """Every line of `benchtui check` (without --wiring): PSU, scope, probe, firmware."""
    results = check_instruments(profile) + [check_target(profile)]
    firmware = check_firmware(profile)
    return results + ([firmware] if firmware is not None else [])


def _sectors(numbers: list[int]) -> str:
    from .mcu import format_sectors
    return format_sectors(numbers)
