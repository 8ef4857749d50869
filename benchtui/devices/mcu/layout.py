"""Flash sectors and layouts: one bank or two, RM0410/RM0090 sector numbers, nWRP bits, and the
"0-3,12" sector lists people type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from .registers import K

# ---------------------------------------------------------------------------------------------
# Sectors and layouts
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sector:
    """One erasable sector, named as the reference manual and STM32CubeProgrammer name it.

    `number` is the sector number (in dual-bank mode bank 2 starts at 12, whatever the size of
    bank 1); `snb` the value FLASH_CR.SNB takes to erase it; `wrp_bit` its bit in the part's
    nWRP bits (bits 12.. are in OPTCR1 on parts that have one); `bank` 1 or 2.
    """

    number: int
    start: int
    size: int
    snb: int
    wrp_bit: int
    bank: int = 1

    @property
    def end(self) -> int:
        """First address after the sector."""
        return self.start + self.size

    @property
    def index(self) -> int:
        """The sector number (the name every benchtui call and message uses)."""
        return self.number

    def describe(self) -> str:
        return f"sector {self.number} (0x{self.start:08X}, {self.size // K} KB, bank {self.bank})"


@dataclass(frozen=True)
class FlashLayout:
    """The sectors of one chip in its current bank mode, in address order."""

    flash_kb: int
    dual_bank: bool
    sectors: tuple[Sector, ...]

    def __iter__(self) -> Iterator[Sector]:
        return iter(self.sectors)

    def __len__(self) -> int:
        return len(self.sectors)

    def __getitem__(self, i: int) -> Sector:
        return self.sectors[i]

    @property
    def numbers(self) -> list[int]:
        return [s.number for s in self.sectors]

    @property
    def mode(self) -> str:
        return "dual bank" if self.dual_bank else "single bank"

    def get(self, number: int) -> Sector | None:
        return next((s for s in self.sectors if s.number == number), None)

    def at(self, address: int) -> Sector | None:
        """The sector holding `address`, or None."""
        return next((s for s in self.sectors if s.start <= address < s.end), None)

    def covering(self, start: int, end: int) -> list[Sector]:
        """Sectors that overlap [start, end)."""
        return [s for s in self.sectors if s.start < end and start < s.end]

    def check(self, numbers: Iterable[int]) -> list[Sector]:
        """The sectors with these numbers, sorted; ValueError naming the first that does not exist."""
        chosen = []
        for n in sorted(set(numbers)):
            sector = self.get(n)
            if sector is None:
                raise ValueError(f"sector {n} does not exist on this chip ({self.describe()})")
            chosen.append(sector)
        return chosen

    def regions(self) -> list[tuple[int, int]]:
        """[(start, end)] of the flash, adjacent sectors merged."""
        out: list[list[int]] = []
        for s in self.sectors:
            if out and out[-1][1] == s.start:
                out[-1][1] = s.end
            else:
                out.append([s.start, s.end])
        return [(a, b) for a, b in out]

    def runs(self) -> list[tuple[int, int, int]]:
        """[(start, sector size, count)] of adjacent equal-size sectors (pyOCD flash regions)."""
        out: list[list[int]] = []
        for s in self.sectors:
            if out and out[-1][1] == s.size and out[-1][0] + out[-1][1] * out[-1][2] == s.start:
                out[-1][2] += 1
            else:
                out.append([s.start, s.size, 1])
        return [(a, b, c) for a, b, c in out]

    def describe(self) -> str:
        """'2048 KB dual bank: sectors 0-11 (bank 1), 12-23 (bank 2)'."""
        banks = sorted({s.bank for s in self.sectors})
        parts = []
        for bank in banks:
            numbers = [s.number for s in self.sectors if s.bank == bank]
            text = format_sectors(numbers)
            parts.append(f"{text} (bank {bank})" if len(banks) > 1 else text)
        return f"{self.flash_kb} KB {self.mode}: sectors {', '.join(parts)}"

    def to_record(self) -> dict[str, Any]:
        return {"flash_kb": self.flash_kb, "mode": self.mode,
                "sectors": [[s.number, f"0x{s.start:08X}", s.size // K, s.bank] for s in self.sectors]}


def make_bank(sizes: Sequence[int], base: int, *, first_number: int, snb_base: int,
              wrp: Callable[[int], int], bank: int) -> tuple[Sector, ...]:
    """Sectors of one bank: sizes in address order from `base`; `wrp(k)` is the nWRP bit of the
    k-th sector of the bank."""
    out, addr = [], base
    for k, size in enumerate(sizes):
        out.append(Sector(first_number + k, addr, size, snb_base + k, wrp(k), bank))
        addr += size
    return tuple(out)


def format_sectors(numbers: Iterable[int]) -> str:
    """[0, 1, 2, 3, 5, 12] -> '0-3, 5, 12'."""
    out: list[list[int]] = []
    for n in sorted(set(numbers)):
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


def parse_sectors(text: str) -> list[int]:
    """'0-3,12' -> [0, 1, 2, 3, 12]; ValueError with the bad piece."""
    out: set[int] = set()
    for piece in text.replace(" ", "").split(","):
        if not piece:
            continue
        lo, sep, hi = piece.partition("-")
        try:
            a = int(lo, 0)
            b = int(hi, 0) if sep else a
        except ValueError:
            raise ValueError(f"sector list {text!r}: {piece!r} is not a number or a range like 0-3") from None
        if a < 0 or b < a:
            raise ValueError(f"sector list {text!r}: {piece!r} is not a range from low to high")
        out.update(range(a, b + 1))
    if not out:
        raise ValueError(f"sector list {text!r} names no sector")
    return sorted(out)


__all__ = ["FlashLayout", "Sector", "format_sectors", "make_bank", "parse_sectors"]
