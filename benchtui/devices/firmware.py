"""Firmware images: .hex, .elf and .bin files read into flash-address segments.

A `FirmwareImage` holds the bytes to program at their *flash* addresses: address aliases from
the profile (e.g. the STM32F7 ITCM flash alias 0x00200000 -> 0x08000000, where the seed's hex
is linked) are applied while loading, and every byte is checked to lie inside the target's
flash, so that nothing is silently dropped later (pyOCD's FileProgrammer only logs a warning
for hex records outside its memory map).

A file that is not whole is an error, never half an image flashed and "verified": a hex file
must end with its end-of-file record (a copy cut at a line boundary parses fine otherwise), and
every ELF load segment must lie inside the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import FirmwareError
from ..profile import AddressAlias

#: (start, end) with end exclusive.
Region = tuple[int, int]

#: Characters of Intel HEX text a byte of flash can take: two hex digits, plus its share of the
#: record around it (45 characters per 16-byte record, 29 per 8-byte one, extended-address
#: records beside them). A .hex file longer than this for the target's flash cannot fit it.
HEX_CHARS_PER_BYTE = 4
#: Bytes allowed on top of the flash size: an ELF's headers, a hex file's address records.
SIZE_SLACK = 64 * 1024
#: The flash assumed when the target's is not known yet (a target type with no layout before
#: connecting): more than the internal flash of any Cortex-M part pyOCD drives (our choice).
UNKNOWN_FLASH_BYTES = 16 * 1024 * 1024

_ALIAS_HINT = {0x00200000: "0x00200000 is the STM32F7 ITCM flash alias: add "
                           "[[target.aliases]] from = 0x00200000, to = 0x08000000, size = 0x200000"}


@dataclass(frozen=True)
class FirmwareImage:
    """Bytes to program: sorted, non-overlapping (address, data) segments at flash addresses."""

    segments: tuple[tuple[int, bytes], ...]
    path: str

    @property
    def size(self) -> int:
        """Total number of bytes in all segments."""
        return sum(len(data) for _, data in self.segments)

    @property
    def start(self) -> int:
        return self.segments[0][0]

    @property
    def end(self) -> int:
        """First address after the last byte."""
        addr, data = self.segments[-1]
        return addr + len(data)

    def ranges(self) -> list[Region]:
        return [(addr, addr + len(data)) for addr, data in self.segments]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for addr, data in self.segments:
            digest.update(addr.to_bytes(4, "little"))
            digest.update(data)
        return digest.hexdigest()


def load_firmware(path: str | Path, *, aliases: Sequence[AddressAlias] = (),
                  flash: Sequence[Region] | None = None,
                  base_address: int | None = None) -> FirmwareImage:
    """Read a .hex, .elf/.axf or .bin file into a FirmwareImage.

    `aliases` translate link addresses to flash addresses; `flash` lists the target's flash
    regions, and any byte outside them is a FirmwareError naming the file and the first such
    address. A .bin goes to `base_address` (default: the start of the first flash region).
    """
    path = Path(path)
    if not path.is_file():
        raise FirmwareError(f"{path}: no such firmware file")
    kind = path.suffix.lower()
    capacity = sum(end - start for start, end in flash) if flash else UNKNOWN_FLASH_BYTES
    try:
        _check_size(path, kind, capacity, known=bool(flash))
        if kind in (".hex", ".ihex", ".elf", ".axf", ".out"):
            raw = _parsed(path, kind, capacity)
        elif kind == ".bin":
            if base_address is None:
                if not flash:
                    raise FirmwareError(f"{path}: a .bin file needs a base address")
                base_address = min(start for start, _ in flash)
            raw = [(base_address, path.read_bytes())]
        else:
            raise FirmwareError(f"{path}: unknown firmware format '{path.suffix}' "
                                f"(expected .hex, .elf, .axf or .bin)")
    except FirmwareError:
        raise
    except OSError as exc:
        raise FirmwareError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # parser errors of intelhex / pyelftools
        raise FirmwareError(f"{path}: not a valid {kind[1:]} file: {exc}") from None
    segments = _merge(seg for addr, data in raw for seg in _translate(addr, data, aliases))
    if not segments:
        raise FirmwareError(f"{path}: contains no data to program")
    if flash is not None:
        _check_inside(path, segments, flash)
    return FirmwareImage(tuple(segments), str(path))


def _check_size(path: Path, kind: str, capacity: int, *, known: bool) -> None:
    """FirmwareError, before a byte is read, for a file too big to be an image for `capacity`
    bytes of flash: a .bin longer than the flash, a .hex longer than HEX_CHARS_PER_BYTE times
    it. An ELF may carry any amount of debug information: its load segments are bounded
    instead (`_read_elf`)."""
    size = path.stat().st_size
    if kind == ".bin":
        limit, what = capacity, "a .bin image"
    elif kind in (".hex", ".ihex"):
        limit, what = capacity * HEX_CHARS_PER_BYTE + SIZE_SLACK, "the Intel HEX text of an image"
    else:
        return
    if size > limit:
        flash = f"{_size(capacity)} of flash" if known else \
            f"{_size(capacity)}, more flash than any target has"
        raise FirmwareError(f"{path}: {_size(size)} is more than {what} for this target can be "
                            f"(at most {_size(limit)} for {flash}); nothing was read")


def _size(n: int) -> str:
    """Bytes in words: '2 MiB', '1.9 GiB', '712 KiB', '300 bytes'."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read a chunk at a time (memory does not grow with the file)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


#: Parsed files by content: intelhex takes ~0.5 s of CPU for the seed's 1.9 MB hex file, and a
#: session reads its image before connecting and again against the chip's own flash map; that
#: CPU, on a worker thread, holds the GIL the console's event loop needs. Keyed by the file's
#: SHA-256 (a few ms), not its mtime: a rebuild within the clock's granularity is still seen.
_PARSED: dict[tuple[str, str], list[tuple[int, bytes]]] = {}
_PARSED_MAX = 4


def _parsed(path: Path, kind: str, capacity: int) -> list[tuple[int, bytes]]:
    key = (kind, file_sha256(path))
    raw = _PARSED.get(key)
    if raw is None:
        raw = _read_hex(path) if kind in (".hex", ".ihex") else _read_elf(path, capacity)
        while len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = raw
    return raw


def _read_hex(path: Path) -> list[tuple[int, bytes]]:
    from intelhex import IntelHex

    ih = IntelHex(str(path))
    _require_hex_eof(path)
    out: list[tuple[int, bytes]] = []
    for start, end in ih.segments():
        out.append((start, ih.tobinstr(start=start, size=end - start)))
    return out


def _require_hex_eof(path: Path) -> None:
    """FirmwareError unless an end-of-file record (type 01) is present: a hex file cut short at a
    line boundary is otherwise read as a smaller, valid-looking image."""
    lines = 0
    with path.open("rb") as fh:
        for raw in fh:
            lines += 1
            line = raw.strip()
            if line[:1] == b":" and line[7:9] == b"01":
                return
    raise FirmwareError(f"{path}: the hex file has no end-of-file record (':00000001FF') after its "
                        f"{lines} lines: it is truncated or not the whole image")


def _read_elf(path: Path, capacity: int = UNKNOWN_FLASH_BYTES) -> list[tuple[int, bytes]]:
    """The PT_LOAD segments at their load addresses; all of them are checked (inside the file,
    together no larger than `capacity` + SIZE_SLACK) before any is read."""
    from elftools.elf.elffile import ELFFile  # pyelftools comes with pyOCD

    size = path.stat().st_size
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        loads = [(index, seg) for index, seg in enumerate(elf.iter_segments())
                 if seg.header.p_type == "PT_LOAD" and seg.header.p_filesz]
        total = sum(seg.header.p_filesz for _, seg in loads)
        if total > capacity + SIZE_SLACK:
            raise FirmwareError(f"{path}: the ELF's load segments hold {_size(total)}, more than "
                                f"the target's {_size(capacity)} of flash; nothing was read")
        for index, seg in loads:
            offset, length = seg.header.p_offset, seg.header.p_filesz
            if offset + length > size:
                raise FirmwareError(
                    f"{path}: ELF segment {index} (0x{seg['p_paddr']:08X}, {length} bytes at "
                    f"file offset {offset}) runs past the end of the {size}-byte file: the file "
                    "is truncated")
        # Load (physical) addresses: where the bytes live in flash.
        out = [(seg["p_paddr"], seg.data()) for _, seg in loads]
    return out


def _translate(addr: int, data: bytes, aliases: Sequence[AddressAlias]) -> Iterable[tuple[int, bytes]]:
    """Split a segment at alias boundaries and move the aliased parts to their targets."""
    pos = 0
    while pos < len(data):
        here = addr + pos
        alias = next((a for a in aliases if a.start <= here < a.start + a.size), None)
        if alias is not None:
            take = min(len(data) - pos, alias.start + alias.size - here)
            yield alias.translate(here), data[pos:pos + take]
        else:
            nxt = min((a.start for a in aliases if a.start > here), default=addr + len(data))
            take = min(len(data) - pos, nxt - here)
            yield here, data[pos:pos + take]
        pos += take


def _merge(segments: Iterable[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Sort and join adjacent segments; later bytes win where segments overlap."""
    out: list[tuple[int, bytearray]] = []
    for addr, data in sorted(segments, key=lambda s: s[0]):
        if out and addr <= out[-1][0] + len(out[-1][1]):
            last_addr, buf = out[-1]
            offset = addr - last_addr
            buf[offset:offset + len(data)] = data
        else:
            out.append((addr, bytearray(data)))
    return [(addr, bytes(buf)) for addr, buf in out]


def _check_inside(path: Path, segments: list[tuple[int, bytes]], flash: Sequence[Region]) -> None:
    for addr, data in segments:
        end = addr + len(data)
        pos = addr
        while pos < end:
            region = next(((s, e) for s, e in flash if s <= pos < e), None)
            if region is None:
                hint = next((h for base, h in _ALIAS_HINT.items()
                             if base <= pos < base + 0x200000), None)
                raise FirmwareError(
                    f"{path}: data at 0x{pos:08X} is outside the target's flash "
                    f"({', '.join(f'0x{s:08X}-0x{e - 1:08X}' for s, e in flash)})", hint=hint)
            pos = region[1]
