"""The one place where an error becomes words for the user: which instrument, what it said, what to try.

Every failure the console reports goes through `explain()`; the app turns the result into a
notification, a log line and the status bar's last-problem cell (`actions/base.py: report`).
What the app knows about the bench (`Facts`: the PSU output it last saw, the connect mode it
used) decides which advice makes sense: no "is the board powered?" when the app knows it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors as e
from ..text import printable

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
class Facts:
    """What the console knows about the bench when an error arrives (None: does not know)."""

    psu_output: bool | None = None
    connect_mode: str | None = None


#: The NoSwdAck hint when the app knows the board is powered and the mode is already under-reset.
NO_ACK_UNDER_RESET = "try a lower SWD frequency, or check SWDIO/SWCLK/GND and NRST wiring"


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


def explain(exc: BaseException, action: str | None = None, facts: Facts | None = None) -> Explanation:
    """Words for any exception; `action` ("flash", "power-cycle") names what the user asked for."""
    prefix = f"{action} failed: " if action else ""
    facts = facts or Facts()
    if isinstance(exc, e.NoSwdAck) and facts.psu_output is False:
        return Explanation(exc.where, f"{prefix}PSU output is off (press o): the target is unpowered, "
                                      "so it does not answer on SWD", "")
    if isinstance(exc, e.NoSwdAck) and facts.connect_mode == "under-reset" and not exc.hint:
        return Explanation(exc.where, prefix + printable(str(exc).replace("\n", " ")),
                           ("is the board powered? " if facts.psu_output is None else "") + NO_ACK_UNDER_RESET)
    if isinstance(exc, e.Cancelled):
        return Explanation(exc.where, f"{action or 'operation'} cancelled", "", "warning")
    if isinstance(exc, e.BenchError):
        message = printable(str(exc).replace("\n", " "))  # it may quote a reply or a name
        # Drivers often end a message with their own advice after " — "; then ours is redundant.
        hint = exc.hint or ("" if " — " in message else next((h for cls, h in HINTS if isinstance(exc, cls)), ""))
        return Explanation(exc.where, prefix + message, hint)
    # Not one of ours: a bug or an unwrapped library error. Still one line, never a traceback.
    return Explanation("benchtui", printable(f"{prefix}{type(exc).__name__}: {exc}".replace("\n", " ")),
                       "this is a benchtui bug: please report it with the log")


#: The loop's steps as a user reads them (the engine's names are identifiers).
STEP_WORDS = {
    "power_off": "power off", "arm_power_up": "arming the scope", "power_on": "power on",
    "capture_power_up": "capturing the power-up", "connect": "connecting", "read_identity": "reading option bytes",
    "arm_fault_catch": "arming the fault catch", "erase": "erasing", "program": "programming",
    "verify": "verifying", "capture_fault": "reading the fault catch", "disconnect": "disconnecting",
}


def step_words(step: str | None) -> str:
    """'capture_power_up' -> 'capturing the power-up'; an unknown step with spaces for underscores."""
    if not step:
        return ""
    return STEP_WORDS.get(step, step.replace("_", " "))


def short_error(text: str | None, width: int = 26) -> str:
    """The part of an error that differs between cycles, in `width` cells.

    Errors read 'what was done: what went wrong (evidence)'; the table shows what went wrong
    ('flash error PGPERR …'); the detail line under the table shows the whole message.
    """
    text = (text or "").replace("\n", " ").strip()
    head, sep, tail = text.partition(": ")
    core = tail if sep and tail else head
    return core if len(core) <= width else core[: width - 1] + "…"
