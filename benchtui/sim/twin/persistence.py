"""The twin's state file: flash array and option bytes across runs (atomic writes)."""

from __future__ import annotations

import json
import os
import tempfile

STATE_FORMAT = "benchtui-twin-1"


class StateFile:
    """Mixin of `Stm32Twin`: `save()`, `save_if_dirty()`, `_load_state()`."""

    def save(self) -> None:
        """Write flash + option bytes to the state file (atomically); no-op without one."""
        if self.state_file is None:
            return
        with self.lock:
            header = json.dumps({"format": STATE_FORMAT, "variant": self.variant.name,
                                 "words": list(self.nv.words)}).encode()
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, suffix=".twin.tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(header + b"\n")
                f.write(self.nv.flash)
            os.replace(tmp, self.state_file)
            self._nv_dirty = False

    def save_if_dirty(self) -> None:
        if self._nv_dirty:
            self.save()

    def _load_state(self) -> None:
        path = self.state_file
        raw = path.read_bytes()
        head, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            raise ValueError(f"twin state file {path}: not a {STATE_FORMAT} file") from None
        if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT \
                or meta.get("variant") != self.variant.name:
            got = meta.get("variant") if isinstance(meta, dict) else None
            raise ValueError(f"twin state file {path}: holds variant {got!r}, "
                             f"expected {self.variant.name!r}")
        if len(body) != len(self.nv.flash):
            raise ValueError(f"twin state file {path}: flash image is {len(body)} bytes, "
                             f"expected {len(self.nv.flash)}")
        self.nv.flash[:] = body
        if "words" in meta:
            words = [int(w) for w in meta["words"]]
        else:   # written before the option words had a list (F4/F7 files)
            words = [int(meta["optcr"]), int(meta["optcr1"])]
        if len(words) != len(self.nv.words):
            raise ValueError(f"twin state file {path}: {len(words)} option words, expected "
                             f"{len(self.nv.words)}")
        self.nv.words[:] = words
