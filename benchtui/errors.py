"""The project's single exception tree.

Library exceptions (pyvisa, pyOCD, sqlite3, tomllib) are wrapped at the driver edge into one of
these, so that the CLI and the TUI map errors to words in one place. Every message is one line
that names what failed (instrument, file, key, address) and, where possible, what to try.
"""

from __future__ import annotations

from .text import printable


class BenchError(Exception):
    """Root of every error benchtui raises on purpose."""

    #: Short category shown before the message in the UI ("PSU", "profile", "target", ...).
    where: str = "bench"

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        if where is not None:
            self.where = where
        self.hint = hint

    def one_line(self) -> str:
        """The error as a single line for a log or a status bar; whatever the message quotes
        (a name, a reply, a path) is made printable (benchtui/text.py)."""
        text = f"{self.where}: {self}"
        if self.hint:
            text += f" ({self.hint})"
        return printable(text.replace("\n", " "))


# --- profiles ---------------------------------------------------------------------------------
class ProfileError(BenchError):
    """A profile file is missing, unparsable or invalid. The message names file, key and value."""

    where = "profile"


# --- safety -----------------------------------------------------------------------------------
class SafetyError(BenchError):
    """A command was refused before anything was sent: it would exceed a profile limit."""

    where = "safety"


class ConfirmationRequired(BenchError):
    """A destructive target operation was requested without explicit confirmation."""

    where = "safety"


# --- instruments ------------------------------------------------------------------------------
class InstrumentError(BenchError):
    """Anything that goes wrong talking to a SCPI instrument."""

    where = "instrument"


class InstrumentUnreachable(InstrumentError):
    """The VISA resource could not be opened (nothing listening, bad resource string)."""


class InstrumentSilent(InstrumentError):
    """The instrument accepted the connection but did not answer in time."""


class InstrumentGarbage(InstrumentError):
    """The instrument answered something that cannot be parsed as the expected reply."""


class InstrumentReportedError(InstrumentError):
    """The instrument's error queue (SYST:ERR?) held an error after a command."""

    def __init__(self, message: str, *, code: int = 0, where: str | None = None, hint: str | None = None):
        super().__init__(message, where=where, hint=hint)
        self.code = code


class UnsupportedInstrument(InstrumentError):
    """`driver = "auto"` found no driver for the instrument's *IDN? answer."""


# --- target / probe ---------------------------------------------------------------------------
class TargetError(BenchError):
    """Anything that goes wrong with the debug probe or the target MCU."""

    where = "target"


class ProbeNotFound(TargetError):
    """No probe with the profile's uid is connected."""


class ProbeLost(TargetError):
    """The probe vanished or stopped answering mid-operation."""


class NoSwdAck(TargetError):
    """The probe got no SWD ACK: target unpowered, held in a strange state, or wiring."""


class CoreReset(TargetError):
    """The core left the flash algorithm mid-operation: it was reset (NRST, brownout) or ran away."""


class TransferFault(TargetError):
    """A debug memory access faulted (bus error), e.g. reads of flash under RDP level 1."""

    def __init__(self, message: str, *, address: int | None = None, **kw):
        super().__init__(message, **kw)
        self.address = address


class FlashOperationError(TargetError):
    """Erase, program or option-byte write failed; carries the decoded FLASH_SR evidence."""

    def __init__(self, message: str, *, sr: int | None = None, flags: tuple[str, ...] = (),
                 address: int | None = None, **kw):
        super().__init__(message, **kw)
        self.sr = sr
        self.flags = flags
        self.address = address


class WriteProtected(FlashOperationError):
    """WRPERR: the operation touched a write-protected sector."""


class VerifyMismatch(TargetError):
    """Programming finished but reading back differs from the image."""

    def __init__(self, message: str, *, first_address: int, count: int, **kw):
        super().__init__(message, **kw)
        self.first_address = first_address
        self.count = count


class FirmwareError(BenchError):
    """A firmware file cannot be read or lies (partly) outside the target's flash."""

    where = "firmware"


# --- results ----------------------------------------------------------------------------------
class StoreError(BenchError):
    """The results database cannot be opened, is of an unknown schema, or a write failed."""

    where = "store"


class KnowledgeError(BenchError):
    """The diagnosis knowledge base (bench/diagnosis/knowledge.toml) is broken: names file and key."""

    where = "diagnosis"


class ReportError(BenchError):
    """A report could not be written (output path, plotting)."""

    where = "report"


class Cancelled(BenchError):
    """An operation was cancelled by the user; not a failure of the board."""

    where = "cancelled"
