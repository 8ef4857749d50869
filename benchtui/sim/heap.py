"""Native-heap settings for a long-running simulator process (`benchtui sim`).

The virtual bench allocates large, short-lived buffers on several threads (the scope's sampled
records and trigger scans, numpy temporaries of the board model, the probe server's replies).
glibc's defaults let each thread grow its own 64 MB malloc arena and raise the mmap threshold
after the first large free, so later large buffers are carved out of those arenas, where
long-lived small blocks landing above them keep the freed space from being returned: a soak
measured the arenas' RSS growing ~2-4 MB per 100 cycles while Python's traced memory stayed flat.
A fixed mmap threshold (large buffers are mapped and unmapped, every time) and two arenas keep
the native heap flat. glibc only; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: Allocations of this size or more are mmapped (and unmapped when freed). glibc's default
#: starts here too, but rises up to 32 MB after the first such free.
MMAP_THRESHOLD = 256 * 1024
#: Free space at the top of an arena above this is given back to the system.
TRIM_THRESHOLD = 1024 * 1024
ARENA_MAX = 2


def bound_native_heap() -> bool:
    """Apply the settings above to this process; True if the C library took them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in (
        (M_ARENA_MAX, ARENA_MAX), (M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        (M_TRIM_THRESHOLD, TRIM_THRESHOLD)))


__all__ = ["bound_native_heap"]
