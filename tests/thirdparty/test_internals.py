"""The libraries' private internals benchtui leans on, one test each, so that an upgrade past the
pinned version line (pyproject.toml) that removes or changes one fails here, by name, instead of
somewhere deep in a run:

* Textual: the Screen's pending-work flags, compositor and layout refresh (tui/tabs.py, Predraw);
* pyOCD: TCPClientProbe's socket and request internals (devices/target/remote.py), the probe
  server's request-handler table and the probe lock (sim/twin/server.py);
* Unicorn: Uc._uch and the binding's libunicorn handle for raw write hooks (sim/twin/core.py);
* pyvisa-py: a SOCKET session's socket and pending buffer (devices/transport.py);
* textual-serve: its package's templates/ and static/ folders (cli/web.py).
"""

from __future__ import annotations

import pytest

import ctypes
import inspect
import re
import socket
import threading
from pathlib import Path

# --- Textual ---------------------------------------------------------------------------------


def test_predraw_checks_every_pending_work_flag_textuals_idle_handler_checks():
    """Predraw's quiet check must wait for what Screen._on_idle waits for, no more, no less."""
    from textual.screen import Screen

    from benchtui.tui.tabs import SCREEN_PENDING

    source = inspect.getsource(Screen._on_idle)
    checked = set(re.findall(r"self\.(_\w+_required|_dirty_widgets)\b", source))
    assert checked == set(SCREEN_PENDING), (
        f"Textual's Screen._on_idle now checks {sorted(checked)}; tui/tabs.py SCREEN_PENDING has "
        f"{sorted(SCREEN_PENDING)}")


async def test_the_screen_internals_predraw_uses_are_there_on_a_running_screen():
    from textual.app import App
    from textual.widgets import ContentSwitcher, Static

    from benchtui.tui.tabs import SCREEN_PENDING

    class Tiny(App):
        def compose(self):
            with ContentSwitcher(initial="a", id="tabs"):
                yield Static("a", id="a")
                yield Static("b", id="b")

    app = Tiny()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen = app.screen
        for name in SCREEN_PENDING:
            assert hasattr(screen, name), f"textual Screen.{name} is gone"
        assert isinstance(screen._dirty_widgets, (set, dict)), type(screen._dirty_widgets)
        assert all(isinstance(getattr(screen, n), bool) for n in SCREEN_PENDING if n != "_dirty_widgets")
        compositor = screen._compositor
        assert isinstance(compositor._dirty_regions, set), "textual Compositor._dirty_regions changed"
        assert callable(screen._refresh_layout), "textual Screen._refresh_layout is gone"
        assert "full" in inspect.signature(compositor.render_update).parameters
        assert app.is_running          # the public form of App._running (tui/app.py)


@pytest.mark.slow
async def test_predraw_is_not_switched_off_after_warm_up_and_says_so_when_it_is(caplog, tmp_path):
    """After warm-up every hidden tab was drawn twice and Predraw still works; when an internal
    fails it stops with a warning naming the error, which the console's log tab shows."""
    from benchtui.tui.app import BenchApp
    from benchtui.tui.panels.log import LogPanel
    from tests.tui.conftest import absent_profile, wait_for

    app = BenchApp(absent_profile(str(tmp_path / "none.db")))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.warmed_up, "the warm-up and the tabs drawn ahead")
        assert app.predraw.stopped is None, f"Predraw stopped: {app.predraw.stopped}"
        assert app.predraw.drawn == 2 * (len(app.predraw.switcher.children) - 1)

        def broken() -> None:
            raise AttributeError("'Screen' object has no attribute '_refresh_layout'")

        app.predraw._draw = lambda panel_id: broken()
        app.predraw.start()
        await wait_for(pilot, lambda: app.predraw.stopped is not None, "Predraw to stop")
        assert "AttributeError" in app.predraw.stopped and app.predraw.done
        warned = [r for r in caplog.records if r.name == "benchtui.tui.tabs" and r.levelname == "WARNING"]
        assert warned and "_refresh_layout" in warned[0].getMessage()
        await wait_for(pilot, lambda: any("drawing the hidden tabs ahead stopped" in line
                                          for line in app.panel(LogPanel).lines), "the warning in the log tab")


# --- pyOCD -----------------------------------------------------------------------------------


def test_tcp_client_probe_internals_the_timed_client_replaces():
    from pyocd.probe.tcp_client_probe import TCPClientProbe
    from pyocd.utility.sockets import ClientSocket

    probe = TCPClientProbe("127.0.0.1:1")          # no connection is made
    assert probe._uid == "remote:127.0.0.1:1" and probe._is_open is False
    sock = probe._socket
    assert isinstance(sock, ClientSocket) and sock._socket is None
    assert isinstance(sock._buffer, bytearray) and isinstance(sock._timeout, (int, float))
    assert callable(sock.connect)
    assert hasattr(probe._lock, "acquire") and hasattr(probe._lock, "release")
    assert probe.request_id + 1 == probe.request_id  # a property that counts
    assert TCPClientProbe.PROTOCOL_VERSION == 1
    assert all(isinstance(k, int) and issubclass(v, Exception)
               for k, v in TCPClientProbe.STATUS_CODE_CLASS_MAP.items())
    # the timed client overrides _perform_request_without_raise: pyOCD must still route through it
    probe._perform_request_without_raise = lambda request, *args: ((request, args), None)
    assert probe._perform_request("readprop", "x") == ("readprop", ("x",))


def test_probe_server_handler_table_and_probe_lock_the_twin_server_wraps():
    from pyocd.probe.debug_probe import DebugProbe
    from pyocd.probe.shared_probe_proxy import SharedDebugProbeProxy
    from pyocd.probe.tcp_probe_server import DebugProbeRequestHandler

    setup = inspect.getsource(DebugProbeRequestHandler.setup)
    assert "self._REQUEST_HANDLERS" in setup and "self._probe = " in setup
    for key in ("lock", "unlock", "open", "close", "connect", "disconnect"):
        assert re.search(rf"['\"]{key}['\"]\s*:\s*\(", setup), f"pyOCD's handler table has no {key!r}"
    assert callable(getattr(DebugProbeRequestHandler, "_request__connect", None))
    assert "self._lock = threading.RLock()" in inspect.getsource(DebugProbe.__init__)
    assert isinstance(SharedDebugProbeProxy.__dict__.get("probe"), property)


# --- Unicorn ---------------------------------------------------------------------------------


def test_raw_libunicorn_write_hooks_fire_through_uc_uch():
    """The twin registers its flash/register write hooks straight with libunicorn through the
    binding's handle `Uc._uch` (sim/twin/core.py); without it every programmed word costs twice."""
    import unicorn as U

    from benchtui.sim.twin import core

    assert core._raw_hooks is not None, "unicorn.unicorn_py3.unicorn has no uclib / uc_hook_h"
    lib, cfunc, handle_type = core._raw_hooks
    uc = U.Uc(U.UC_ARCH_ARM, U.UC_MODE_THUMB)
    assert hasattr(uc, "_uch"), "Unicorn's Uc._uch (the engine handle) is gone"
    uc.mem_map(0x1000, 0x1000)
    uc.mem_write(0x1000, bytes.fromhex("0160"))            # str r1, [r0]
    uc.reg_write(U.arm_const.UC_ARM_REG_R0, 0x1800)
    uc.reg_write(U.arm_const.UC_ARM_REG_R1, 0xCAFE)
    seen: list[tuple[int, int]] = []
    thunk = cfunc(lambda handle, access, address, size, value, key: seen.append((address, value)))
    handle = handle_type()
    status = lib.uc_hook_add(uc._uch, ctypes.byref(handle), U.UC_HOOK_MEM_WRITE, thunk, None,
                             ctypes.c_uint64(0x1800), ctypes.c_uint64(0x18FF))
    assert status == 0
    uc.emu_start(0x1000 | 1, 0x1002)
    assert seen == [(0x1800, 0xCAFE)]


# --- pyvisa-py -------------------------------------------------------------------------------


def test_a_pyvisa_py_socket_session_exposes_its_socket_and_pending_buffer():
    import pyvisa

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    rm = pyvisa.ResourceManager("@py")
    try:
        inst = rm.open_resource(f"TCPIP0::127.0.0.1::{port}::SOCKET", open_timeout=2000)
        backend = inst.visalib.sessions[inst.session]
        assert isinstance(backend.interface, socket.socket), type(backend.interface)
        assert isinstance(getattr(backend, "_pending_buffer", None), bytearray)
        inst.close()
    finally:
        rm.close()
        thread.join(2)
        for s in accepted:
            s.close()
        listener.close()


# --- textual-serve ---------------------------------------------------------------------------


def test_textual_serve_ships_the_template_and_static_folders_benchtui_web_points_at():
    import textual_serve
    import textual_serve.server

    base = Path(textual_serve.__file__).parent
    assert (base / "templates" / "app_index.html").is_file() and (base / "static").is_dir()
    params = inspect.signature(textual_serve.server.Server).parameters
    assert {"templates_path", "statics_path", "public_url"} <= set(params)


def test_the_offline_template_loads_nothing_from_another_host(tmp_path):
    from benchtui.cli.web import offline_templates

    folder = offline_templates(tmp_path / "t")
    text = (folder / "app_index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in text and "{{" in text


async def test_a_line_drawn_widget_leaves_textuals_own_size_alone():
    """TextLines keeps its content size in an attribute of its own: it once stored it in
    `_size`, which is Textual's Widget outer size, so a bordered one reported its content size
    as its outer size and was resized (and repainted) anew at every layout."""
    from rich.text import Text
    from textual.app import App

    from benchtui.tui.lines import TextLines

    class Boxed(TextLines):
        DEFAULT_CSS = "Boxed { border: round white; padding: 0 1; width: 30; height: 6; }"

        def render(self):
            return Text("one\ntwo")

    app = App()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = Boxed()
        await app.mount(widget)
        await pilot.pause()
        widget.refresh()
        await pilot.pause()
        assert widget.outer_size == (30, 6) and widget.content_size == (26, 4)
