"""One owner thread per device, with an async facade.

pyvisa sessions and pyOCD sessions block, and a pyOCD session must stay on the thread that made
it. So each device gets a single worker thread that creates AND uses its session; everyone else
submits callables to it: `submit` returns a Future, `run` awaits it from asyncio (Textual, the
bench engine), `call` blocks (and runs inline when already on the owner thread, so driver code
that calls back into its own owner does not deadlock).

The worker is a daemon thread (not a ThreadPoolExecutor worker, which the interpreter joins at
exit): a driver call stuck in a read must never keep the process alive after the user aborted.
Every driver call is bounded by its own timeout anyway; this is what makes "abort within 2 s"
true whatever an instrument is doing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from typing import Any, Callable, TypeVar

from ..errors import BenchError

T = TypeVar("T")

_STOP = object()


class DeviceOwner:
    """A single daemon worker thread that owns one device's session; calls run in order."""

    def __init__(self, name: str):
        self.name = name
        self._closed = False
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=f"owner-{name}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # delivered to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)
            del future, fn, args, kwargs, item

    @property
    def on_owner_thread(self) -> bool:
        """True when the caller is this owner's worker thread."""
        return threading.current_thread() is self._thread

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "concurrent.futures.Future[T]":
        """Queue `fn(*args, **kwargs)` on the owner thread; calls run one at a time, in order."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise BenchError(f"{self.name} is closed: no more calls can be made to it",
                                 where=self.name)
            self._queue.put((future, fn, args, kwargs))
        return future

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

    def close(self, wait: bool = True, timeout: float | None = None) -> bool:
        """Refuse new calls, drop queued ones, and (unless on the owner thread) wait up to
        `timeout` for the running one to finish. True if the thread has ended. Safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP:
                        item[0].cancel()
                self._queue.put(_STOP)
        if wait and not self.on_owner_thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> "DeviceOwner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DeviceOwner({self.name!r}{', closed' if self._closed else ''})"
