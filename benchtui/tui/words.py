"""The one place where an error becomes words for the user: which instrument, what it said, what to try.

Every failure the console reports goes through `explain()`; the app turns the result into a
notification, a log line and the status bar's last-problem cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors as e

#: What to try, by exception class (most specific first); used when the error carries no hint.
HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (e.InstrumentUnreachable, "is it switched on and on the network? check the resource string in the profile"),
    (e.InstrumentSilent, "check the cable and the instrument's remote interface; power-cycle it if it stays silent"),
    (e.InstrumentGarbage, "check the driver chosen in the profile matches the instrument"),
    (e.InstrumentReportedError, "the instrument refused the command: check its front panel"),
    (e.UnsupportedInstrument, "set psu.driver / scope.driver explicitly in the profile"),
    (e.InstrumentError, "check the instrument and its connection"),
    (e.ProbeNotFound, "plug the probe in, or fix target.probe_uid in the profile"),
    (e.ProbeLost, "re-seat the probe USB cable, then connect again"),
    (e.NoSwdAck, "is the board powered? try connect mode under-reset, a lower SWD frequency, or check SWDIO/SWCLK/GND wiring"),
    (e.TransferFault, "read protection or a bad address: read the option bytes"),
    (e.WriteProtected, "sectors are write-protected: read the option bytes, then remove write protection"),
    (e.FlashOperationError, "read the option bytes and capture the rails during the operation"),
    (e.VerifyMismatch, "erase and program again; if it repeats, look at VCAP and VDD during programming"),
    (e.TargetError, "check the probe, the target's power and the SWD wiring"),
    (e.FirmwareError, "pick another firmware file"),
    (e.SafetyError, "stay within the profile's psu.max_voltage / psu.max_current"),
    (e.ConfirmationRequired, "confirm the action in the dialog"),
    (e.StoreError, "check the store.database path and that nothing else holds the file"),
    (e.ProfileError, "fix the profile and start again"),
)


@dataclass(frozen=True)
class Explanation:
    """An error in words: where (instrument or part), what happened, what to try."""

    where: str
    what: str
    hint: str
    severity: str = "error"  # "error" | "warning" (a cancelled action is only a warning)

    @property
    def sentence(self) -> str:
        """What happened and what to try, without the `where` prefix (the log shows it as source)."""
        return f"{self.what} — {self.hint}" if self.hint else self.what

    @property
    def line(self) -> str:
        return f"{self.where}: {self.sentence}"


def explain(exc: BaseException, action: str | None = None) -> Explanation:
    """Words for any exception; `action` ("flash", "power-cycle") names what the user asked for."""
    prefix = f"{action} failed: " if action else ""
    if isinstance(exc, e.Cancelled):
        return Explanation(exc.where, f"{action or 'operation'} cancelled", "", "warning")
    if isinstance(exc, e.BenchError):
        message = str(exc).replace("\n", " ")
        # Drivers often end a message with their own advice after " — "; then ours is redundant.
        hint = exc.hint or ("" if " — " in message else next((h for cls, h in HINTS if isinstance(exc, cls)), ""))
        return Explanation(exc.where, prefix + message, hint)
    # Not one of ours: a bug or an unwrapped library error. Still one line, never a traceback.
    return Explanation("benchtui", f"{prefix}{type(exc).__name__}: {exc}".replace("\n", " "),
                       "this is a benchtui bug: please report it with the log")
