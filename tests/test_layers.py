"""The layering rules (cli -> tui -> bench -> devices -> profile, errors; sim apart), checked on
the source and in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
    offenders = {str(p.relative_to(PACKAGE)): sorted(n for n in _imports(p)
                                                    if n.startswith("benchtui") and not n.startswith("benchtui.sim"))
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
