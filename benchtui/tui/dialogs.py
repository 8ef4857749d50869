"""Modal screens: confirmation of destructive actions, firmware file picker, sector picker, board
picker (virtual batch), help, report."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from rich.text import Text
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, SelectionList, Static

from .messages import ReportExportRequested

FIRMWARE_SUFFIXES = (".hex", ".ihex", ".bin", ".elf", ".axf")


class ConfirmDialog(ModalScreen[bool]):
    """Asks before something that cannot be undone; Escape or 'n' cancels, 'y' confirms.

    The cancel button has the focus, so an Enter pressed by habit does not erase a chip.
    """

    BINDINGS = [Binding("escape,n", "answer(False)", "Cancel"), Binding("y", "answer(True)", "Confirm")]

    def __init__(self, title: str, body: str, confirm_label: str = "Confirm"):
        super().__init__()
        self.title_text, self.body, self.confirm_label = title, body, confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.confirm_label} (y)", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ChoiceDialog(ModalScreen):
    """A dialog that returns a value or None: Escape and Cancel give None; Enter in its input and
    the button with id `ok` call `_accept`, which validates and dismisses with the value."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def _accept(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class FirmwareTree(DirectoryTree):
    """A directory tree that lists only directories and firmware files."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.suffix.lower() in FIRMWARE_SUFFIXES)]


class FilePickerDialog(ChoiceDialog):
    """Pick a firmware file: browse the tree or type a path, Enter accepts, Escape cancels."""

    def __init__(self, start: str | None):
        super().__init__()
        path = Path(start).expanduser() if start else Path.cwd()
        self.start_dir = path.parent if path.suffix else path
        self.initial = str(path) if path.is_file() else ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Program which firmware file?", classes="dialog-title")
            yield FirmwareTree(self.start_dir if self.start_dir.is_dir() else Path.cwd(), id="tree")
            yield Input(self.initial, placeholder="path to .hex / .bin / .elf", id="path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Program", id="ok", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)

    def _accept(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("type or pick a firmware file", severity="warning")
            return
        if not Path(value).expanduser().is_file():
            self.notify(f"{value}: no such file", severity="error", markup=False)
            return
        self.dismiss(str(Path(value).expanduser()))


class BoardDialog(ChoiceDialog):
    """Which board of the virtual batch goes on the bench: a number, Enter accepts."""

    def __init__(self, size: int, current: int):
        super().__init__()
        self.batch_size, self.current = size, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Put which board on the bench? (1..{self.batch_size}; board {self.current} "
                        "is on it)", classes="dialog-title")
            yield Input(str(self.current % self.batch_size + 1), id="board", type="integer")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Swap", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#board", Input).focus()

    def _accept(self) -> None:
        text = self.query_one("#board", Input).value.strip()
        if not text.isdigit() or not 1 <= int(text) <= self.batch_size:
            self.notify(f"board {text or '?'} is not in the batch (boards 1..{self.batch_size})",
                        severity="error")
            return
        self.dismiss(int(text))


class SectorDialog(ChoiceDialog):
    """Choose the flash sectors to erase (space toggles); erasing is the confirmation."""

    def __init__(self, sectors: list[tuple[int, str]]):
        super().__init__()
        self.sectors = sectors

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Erase which sectors? (space selects, Escape cancels)", classes="dialog-title")
            yield SelectionList[int](*[(label, number) for number, label in self.sectors], id="sectors")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Erase selected", id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def _accept(self) -> None:
        chosen = sorted(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("no sector selected", severity="warning")
            return
        self.dismiss(chosen)


class TextScreen(ModalScreen[None]):
    """A scrollable page of text (help, a run's report); Escape or q closes it.

    Lines are never wrapped (a report's table stays a table): a wide page scrolls sideways, and
    the scrollbars sit in their own gutter, not over the text. `footer` names keys that work here.
    """

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, text: str, footer: str = ""):
        super().__init__()
        self.title_text, self.text, self.footer = title, text, footer

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog page"):
            keys = f"   ({self.footer}; Escape closes)" if self.footer else "   (Escape closes)"
            yield Label(f"{self.title_text}{keys}", classes="dialog-title")
            with ScrollableContainer(classes="page-scroll"):
                yield Static(Text(self.text, no_wrap=True, overflow="ignore"), classes="page-text")

    def on_mount(self) -> None:
        self.query_one(ScrollableContainer).focus()

    def action_close(self) -> None:
        self.dismiss(None)


class ReportScreen(TextScreen):
    """A run's report; x exports it to a file (the same as x in the results tab)."""

    BINDINGS = [Binding("x", "export", "Export report")]

    def __init__(self, run_id: int, text: str):
        super().__init__(f"Run {run_id}", text, footer="x exports it to a file")
        self.run_id = run_id

    def action_export(self) -> None:
        self.post_message(ReportExportRequested(self.run_id))
