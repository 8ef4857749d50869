"""Every action of the console in one table: its key, its name, where it belongs.

The same table makes the key bindings, the footer, the command palette, the help page and the
buttons' labels, so a button, its palette entry and its help line always carry the same name
and the key shown is the key that works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rich.cells import cell_len
from textual.binding import Binding
from textual.widgets import Button

#: Tabs in order, with the key that shows each (0 is the overview, the first screen).
TABS = (("overview", "Overview"), ("power", "Power"), ("target", "Target"), ("scope", "Scope"),
        ("loop", "Loop"), ("results", "Results"), ("log", "Log"), ("shmoo", "Shmoo"))
TAB_KEYS = {tab: str(i) for i, (tab, _) in enumerate(TABS)}


@dataclass(frozen=True)
class Command:
    """One action: `action` is the App action string, `name` what buttons and the palette call it."""

    key: str
    action: str
    name: str
    group: str
    footer: bool = False
    #: Shown in the palette (False for keys that only make sense where they are, like Escape).
    palette: bool = True
    #: An app-wide binding (False: the key works where it is shown, e.g. Enter on a run row).
    bind: bool = True

    @property
    def key_label(self) -> str:
        return KEY_LABELS.get(self.key, self.key)

    @property
    def button_label(self) -> str:
        """'Program… w': the name the palette uses, then the key."""
        return f"{self.name} {self.key_label}"


KEY_LABELS = {"question_mark": "?", "space": "␣", "ctrl+s": "^s", "ctrl+n": "^n", "escape": "esc", "enter": "⏎",
              "f5": "F5"}

COMMANDS: tuple[Command, ...] = (
    Command("p", "power_cycle", "Power-cycle", "power", footer=True),
    Command("o", "toggle_output", "Output on/off", "power"),
    Command("a", "apply_setpoint", "Apply setpoint", "power"),
    Command("f", "flash", "Flash", "target", footer=True),
    Command("c", "toggle_connect", "Connect/disconnect", "target"),
    Command("w", "program", "Program…", "target"),
    Command("v", "verify", "Verify", "target"),
    Command("e", "erase_sectors", "Erase…", "target"),
    Command("m", "erase_chip", "Mass erase…", "target"),
    Command("u", "remove_wrp", "Unprotect…", "target"),
    Command("b", "read_option_bytes", "Read OB", "target"),
    Command("i", "swap_board", "Put board…", "target"),
    Command("g", "capture('power_up')", "Capture power-up", "scope"),
    Command("k", "capture('fault_catch')", "Capture fault-catch", "scope"),
    Command("t", "check_wiring", "Check wiring", "scope"),
    Command("l", "run_loop", "Run loop", "loop", footer=True),
    Command("space", "pause", "Pause/resume", "loop"),
    Command("s", "stop_loop", "Stop loop", "loop"),
    Command("h", "run_shmoo", "Run shmoo", "shmoo"),
    Command("j", "stop_shmoo", "Stop shmoo", "shmoo"),
    Command("enter", "open_report", "Open report", "results", bind=False),
    Command("x", "export_report", "Export report", "results"),
    Command("f5", "refresh_runs", "Refresh runs", "results"),
    Command("y", "board_report", "Board report", "results"),
    Command("ctrl+s", "save", "Save log + capture", "console"),
    Command("ctrl+n", "init_profile", "Build a profile… (init)", "console"),
    Command("r", "reconnect", "Reconnect", "console", footer=True),
    Command("question_mark", "help", "Help", "console", footer=True),
    Command("q", "quit", "Quit", "console", footer=True),
    Command("escape", "blur", "Leave the field (keys work again)", "console", palette=False),
)

BY_ACTION = {c.action: c for c in COMMANDS}


def command(action: str) -> Command:
    """The command of `action` ('program', "capture('power_up')")."""
    return BY_ACTION[action]


def button(action: str, id: str | None = None, **kw) -> Button:
    """A compact button that runs app action `action`, labelled with its command's name and key."""
    return sized(Button(command(action).button_label, id=id, compact=True, action=f"app.{action}", **kw))


def sized(button: Button, *labels: str) -> Button:
    """Give a compact button the width of its label (and its padding) as a fixed width: what
    `width: auto` makes, without Textual measuring the label anew each time the row is laid out
    (the target tab's buttons were measured on every tab key: 3-4 ms of that frame). With
    `labels` (the other labels it shows), the width of the longest: a new label is then a
    repaint of the button, not a layout of its row."""
    button.styles.width = max(cell_len(text) for text in (str(button.label), *labels)) + 2
    return button


def footer_keys() -> list[tuple[str, str, str]]:
    """(key label, name, action) of the commands the footer shows, then the command palette."""
    return [(c.key_label, c.name, c.action) for c in COMMANDS if c.footer] + \
        [("^p", "palette", "command_palette")]


def bindings() -> list[Binding]:
    """App bindings: every command, then one digit per tab."""
    out = [Binding(c.key, c.action, c.name, show=c.footer, key_display=KEY_LABELS.get(c.key))
           for c in COMMANDS if c.bind]
    out += [Binding(TAB_KEYS[tab], f"show_tab('{tab}')", f"{title} tab", show=False)
            for tab, title in TABS]
    return out


TAB_HELP = {
    "overview": "the bench at a glance: PSU, target, last capture, the loop and its top finding",
    "power": "setpoint and limit (within the profile's maxima), V/I readback, CC/CV, output",
    "target": "connect mode, connect, option bytes + sector protection map, erase/program/verify",
    "scope": "last capture per net with its limits; out-of-limit values in red; the wiring "
             "check (t): does each probe read what its net must?",
    "loop": "power-cycle/flash/measure loop, cycle table (Enter opens a cycle), correlation",
    "results": "earlier runs in the database; Enter opens a run's report, x exports it; the boards "
               "compared (y: in full)",
    "log": "every action and instrument exchange, with the time",
    "shmoo": "failure rate over one or two conditions (VDD, off-time, ramp...): the grid fills in "
             "as cells run, the boundary drawn",
}


def help_text(commands: Iterable[Command] = COMMANDS) -> str:
    """Every key with what it does, and what each tab is for."""
    lines = ["Keys", ""]
    groups: dict[str, list[Command]] = {}
    for c in commands:
        groups.setdefault(c.group, []).append(c)
    for group, items in groups.items():
        lines.append(f"  {group}")
        for c in items:
            lines.append(f"    {c.key_label:<6} {c.name}")
    lines += ["", "  ctrl+p  command palette (every action by name)", "  tab     next control",
              "  enter   on a cycle row: open that cycle; on a run: its report", "", "Tabs", ""]
    lines += [f"  {TAB_KEYS[tab]} {title:<9}{TAB_HELP[tab]}" for tab, title in TABS]
    lines += ["", "Destructive actions (erase, program, remove write protection) ask first:",
              "y confirms, n or Escape cancels. Problems appear as a notification and in the log."]
    return "\n".join(lines)
