"""The package, its docs and its reports cite only what a user can open: public primary sources or
files inside this repository, never the team's notes outside it (DESIGN.md, scpi.md, stm32f7.md,
stm32f4.md, instrument-audit.md, pyocd-notes.md, shared/...)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Names of files the repository does not ship, as they were cited.
OUTSIDE = re.compile(
    r"DESIGN\.md|\bscpi\.md|stm32f[47]\.md|instrument-audit(?:\.md)?|pyocd-notes(?:\.md)?"
    r"|(?<![\w-])(?:\.\./)?shared/(?:reference|seed|DESIGN|README)|\.\./shared\b")

#: Where user-facing text lives: the package (code, docstrings, package data), the docs, the front
#: door, the changelog and the docs site's configuration.
SCANNED = ["benchtui", "docs", "README.md", "CHANGELOG.md", "mkdocs.yml"]
TEXT_SUFFIXES = {".py", ".toml", ".md", ".tcss", ".yml", ".yaml", ".txt", ".html", ".css", ".js",
                 ".j2", ".cfg", ".ini", ".json"}


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in sorted(path.rglob("*"))
                      if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return files


@pytest.mark.parametrize("text", [
    "see DESIGN.md", "scpi.md A.1", "(stm32f7.md §1.6)", "reference/stm32f4.md",
    "instrument-audit.md", "pyocd-notes", "shared/reference/stm32f7.md", "../shared/DESIGN.md",
    "shared/seed/forum-thread.txt",
])
def test_the_pattern_catches_every_form_the_notes_were_cited_in(text):
    assert OUTSIDE.search(text)


@pytest.mark.parametrize("text", [
    "RM0410 §3.4.1", "a shared/exclusive lock", "shared memory", "docs/architecture.md",
])
def test_the_pattern_leaves_ordinary_text_alone(text):
    assert not OUTSIDE.search(text)


def test_nothing_shipped_or_documented_cites_a_file_outside_the_repository():
    files = scanned_files()
    assert any(f.name == "knowledge.toml" for f in files)      # the scan sees the package data
    hits = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if match := OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r} in {line.strip()}")
    assert not hits, "cites files the repository does not ship:\n" + "\n".join(hits)


def test_every_repository_file_the_knowledge_base_cites_exists():
    data = tomllib.loads((ROOT / "benchtui/bench/diagnosis/knowledge.toml").read_text("utf-8"))
    cited = {m for text in data["sources"].values()
             for m in re.findall(r"\b(?:benchtui|docs|tests)/[\w/.-]*\w\.\w+", text)}
    assert cited, "the knowledge base names no file of the repository (the pattern is broken?)"
    missing = sorted(p for p in cited if not (ROOT / p).is_file())
    assert not missing, f"knowledge.toml cites files that do not exist: {missing}"
