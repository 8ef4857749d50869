"""One VISA session to one SCPI instrument, with every library error mapped to errors.py.

`VisaSession` is the only place that touches pyvisa. It opens the resource through pyvisa-py
(`ResourceManager("@py")`, no vendor VISA), sets "\\n" termination for raw sockets (pyvisa has no
default termination, so a SOCKET `query()` would otherwise time out), logs every exchange at DEBUG
on the "benchtui.visa" logger, and turns timeouts, refused connections and unparsable replies into
`InstrumentSilent`, `InstrumentUnreachable` and `InstrumentGarbage` with a one-line message that
names the instrument, the resource and the command.

Every exchange is bounded (devices/transport.py, devices/guard.py): one total deadline per query
(the profile's timeout, not per read), a reply line of at most `guard.MAX_LINE_BYTES`, a block no
larger than the caller's limit (refused from its header, before a byte of it is read). A query
after a failed one first throws away the failed one's late reply, so replies never shift.

The reply parsers and `Scpi`, the declarative operation the dialects are written with, live in
devices/scpi.py and are re-exported here (`from .visa import Scpi, parse_float` keeps working).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
import pyvisa
from pyvisa import constants
from pyvisa.errors import VisaIOError

from ..errors import (InstrumentError, InstrumentGarbage, InstrumentReportedError, InstrumentSilent,
                      InstrumentUnreachable)
from . import guard
from .scpi import (GARBAGE_PREVIEW, Scpi, expected_of, parse_bool, parse_error, parse_float,
                   parse_int, parse_word, preview)
from .transport import ReadTimeout, ReplyTooLong, Transport, open_transport

log = logging.getLogger("benchtui.visa")

#: Bytes pyvisa asks the backend for per read (only pyvisa's own reads, e.g. in tests).
CHUNK_SIZE = 256 * 1024
#: How many SYST:ERR? entries `check_errors` drains at most (a queue that never empties is broken).
MAX_ERROR_DRAIN = 32

_rm_lock = threading.Lock()
_rm: pyvisa.ResourceManager | None = None


def resource_manager() -> pyvisa.ResourceManager:
    """The process-wide pyvisa-py resource manager (created on first use, again if closed).

    pyvisa hands out one manager per library, so another user in the process closing "its"
    manager closes ours too: check it is alive before use.
    """
    global _rm
    with _rm_lock:
        if _rm is not None:
            try:
                _rm.session
            except pyvisa.errors.InvalidSession:
                _rm = None
        if _rm is None:
            from .transports import ensure_usb_backend
            ensure_usb_backend()   # pyvisa-py's USB-TMC finds libusb-package's libusb too
            _rm = pyvisa.ResourceManager("@py")
        return _rm


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------

class VisaSession:
    """A pyvisa-py session to one instrument; every failure is one BenchError line.

    `name` ("PSU", "scope") is both the error category (`where`) and the start of every message.
    Create and use it on one thread (the device's owner thread).
    """

    def __init__(self, resource: str, *, timeout_ms: int, name: str):
        self.resource = resource
        self.name = name
        self.timeout_ms = timeout_ms
        self.last_command: str | None = None
        #: Command pacing, set by a dialect whose instrument needs it (Siglent, Rigol after some
        #: commands): `pace(command)` -> seconds to keep between that message and the next one.
        self.pace: Callable[[str], float] | None = None
        self._last_sent: tuple[str, float] | None = None
        self._inst: Any = None
        self._io: Transport | None = None
        #: Set after a failed exchange: its late reply may still arrive; discard before the next.
        self._dirty = False
        with self._guard("open"):
            rm = resource_manager()
            inst = rm.open_resource(resource, open_timeout=timeout_ms)
        self._inst = inst
        inst.timeout = timeout_ms
        inst.chunk_size = CHUNK_SIZE
        if resource.upper().endswith("::SOCKET"):
            inst.read_termination = "\n"
            inst.write_termination = "\n"
            _disable_nagle(inst)
        self._io = open_transport(inst)
        log.debug("%s %s: opened (timeout %d ms, %s)", name, resource, timeout_ms,
                  type(self._io).__name__)

    # -- error mapping ----------------------------------------------------------------------
    def _msg(self, text: str) -> str:
        return f"{self.name} {self.resource}: {text}"

    def message(self, text: str) -> str:
        """`text` as one of this session's error lines: '<name> <resource>: <text>'."""
        return self._msg(text)

    @contextmanager
    def _guard(self, command: str) -> Iterator[None]:
        """Map pyvisa / socket exceptions raised while doing `command` to errors.py."""
        try:
            yield
        except InstrumentError:
            self._dirty = True
            raise
        except ReadTimeout as exc:
            self._dirty = True
            raise self._silent(command, exc.received) from None
        except ReplyTooLong as exc:
            self._dirty = True
            raise InstrumentGarbage(self._msg(
                f"reply to {command!r} runs past {_size(exc.limit)} without an end of line: "
                f"'{preview(exc.received)}'"), where=self.name) from None
        except VisaIOError as exc:
            self._dirty = True
            raise self._visa_error(exc, command) from None
        except ConnectionRefusedError:
            raise InstrumentUnreachable(self._msg(
                "connection refused — is the instrument on and the address right?"),
                where=self.name) from None
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            raise InstrumentUnreachable(self._msg(
                f"connection lost during {command!r} — was the instrument switched off or "
                "taken by another program?"), where=self.name) from None
        except socket.timeout:
            self._dirty = True
            raise self._silent(command) from None
        except (OSError, ValueError, TypeError) as exc:
            raise InstrumentUnreachable(self._msg(f"cannot {_doing(command)}: {_plain(exc)}"),
                                        where=self.name) from None
        except Exception as exc:  # pyvisa-py raises a bare Exception("could not connect: ...")
            raise InstrumentUnreachable(self._msg(f"cannot {_doing(command)}: {_plain(exc)}"),
                                        where=self.name) from None

    def _silent(self, command: str, received: bytes = b"") -> InstrumentSilent:
        if received:
            return InstrumentSilent(self._msg(
                f"reply to {command!r} not complete within {self.timeout_ms} ms ({len(received)} "
                f"bytes arrived: '{preview(received)}')"), where=self.name)
        return InstrumentSilent(self._msg(f"no reply to {command!r} within {self.timeout_ms} ms"),
                                where=self.name)

    def _visa_error(self, exc: VisaIOError, command: str) -> InstrumentError:
        code = exc.error_code
        if code == constants.StatusCode.error_timeout:
            return self._silent(command)
        if code == constants.StatusCode.error_invalid_resource_name:
            return InstrumentUnreachable(self._msg(
                "not a valid VISA resource string (e.g. TCPIP0::192.0.2.50::5555::SOCKET)"),
                where=self.name)
        if code in (constants.StatusCode.error_resource_not_found,
                    constants.StatusCode.error_connection_lost):
            return InstrumentUnreachable(self._msg(
                "not reachable — is the instrument on and the address right?"), where=self.name)
        return InstrumentUnreachable(self._msg(f"{_doing(command)} failed: {exc.abbreviation}"),
                                     where=self.name)

    def garbage(self, command: str, reply: bytes | str, expected: str) -> InstrumentGarbage:
        """An InstrumentGarbage for `reply` to `command` (for parsers outside this class)."""
        return InstrumentGarbage(self._msg(f"unexpected reply to {command!r} (expected {expected}): "
                                           f"'{preview(reply)}'"), where=self.name)

    # -- plain I/O --------------------------------------------------------------------------
    def _deadline(self) -> float:
        """The one deadline of an exchange that starts now: the profile's timeout, in total."""
        return time.monotonic() + self.timeout_ms / 1000

    def _send(self, command: str, deadline: float) -> None:
        """Write one message, keeping the dialect's pacing gap after the previous one (also
        when the pacing was set after that message, as after *IDN?), after throwing away the
        late reply of a failed exchange."""
        if self._io is None:
            raise InstrumentUnreachable(self._msg("the connection is closed"), where=self.name)
        if self.pace is not None and self._last_sent is not None:
            previous, at = self._last_sent
            wait = at + self.pace(previous) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if self._dirty:
            dropped = self._io.discard_pending()
            if dropped:
                log.debug("%s: dropped %d stale bytes before %r", self.name, dropped, command)
            self._dirty = False
        self._io.write(command.encode("ascii") + b"\n", deadline)
        self._last_sent = (command, time.monotonic())

    @contextmanager
    def timeout(self, timeout_ms: int) -> Iterator[None]:
        """Use another timeout for the calls inside the block (e.g. a slow first reply)."""
        saved = self.timeout_ms
        self.timeout_ms = timeout_ms
        try:
            yield
        finally:
            self.timeout_ms = saved

    def write(self, command: str) -> None:
        log.debug("%s > %s", self.name, command)
        self.last_command = command
        with self._guard(command):
            self._send(command, self._deadline())

    def query(self, command: str) -> str:
        """Send a query and return its reply line without the terminator.

        The whole exchange ends within the session's timeout, and the line may not exceed
        `guard.MAX_LINE_BYTES` (a reply that never ends is an error, not a memory leak).
        """
        log.debug("%s > %s", self.name, command)
        if not command.upper().startswith(("SYST:ERR", ":SYST:ERR")):
            self.last_command = command
        with self._guard(command):
            deadline = self._deadline()
            self._send(command, deadline)
            raw = self._io.read_line(deadline, guard.MAX_LINE_BYTES)  # type: ignore[union-attr]
        try:
            reply = raw.decode("ascii").rstrip("\r\n")
        except UnicodeDecodeError:
            raise self.garbage(command, raw, "a text line") from None
        log.debug("%s < %s", self.name, reply)
        return reply

    def query_parsed(self, command: str, parse: Callable[[str], Any], expected: str) -> Any:
        reply = self.query(command)
        try:
            return parse(reply)
        except guard.ReplyError as exc:
            raise self.garbage(command, reply, f"{expected}; {exc}") from None
        except (ValueError, TypeError, OverflowError):
            raise self.garbage(command, reply, expected) from None

    # -- declarative operations -------------------------------------------------------------
    def do(self, op: Scpi, **fields: Any) -> Any:
        """Run a table operation: send its messages; parse the last one's reply if it is a query."""
        messages = op.render(**fields)
        if op.parse is None:
            for message in messages:
                self.write(message)
            return None
        for message in messages[:-1]:
            self.write(message)
        return self.query_parsed(messages[-1], op.parse, expected_of(op.parse))

    # -- binary blocks ----------------------------------------------------------------------
    def query_block(self, command: str, max_bytes: int | None = None, *, prefix_max: int = 0,
                    trailer: bytes = b"", bound: str | None = None) -> bytes:
        """Send a query whose reply is an IEEE 488.2 definite-length block; return the payload.

        Reads `#`, the digit count N, the N-digit length L, then exactly L bytes (which may
        contain "\\n") and the trailing terminator, all within one timeout. A length above
        `max_bytes` (default `guard.MAX_BLOCK_BYTES`; callers pass what the preamble allows) is
        refused from the header, before any of the payload is read. `prefix_max` tolerates up to
        that many bytes before the `#` (Siglent `C1:WF DAT2,#9...`); `trailer` is read after the
        terminator (Siglent ends blocks with two newlines).
        """
        limit = guard.MAX_BLOCK_BYTES if max_bytes is None else max_bytes
        log.debug("%s > %s", self.name, command)
        self.last_command = command
        io = self._io
        with self._guard(command):
            deadline = self._deadline()
            self._send(command, deadline)
            head = io.read_exact(2, deadline)  # type: ignore[union-attr]
            skipped = b""
            while head[:1] != b"#" and len(skipped) < prefix_max:
                skipped += head[:1]
                head = head[1:] + io.read_exact(1, deadline)  # type: ignore[union-attr]
            if head[:1] != b"#" or not head[1:2].isdigit() or head[1:2] == b"0":
                raise self.garbage(command, head + self._drain(deadline), "an IEEE 488.2 #N block")
            digits = int(head[1:2])
            length_text = io.read_exact(digits, deadline)  # type: ignore[union-attr]
            if not length_text.isdigit():
                raise self.garbage(command, head + length_text + self._drain(deadline),
                                   "an IEEE 488.2 #N block")
            length = int(length_text)
            if length > limit:
                why = (f"but {bound} (at most {limit:,} bytes)" if bound else
                       f"more than this instrument can hold ({limit:,})")
                raise InstrumentGarbage(self._msg(
                    f"block reply to {command!r} claims {length:,} bytes, {why}; refused before "
                    "reading it"), where=self.name)
            payload = io.read_exact(length + 1 if length else 1, deadline)  # type: ignore[union-attr]
            if trailer:
                io.read_exact(len(trailer), deadline)  # type: ignore[union-attr]
        terminator = payload[-1:]
        if terminator != b"\n":
            self._dirty = True
            raise self.garbage(command, head + length_text + payload[:GARBAGE_PREVIEW],
                               f"a {length}-byte block ending in a newline")
        log.debug("%s < #%d block of %d bytes", self.name, digits, length)
        return bytes(payload[:-1]) if length else b""

    def query_binary_block(self, command: str, datatype: str = "B", big_endian: bool = False,
                           max_bytes: int | None = None, **block: Any) -> np.ndarray:
        """A block reply decoded as an array of `datatype` ('B', 'b', 'H', 'h', 'f')."""
        payload = self.query_block(command, max_bytes, **block)
        dtype = np.dtype(datatype).newbyteorder(">" if big_endian else "<")
        if len(payload) % dtype.itemsize:
            raise self.garbage(command, payload, f"a whole number of {dtype.itemsize}-byte values")
        return np.frombuffer(payload, dtype=dtype)

    def query_ascii_block(self, command: str, max_bytes: int | None = None, **block: Any) -> np.ndarray:
        """A block whose payload is comma-separated numbers (Rigol/Keysight ASCII waveforms)."""
        payload = self.query_block(command, max_bytes, **block)
        text = payload.decode("ascii", "replace").strip().rstrip(",")
        if not text:
            return np.empty(0)
        try:
            return np.array([float(x) for x in text.split(",")])
        except ValueError:
            raise self.garbage(command, payload, "comma-separated numbers") from None

    def _drain(self, deadline: float) -> bytes:
        """A little more of a bad reply (to the next newline, 0.2 s at most), for the message."""
        self._dirty = True
        try:
            return self._io.read_line(min(deadline, time.monotonic() + 0.2),  # type: ignore[union-attr]
                                      GARBAGE_PREVIEW)
        except (ReadTimeout, ReplyTooLong) as exc:
            return exc.received
        except Exception:  # nothing more arrived; the preview shows what we have
            return b""

    # -- error queue ------------------------------------------------------------------------
    def check_errors(self) -> None:
        """Drain SYST:ERR?; raise InstrumentReportedError for the first error found, if any.

        The message carries code and text and the last command sent before this check, which
        is the one that (most likely) caused it.
        """
        cause = self.last_command
        found: list[tuple[int, str]] = []
        for _ in range(MAX_ERROR_DRAIN):
            code, text = self.query_parsed("SYST:ERR?", parse_error, 'an error entry like 0,"No error"')
            if code == 0:
                break
            found.append((code, text))
        if found:
            code, text = found[0]
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            raise InstrumentReportedError(
                self._msg(f"error {code},\"{text}\" after {cause!r}{more}"), code=code, where=self.name)

    def clear_status(self) -> list[tuple[int, str]]:
        """`*CLS`, then drain SYST:ERR? (instruments whose *CLS keeps the queue): the errors an
        earlier client left are logged and returned, never raised."""
        self.write("*CLS")
        left: list[tuple[int, str]] = []
        for _ in range(MAX_ERROR_DRAIN):
            code, text = self.query_parsed("SYST:ERR?", parse_error, 'an error entry like 0,"No error"')
            if code == 0:
                break
            left.append((code, text))
        if left:
            log.info("%s %s: cleared %d error(s) left by an earlier client: %s", self.name,
                     self.resource, len(left), "; ".join(f"{c},\"{t}\"" for c, t in left))
        self.last_command = None
        return left

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the resource; safe to call twice and after a lost connection."""
        inst, self._inst = self._inst, None
        self._io = None
        if inst is None:
            return
        try:
            inst.close()
        except Exception as exc:  # the connection may already be gone; nothing left to release
            log.debug("%s %s: close: %s", self.name, self.resource, exc)

    def __enter__(self) -> "VisaSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["CHUNK_SIZE", "GARBAGE_PREVIEW", "MAX_ERROR_DRAIN", "Scpi", "VisaSession", "parse_bool",
           "parse_error", "parse_float", "parse_int", "parse_word", "preview", "resource_manager"]


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _disable_nagle(inst: Any) -> None:
    """Set TCP_NODELAY on a pyvisa-py SOCKET session.

    Without it, a write followed by any other message waits for the instrument's delayed ACK
    (~40 ms on Linux: Nagle), so a 6-command trigger setup costs a quarter second. pyvisa-py 0.8
    rejects VI_ATTR_TCPIP_NODELAY as unknown, so this reaches its socket directly; if that ever
    fails, the session still works, just slower.
    """
    try:
        sock = inst.visalib.sessions[inst.session].interface
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except Exception as exc:  # a pyvisa-py without that layout: keep Nagle, log why
        log.debug("cannot set TCP_NODELAY on %s: %s", inst.resource_name, exc)


def _doing(command: str) -> str:
    return "open the connection" if command == "open" else f"send {command!r}"


def _plain(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return text or type(exc).__name__
