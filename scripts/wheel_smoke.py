"""Build benchtui's sdist and wheel, install the wheel into a fresh venv outside the checkout and
use it from an empty folder as a new user would.

    python scripts/wheel_smoke.py            # CI: isolated build, dependencies from the index
    python scripts/wheel_smoke.py --offline  # no network: build with this venv's setuptools, the
                                             # fresh venv sees this venv's dependencies (.pth)

From the empty folder: `benchtui --version`, `benchtui profiles`, `benchtui run --virtual
--cycles 3`, `benchtui report`, `benchtui report --html`, and `benchtui demo` in tmux up to the
overview and out again with `q`. Checks that the files the demo makes land in the user's data
directory (platformdirs, XDG_DATA_HOME here) and that nothing is written inside site-packages.
tests/test_wheel.py runs the offline form; .ci/run the online one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the overview shows once both instruments answered (the status bar) and the PSU was read.
OVERVIEW_MARKS = ("PSU RIGOL DP832", "scope RIGOL DS1054Z", "0 Overview", "read ")
#: Longest wait for one command (the 3-cycle run flashes the 690 KB demo image three times).
COMMAND_TIMEOUT_S = 300
CONSOLE_TIMEOUT_S = 90


class SmokeFailure(AssertionError):
    pass


@dataclass
class Smoke:
    work: Path                       # everything lives under here (removed by the caller)
    offline: bool
    log: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    contents: dict[str, object] = field(default_factory=dict)

    # -- build ----------------------------------------------------------------------------------
    def build(self) -> tuple[Path, Path]:
        """sdist, then the wheel built from the unpacked sdist (what `python -m build` does)."""
        dist = self.work / "dist"
        cmd = [sys.executable, "-m", "build", "--outdir", str(dist)]
        if self.offline:
            cmd.append("--no-isolation")
        self.run("build", cmd + [str(ROOT)], cwd=ROOT, env=os.environ.copy())
        wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            raise SmokeFailure(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
        return wheels[0], sdists[0]

    # -- install --------------------------------------------------------------------------------
    def venv(self, wheel: Path) -> Path:
        """A fresh venv outside the checkout with the wheel installed; returns its bin/."""
        venv = self.work / "venv"
        if self.offline:
            self.run("venv", [sys.executable, "-m", "venv", "--without-pip", str(venv)])
            site = self.site_packages(venv)
            deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
            (site / "benchtui-smoke-deps.pth").write_text("\n".join(deps) + "\n")
            self.run("install", [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                                 "install", "--quiet", "--no-deps", "--no-index", str(wheel)])
        else:
            self.run("venv", [sys.executable, "-m", "venv", str(venv)])
            self.run("install", [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
        return venv / "bin"

    @staticmethod
    def site_packages(venv: Path) -> Path:
        found = sorted((venv / "lib").glob("python3*/site-packages"))
        if len(found) != 1:
            raise SmokeFailure(f"{venv}: expected one site-packages, found {found}")
        return found[0]

    # -- use ------------------------------------------------------------------------------------
    def use(self, bin_dir: Path, wheel: Path) -> None:
        empty = self.work / "empty"
        empty.mkdir()
        data = self.work / "xdg-data"
        env = {k: v for k, v in os.environ.items()
               if k not in ("BENCHTUI_DATA_DIR", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(XDG_DATA_HOME=str(data), XDG_CACHE_HOME=str(self.work / "xdg-cache"),
                   PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", COLUMNS="100")
        # Nothing of the checkout on the path (tests/netguard, which only guards connections, may stay).
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in env.get("PYTHONPATH", "").split(os.pathsep)
            if p and (not Path(p).resolve().is_relative_to(ROOT) or Path(p).name == "netguard"))
        site = self.site_packages(bin_dir.parent)
        before = self.files(site)
        benchtui = str(bin_dir / "benchtui")

        where = self.run("import", [str(bin_dir / "python"), "-c", "import benchtui; print(benchtui.__file__)"],
                         cwd=empty, env=env).stdout.strip()
        if not Path(where).resolve().is_relative_to(site.resolve()):
            raise SmokeFailure(f"benchtui was imported from {where}, not from the wheel in {site}")

        version = wheel.name.split("-")[1]
        out = self.run("--version", [benchtui, "--version"], cwd=empty, env=env).stdout.strip()
        self.expect(out == f"benchtui {version}", f"`benchtui --version` printed {out!r}, not 'benchtui {version}'")

        out = self.run("profiles", [benchtui, "profiles"], cwd=empty, env=env).stdout
        self.expect("demo-stm32f767" in out, f"`benchtui profiles` does not list the demo profile:\n{out}")

        result = self.run("run --virtual --cycles 3", [benchtui, "run", "--virtual", "--cycles", "3", "-q"],
                          cwd=empty, env=env, ok=(0, 1))
        database = data / "benchtui" / "benchtui-demo.db"
        self.expect(database.is_file(), f"the demo's database is not in the data directory ({database}):\n"
                                        f"{result.stderr}")
        self.expect((data / "benchtui" / "firmware" / "board-test-v1.hex").is_file(),
                    "the demo's test firmware is not in the data directory")

        out = self.run("report", [benchtui, "report"], cwd=empty, env=env).stdout
        self.expect(out.startswith("run 1 ") and "3 cycles" in out, f"`benchtui report` printed:\n{out[:600]}")

        self.run("report --html", [benchtui, "report", "--html"], cwd=empty, env=env)
        html = empty / "benchtui-run1.html"
        self.expect(html.is_file() and html.stat().st_size > 20_000 and "<svg" in html.read_text("utf-8"),
                    f"`benchtui report --html` did not write a report with plots to {html}")

        self.console(benchtui, empty, env)

        made = sorted(p.name for p in empty.iterdir())
        self.expect(made == ["benchtui-run1.html"], f"the empty folder holds {made}, not only the report")
        written = sorted(self.files(site) - before)
        self.expect(not written, f"files written inside site-packages: {written[:10]}")

    def console(self, benchtui: str, cwd: Path, env: dict[str, str]) -> None:
        """`benchtui demo` in tmux: wait for the overview with both instruments, then `q`."""
        tmux = shutil.which("tmux")
        if tmux is None:
            raise SmokeFailure("tmux is not installed (apt-get install tmux)")
        sock = f"benchtui-smoke-{os.getpid()}"
        base = [tmux, "-L", sock]
        started = time.monotonic()
        marker = self.work / "console-exit"
        shell = f"{benchtui} demo; echo $? > {marker}"
        subprocess.run(base + ["-f", "/dev/null", "new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30",
                               "-c", str(cwd), shell], check=True, env=env)
        try:
            screen = ""
            while not all(mark in screen for mark in OVERVIEW_MARKS):
                if marker.exists() or time.monotonic() - started > CONSOLE_TIMEOUT_S:
                    raise SmokeFailure("the console did not show the overview with both instruments "
                                       f"within {CONSOLE_TIMEOUT_S} s; screen:\n{screen}")
                time.sleep(0.25)
                screen = subprocess.run(base + ["capture-pane", "-p", "-t", "smoke"], capture_output=True,
                                        text=True, env=env).stdout
            self.timings["console to overview"] = time.monotonic() - started
            self.log.append("console: overview shown\n" + screen)
            subprocess.run(base + ["send-keys", "-t", "smoke", "q"], check=True, env=env)
            deadline = time.monotonic() + 20
            while not marker.exists():
                if time.monotonic() > deadline:
                    raise SmokeFailure("the console did not exit within 20 s of `q`")
                time.sleep(0.1)
            code = marker.read_text().strip()
            self.expect(code == "0", f"`benchtui demo` exited with {code} after `q`")
        finally:
            subprocess.run(base + ["kill-server"], capture_output=True, env=env)

    # -- helpers --------------------------------------------------------------------------------
    def run(self, name: str, cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = subprocess.run(cmd, cwd=cwd or self.work, env=env, capture_output=True, text=True,
                                timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
        self.timings[name] = time.monotonic() - started
        self.log.append(f"$ {' '.join(cmd)}  -> {result.returncode} ({self.timings[name]:.1f} s)")
        if result.returncode not in ok:
            raise SmokeFailure(f"{name}: exit {result.returncode}\n$ {' '.join(cmd)}\n"
                               f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        return result

    @staticmethod
    def expect(condition: bool, message: str) -> None:
        if not condition:
            raise SmokeFailure(message)

    @staticmethod
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}


def contents(wheel: Path, sdist: Path) -> dict[str, object]:
    """What ships: sizes and the package data of the wheel, the top level of the sdist."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        data = sorted(n for n in names if not n.endswith(".py") and ".dist-info/" not in n)
        unpacked = sum(i.file_size for i in z.infolist())
    with tarfile.open(sdist) as t:
        top = sorted({m.name.split("/")[1] for m in t.getmembers() if m.name.count("/") >= 1})
    return {"wheel": wheel.name, "wheel_bytes": wheel.stat().st_size, "wheel_unpacked_bytes": unpacked,
            "wheel_files": len(names), "package_data": data, "sdist": sdist.name,
            "sdist_bytes": sdist.stat().st_size, "sdist_top": top}


def smoke(work: Path, offline: bool) -> Smoke:
    s = Smoke(work, offline)
    wheel, sdist = s.build()
    s.contents = contents(wheel, sdist)
    s.use(s.venv(wheel), wheel)
    return s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline", action="store_true",
                        help="no network: build without isolation, reuse this venv's dependencies")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="benchtui-wheel-"))
    try:
        s = smoke(work, args.offline)
    except SmokeFailure as exc:
        print(f"wheel smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    c = s.contents
    print(f"wheel {c['wheel']}: {c['wheel_bytes'] / 1024:.0f} KB ({c['wheel_files']} files, "
          f"{c['wheel_unpacked_bytes'] / 1024:.0f} KB unpacked); sdist {c['sdist']}: "
          f"{c['sdist_bytes'] / 1024:.0f} KB ({', '.join(c['sdist_top'])})")
    print("package data: " + ", ".join(c["package_data"]))
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in s.timings.items()))
    if args.keep:
        print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
