"""What the twin's silicon answers when an access cannot complete."""

from __future__ import annotations


class BusFault(Exception):
    """A bus access the silicon answers with an error (unmapped, RDP-protected)."""

    def __init__(self, address: int):
        super().__init__(f"bus fault at 0x{address:08x}")
        self.address = address


class NoAck(Exception):
    """The target does not answer SWD at all (unpowered, no contact, RDP level 2)."""
