"""UI responsiveness: time to first frame, event-loop stalls and key-to-screen latency while the loop runs.

    python benchmarks/ui.py [--cycles 2] [--size 100x30] [--presses 40] [--in-process] [--repeat 3]
                            [--profile DIR]

Key-to-screen latency: while the loop runs, a tab key is pressed every ~0.25 s and the time until
the compositor paints a frame showing the new tab is recorded (p50 / p95 / max). Goal p95 < 100 ms.

Goals: first frame < 1.5 s (from before the app module is imported, virtual bench excluded and
reported on its own), longest stall < 50 ms while full cycles (power-cycle, captures, connect,
erase, program, verify) run. The stall is measured by a probe task on the app's own loop that
asks to wake every 5 ms and records how late it wakes; an idle-app baseline is measured in the
same run, so the number to compare is the difference. The loop is started once the console is
ready (its warm-up thread has imported pyOCD and parsed the firmware, and the hidden tabs have
been drawn ahead (tui/tabs.py), ~3-4 s after start, printed as "start to ready"): a run started
before that shares the CPU with startup work.

By default the virtual bench runs in its own process (`benchtui sim`), as real instruments and
a real probe would: the number is then the console's own stall. `--in-process` runs it in the
app's process as `benchtui demo` does; the simulated board, scope and twin then compete with
the event loop for the GIL, which shows up as stalls that are not the console's work.

Baselines in the same run, for a shared machine: while the loop runs, a bare asyncio loop in its
own process measures its own stalls (what the machine alone does to a sleeping loop), and after
each run a bare Textual app (seven tabs of static text, same size, same keys) measures its
key-to-screen latency; the console's numbers are printed as ratios to these floors. On a
virtual machine the run also prints the hypervisor's steal time over the loop (/proc/stat):
while the vCPU is taken away, every process here is late, the console included. Numbers
that depend little on the load are printed too: the event-loop thread's CPU time per cycle
and per tab key, and how many layouts and frames Textual made per cycle.
`--profile DIR` also writes a cProfile of the event-loop thread (CPU time, `thread_time`) to
DIR/loop.prof and prints its top functions, and samples the event-loop thread's stack whenever
it is late by more than 30 ms (what the loop was doing during each stall).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import dataclasses
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

TICK_S = 0.005
#: The event loop counts as stalled (and its stack is sampled) once it is this late.
STALL_S = 0.030


class StallProbe:
    """Wakes every TICK_S on the running loop and records how late each wake-up is."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task | None = None
        self.beat = time.perf_counter()  # when the loop last ran the probe (read by StallSampler)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            self.beat = time.perf_counter()
            self.late.append(loop.time() - due)

    def start(self) -> None:
        self.late = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> tuple[float, float]:
        self._task.cancel()
        late = sorted(self.late) or [0.0]
        return late[-1], late[int(len(late) * 0.99) - 1 if len(late) > 1 else 0]


class PaintProbe:
    """Records when the app hands a frame to its driver (`App._display`, called headless too).

    The frame that counts shows the new tab with its content up to date. A panel that changed
    while hidden is drawn just after the frame that shows the tab (app.py `action_show_tab`):
    for such a panel the time is that of the first frame after its drawing, or of the drawing
    itself when it changed nothing on screen (the frame already shown was up to date).
    """

    def __init__(self, app) -> None:
        self.app = app
        #: (tab, future, the panel had changes to draw when the key was pressed, key time)
        self.waiter: tuple[str, asyncio.Future, bool, float] | None = None
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is not None and self.waiter is not None:
                tab, fut, stale, pressed = self.waiter
                pane = app.query_one(f"#{tab}-panel")
                active = getattr(app, "active_tab", None) or app.query_one("#tabs").active
                drawn = not stale or (not pane._stale and pane._painted_at >= pressed)
                if not fut.done() and pane.region.width > 0 and active == tab and drawn:
                    fut.set_result(time.perf_counter())
        app._display = display

    async def latency(self, key: str, tab: str, timeout: float = 5.0) -> float:
        """Send `key` the way a terminal's driver does and time until the frame showing `tab`.

        Not `pilot.press`: after each key the Pilot waits for every widget on the screen to
        process a message (its `_wait_for_screen`), work a terminal user's console never does,
        which competes with the frame being measured.
        """
        from textual import events
        fut = asyncio.get_running_loop().create_future()
        pane = self.app.query_one(f"#{tab}-panel")
        stale = bool(getattr(pane, "_stale", False))
        if stale:
            catch_up = pane.catch_up

            def drawn_then_check() -> None:
                catch_up()
                screen = self.app.screen
                idle = not (screen._dirty_widgets or screen._layout_required or screen._repaint_required)
                if idle and not fut.done() and pane.region.width > 0:  # nothing left to draw
                    fut.set_result(time.perf_counter())
            pane.catch_up = drawn_then_check
        self.waiter = (tab, fut, stale, time.monotonic())
        key_event = events.Key(key, key)
        key_event.set_sender(self.app)
        t0 = time.perf_counter()
        self.app._driver.send_message(key_event)
        try:
            painted = await asyncio.wait_for(fut, timeout)
        finally:
            self.waiter = None
            if stale:
                del pane.catch_up
        return painted - t0


class StallSampler:
    """A thread that samples the event-loop thread's stack while the loop is late (a poor man's
    py-spy that needs no ptrace): which code the loop was running during each stall. A stack that
    ends in `select` means the loop was idle and the delay was another thread holding the GIL
    (or the OS not scheduling the process)."""

    def __init__(self, probe: StallProbe, every_s: float = 0.002) -> None:
        self.probe, self.every_s = probe, every_s
        self.loop_thread = threading.get_ident()
        self.stacks: collections.Counter = collections.Counter()
        #: What the app's other threads were running during stalls: (thread name, innermost frames).
        self.others: collections.Counter = collections.Counter()
        self.stalls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        stalled = False
        while not self._stop.wait(self.every_s):
            late = time.perf_counter() - self.probe.beat > STALL_S + TICK_S
            if late and not stalled:
                self.stalls += 1
            stalled = late
            if late:
                frames = sys._current_frames()
                names = {t.ident: t.name for t in threading.enumerate()}
                for ident, other in frames.items():
                    if ident in (self.loop_thread, threading.get_ident()):
                        continue
                    where = []
                    while other is not None and len(where) < 3:
                        where.append(f"{Path(other.f_code.co_filename).name}:{other.f_code.co_name}")
                        other = other.f_back
                    self.others[(names.get(ident, "?").split(" ")[0], " < ".join(where))] += 1
                frame = frames.get(self.loop_thread)
                stack = []
                while frame is not None and len(stack) < 40:
                    code = frame.f_code
                    stack.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
                    frame = frame.f_back
                self.stacks[tuple(stack)] += 1

    def report(self, top: int = 8) -> str:
        total = sum(self.stacks.values())
        if not total:
            return "stall samples: none (no stall over %d ms)" % (STALL_S * 1e3)
        inclusive = collections.Counter()  # samples per frame that appears in the stack
        for stack, n in self.stacks.items():
            for frame in set(stack):
                inclusive[frame] += n
        lines = [f"stall samples: {total} in {self.stalls} stalls over {STALL_S * 1e3:.0f} ms "
                 f"(every {self.every_s * 1e3:.0f} ms); frames most often on the stack:"]
        skip = (" run", " run_until_complete", " run_forever", " _run_once", " _run", " main", " <module>")
        for frame, n in inclusive.most_common(60):
            if frame.startswith(("ui.py", "runners.py", "base_events.py", "events.py")) or frame.endswith(skip):
                continue
            lines.append(f"  {100 * n / total:5.1f}%  {frame}")
            if len(lines) > 25:
                break
        lines.append("most common stacks (innermost first):")
        for stack, n in self.stacks.most_common(top):
            lines.append(f"  {100 * n / total:5.1f}%  " + " < ".join(stack[:7]))
        lines.append("the app's other threads during those samples (a thread not blocked in I/O or a "
                     "lock competes for the GIL):")
        for (name, where), n in self.others.most_common(top + 4):
            lines.append(f"  {100 * n / total:5.1f}%  {name}: {where}")
        return "\n".join(lines)


class Counters:
    """Counts Textual's layouts and frames (and their CPU time on this thread) while installed."""

    def __init__(self) -> None:
        from textual.screen import Screen
        from textual.widget import Widget
        self.layouts = self.frames = 0
        self.layout_cpu = self.frame_cpu = 0.0
        #: Which widgets asked for a layout (a refresh with layout=True), by "Class#id".
        self.layout_requests: collections.Counter = collections.Counter()
        self._screen, self._widget = Screen, Widget
        self._saved = (Screen._refresh_layout, Screen._compositor_refresh, Widget.refresh)
        refresh_layout, compositor_refresh, widget_refresh = self._saved
        counters = self

        def counted_refresh(widget, *regions, **kw):
            if kw.get("layout") and not widget._layout_required:
                counters.layout_requests[f"{type(widget).__name__}#{widget.id or '-'}"] += 1
            return widget_refresh(widget, *regions, **kw)

        def counted_layout(screen, *a, **kw):
            t = time.thread_time()
            try:
                return refresh_layout(screen, *a, **kw)
            finally:
                counters.layouts += 1
                counters.layout_cpu += time.thread_time() - t

        def counted_frame(screen, *a, **kw):
            t = time.thread_time()
            try:
                return compositor_refresh(screen, *a, **kw)
            finally:
                counters.frames += 1
                counters.frame_cpu += time.thread_time() - t
        Screen._refresh_layout, Screen._compositor_refresh = counted_layout, counted_frame
        Widget.refresh = counted_refresh

    def remove(self) -> None:
        self._screen._refresh_layout, self._screen._compositor_refresh, self._widget.refresh = self._saved


def percentiles(values: list[float]) -> tuple[float, float, float]:
    v = sorted(values) or [0.0]
    return v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.95))], v[-1]


#: A bare asyncio loop in its own process, probing its own wake-ups until its stdin closes.
BARE_LOOP_SRC = f"""
import asyncio, sys, threading
late = []
async def main():
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)), daemon=True).start()
    while not done.is_set():
        due = loop.time() + {TICK_S}
        await asyncio.sleep({TICK_S})
        late.append(loop.time() - due)
asyncio.run(main())
late.sort()
print(late[-1] * 1e3, late[max(0, int(len(late) * 0.99) - 1)] * 1e3)
"""


class HostSteal:
    """The share of this machine's CPU time the hypervisor gave to others while we measured
    (`steal` in /proc/stat; None where there is no /proc/stat). A virtual machine's vCPU can be
    descheduled for tens of ms at a time: the event loop is then late while it runs nothing of
    its own (on the dev VM: 12-27 % steal while the loop ran, 0.6 % idle; one frame of 48 ms
    CPU took 148 ms wall)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> list[int] | None:
        try:
            with open("/proc/stat") as f:
                fields = f.readline().split()
        except OSError:
            return None
        return [int(v) for v in fields[1:9]] if fields and fields[0] == "cpu" and len(fields) > 8 else None

    def share(self) -> float | None:
        end = self._read()
        if self._start is None or end is None:
            return None
        delta = [b - a for a, b in zip(self._start, end)]
        total = sum(delta)
        return delta[7] / total if total else None


class BareLoop:
    """The machine's own stall floor: BARE_LOOP_SRC running beside the measurement."""

    def __init__(self) -> None:
        import subprocess
        self.proc = subprocess.Popen([sys.executable, "-c", BARE_LOOP_SRC], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def stop(self) -> tuple[float, float]:
        """(max, p99) lateness in ms."""
        out, _ = self.proc.communicate("", timeout=30)
        worst, p99 = (float(v) for v in out.split())
        return worst, p99


async def tab_keys(app, tabs: list[str], keys: dict[str, str], presses: int,
                   running=lambda: True) -> tuple[list[float], list[float]]:
    """Press a tab key every ~0.25 s (cycling through `tabs`) while `running()`:
    (wall seconds to the frame showing the tab, event-loop CPU seconds in that time) per key."""
    paint = PaintProbe(app)
    lat: list[float] = []
    cpu: list[float] = []
    i = 0
    while running() and len(lat) < presses:
        tab = tabs[i % len(tabs)]
        i += 1
        c = time.thread_time()
        try:
            lat.append(await paint.latency(keys[tab], tab))
        except asyncio.TimeoutError:
            lat.append(5.0)
        cpu.append(time.thread_time() - c)
        await asyncio.sleep(0.25)
    return lat, cpu


async def bare_textual(size: tuple[int, int], presses: int) -> tuple[list[float], list[float]]:
    """Key-to-screen latency of a bare Textual app: seven tabs of static text, no bench."""
    from textual.app import App
    from textual.widgets import Footer, Static, TabbedContent, TabPane

    tabs = [f"t{i}" for i in range(7)]

    class BareApp(App):
        BINDINGS = [(str(i), f"show('t{i}')", f"tab {i}") for i in range(7)]

        def __init__(self) -> None:
            super().__init__()
            self.animation_level = "none"  # as the console

        def compose(self):
            with TabbedContent(id="tabs"):
                for i, tab in enumerate(tabs):
                    with TabPane(f"{i} tab", id=tab):
                        yield Static("\n".join(f"tab {i} line {n}" for n in range(20)), id=f"{tab}-panel")
            yield Footer()

        def action_show(self, tab: str) -> None:
            self.query_one(TabbedContent).active = tab

    app = BareApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        order = tabs[1:] + tabs[:1]
        return await tab_keys(app, order, {t: t[1:] for t in tabs}, presses)


async def measure(profile, cycles: int, t_import: float, size: tuple[int, int] = (120, 36),
                  presses: int = 40, profile_dir: Path | None = None, stalls: bool = False) -> dict[str, float]:
    from benchtui.tui.app import BenchApp
    from benchtui.tui.keys import TAB_KEYS

    t_imported = time.perf_counter()
    app = BenchApp(profile)
    async with app.run_test(size=size) as pilot:
        t_first_frame = time.perf_counter()
        while not (app.session.state.psu_connected and app.session.state.scope_connected):
            await pilot.pause(0.02)
        # Startup ends when the warm-up thread (imports, firmware parse) is done; the loop is
        # started after it, and the time to it is reported as "ready".
        while not app.warmed_up and time.perf_counter() - t_first_frame < 30:
            await pilot.pause(0.02)
        t_ready = time.perf_counter()
        probe = StallProbe()
        probe.start()
        await asyncio.sleep(1.0)
        idle_max, idle_p99 = probe.stop()
        app.query_one("#cycles").value = str(cycles)
        bare_loop = BareLoop()
        steal = HostSteal()
        probe.start()
        counters = Counters()
        events = [0]
        sink = app.session.on_event  # every session and engine event passes here

        def counted_event(event):
            events[0] += 1
            sink(event)
        app.session.on_event = counted_event
        sampler = StallSampler(probe) if profile_dir or stalls else None
        prof = cProfile.Profile(time.thread_time) if profile_dir else None
        if sampler:
            sampler.start()
        if prof:
            prof.enable()
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        await pilot.press("l")
        loop = app.state.loop
        while app.engine is None:
            await asyncio.sleep(0.02)
        order = ["scope", "loop", "overview", "power", "target", "results", "log"]
        lat, key_cpu = await tab_keys(app, order, TAB_KEYS, presses, lambda: app.engine is not None)
        while app.engine is not None or len(loop.records) < cycles:
            await asyncio.sleep(0.02)
        run_s = time.perf_counter() - t0
        cpu = time.thread_time() - cpu0
        if prof:
            prof.disable()
        counters.remove()
        if sampler:  # before the probe: a stopped probe would read as one long stall
            sampler.stop()
        busy_max, busy_p99 = probe.stop()
        steal_share = steal.share()
        bare_max, bare_p99 = bare_loop.stop()
    bare_lat, bare_cpu = await bare_textual(size, max(len(lat), 10))
    extra = {"layout_requests": "layout requests per cycle by widget: " + ", ".join(
        f"{name} {n / cycles:.0f}" for name, n in counters.layout_requests.most_common(15))}
    if sampler:
        extra["stalls"] = sampler.report()
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(profile_dir / "loop.prof"))
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
        extra["profile"] = out.getvalue()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        extra["profile_self"] = out.getvalue()
    p50, p95, pmax = percentiles(lat)
    b50, b95, bmax = percentiles(bare_lat)
    return {"import_s": t_imported - t_import, "first_frame_s": t_first_frame - t_import,
            "ready_s": t_ready - t_import,
            "idle_max_ms": idle_max * 1e3, "idle_p99_ms": idle_p99 * 1e3,
            "loop_max_ms": busy_max * 1e3, "loop_p99_ms": busy_p99 * 1e3,
            "bare_loop_max_ms": bare_max, "bare_loop_p99_ms": bare_p99,
            "steal_pct": None if steal_share is None else steal_share * 100,
            "cycle_s": run_s / cycles, "key_p50_ms": p50 * 1e3, "key_p95_ms": p95 * 1e3,
            "key_max_ms": pmax * 1e3, "presses": len(lat),
            "bare_key_p50_ms": b50 * 1e3, "bare_key_p95_ms": b95 * 1e3, "bare_key_max_ms": bmax * 1e3,
            "key_cpu_ms": statistics.median(key_cpu) * 1e3 if key_cpu else 0.0,
            "bare_key_cpu_ms": statistics.median(bare_cpu) * 1e3 if bare_cpu else 0.0,
            "loop_cpu_per_cycle_s": cpu / cycles, "events_per_cycle": events[0] / cycles,
            "layouts_per_cycle": counters.layouts / cycles,
            "frames_per_cycle": counters.frames / cycles, "layout_cpu_per_cycle_s": counters.layout_cpu / cycles,
            "frame_cpu_per_cycle_s": counters.frame_cpu / cycles, **extra}


class SimProcess:
    """`benchtui sim` in a child process; `profile` is rewired to the resources it prints."""

    def __init__(self, profile):
        import subprocess
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchtui.cli", "sim", "--scenario", "healthy", "--off"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen: dict[str, str] = {}
        for line in self.proc.stdout:
            words = line.split()
            if words and words[0] in ("PSU", "scope", "probe"):
                seen[words[0]] = words[1]
            if line.startswith("Ctrl-C"):
                break
        if len(seen) < 3:
            self.stop()
            raise SystemExit(f"benchtui sim did not start: {seen}")
        self.profile = profile.replace(
            psu=dataclasses.replace(profile.psu, resource=seen["PSU"]),
            scope=dataclasses.replace(profile.scope, resource=seen["scope"]),
            target=dataclasses.replace(profile.target, probe_uid=seen["probe"]))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def spread(results: list[dict], key: str) -> str:
    values = sorted(r[key] for r in results)
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{values[0]:.0f}/{statistics.median(values):.0f}/{values[-1]:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--size", default="100x30", help="terminal size, e.g. 80x24")
    parser.add_argument("--presses", type=int, default=20, help="tab keys pressed while the loop runs")
    parser.add_argument("--repeat", type=int, default=1, help="measure N times (a shared machine is noisy)")
    parser.add_argument("--profile", metavar="DIR", type=Path,
                        help="cProfile the event-loop thread into DIR/loop.prof and sample its stack in stalls")
    parser.add_argument("--stalls", action="store_true",
                        help="sample the event-loop thread's stack during stalls (no profiler overhead)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the virtual bench in this process (as `benchtui demo` does)")
    args = parser.parse_args()
    from benchtui.cli import DEMO_PROFILE, start_virtual_bench
    from benchtui.profile import load_profile

    t = time.perf_counter()
    if args.in_process:
        vb, live = start_virtual_bench(load_profile(DEMO_PROFILE), scenario="healthy")
    else:
        vb = SimProcess(load_profile(DEMO_PROFILE))
        live = vb.profile
    vb_s = time.perf_counter() - t
    size = tuple(int(v) for v in args.size.split("x"))
    results = []
    try:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                run = live.replace(store=dataclasses.replace(live.store, database=str(Path(tmp) / "b.db")))
                t_import = time.perf_counter()
                results.append(asyncio.run(measure(run, args.cycles, t_import, size, args.presses,
                                                   args.profile, args.stalls)))
    finally:
        vb.stop()
    r = results[0]
    where = "in this process" if args.in_process else "own process"
    print(f"virtual bench {where}, {args.size}, {args.cycles} cycles a run, {len(results)} runs")
    print(f"virtual bench start          {vb_s * 1e3:8.0f} ms   (not part of the first frame)")
    print(f"app import                   {r['import_s'] * 1e3:8.0f} ms   (run 1: cold imports)")
    print(f"start to first frame         {r['first_frame_s'] * 1e3:8.0f} ms   goal < 1500 ms")
    print(f"start to ready               {r['ready_s'] * 1e3:8.0f} ms   (warm-up done: the loop starts after it)")
    for n, x in enumerate(results, 1):
        print(f"run {n}: key-to-screen p50 {x['key_p50_ms']:5.0f}  p95 {x['key_p95_ms']:5.0f}  max {x['key_max_ms']:5.0f} ms "
              f"({x['presses']} tab keys; bare Textual p50 {x['bare_key_p50_ms']:.0f} p95 {x['bare_key_p95_ms']:.0f}, "
              f"ratio p95 {x['key_p95_ms'] / max(x['bare_key_p95_ms'], 1e-3):.1f}); "
              f"stall max {x['loop_max_ms']:5.0f} p99 {x['loop_p99_ms']:4.0f} ms "
              f"(bare loop, same time: max {x['bare_loop_max_ms']:.0f} p99 {x['bare_loop_p99_ms']:.0f}; "
              f"idle app max {x['idle_max_ms']:.0f}"
              + ("" if x["steal_pct"] is None else f"; host steal {x['steal_pct']:.1f} % of CPU time") + ")")
    for n, x in enumerate(results, 1):
        print(f"run {n}: event-loop CPU {x['loop_cpu_per_cycle_s'] * 1e3:5.0f} ms/cycle, "
              f"{x['key_cpu_ms']:4.1f} ms per tab key (median; bare Textual {x['bare_key_cpu_ms']:.1f}), "
              f"{x['events_per_cycle']:.0f} bench events, "
              f"{x['layouts_per_cycle']:.0f} layouts ({x['layout_cpu_per_cycle_s'] * 1e3:.0f} ms CPU), "
              f"{x['frames_per_cycle']:.0f} frames ({x['frame_cpu_per_cycle_s'] * 1e3:.0f} ms CPU) per cycle; "
              f"cycle {x['cycle_s']:.1f} s")
    print(results[-1]["layout_requests"])
    if "stalls" in results[-1]:
        print(results[-1]["stalls"])
    if args.profile:
        print(results[-1]["profile"])
        print(results[-1]["profile_self"])
    print(f"min/median/max of {len(results)}: key p50 {spread(results, 'key_p50_ms')}  "
          f"p95 {spread(results, 'key_p95_ms')} ms (goal < 100; bare Textual p95 {spread(results, 'bare_key_p95_ms')}); "
          f"stall max {spread(results, 'loop_max_ms')} ms (goal < 50; bare loop {spread(results, 'bare_loop_max_ms')}); "
          f"CPU per tab key {spread(results, 'key_cpu_ms')} ms (bare Textual {spread(results, 'bare_key_cpu_ms')})")
    ok = r["first_frame_s"] < 1.5 and all(x["loop_max_ms"] < 50 and x["key_p95_ms"] < 100 for x in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
