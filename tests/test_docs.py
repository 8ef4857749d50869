"""The README and the docs say what the code does: every `benchtui ...` command they show exists
with the options shown, the pages made from the code (CLI reference, keys, profile keys,
scenarios, knowledge base) cover all of it, every relative link resolves, and the site builds
with `mkdocs build --strict`."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from benchtui.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
TEXTS = [ROOT / "README.md", *PAGES]


def _hook():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", DOCS / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _hook()


def shown_commands() -> list[tuple[str, str]]:
    """(file, command line) for every `benchtui ...` in a code span or a shell code block."""
    found = []
    for path in TEXTS:
        text = path.read_text(encoding="utf-8")
        spans = re.findall(r"`(benchtui [^`\n]+)`", text)
        for block in re.findall(r"```(?:sh|console|bash)\n(.*?)```", text, flags=re.S):
            spans += [line.split("#")[0].strip() for line in block.splitlines()
                      if re.match(r"\s*benchtui ", line)]
        found += [(path.name, s) for s in spans]
    return found


def test_the_scan_finds_the_commands_the_pages_show():
    found = {c for _, c in shown_commands()}
    assert "benchtui demo" in found and any(c.startswith("benchtui run --virtual") for c in found)
    assert len(found) > 30


@pytest.mark.parametrize("where,line", shown_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_the_docs_show_exists_with_its_options(where, line):
    parsers = {name: p for name, p in HOOK.commands(build_parser())}
    words = line.split()[1:]
    if not words or words[0].startswith("-") or words[0].isupper():   # `benchtui --version`, COMMAND
        help_text = build_parser().format_help()
        command = "benchtui"
    else:
        command = words[0]
        if len(words) > 1 and f"{words[0]} {words[1]}" in parsers:
            command = f"{words[0]} {words[1]}"
        assert command in parsers, f"{where}: `{line}`: benchtui has no command {command!r}"
        help_text = parsers[command].format_help()
    for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line):
        assert re.search(rf"(?<![\w-]){re.escape(option)}\b", help_text), (
            f"{where}: `{line}`: {command} has no option {option}")


def test_the_cli_reference_has_every_command_and_its_help():
    page = HOOK.cli_reference()
    commands = HOOK.commands(build_parser())
    names = [name for name, _ in commands]
    assert {"demo", "run", "report", "profiles", "store migrate"} <= set(names)
    top_help = build_parser().format_help()
    for name in (n for n in names if " " not in n):
        assert re.search(rf"^\s+{re.escape(name)}\s", top_help, flags=re.M), name  # what --help lists
    for name, parser in commands:
        assert f"benchtui {name}\n" in page
        with HOOK._columns(HOOK.WIDTH):
            assert parser.format_help().rstrip() in page, name


def test_the_profile_tables_cover_every_table_of_the_model_and_every_key():
    from benchtui.profile import model

    def tables(cls, seen):
        seen.add(cls)
        for f in dataclasses.fields(cls):
            for arg in [typing.get_type_hints(cls, vars(model)).get(f.name)]:
                for inner in (arg, *typing.get_args(arg), *[a for t in typing.get_args(arg) for a in typing.get_args(t)]):
                    if dataclasses.is_dataclass(inner) and inner not in seen:
                        tables(inner, seen)
        return seen

    assert tables(model.Profile, set()) == set(HOOK.profile_sections().values())
    page = (DOCS / "profiles.md").read_text(encoding="utf-8")
    for section, cls in HOOK.profile_sections().items():
        assert f"<!-- benchtui:profile:{section} -->" in page, section
        table = HOOK.profile_table(section)
        for f in dataclasses.fields(cls):
            hint = typing.get_type_hints(cls, vars(model))[f.name]
            if f.metadata.get("internal") or any(dataclasses.is_dataclass(h) for h in (hint, *typing.get_args(hint))):
                continue                  # a table of its own, with its own marker
            assert f"`{f.metadata.get('key') or f.name}`" in table, (section, f.name)


def test_every_scenario_has_its_section_and_its_row():
    from benchtui.sim.scenarios import SCENARIOS

    page = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    table = HOOK.scenarios_table()
    for name in SCENARIOS:
        assert f"\n## {name}\n" in page and f"| `{name}` |" in table, name


def test_the_keys_table_is_the_consoles_own():
    from benchtui.tui.keys import COMMANDS

    table = HOOK.keys_table()
    assert all(f"| `{c.key_label}` |" in table for c in COMMANDS if c.key_label != "|")
    assert "<!-- benchtui:keys -->" in (DOCS / "getting-started.md").read_text(encoding="utf-8")


def test_the_knowledge_base_tables_name_every_rule_and_source():
    import tomllib

    from benchtui.bench.diagnosis.knowledge import KNOWLEDGE_FILE

    data = tomllib.loads(KNOWLEDGE_FILE.read_text(encoding="utf-8"))
    rules, sources = HOOK.kb_rules(), HOOK.kb_sources()
    assert all(f"| `{r['id']}` |" in rules for r in data["evidence"])
    assert all(f"| `{k}` |" in sources for k in data["sources"])


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_relative_links_resolve(path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#")[0]
        if path.parent == DOCS and file in HOOK.PENDING:
            continue            # another page of the project, linked as plain text until it lands
        if path.parent == DOCS and (file == "changelog.md" or file.startswith("screenshots/")):
            resolved = ROOT / ("CHANGELOG.md" if file == "changelog.md" else file)
        else:
            resolved = path.parent / file
        if not resolved.exists():
            missing.append(target)
    assert not missing, f"{path.name}: links to nothing: {missing}"


def test_pages_still_to_come_are_waiting_in_the_nav_as_comments():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in HOOK.PENDING:
        if (DOCS / page).exists():
            assert re.search(rf"^\s+- [^#\n]*: {re.escape(page)}", nav, flags=re.M), (
                f"docs/{page} landed: uncomment its line in mkdocs.yml's nav")
        else:
            assert re.search(rf"^\s+# - [^\n]*: {re.escape(page)}", nav, flags=re.M), page


@pytest.mark.slow
def test_the_site_builds_strict_and_offline(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("mkdocs / mkdocs-material missing: pip install -e '.[docs]'")
        pytest.skip("mkdocs not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True, timeout=180,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "benchtui store migrate" in cli and "--by-board" in cli
    assert (site / "screenshots" / "overview.svg").is_file() and (site / "changelog" / "index.html").is_file()
    assert not (site / "hooks").exists()
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")
    shutil.rmtree(site)
