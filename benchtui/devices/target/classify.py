"""Every pyOCD exception, mapped into the project's error tree with its evidence.

`classified(what, link)` wraps a block of pyOCD calls: a bus fault keeps its address (and says
when RDP level 1 explains it), a flash failure carries the decoded FLASH_SR flags and names the
write-protected sectors, a reset mid-operation is a `CoreReset`, a vanished or stuck probe
(socket closed, no answer within its timeout) is `ProbeLost`, no SWD answer is `NoSwdAck`.
Anything else pyOCD raises (its internal KeyError/AssertionError on a half-dead link included)
becomes a `TargetError` naming the operation, never a traceback out of the loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ...errors import (BenchError, CoreReset, FlashOperationError, NoSwdAck, ProbeLost, ProbeNotFound,
                       TargetError, TransferFault, WriteProtected)

if TYPE_CHECKING:
    from .link import TargetLink

NO_ACK_TEXT = "no SWD ACK: target unpowered or wiring"


def pyocd_exceptions() -> Any:
    """Import pyOCD lazily (it loads every probe plugin on import) and register our targets.

    pyOCD logs its own view of every failure ("No ACK received from target") at ERROR level;
    benchtui reports the classified error once, so pyOCD's records reach the terminal only when
    logging is configured (`benchtui -v`), never through Python's last-resort handler."""
    import pyocd.core.exceptions as exc  # noqa: F401  (loads pyocd)

    pyocd_log = logging.getLogger("pyocd")
    if not any(isinstance(h, logging.NullHandler) for h in pyocd_log.handlers):
        pyocd_log.addHandler(logging.NullHandler())

    from .. import pyocd_targets  # noqa: F401  (registers the chip-mapped target types)
    return exc


@contextlib.contextmanager
def held_probe(link: "TargetLink | None") -> Iterator[None]:
    """Hold the link's probe lock across one operation.

    pyOCD locks the probe around every AP and DP access, and a remote probe (`remote:HOST:PORT`)
    sends each outermost lock and unlock to its server: two round trips for every access, two
    thirds of all requests (~17 000 a cycle for the demo's 690 KB image). Held once for the whole
    operation, the inner locks are counted locally; the operation is also atomic on a probe
    server shared with another client. A local USB probe's lock is a thread lock: no change.
    """
    probe = link.probe if link is not None else None
    if probe is None:
        yield
        return
    probe.lock()
    try:
        yield
    except BaseException:
        try:  # the operation's error is the one to report, not a failed unlock after it
            probe.unlock()
        except Exception:  # noqa: BLE001
            pass
        raise
    probe.unlock()


@contextlib.contextmanager
def classified(what: str, link: "TargetLink | None" = None, sectors: Sequence[int] = ()) -> Iterator[None]:
    """Turn pyOCD exceptions raised while doing `what` into errors.py classes with evidence.
    With a connected `link`, its probe is held across the block (`held_probe`)."""
    exc_mod = pyocd_exceptions()
    from .. import pyocd_targets as pt
    try:
        with held_probe(link):
            yield
    except BenchError:
        raise
    except exc_mod.TransferFaultError as exc:
        address = exc.fault_address
        where = f" at 0x{address:08X}" if address is not None else ""
        hint = None
        ob = link.evidence_option_bytes() if link is not None else None
        if ob is not None and ob.rdp_level == 1:
            hint = f"RDP level 1 (RDP=0x{ob.rdp:02X}): flash reads fault while a debugger is connected"
        raise TransferFault(f"{what}: bus fault{where}", address=address, hint=hint) from None
    except pt.ResetDuringOperation as exc:
        raise CoreReset(f"{what}: {exc}", hint="look at NRST and VDD during the operation") from None
    except exc_mod.FlashFailure as exc:
        if getattr(exc, "sr", None) is None and link is not None and link.evidence_reset():
            # The algorithm had unlocked FLASH_CR; only a reset locks it again before UnInit.
            raise CoreReset(f"{what}: the chip was reset during the operation (the flash algorithm "
                            f"failed with FLASH_CR locked again: {exc})",
                            hint="look at NRST and VDD during the operation") from None
        raise classify_flash_failure(what, exc, link, sectors) from None
    except exc_mod.ProbeDisconnected as exc:
        raise ProbeLost(f"{what}: probe disconnected ({exc})") from None
    except exc_mod.CoreRegisterAccessError as exc:
        # pyOCD found the core running where the algorithm should have halted it.
        raise CoreReset(f"{what}: the core reset or left the flash algorithm ({exc})",
                        hint="look at NRST and VDD during the operation") from None
    except exc_mod.TransferTimeoutError as exc:
        raise ProbeLost(f"{what}: the probe did not answer in time ({exc})") from None
    except (exc_mod.TransferError, exc_mod.ProbeError) as exc:
        raise NoSwdAck(f"{what}: {NO_ACK_TEXT} ({exc})") from None
    except exc_mod.TimeoutError as exc:
        raise FlashOperationError(f"{what}: timed out ({exc})") from None
    except exc_mod.Error as exc:
        # pyOCD wraps a failed DP connect ("Target not detected") around the probe's error.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, exc_mod.ProbeDisconnected):
            raise ProbeLost(f"{what}: probe disconnected ({cause})") from None
        if isinstance(cause, (exc_mod.TransferError, exc_mod.ProbeError)) \
                and not isinstance(cause, exc_mod.TransferFaultError):
            raise NoSwdAck(f"{what}: {NO_ACK_TEXT} ({cause})") from None
        if "No cores were discovered" in str(exc):
            # pyOCD's discovery swallowed the SWD errors that kept it from finding the core.
            raise NoSwdAck(f"{what}: no core found (SWD errors during discovery)",
                           hint="check SWD wiring and the target supply") from None
        raise TargetError(f"{what}: {exc}") from None
    except ConnectionRefusedError as exc:  # a remote probe server that is not running
        raise ProbeNotFound(f"{what}: nothing answers ({exc})",
                            hint="is the probe server running?") from None
    except socket.timeout as exc:  # a remote probe that stopped answering (TimeoutError on 3.10+)
        raise ProbeLost(f"{what}: the probe server did not answer in time ({exc or 'timeout'})") from None
    except (OSError, EOFError) as exc:  # remote probe socket gone
        raise ProbeLost(f"{what}: probe connection lost ({exc})") from None
    except (KeyError, AttributeError, AssertionError, ValueError, IndexError, TypeError) as exc:
        # pyOCD internals on a link in a state they do not expect (e.g. a remote probe whose
        # replies went out of step): the operation failed, the bench is not crashed.
        raise TargetError(f"{what}: pyOCD failed ({type(exc).__name__}: {exc})",
                          hint="reconnect the probe") from None


def unreadable(address: int | None, fault: Any = None) -> str:
    """How an identity or option word that bus-faults is shown and stored:
    'unreadable (bus fault at 0x1FF0F7E0)'."""
    at = getattr(fault, "fault_address", None)
    at = address if at is None else at
    return f"unreadable (bus fault at 0x{at:08X})" if at is not None else "unreadable (bus fault)"


def read_or_unreadable(read: Any, address: int | None, name: str, found: dict[str, str]) -> Any:
    """`read()`, or None with `found[name]` = unreadable(...) when it bus-faults. Only a bus
    fault on the word itself degrades; a lost link, no SWD ACK or anything else propagates."""
    exc_mod = pyocd_exceptions()
    try:
        return read()
    except exc_mod.TransferFaultError as exc:
        found[name] = unreadable(address, exc)
        return None


def classify_flash_failure(what: str, exc: Any, link: "TargetLink | None",
                           sectors: Sequence[int]) -> FlashOperationError:
    """FLASH_SR (from a register-level erase, else read now) and OPTCR name the cause."""
    sr = getattr(exc, "sr", None)
    if sr is None and link is not None:
        sr = link.evidence_sr()
    family = link.family if link is not None else None
    decode = family.decode_sr if family is not None else (lambda v: ())
    describe = family.describe_sr if family is not None else (lambda v: f"FLASH_SR=0x{v:08X}")
    ob = link.evidence_option_bytes() if link is not None else None
    address = getattr(exc, "address", None)
    protection = ob.sector_protection() if ob is not None else {}
    protected = [n for n in sectors if protection.get(n)]
    failed_sector = getattr(exc, "sector", None)
    if getattr(exc, "sr", None) is not None:
        detail = ""    # a register-level erase: FLASH_SR is the whole story
    elif getattr(exc, "result_code", None) is not None:
        detail = f" (flash algorithm returned {exc.result_code})"
    else:
        detail = f" ({exc})"
    evidence = f"; {describe(sr)}" if sr is not None else "; FLASH_SR unreadable"
    wrperr = sr is not None and family is not None and sr & family.sr_wrperr
    if wrperr or (protected and (failed_sector is None or failed_sector in protected)):
        names = ([failed_sector] if failed_sector is not None and protection.get(failed_sector)
                 else protected or (ob.protected_sectors() if ob is not None else []))
        which = (f"sector {names[0]} is" if len(names) == 1 else
                 f"sectors {', '.join(map(str, names))} are") if names else "a sector is"
        optcr = f" (OPTCR 0x{ob.optcr:08X})" if ob is not None else ""
        return WriteProtected(f"{what}: {which} write-protected{optcr}{evidence}",
                              sr=sr, flags=decode(sr or 0), address=address,
                              hint="remove write protection (option bytes nWRP) first")
    # The flags first: they are what differs between failures (and what a table column shows).
    flags = " ".join(decode(sr)) if sr is not None else "FLASH_SR unreadable"
    at = f" in sector {failed_sector}" if failed_sector is not None else ""
    return FlashOperationError(f"{what}: {flags or 'no error flag'}{at}{detail}{evidence}", sr=sr,
                               flags=decode(sr or 0), address=address)


def flash_error(family: Any, message: str, sr: int) -> FlashOperationError:
    cls = WriteProtected if family is not None and sr & family.sr_wrperr else FlashOperationError
    return cls(message, sr=sr, flags=family.decode_sr(sr) if family is not None else ())
