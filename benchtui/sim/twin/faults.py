"""What the twin's silicon answers when an access cannot complete."""

from __future__ import annotations


class BusFault(Exception):
    """A bus access the silicon answers with an error (unmapped, RDP-protected)."""

    def __init__(self, address: int):
        super().__init__(f"bus fault at 0x{address:08x}")
        self.address = address


class NoAck(Exception):
    """The target does not answer SWD at all (unpowered, no contact, RDP level 2)."""


#: Words a clone, another revision or a chip in an odd state may fault on, by the name
#: `[sim] fault_words` gives them: the 96-bit unique ID, the package word, the flash-size word
#: and the stored option-byte area(s).
FAULT_WORDS = ("uid", "package", "flash_size", "options")


def fault_ranges(variant, words=(), addresses=()) -> tuple[tuple[int, int], ...]:
    """[start, end) ranges a debugger read faults on: the named `words` of `variant` (a
    TwinVariant) and one 32-bit word at each of `addresses`."""
    ranges: list[tuple[int, int]] = []
    for word in words:
        if word == "uid":
            ranges.append((variant.uid_addr, variant.uid_addr + 12))
        elif word == "package":
            if variant.package_addr is not None:
                ranges.append((variant.package_addr, variant.package_addr + 2))
        elif word == "flash_size":
            ranges.append((variant.flash_size_addr, variant.flash_size_addr + 2))
        elif word == "options":
            from .constants import OPTION_IMAGE_SIZE
            ranges.extend((base, base + OPTION_IMAGE_SIZE) for base in variant.option_images)
        else:
            raise ValueError(f"fault word {word!r} unknown (known: {', '.join(FAULT_WORDS)})")
    ranges.extend((a & ~3, (a & ~3) + 4) for a in addresses)
    return tuple(ranges)


def first_fault(ranges: tuple[tuple[int, int], ...], addr: int, n: int) -> int | None:
    """The first address of [addr, addr + n) inside one of `ranges`, or None."""
    hits = [max(addr, start) for start, end in ranges if start < addr + n and addr < end]
    return min(hits) if hits else None
