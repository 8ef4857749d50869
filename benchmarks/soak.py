"""Soak: the loop for N minutes against a virtual bench in another process, the probe over TCP.

    python benchmarks/soak.py [--minutes 10] [--scenario swd-intermittent] [--image-kb 64]

Two processes, as a remote bench runs them: `benchtui sim` (SCPI instruments and the twin behind
its probe server, on free localhost ports) and `benchtui run` (the loop, probe uid
`remote:127.0.0.1:PORT`). The run is stopped with SIGINT after N minutes (a second SIGINT and
then a kill only if it does not stop). Printed:

  cycles      recorded in the database
  crashes     a process that died with a traceback or an unexpected exit code
  hangs       no new cycle for STALL_S seconds, or a process that did not exit within EXIT_S
  lost        cycles the run counted but the database does not hold, or gaps in the indices
  RSS growth  per 100 cycles, both processes: slope of RSS over recorded cycles, after the first
              20% and over the second half (the goal's figure: bounded caches have filled by then)
Goal: 0 / 0 / 0 / under 1 MB per 100 cycles over 10 minutes. A run that stops cleanly before the
time is up (a fatal, classified bench error) is restarted and counted under "clean stops".

`--diagnose` says where the sim's memory goes: every sample also splits its RSS by mapping kind
from /proc/PID/smaps (heap = brk heap, arena = 64 MB malloc arenas of threads, anon-big = other
anonymous mappings of 1 MB or more such as Unicorn's translation buffer, anon = smaller
anonymous, file = libraries), printed as slopes per 100 cycles. `--tracemalloc` also runs the
sim under tracemalloc (a SIGUSR1 handler added by a bootstrap, the sim's code unchanged) and
prints Python's traced growth and the source lines that grew most over the second half; it
slows the sim ~2x and inflates its heap, so its RSS figures are not the goal's.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "profiles" / "demo-stm32f767.toml"
STALL_S = 90.0
EXIT_S = 20.0
SAMPLE_S = 2.0


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def smaps_kb(pid: int) -> dict[str, int] | None:
    """RSS in KB by mapping kind (see the module doc) from /proc/PID/smaps."""
    kinds = dict.fromkeys(("heap", "arena", "anon-big", "anon", "file", "other"), 0)
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return None
    kind = "other"
    for line in text.splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            lo, hi = (int(x, 16) for x in head[0].split("-"))
            name = head[5].strip() if len(head) > 5 else ""
            size = hi - lo
            if name == "[heap]":
                kind = "heap"
            elif name.startswith("/"):
                kind = "file"
            elif name:
                kind = "other"
            elif size == 64 << 20 or (lo & ((64 << 20) - 1)) == 0 and size <= 64 << 20:
                kind = "arena"
            elif size >= 1 << 20:
                kind = "anon-big"
            else:
                kind = "anon"
        elif line.startswith("Rss:"):
            kinds[kind] += int(line.split()[1])
    return kinds


#: Run as `python -X tracemalloc=1 -c BOOTSTRAP ARGS...` with BENCHTUI_SOAK_SNAP set: `benchtui`
#: with a SIGUSR1 handler that writes a tracemalloc snapshot to $BENCHTUI_SOAK_SNAP.N.
BOOTSTRAP = """
import os, signal, sys, tracemalloc
_n = [0]
def _snap(signum, frame):
    _n[0] += 1
    tracemalloc.take_snapshot().dump(f"{os.environ['BENCHTUI_SOAK_SNAP']}.{_n[0]}")
signal.signal(signal.SIGUSR1, _snap)
from benchtui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cycles_in(db: Path) -> tuple[int, int, list[int]]:
    """(cycles, failures, index gaps) over every run in the database."""
    if not db.exists():
        return 0, 0, []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT run_id, idx, passed FROM cycles ORDER BY run_id, idx").fetchall()
    except sqlite3.Error:
        return 0, 0, []
    finally:
        con.close()
    gaps, last = [], {}
    for run, idx, _ in rows:
        expected = last.get(run, 0) + 1
        gaps.extend(range(expected, idx))
        last[run] = idx
    return len(rows), sum(1 for *_, p in rows if not p), gaps


def slope_per_100(points: list[tuple[int, int]], skip: float = 0.2) -> float | None:
    """KB per 100 cycles, least squares over (cycles, rss_kb) after the first `skip` of cycles."""
    if not points:
        return None
    top = points[-1][0]
    pts = [(c, r) for c, r in points if c >= skip * top]
    if len(pts) < 3 or pts[-1][0] == pts[0][0]:
        return None
    n = len(pts)
    mx = sum(c for c, _ in pts) / n
    my = sum(r for _, r in pts) / n
    sxx = sum((c - mx) ** 2 for c, _ in pts)
    sxy = sum((c - mx) * (r - my) for c, r in pts)
    return 100 * sxy / sxx if sxx else None


def write_profile(src: Path, dst: Path, **replace: str) -> None:
    text = src.read_text()
    for key, value in replace.items():
        section, name = key.split(".")
        pattern = re.compile(rf"(\[{section}\][^\[]*?^{name}\s*=\s*)([^\n]*)", re.M | re.S)
        text, n = pattern.subn(lambda m: m.group(1) + value, text, count=1)
        if not n:
            raise SystemExit(f"soak: {src} has no {key}")
    dst.write_text(text)


def start_sim(profile: Path, scenario: str, log: Path,
              snap: Path | None = None) -> tuple[subprocess.Popen, dict[str, str]]:
    out = open(log, "w")
    cmd = [sys.executable, "-m", "benchtui.cli"]
    env = None
    if snap is not None:
        cmd = [sys.executable, "-X", "tracemalloc=1", "-c", BOOTSTRAP]
        env = {**os.environ, "BENCHTUI_SOAK_SNAP": str(snap)}
    proc = subprocess.Popen(cmd + ["sim", "--profile", str(profile), "--scenario", scenario],
                            stdout=subprocess.PIPE, stderr=out, text=True, env=env)
    found: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(found) < 3:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.match(r"\s+(PSU|scope|probe)\s+(\S+)", line)
        if m:
            found[m.group(1)] = m.group(2)
    if len(found) < 3:
        proc.kill()
        raise SystemExit(f"soak: benchtui sim did not start (see {log})")
    return proc, found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--scenario", default="swd-intermittent")
    ap.add_argument("--image-kb", type=int, default=64, help="firmware size (0 = the seed-sized image)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--diagnose", action="store_true", help="split the sim's growth by mapping kind")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="with --diagnose: also by Python source line (slow)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="benchtui-soak-"))
    sim_profile, run_profile, db = work / "sim.toml", work / "run.toml", work / "soak.db"
    fw = work / "fw.hex"
    from benchtui.sim.firmware import SEED_IMAGE_SIZE, write_test_hex
    write_test_hex(fw, size=args.image_kb * 1024 if args.image_kb else SEED_IMAGE_SIZE)
    write_profile(DEMO, sim_profile, **{"sim.psu_port": "0", "sim.scope_port": "0", "sim.probe_port": "0",
                                        "target.firmware": f'"{fw}"'})
    sim, found = start_sim(sim_profile, args.scenario, work / "sim.log",
                           snap=work / "snap" if args.diagnose and args.tracemalloc else None)
    write_profile(sim_profile, run_profile, **{"psu.resource": f'"{found["PSU"]}"',
                                               "scope.resource": f'"{found["scope"]}"',
                                               "target.probe_uid": f'"{found["probe"]}"'})
    print(f"soak: {args.minutes:g} min, scenario {args.scenario}, image {args.image_kb or 689} KB, "
          f"probe {found['probe']} (sim pid {sim.pid})", flush=True)

    crashes = hangs = clean_stops = 0
    notes: list[str] = []
    rss_sim: list[tuple[int, int]] = []
    rss_run: list[tuple[int, int]] = []
    kinds: dict[str, list[tuple[int, int]]] = {}
    snaps: list[tuple[int, int]] = []     # (cycles, snapshot number)
    counted = 0
    end = time.monotonic() + args.minutes * 60
    run_no = 0
    while time.monotonic() < end:
        run_no += 1
        log = work / f"run{run_no}.log"
        run = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "run", "--profile", str(run_profile),
                                "--until-stopped", "--db", str(db), "-q"],
                               stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
        last_cycles, last_change = cycles_in(db)[0], time.monotonic()
        stalled = False
        while run.poll() is None and time.monotonic() < end:
            time.sleep(SAMPLE_S)
            n = cycles_in(db)[0]
            for pid, series in ((sim.pid, rss_sim), (run.pid, rss_run)):
                kb = rss_kb(pid)
                if kb is not None:
                    series.append((n, kb))
            if args.diagnose:
                for kind, kb in (smaps_kb(sim.pid) or {}).items():
                    kinds.setdefault(kind, []).append((n, kb))
                if args.tracemalloc and (not snaps or n - snaps[-1][0] >= 10):
                    sim.send_signal(signal.SIGUSR1)
                    snaps.append((n, len(snaps) + 1))
            if n != last_cycles:
                last_cycles, last_change = n, time.monotonic()
            elif time.monotonic() - last_change > STALL_S:
                hangs += 1
                stalled = True
                notes.append(f"run {run_no}: no new cycle for {STALL_S:.0f} s (see {log})")
                break
            if sim.poll() is not None:
                crashes += 1
                notes.append(f"benchtui sim exited with {sim.returncode} (see {work / 'sim.log'})")
                end = 0
                break
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
            try:
                out, _ = run.communicate(timeout=EXIT_S)
            except subprocess.TimeoutExpired:
                run.send_signal(signal.SIGINT)
                try:
                    out, _ = run.communicate(timeout=EXIT_S)
                except subprocess.TimeoutExpired:
                    if not stalled:
                        hangs += 1
                    notes.append(f"run {run_no}: did not exit after two SIGINTs: killed")
                    run.kill()
                    out, _ = run.communicate()
        else:
            out = run.stdout.read()
        m = re.search(r"run \d+: (\d+) cycles", out or "")
        counted += int(m.group(1)) if m else 0
        text = log.read_text(errors="replace")
        if "Traceback" in text or run.returncode not in (0, 1, 2, 130, -signal.SIGKILL):
            crashes += 1
            notes.append(f"run {run_no}: exit {run.returncode}, traceback in {log}")
        elif run.returncode == 2 and time.monotonic() < end:
            clean_stops += 1
            lines = [ln for ln in text.splitlines() if ln.strip()]
            notes.append(f"run {run_no}: stopped cleanly: {lines[-1] if lines else '?'}")
            if cycles_in(db)[0] == last_cycles and clean_stops >= 3 and last_cycles == 0:
                notes.append("the run stops before its first cycle every time: giving up")
                break
    sim.send_signal(signal.SIGINT)
    try:
        sim.wait(EXIT_S)
    except subprocess.TimeoutExpired:
        hangs += 1
        notes.append("benchtui sim did not exit on SIGINT: killed")
        sim.kill()
        sim.wait()
    if "Traceback" in (work / "sim.log").read_text(errors="replace"):
        crashes += 1
        notes.append(f"traceback in {work / 'sim.log'}")

    cycles, failures, gaps = cycles_in(db)
    lost = max(0, counted - cycles) + len(gaps)
    s_sim, s_run = slope_per_100(rss_sim), slope_per_100(rss_run)
    # Second half: after the bounded caches have filled (the board model keeps 60 s of supply
    # history, Unicorn a 2 MB translation buffer), what is left is growth without bound.
    h_sim, h_run = slope_per_100(rss_sim, 0.5), slope_per_100(rss_run, 0.5)
    fmt = lambda s: "n/a" if s is None else f"{s / 1024:+.2f} MB"  # noqa: E731
    with open(work / "rss.csv", "w") as f:
        f.write("process,cycles,rss_kb\n")
        for name, series in (("sim", rss_sim), ("run", rss_run)):
            f.writelines(f"{name},{c},{r}\n" for c, r in series)
    print(f"cycles {cycles} ({failures} failed, {run_no} run(s), {clean_stops} clean stop(s))")
    print(f"crashes {crashes}  hangs {hangs}  lost cycles {lost}")
    print(f"RSS growth per 100 cycles after 20%: sim {fmt(s_sim)}, run {fmt(s_run)}; "
          f"second half: sim {fmt(h_sim)}, run {fmt(h_run)} "
          f"(sim {rss_sim[-1][1] / 1024 if rss_sim else 0:.0f} MB, run {rss_run[-1][1] / 1024 if rss_run else 0:.0f} MB at the end)")
    s_sim, s_run = h_sim, h_run
    if args.diagnose:
        diagnose(work / "snap", kinds, snaps)
        with open(work / "smaps.csv", "w") as f:
            f.write("kind,cycles,rss_kb\n")
            for kind, series in kinds.items():
                f.writelines(f"{kind},{c},{r}\n" for c, r in series)
    for note in notes[:20]:
        print(f"  {note}")
    if len(notes) > 20:
        print(f"  ... and {len(notes) - 20} more")
    ok = crashes == 0 and hangs == 0 and lost == 0 and all(
        s is not None and s < 1024 for s in (s_sim, s_run))
    print(f"goal 0/0/0/<1 MB per 100 cycles: {'met' if ok else 'NOT met'}")
    if args.keep or not ok:
        print(f"work folder: {work}")
    else:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def diagnose(snap: Path, kinds: dict[str, list[tuple[int, int]]],
             snaps: list[tuple[int, int]]) -> None:
    """Print where the sim's RSS went: by mapping kind, Python's share, the growing lines."""
    import tracemalloc
    fmt = lambda s: "n/a" if s is None else f"{s / 1024:+.2f}"  # noqa: E731
    print("sim RSS growth per 100 cycles by mapping kind, MB (after 20% / second half):")
    for kind, series in kinds.items():
        print(f"  {kind:9s} {fmt(slope_per_100(series))} / {fmt(slope_per_100(series, 0.5))}"
              f"  ({series[-1][1] / 1024:.1f} MB at the end)")
    if not snaps:
        return
    loaded = []
    for n, k in snaps:
        path = Path(f"{snap}.{k}")
        if path.exists():
            loaded.append((n, path))
    if len(loaded) < 3:
        print("  (too few tracemalloc snapshots)")
        return
    traced = [(n, sum(st.size for st in tracemalloc.Snapshot.load(str(p)).statistics("filename")) // 1024)
              for n, p in loaded]
    print(f"  python    {fmt(slope_per_100(traced))} / {fmt(slope_per_100(traced, 0.5))}"
          f"  ({traced[-1][1] / 1024:.1f} MB traced at the end)")
    half = next(p for n, p in loaded if n >= loaded[-1][0] / 2)
    a, b = tracemalloc.Snapshot.load(str(half)), tracemalloc.Snapshot.load(str(loaded[-1][1]))
    print("  lines whose traced memory grew most over the second half:")
    for st in b.compare_to(a, "lineno")[:12]:
        print(f"    {st.size_diff / 1024:+8.1f} KB {st.count_diff:+6d} blocks  {st.traceback}")


if __name__ == "__main__":
    sys.exit(main())
