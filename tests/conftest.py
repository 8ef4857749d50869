"""Shared fixtures: the virtual bench started the way the CLI starts it, with a small image."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile

# --- tests connect to 127.0.0.1 only (tests/netguard): this process and every Python child --------
_NETGUARD = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(_NETGUARD))
import netguard  # noqa: E402

netguard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(_NETGUARD)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
# One log for the whole run: pytest-xdist's workers inherit the controller's environment, so
# they and their subprocesses write to the controller's file, and the controller checks it.
_XDIST_WORKER = "PYTEST_XDIST_WORKER" in os.environ
if not _XDIST_WORKER:
    os.environ[netguard.LOG_ENV] = str(Path(tempfile.gettempdir()) / f"benchtui-netguard-{os.getpid()}.log")
_NETGUARD_LOG = Path(os.environ[netguard.LOG_ENV])

# --- the bundled profiles' files (demo database, test firmware) go to a folder of this session,
# not the user's data directory; subprocesses inherit it --------------------------------------
_DATA_DIR = tempfile.mkdtemp(prefix="benchtui-test-data-")
os.environ["BENCHTUI_DATA_DIR"] = _DATA_DIR


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything (here or in a subprocess) tried to connect beyond loopback."""
    import shutil

    shutil.rmtree(_DATA_DIR, ignore_errors=True)
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: its scenario-run lines go to the controller's summary
        output["benchtui_scenario_lines"] = _scenario_lines()
    if not _XDIST_WORKER and _NETGUARD_LOG.exists():
        lines = _NETGUARD_LOG.read_text(encoding="utf-8").splitlines()
        _NETGUARD_LOG.unlink()
        if lines:
            print("\nnetguard: connections beyond 127.0.0.1 were attempted:\n  " + "\n  ".join(lines))
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

#: Loop tests flash a small image (two 32 KB sectors) so 40 cycles take seconds, not minutes;
#: the full 690 KB image is flashed in the target and benchmark tests.
SMALL_IMAGE_BYTES = 48 * 1024


@pytest.fixture(scope="session")
def small_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchtui.sim.firmware import write_test_hex

    return write_test_hex(tmp_path_factory.mktemp("fw") / "board-test-small.hex", size=SMALL_IMAGE_BYTES)


@pytest.fixture
def virtual_bench(tmp_path: Path, small_firmware: Path):
    """Factory: start the demo profile's virtual bench for a scenario; stopped after the test."""
    started = []

    def start(scenario: str = "healthy", seed: int = 7, **cycle):
        profile = load_profile(DEMO_PROFILE)
        profile = profile.replace(
            target=dataclasses.replace(profile.target, firmware=str(small_firmware)),
            store=dataclasses.replace(profile.store, database=str(tmp_path / "results.db")),
            cycle=dataclasses.replace(profile.cycle, **{"off_s": 0.05, "on_settle_s": 0.01, **cycle}))
        vb, live = start_virtual_bench(profile, scenario=scenario, seed=seed)
        started.append(vb)
        return vb, live

    yield start
    for vb in started:
        vb.stop()


# --- results databases on each backend -------------------------------------------------------

@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL server for the whole session (skipped where the server binaries
    are missing, except under CI, where that is a failure)."""
    from tests.postgres_cluster import ClusterUnavailable, PgCluster

    try:
        cluster = PgCluster().start()
    except ClusterUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"CI needs a PostgreSQL server: {exc}")
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return pg_cluster.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store_target(request: pytest.FixtureRequest, tmp_path: Path):
    """Factory: `store_target(name)` is where a test's results database `name` lives — a file
    path on the SQLite run, a fresh database URL on the PostgreSQL run (every store test runs
    against each backend)."""
    if request.param == "sqlite":
        return lambda name="results.db": str(tmp_path / name)
    cluster = request.getfixturevalue("pg_cluster")
    urls: dict[str, str] = {}
    return lambda name="results.db": urls.setdefault(name, cluster.create_database())


@pytest.fixture(scope="session")
def chromium_process():
    """Headless system Chromium (tests/browser.py), one process per test session. Skips without
    Chromium (saying how to install it); fails under CI."""
    from tests.browser import require_chromium, start_chromium

    process = start_chromium(require_chromium())
    yield process
    process.stop()


@pytest.fixture
def chromium(chromium_process):
    """Playwright's sync API attached to the session's Chromium, for one sync test."""
    from tests.browser import attach

    browser = attach(chromium_process)
    yield browser
    browser.close()


_SCENARIO_RUNS = []


@pytest.fixture(scope="session")
def scenario_runs(tmp_path_factory: pytest.TempPathFactory, small_firmware: Path):
    """`scenario_runs("vcap-marginal")`: that scenario's run on the virtual bench, made once per
    test session and shared (tests/scenario_runs.py has the run sizes). Use from sync tests."""
    from tests.scenario_runs import ScenarioRuns

    runs = ScenarioRuns(lambda name: tmp_path_factory.mktemp(f"scenario-{name}"), small_firmware)
    _SCENARIO_RUNS.append(runs)
    return runs


#: Fixtures whose cost makes every test using them slow (the fast tier leaves them out).
SLOW_FIXTURES = frozenset({"scenario_runs", "pg_cluster", "pg_url", "chromium", "chromium_process"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests using a SLOW_FIXTURES fixture are `slow`. Under pytest-xdist (--dist loadgroup),
    the tests of the shared scenario runs go to one worker, so that each scenario is run once
    per session, not once per worker."""
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if xdist and "scenario_runs" in used:
            item.add_marker(pytest.mark.xdist_group("scenario_runs"))


#: A test not marked `slow` that takes longer than this is listed at the end of a fast-tier run.
FAST_TEST_S = 1.5
_SLOW_UNMARKED: list[tuple[float, str]] = []
_SETUP_S: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note unmarked tests that took long (setup + call), for the fast tier's budget."""
    if "slow" in report.keywords:
        return
    if report.when == "setup":
        _SETUP_S[report.nodeid] = report.duration
    elif report.when == "call":
        took = report.duration + _SETUP_S.pop(report.nodeid, 0.0)
        if took > FAST_TEST_S:
            _SLOW_UNMARKED.append((took, report.nodeid))


def pytest_terminal_summary(terminalreporter, config) -> None:
    """One line per shared scenario run: its size and how long it took (the suite's budget);
    in a fast-tier run (-m "not slow"), the unmarked tests that took longer than FAST_TEST_S."""
    if "slow" in (config.option.markexpr or "") and _SLOW_UNMARKED:
        terminalreporter.write_line(f"fast tier: tests over {FAST_TEST_S} s not marked slow "
                                    "(mark them @pytest.mark.slow or make them faster):")
        for took, nodeid in sorted(_SLOW_UNMARKED, reverse=True):
            terminalreporter.write_line(f"  {took:5.1f} s  {nodeid}")
    for line in _scenario_lines() + _WORKER_LINES:
        terminalreporter.write_line(line)


_WORKER_LINES: list[str] = []


def _scenario_lines() -> list[str]:
    return [f"scenario run {name}: {run.summary.cycles} cycles, {run.summary.failures} failed, "
            f"{run.seconds:.1f} s" for runs in _SCENARIO_RUNS for name, run in runs.done.items()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """The controller collects the workers' scenario-run lines for its summary."""
    _WORKER_LINES.extend(getattr(node, "workeroutput", {}).get("benchtui_scenario_lines", ()))
