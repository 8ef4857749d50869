"""`benchtui init` as a screen: find the parts, choose them, write the profile, check it.

The screen runs `devices.discovery.discover` in a thread (the resources and probes in its "Look
for" fields, and with the switch on, this machine's USB probes, USB-TMC instruments and serial
ports), and offers what it found: the probe (with the target read from the chip), the PSU and its
channel, the scope, and the scope channel of each net. "Write + check" builds the profile the
way `init --probe ... --psu ... --scope ...` does (bench/profile_builder.py: the target type from
the chip, safe limits from its datasheet ranges, the trigger presets), writes the commented TOML
and runs `check` on it (devices/check.py), in a thread; the result is shown line by line, as
`benchtui check` prints it. The screen posts `ProfileWritten` up after each check.

`InitApp` is the screen on its own (`benchtui init` without the part flags); the console opens it
from the command palette (`BenchApp.action_init_profile`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..text import printable
from .dialogs import ConfirmDialog
from .messages import ProfileWritten

#: The nets a profile maps to scope channels, in the order the screen offers them.
NETS = ("VDD", "VCAP1", "VCAP2", "NRST")
SCOPE_CHANNELS = (1, 2, 3, 4)
NOT_WIRED = 0
#: How the builder's one-line refusals name the screen's fields.
FIELDS = {"probe": "probe", "psu": "PSU", "scope": "scope", "target": "the target type field"}


@dataclass(frozen=True)
class InitOutcome:
    """What the screen leaves behind: the profile it last wrote (None: none) and whether its
    check passed."""

    path: str | None
    ok: bool


def split_names(text: str) -> tuple[list[str], list[str]]:
    """(VISA resources, hosts) typed into the "Look for" field: separated by spaces or commas;
    a name with '::' or a VISA prefix is a resource, anything else a HOST[:PORT]."""
    resources, hosts = [], []
    for name in text.replace(",", " ").split():
        is_resource = "::" in name or name.upper().startswith(("ASRL", "USB", "TCPIP", "GPIB", "VXI"))
        (resources if is_resource else hosts).append(name)
    return resources, hosts


class InitScreen(ModalScreen[InitOutcome]):
    """Choose the probe, target, PSU (and channel), scope and net channels; write; check.

    Modal: over the console, its keys (p power-cycles, ...) are not live while this is open."""

    BINDINGS = [Binding("f5", "discover", "Discover"), Binding("ctrl+s", "write", "Write + check"),
                Binding("escape", "leave", "Leave the field / close")]
    #: The first field has the focus (the console starts with none: there every key is a key).
    AUTO_FOCUS = "#look-instruments"

    def __init__(self, *, out: str = "bench.toml", resources: Iterable[str] = (),
                 probes: Iterable[str] = (), local: bool = True, firmware: str | None = None,
                 target_type: str | None = None, timeout_ms: int = 15_000, force: bool = False,
                 psu_channel: int = 1, nets: dict[str, int] | None = None):
        super().__init__()
        self.out, self.firmware, self.target_type = out, firmware, target_type
        self.psu_channel = psu_channel
        #: The scope channel each net starts on (a net left out: not wired).
        self.nets = dict(zip(NETS, SCOPE_CHANNELS)) if nets is None else {n: nets.get(n, NOT_WIRED) for n in NETS}
        self.resources, self.probes, self.local = list(resources), list(probes), local
        self.timeout_ms, self.force = timeout_ms, force
        #: The last discovery (devices.discovery.Discovery), None until it is back.
        self.found: Any = None
        self.outcome = InitOutcome(None, False)
        self._target_from_chip: str | None = None   # what the target field was filled with
        self._busy: str | None = None

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="init"):
            yield Static(Text("Build a bench profile", "bold"), id="init-title")
            yield Static("F5 discovers what the fields name (and with the switch on, this machine's "
                         "USB probes, USB-TMC instruments and serial ports); choose the parts; ^s "
                         "writes the profile and checks it; Escape closes.", id="init-help")
            with Horizontal(classes="init-row"):
                yield Label("Look for", classes="init-label")
                yield Input(" ".join(self.resources), id="look-instruments",
                            placeholder="instruments: VISA resources or HOST[:PORT], space between", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("", classes="init-label")
                yield Input(" ".join(self.probes), id="look-probes",
                            placeholder="probes: remote:HOST:PORT (USB probes are listed with the switch)", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("", classes="init-label")
                yield Checkbox("this machine's USB and serial ports", self.local, id="look-local", compact=True)
                yield Button("Discover F5", id="discover", compact=True)
            yield Static("", id="found")
            with Horizontal(classes="init-row"):
                yield Label("Probe", classes="init-label")
                yield Select([], prompt="nothing found yet", id="probe", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("Target type", classes="init-label")
                yield Input(self.target_type or "", id="target-type",
                            placeholder="the pyOCD target type (read from the chip)", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("PSU", classes="init-label")
                yield Select([], prompt="nothing found yet", id="psu", compact=True)
                yield Label("channel")
                yield Select([(f"CH{n}", n) for n in sorted({1, 2, 3, self.psu_channel})],
                             value=self.psu_channel, allow_blank=False, id="psu-channel", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("Scope", classes="init-label")
                yield Select([], prompt="nothing found yet", id="scope", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("Nets", classes="init-label")
                for net, ch in self.nets.items():
                    yield Label(net)
                    yield Select([(f"CH{n}", n) for n in SCOPE_CHANNELS] + [("not wired", NOT_WIRED)],
                                 value=ch, allow_blank=False, id=f"net-{net}", classes="net-select",
                                 compact=True)
            with Horizontal(classes="init-row"):
                yield Label("Firmware", classes="init-label")
                yield Input(self.firmware or "", id="firmware",
                            placeholder="optional: the image flash and the loop program (.hex)", compact=True)
            with Horizontal(classes="init-row"):
                yield Label("Write to", classes="init-label")
                yield Input(self.out, id="out", compact=True)
                yield Button("Write + check ^s", id="write", variant="primary", compact=True)
            yield Static("", id="result")

    def on_mount(self) -> None:
        self.action_discover()

    # -- discovery --------------------------------------------------------------------------
    def action_discover(self) -> None:
        """Look for what the fields name (and this machine's ports with the switch on), in a thread."""
        if self._busy:
            self.notify(f"busy: {self._busy}", severity="warning")
            return
        resources, hosts = split_names(self.query_one("#look-instruments", Input).value)
        probes = self.query_one("#look-probes", Input).value.replace(",", " ").split()
        local = self.query_one("#look-local", Checkbox).value
        if not (resources or hosts or probes or local):
            self._say("#found", Text("name an instrument or a probe, or switch on this machine's ports", "yellow"))
            return
        asked = ", ".join(resources + hosts + probes + (["this machine's ports"] if local else []))
        self._say("#found", Text(printable(f"discovering: {asked}…"), "yellow"))

        def work() -> Any:
            from ..devices.discovery import discover
            return discover(resources=resources, hosts=hosts, probes=probes, local=local,
                            list_usb_probes=local, timeout_ms=self.timeout_ms)
        self._in_thread("discovering", work, self._show_found, "#found")

    def _show_found(self, found: Any) -> None:
        self.found = found
        psus, scopes = found.psus(), found.scopes()
        head = (f"found {_count(len(found.probes), 'probe')}, {_count(len(psus), 'PSU')}, "
                f"{_count(len(scopes), 'scope')} at {time.strftime('%H:%M:%S')}")
        lines = [Text(head, "bold")]
        for i in found.instruments:
            if i.driver is None:
                lines.append(Text(printable(f"  {i.resource}: {i.identity + ': ' if i.identity else ''}"
                                            f"{i.describe()}"), "dim"))
        lines += [Text(printable(f"  note: {n}"), "dim") for n in found.notes]
        self._say("#found", Text("\n").join(lines))
        self._offer("#probe", [(_probe_label(p), p.uid) for p in found.probes],
                    next((p.uid for p in found.probes if p.target is not None), None))
        self._offer("#psu", [(_instrument_label(i), i.resource) for i in psus], None)
        self._offer("#scope", [(_instrument_label(i), i.resource) for i in scopes], None)
        self._probe_chosen()
        self._psu_chosen()

    def _offer(self, selector: str, options: list[tuple[Text, str]], preferred: str | None) -> None:
        select = self.query_one(selector, Select)
        current = select.value
        select.set_options(options)
        select.prompt = "choose one" if options else "nothing found"
        values = [v for _, v in options]
        chosen = current if current in values else preferred if preferred in values else \
            (values[0] if values else None)
        if chosen is not None:
            select.value = chosen

    @on(Select.Changed, "#probe")
    def _probe_chosen(self) -> None:
        """The chip's target type goes into the target field unless the user typed another."""
        probe = self._chosen_probe()
        field = self.query_one("#target-type", Input)
        chip = probe.target.target_type if probe is not None and probe.target is not None else None
        if chip and (not field.value.strip() or field.value.strip() == self._target_from_chip):
            field.value = chip
            self._target_from_chip = chip

    @on(Select.Changed, "#psu")
    def _psu_chosen(self) -> None:
        """The channel choice offers the chosen model's channels."""
        psu = self._chosen("psu")
        channels = list(psu.channels) if psu is not None and psu.channels else [1, 2, 3]
        select = self.query_one("#psu-channel", Select)
        keep = select.value if select.value in channels else channels[0]
        select.set_options([(f"CH{n}", n) for n in channels])
        select.value = keep

    def _chosen_probe(self) -> Any:
        value = self.query_one("#probe", Select).value
        return next((p for p in self.found.probes if p.uid == value), None) if self.found else None

    def _chosen(self, kind: str) -> Any:
        value = self.query_one(f"#{kind}", Select).value
        return next((i for i in self.found.instruments if i.resource == value), None) if self.found else None

    # -- writing and checking ---------------------------------------------------------------
    def action_write(self) -> None:
        """Build the profile from the choices, write it (asking before replacing a file), check it."""
        if self._busy:
            self.notify(f"busy: {self._busy}", severity="warning")
            return
        missing = [name for name, sel in (("a probe", "#probe"), ("a PSU", "#psu"), ("a scope", "#scope"))
                   if not isinstance(self.query_one(sel, Select).value, str)]
        if missing or self.found is None:
            self._say("#result", Text(f"choose {' and '.join(missing) or 'the parts'} first "
                                      "(F5 discovers)", "red"))
            return
        nets = {net: self.query_one(f"#net-{net}", Select).value for net in NETS}
        nets = {net: ch for net, ch in nets.items() if ch != NOT_WIRED}
        taken: dict[int, str] = {}
        for net, ch in nets.items():
            if ch in taken:
                self._say("#result", Text(f"nets: CH{ch} carries {taken[ch]} and {net}: give each "
                                          "its own channel (or 'not wired')", "red"))
                return
            taken[ch] = net
        if not nets:
            self._say("#result", Text("nets: map at least one net to a scope channel", "red"))
            return
        text = self.query_one("#out", Input).value.strip()
        if not text:
            self._say("#result", Text("write to: give a file name", "red"))
            return
        out = Path(text).expanduser()
        choice = dict(probe=self.query_one("#probe", Select).value, psu=self.query_one("#psu", Select).value,
                      channel=self.query_one("#psu-channel", Select).value,
                      scope=self.query_one("#scope", Select).value, nets=nets,
                      firmware=self.query_one("#firmware", Input).value.strip() or None,
                      target_type=self.query_one("#target-type", Input).value.strip() or None)
        if out.exists() and not self.force:
            def answered(ok: bool | None) -> None:
                if ok:
                    self._write(out, choice, force=True)
            self.app.push_screen(ConfirmDialog(f"Replace {printable(str(out))}?",
                                               "The file exists: the profile written now replaces it.",
                                               "Replace"), answered)
            return
        self._write(out, choice, force=self.force)

    def _write(self, out: Path, choice: dict, *, force: bool) -> None:
        found = self.found
        self._say("#result", Text(printable(f"writing {out}…"), "yellow"))

        def work() -> tuple[str, list]:
            from ..bench.profile_builder import parts_from_discovery, summary, write_profile
            from ..devices.check import check_profile
            parts = parts_from_discovery(found, database=f"{out.stem}.db", name=None, flags=FIELDS, **choice)
            profile = write_profile(parts, out, force=force)
            self.app.call_from_thread(self._progress, Text(printable(
                f"{summary(parts, out)}\nchecking {out}…"), "yellow"))
            return summary(parts, out), check_profile(profile)
        self._in_thread("writing and checking", work, lambda done: self._checked(out, *done), "#result")

    def _checked(self, out: Path, written: str, results: list) -> None:
        ok = all(r.ok for r in results)
        lines = [Text(printable(written)), Text(printable(f"checking {out}:"))]
        for r in results:
            first, second = r.lines()
            lines.append(Text(printable(first), "green" if r.ok else "bold red"))
            lines.append(Text(printable(second)))
        failed = sum(1 for r in results if not r.ok)
        lines.append(Text(printable(
            f"check: every part answers. Next: benchtui check --profile {out} --wiring, then "
            f"benchtui tui --profile {out}") if ok else
            f"check: {failed} of {len(results)} FAIL: fix what the lines say, then write again (^s)",
            "bold green" if ok else "bold red"))
        self._say("#result", Text("\n").join(lines))
        self.outcome = InitOutcome(str(out), ok)
        self.post_message(ProfileWritten(str(out), ok))

    # -- plumbing ---------------------------------------------------------------------------
    def _in_thread(self, what: str, work: Callable[[], Any], then: Callable[[Any], None], where: str) -> None:
        """Run blocking `work` in a thread; `then(result)` on the app's loop; a failure is one
        red line at `where`."""
        self._busy = what

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - shown as one line, never a traceback
                from ..errors import BenchError
                text = exc.one_line() if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
                self.app.call_from_thread(self._failed, what, text, where)
            else:
                self.app.call_from_thread(self._done, then, result)
        self.run_worker(run, thread=True, group="init", exit_on_error=False)

    def _done(self, then: Callable[[Any], None], result: Any) -> None:
        self._busy = None
        if self.is_mounted:               # not closed while the thread ran
            then(result)

    def _failed(self, what: str, text: str, where: str) -> None:
        self._busy = None
        if self.is_mounted:
            self._say(where, Text(printable(f"{what} failed: {text}"), "red"))

    def _progress(self, text: Text) -> None:
        if self.is_mounted:
            self._say("#result", text)

    def _say(self, selector: str, text: Text) -> None:
        self.query_one(selector, Static).update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "discover":
            self.action_discover()
        elif event.button.id == "write":
            self.action_write()

    def action_leave(self) -> None:
        """Escape: leave a field first (as in the console), else close the screen."""
        if self.focused is not None:
            self.set_focus(None)
        else:
            self.dismiss(self.outcome)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _probe_label(p: Any) -> Text:
    target = p.target.describe() if p.target is not None else f"no target: {p.error or 'none answers'}"
    return Text(printable(f"{p.uid}  {target}"))


def _instrument_label(i: Any) -> Text:
    """'DP832  rigol-dp800, CH1-3  at TCPIP0::…': the model, its driver (and channels), where."""
    channels = f", CH{i.channels[0]}-{i.channels[-1]}" if len(i.channels) > 1 else ""
    return Text(printable(f"{i.model or i.identity}  {i.driver}{channels}  at {i.resource}"))


class InitApp(App[InitOutcome]):
    """The init screen on its own: `benchtui init` without --probe/--psu/--scope."""

    CSS_PATH = "app.tcss"
    TITLE = "benchtui init"

    def __init__(self, **screen_args: Any):
        super().__init__()
        self.screen_args = screen_args

    def on_mount(self) -> None:
        self.push_screen(InitScreen(**self.screen_args), self.exit)
