"""MkDocs hook: the parts of the docs made from the code at build time, so they cannot drift.

* `cli.md`: the marker `<!-- benchtui:cli -->` becomes every command's `--help`, made by
  benchtui.cli's own argparse parsers (the text `benchtui COMMAND --help` prints).
* `getting-started.md`: `<!-- benchtui:keys -->` becomes the console's keys, from the one
  table the console binds them from (benchtui.tui.keys.COMMANDS).
* `profiles.md`: `<!-- benchtui:profile:SECTION -->` becomes the table of that section's keys
  (type, default, range or choices) from the profile model (benchtui/profile/model.py), which
  is what the loader validates against.
* `scenarios.md`: `<!-- benchtui:scenarios -->` becomes the table of the virtual bench's fault
  scenarios and their parameters (benchtui.sim.scenarios.SCENARIOS).
* `knowledge-base.md`: `<!-- benchtui:kb-rules -->` and `<!-- benchtui:kb-sources -->` become
  the knowledge base's evidence rules and its sources, read from the shipped knowledge.toml.
* `changelog.md` is the repository's CHANGELOG.md, and `screenshots/*.svg` the repository's
  screenshots, added to the site as generated files (one copy of each in the repository).
* Links to the pages other helpers are still writing (PENDING) are left as plain text while
  the page does not exist, so `mkdocs build --strict` passes before and after they land.

tests/test_docs.py checks the generated text against the parsers and the key table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_MARK = "<!-- benchtui:cli -->"
KEYS_MARK = "<!-- benchtui:keys -->"
KB_RULES_MARK = "<!-- benchtui:kb-rules -->"
KB_SOURCES_MARK = "<!-- benchtui:kb-sources -->"
SCENARIOS_MARK = "<!-- benchtui:scenarios -->"
PROFILE_MARK = re.compile(r"<!-- benchtui:profile:([a-z_.]+) -->")
#: Help text is formatted at this width (argparse reads COLUMNS).
WIDTH = 100
#: Pages of the docs nav that other parts of the project contribute (mkdocs.yml lists them,
#: commented out until they land).
PENDING = ("own-bench.md", "instruments.md", "mcu-families.md", "shmoo.md", "statistics.md")


@contextlib.contextmanager
def _columns(width: int):
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name, in the order they were added. argparse has no public way
    to list them; the subparsers action is the one whose choices are parsers (stdlib, stable
    since Python 2.7; tests/test_docs.py fails if that changes)."""
    for action in parser._actions:
        choices = action.choices
        if isinstance(choices, dict) and choices and all(
                isinstance(p, argparse.ArgumentParser) for p in choices.values()):
            return dict(choices)
    return {}


def commands(parser: argparse.ArgumentParser | None = None, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    """(full command, parser) for every command and nested action, depth first."""
    if parser is None:
        from benchtui.cli import build_parser

        parser = build_parser()
    out = []
    for name, sub in subcommands(parser).items():
        full = f"{prefix}{name}"
        out.append((full, sub))
        out += commands(sub, f"{full} ")
    return out


def cli_reference() -> str:
    from benchtui.cli import build_parser

    with _columns(WIDTH):
        parser = build_parser()
        parts = ["## benchtui", "", "```text", parser.format_help().rstrip(), "```", ""]
        for full, sub in commands(parser):
            level = "#" * (2 + full.count(" "))
            parts += [f"{level} benchtui {full}", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def keys_table() -> str:
    from benchtui.tui.keys import COMMANDS, TABS

    rows = ["| key | does | where |", "|---|---|---|"]
    rows += [f"| `{i}` | show the {label} tab | console |" for i, (_, label) in enumerate(TABS)]
    for c in COMMANDS:
        key = c.key_label.replace("|", "\\|")
        where = c.group if c.bind else f"{c.group} (where it is shown)"
        rows.append(f"| `{key}` | {c.name.rstrip('…')} | {where} |")
    return "\n".join(rows)


def profile_sections() -> dict[str, type]:
    """Every table of a profile by its TOML path ("top" for the top-level keys); a table whose
    keys are names (scope.channels) is shown as `scope.channels.NAME`, one shape for two
    triggers (scope.power_up, scope.fault_catch) as `scope.power_up`."""
    from benchtui.profile import model

    return {"top": model.Profile, "target": model.TargetConfig, "target.aliases": model.AddressAlias,
            "psu": model.PsuConfig, "scope": model.ScopeConfig, "scope.channels": model.ScopeChannel,
            "scope.power_up": model.TriggerConfig, "cycle": model.CycleConfig,
            "store": model.StoreConfig, "sim": model.SimConfig, "bench": model.BenchConfig}


def _default_text(f) -> str:
    import dataclasses

    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) > 4:
        return "all, in order"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, int) and value >= 100_000:
        return f"{value:_}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _num(value: float) -> str:
    if float(value).is_integer():
        number = int(value)
        return f"{number:_}" if abs(number) >= 100_000 else str(number)
    return f"{value:g}"


def profile_table(section: str) -> str:
    import dataclasses

    cls = profile_sections()[section]
    rows = ["| key | type | default | allowed |", "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        meta = f.metadata
        kind = str(f.type)
        if section == "top" and kind.split(" ")[0].endswith("Config"):
            continue                      # a table of its own, below
        allowed = []
        if meta.get("choices"):
            allowed.append(", ".join(f"`{c}`" for c in meta["choices"]))
        lo, hi = meta.get("lo"), meta.get("hi")
        if lo is not None or hi is not None:
            lo_text = "" if lo is None else (f"> {_num(lo)}" if meta.get("lo_open") else f">= {_num(lo)}")
            hi_text = "" if hi is None else f"<= {_num(hi)}"
            allowed.append(" and ".join(x for x in (lo_text, hi_text) if x))
        if meta.get("path"):
            allowed.append("a path: `~` expanded, relative to the profile's folder")
        key = meta.get("key") or f.name
        kind = (kind.replace("tuple[AddressAlias, ...]", "array of tables")
                .replace("dict[str, ScopeChannel]", "tables by net name")
                .replace("TriggerConfig | None", "table").replace("tuple[str, ...]", "array of strings")
                .replace("tuple[int, ...] | None", "array of integers").replace("dict[str, int]", "table: step = count")
                .replace("dict[str, str]", "table: UID = label").replace(" | None", " or none"))
        rows.append(f"| `{key}` | {kind} | {_default_text(f)} | {'; '.join(allowed) or '-'} |")
    return "\n".join(rows)


def scenarios_table() -> str:
    import dataclasses

    from benchtui.sim.scenarios import SCENARIOS, Scenario

    defaults = Scenario("", "")
    rows = ["| scenario | what it models | parameters (against `healthy`) |", "|---|---|---|"]
    for s in SCENARIOS.values():
        def fmt(v):
            return "(" + ", ".join(fmt(x) for x in v) + ")" if isinstance(v, tuple) else (
                f"{v:.4g}" if isinstance(v, float) else str(v))
        changed = [f"`{f.name}` = {fmt(getattr(s, f.name))}" for f in dataclasses.fields(s)
                   if f.name not in ("name", "description") and getattr(s, f.name) != getattr(defaults, f.name)]
        rows.append(f"| `{s.name}` | {s.description} | {', '.join(changed) or '-'} |")
    return "\n".join(rows)


def _knowledge() -> dict:
    import tomllib

    from benchtui.bench.diagnosis.knowledge import KNOWLEDGE_FILE

    return tomllib.loads(KNOWLEDGE_FILE.read_text(encoding="utf-8"))


def kb_rules() -> str:
    data = _knowledge()
    rows = ["| rule | features | failures come with | part | sources |", "|---|---|---|---|---|"]
    for rule in data.get("evidence", []):
        features = ", ".join(f"`{f}`" for f in rule["features"])
        part = data["parts"][rule["part"]]["name"]
        rows.append(f"| `{rule['id']}` | {features} | {rule['direction']} values | {part} | "
                    f"{', '.join(rule.get('sources', []))} |")
    return "\n".join(rows)


def kb_sources() -> str:
    rows = ["| id | source |", "|---|---|"]
    for key, text in _knowledge()["sources"].items():
        text = re.sub(r"(https?://\S+?)([).,;]?(\s|$))", r"<\1>\2", text.replace("|", "\\|"))
        rows.append(f"| `{key}` | {text} |")
    return "\n".join(rows)


def _unlink_pending(markdown: str, docs_dir: Path) -> str:
    for page in PENDING:
        if not (docs_dir / page).exists():
            markdown = re.sub(rf"\[([^\]]+)\]\({re.escape(page)}(#[^)]*)?\)", r"\1", markdown)
    return markdown


def on_files(files, config):
    from mkdocs.structure.files import File

    generated = [("changelog.md", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))]
    generated += [(f"screenshots/{p.name}", p.read_bytes()) for p in sorted((ROOT / "screenshots").glob("*.svg"))]
    for uri, content in generated:
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, cli_reference())
    if KEYS_MARK in markdown:
        markdown = markdown.replace(KEYS_MARK, keys_table())
    if KB_RULES_MARK in markdown:
        markdown = markdown.replace(KB_RULES_MARK, kb_rules())
    if KB_SOURCES_MARK in markdown:
        markdown = markdown.replace(KB_SOURCES_MARK, kb_sources())
    if SCENARIOS_MARK in markdown:
        markdown = markdown.replace(SCENARIOS_MARK, scenarios_table())
    markdown = PROFILE_MARK.sub(lambda m: profile_table(m.group(1)), markdown)
    return _unlink_pending(markdown, Path(config["docs_dir"]))
