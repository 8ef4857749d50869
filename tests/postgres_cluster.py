"""A throw-away PostgreSQL server for tests and benchmarks: `initdb` in a temporary folder,
`postgres` on a free 127.0.0.1 port (no Unix socket), trust authentication, stopped and deleted
by `stop()`.

The server binaries come from the system (Debian/Ubuntu: `apt-get install postgresql`, which
puts them in /usr/lib/postgresql/<version>/bin). initdb and postgres refuse to run as root, so
when we are root (CI containers) they run as an unprivileged user (`postgres`, which the package
creates, else `nobody`) that owns the cluster folder.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "install the PostgreSQL server: sudo apt-get install postgresql"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
SUPERUSER = "benchtui"


class ClusterUnavailable(RuntimeError):
    """No server binaries here (the message says how to install them)."""


def find_bindir() -> Path:
    """The folder with initdb and postgres: $PG_BINDIR, Debian's newest version, or PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")])
    candidates += [Path(p) for p in reversed(versions)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for d in candidates:
        if (d / "initdb").is_file() and (d / "postgres").is_file():
            return d
    raise ClusterUnavailable(f"no PostgreSQL server binaries (initdb, postgres) found: {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable("running as root and no unprivileged user (postgres, nobody) "
                             "to run the PostgreSQL server as")


class PgCluster:
    """`PgCluster().start()`; `create_database(name)` gives a URL; `stop()` ends it all.

    `durable=False` (tests) turns off fsync: a killed *client* still loses nothing committed
    (the server has it), only an OS crash could, and tests do not crash the OS.
    """

    def __init__(self, *, durable: bool = False):
        self.durable = durable
        self.bindir = find_bindir()
        self.user = _run_as()
        self.root: Path | None = None
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._databases = 0

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> "PgCluster":
        self.root = Path(tempfile.mkdtemp(prefix="benchtui-pg-"))
        atexit.register(self.stop)  # also when the test run is interrupted (stop() is idempotent)
        try:
            data = self.root / "data"
            if self.user is not None:
                os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
            self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                       "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            for attempt in range(3):
                self.port = _free_port()
                if self._launch(data):
                    return self
            raise RuntimeError(f"postgres did not start: {self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _launch(self, data: Path) -> bool:
        options = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                   "-c", "max_connections=60", "-c", "shared_buffers=16MB",
                   "-c", "logging_collector=off"]
        if not self.durable:
            options += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        log = open(self.root / "postgres.log", "ab")
        try:
            self.proc = subprocess.Popen([str(self.bindir / "postgres"), "-D", str(data),
                                          "-p", str(self.port), *options],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, **self._as_user())
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False  # e.g. the port was taken meanwhile: try another
            if self._accepts():
                return True
            time.sleep(0.05)
        raise RuntimeError(f"postgres did not accept connections within {START_TIMEOUT_S:.0f} s: "
                           f"{self._log_tail()}")

    def _accepts(self) -> bool:
        import psycopg
        try:
            psycopg.connect(self.url("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Stop the server (fast shutdown, then kill) and delete the cluster folder."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.proc = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> "PgCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------
    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg
        self._databases += 1
        name = name or f"t{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- helpers ---------------------------------------------------------------------------
    def _as_user(self) -> dict:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": str(self.root)}}

    def _run(self, argv: list[str]) -> None:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.root,
                             stdin=subprocess.DEVNULL, **self._as_user())
        if out.returncode:
            raise RuntimeError(f"{Path(argv[0]).name} failed ({out.returncode}): "
                               f"{(out.stderr or out.stdout).strip()[-800:]}")

    def _log_tail(self) -> str:
        try:
            return (self.root / "postgres.log").read_text(errors="replace").strip()[-800:]
        except (OSError, TypeError):
            return "(no log)"
