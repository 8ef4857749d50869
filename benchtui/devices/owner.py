"""One owner thread per device, with an async facade.

pyvisa sessions and pyOCD sessions block, and a pyOCD session must stay on the thread that made
it. So each device gets a single worker thread that creates AND uses its session; everyone else
submits callables to it: `submit` returns a Future, `run` awaits it from asyncio (Textual, the
bench engine), `call` blocks (and runs inline when already on the owner thread, so driver code
that calls back into its own owner does not deadlock).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, TypeVar

from ..errors import BenchError

T = TypeVar("T")


class DeviceOwner:
    """A single-worker executor that owns one device's session."""

    def __init__(self, name: str):
        self.name = name
        self._local = threading.local()
        self._closed = False
        self._lock = threading.Lock()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"owner-{name}", initializer=self._mark_owner)

    def _mark_owner(self) -> None:
        self._local.is_owner = True

    @property
    def on_owner_thread(self) -> bool:
        """True when the caller is this owner's worker thread."""
        return getattr(self._local, "is_owner", False)

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "concurrent.futures.Future[T]":
        """Queue `fn(*args, **kwargs)` on the owner thread; calls run one at a time, in order."""
        with self._lock:
            if self._closed:
                raise BenchError(f"{self.name} is closed: no more calls can be made to it",
                                 where=self.name)
            return self._executor.submit(fn, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Await `fn(*args, **kwargs)` run on the owner thread (exceptions propagate as is)."""
        if self.on_owner_thread:
            return fn(*args, **kwargs)
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` on the owner thread and wait for it; inline if already there."""
        if self.on_owner_thread:
            return fn(*args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    def close(self, wait: bool = True) -> None:
        """Refuse new calls, drop queued ones, and (unless on the owner thread) wait for the
        running one to finish. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._executor.shutdown(wait=wait and not self.on_owner_thread, cancel_futures=True)

    def __enter__(self) -> "DeviceOwner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DeviceOwner({self.name!r}{', closed' if self._closed else ''})"
