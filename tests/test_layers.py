"""The layering rules (cli -> tui -> bench -> devices -> profile, errors; sim apart), checked on
the source and in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "benchtui"


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module or "")
    return names


def _files(sub: str = "") -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


@pytest.mark.slow
def test_devices_and_bench_do_not_import_textual_in_a_fresh_interpreter() -> None:
    code = ("import sys, importlib, pkgutil, benchtui.devices, benchtui.bench\n"
            "for pkg in (benchtui.devices, benchtui.bench):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__):\n"
            "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_only_tui_imports_textual() -> None:
    offenders = [p for p in _files() if "tui" not in p.relative_to(PACKAGE).parts
                 and any(n == "textual" or n.startswith("textual.") for n in _imports(p))]
    assert offenders == []


def test_sim_imports_nothing_of_benchtui_outside_sim() -> None:
    """...except the registry of families, which itself imports nothing of benchtui."""
    offenders = {str(p.relative_to(PACKAGE)): sorted(n for n in _imports(p)
                                                    if n.startswith("benchtui") and not n.startswith("benchtui.sim")
                                                    and n != "benchtui.registry")
                 for p in _files("sim")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nothing_outside_sim_imports_sim_except_cli() -> None:
    offenders = [str(p.relative_to(PACKAGE)) for p in _files()
                 if "sim" not in p.relative_to(PACKAGE).parts
                 and p.relative_to(PACKAGE).as_posix() != "cli/common.py"
                 and any(n.startswith("benchtui.sim") for n in _imports(p))]
    assert offenders == []


def test_imports_point_down() -> None:
    """devices never imports bench or tui; bench never imports tui."""
    def bad(sub: str, forbidden: tuple[str, ...]) -> list[str]:
        return [str(p.relative_to(PACKAGE)) for p in _files(sub)
                if any(n.startswith(forbidden) for n in _imports(p))]
    assert bad("devices", ("benchtui.bench", "benchtui.tui")) == []
    assert bad("bench", ("benchtui.tui",)) == []


def _panel_classes() -> dict[str, str]:
    """Panel class name -> the module (stem) that defines it: classes based on BenchPanel."""
    found = {}
    for path in sorted((PACKAGE / "tui" / "panels").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and b.id == "BenchPanel" for b in node.bases):
                found[node.name] = path.stem
    return found


def test_no_panel_imports_reads_or_calls_another_panel_or_the_app() -> None:
    """Panels draw the console's state and post messages up: they never import or name another
    panel, and never reach the app except to hand a thread's result back to its loop."""
    classes = _panel_classes()
    assert {"OverviewPanel", "LoopPanel", "TargetPanel"} <= set(classes)
    offenders = []
    for path in sorted((PACKAGE / "tui" / "panels").glob("*.py")):
        if path.stem in ("__init__", "base"):
            continue
        others = {f"benchtui.tui.panels.{m}" for m in set(classes.values()) - {path.stem}}
        offenders += [f"{path.stem} imports {n}" for n in _imports(path) if n in others]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and classes.get(node.id, path.stem) != path.stem:
                offenders.append(f"{path.stem}:{node.lineno} names {node.id}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "app" and node.attr != "call_from_thread":
                offenders.append(f"{path.stem}:{node.lineno} calls app.{node.attr}")
    assert offenders == []


#: Library internals benchtui leans on, each isolated in one module, its version pinned in
#: pyproject.toml and its presence tested in tests/thirdparty/test_internals.py (or, for the
#: probe firmware version, tests/test_discovery.py). Nothing else may read a private attribute.
LIBRARY_INTERNALS = {
    "tui/tabs.py": {"_compositor", "_layout_required", "_dirty_widgets", "_repaint_required",
                    "_dirty_regions", "_refresh_layout", "_scroll_required", "_recompose_required"},
    "devices/target/remote.py": {"_socket", "_timeout", "_buffer"},
    "devices/transport.py": {"_pending_buffer"},
    "devices/discovery/probes.py": {"_link"},
    "sim/twin/server.py": {"_lock"},
    "sim/twin/core.py": {"_uch"},
    "cli/loop.py": {"_exit"},   # os._exit: public, underscored to stand apart from sys.exit
}


def _private_reads(path: Path) -> list[tuple[int, str]]:
    """(line, attribute) of every private attribute this module reads or sets on an object that
    is not its own (`self`/`cls`), by `x._name` or `getattr(x, "_name")`, unless the module
    itself defines that name (another instance of its own class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            own.add(node.attr)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(target, ast.Name):
                    own.add(target.id)

    def foreign(value: ast.AST) -> bool:
        if isinstance(value, ast.Name) and value.id in ("self", "cls"):
            return False
        return not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super")

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name, value = node.attr, node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "getattr", "setattr", "hasattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            name, value = node.args[1].value, node.args[0]
        else:
            continue
        if name.startswith("_") and not name.startswith("__") and name not in own and foreign(value):
            found.append((node.lineno, name))
    return found


def test_no_module_reads_a_private_attribute_of_another_modules_object() -> None:
    offenders = []
    for path in _files():
        rel = path.relative_to(PACKAGE).as_posix()
        allowed = LIBRARY_INTERNALS.get(rel, set())
        offenders += [f"{rel}:{line} {name}" for line, name in _private_reads(path) if name not in allowed]
    assert offenders == []


def test_the_private_attribute_check_sees_reads_writes_and_getattr(tmp_path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("class A:\n    def f(self, other):\n        self._mine = 1\n        other._mine = 2\n"
                     "        x = other._theirs\n        other._set = 3\n        return getattr(other, '_via')\n",
                     encoding="utf-8")
    assert [name for _, name in _private_reads(probe)] == ["_theirs", "_set", "_via"]
