"""`web`: the console in a browser, served with textual-serve.

Each browser tab gets its own console process (`benchtui demo` or `benchtui tui --profile P`),
driven by textual-serve over a websocket. The server listens on 127.0.0.1 unless `--host` says
otherwise, and prints exactly the address it binds.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..profile import load_profile
from ..text import printable
from .common import DEMO_PROFILE, EXIT_OK, scenario_args



def listen_address(host: str) -> tuple[str, str | None]:
    """(the address to bind and print, a warning or None) for `--host`.

    An empty host is an error: asyncio reads it as every interface while the URL would read
    "http://:PORT" (our choice: an error, not loopback, since the user asked for something).
    A numeric host is bound in its canonical form ("0" is 0.0.0.0), so that what is printed is
    what is bound; a name is bound as given. Whatever the spelling, an address that is every
    interface (0.0.0.0, ::, 0, ::0, 0:0:0:0:0:0:0:0) or not loopback gets a warning.
    """
    if not host.strip():
        raise BenchError(f"--host {host!r}: give an address to listen on: 127.0.0.1 (this machine "
                         "only, the default), or 0.0.0.0 / :: for every interface", where="web")
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        numeric = True
    except socket.gaierror:
        numeric = False
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise BenchError(f"--host {printable(host)!r}: not an address of this machine "
                             f"({exc.strerror or exc})", where="web") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    bind = str(addresses[0]) if numeric else host
    if any(a.is_unspecified for a in addresses):
        return bind, (f"listening on every interface ({printable(host)!r} is {addresses[0]}): anyone "
                      "who reaches this machine can drive the bench")
    if not all(a.is_loopback for a in addresses):
        return bind, (f"listening on {printable(bind)}: anyone who reaches this machine can drive "
                      "the bench")
    return bind, None


def free_port(host: str) -> int:
    """A port free on `host` now (bound and released; textual-serve binds it right after)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def console_command(args: argparse.Namespace) -> tuple[str, str]:
    """(shell command each browser session runs, title)."""
    python = shlex.quote(sys.executable)
    if args.profile and not args.demo:
        profile = load_profile(args.profile)  # a broken profile is one line now, not in the browser
        return f"{python} -m benchtui.cli tui --profile {shlex.quote(str(profile.source))}", profile.name
    profile = load_profile(args.profile or DEMO_PROFILE)
    extra = "".join(f" --{k} {shlex.quote(str(v))}" for k, v in (("scenario", args.scenario), ("seed", args.seed))
                    if v is not None)
    return (f"{python} -m benchtui.cli demo --profile {shlex.quote(str(profile.source))}{extra}",
            f"{profile.name} (virtual bench)")


def offline_templates(directory: Path) -> Path:
    """textual-serve's page template without its web-font link (fonts.googleapis.com): a bench
    PC is often offline, and the console's page should load nothing but from this server."""
    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates"
    directory.mkdir(parents=True, exist_ok=True)
    for template in source.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"<link[^>]*fonts\.googleapis\.com[^>]*>", "", text, flags=re.S)
        (directory / template.name).write_text(text, encoding="utf-8")
    return directory


def cmd_web(args: argparse.Namespace) -> int:
    import tempfile

    from textual_serve.server import Server

    command, title = console_command(args)
    title = printable(title)   # the profile's name goes to the terminal and the page title
    host, warning = listen_address(args.host)
    try:
        port = args.port or free_port(host)
    except OSError as exc:
        raise BenchError(f"cannot listen on {host}: {exc.strerror or exc}", where="web") from None
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{port}"
    print(f"benchtui web: {title} at {url}  (each browser tab runs its own console; Ctrl-C stops)",
          flush=True)
    if warning:
        print(f"benchtui web: warning: {warning}", file=sys.stderr, flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="benchtui-web-") as tmp:
            import textual_serve
            statics = Path(textual_serve.__file__).parent / "static"
            Server(command, host=host, port=port, title=f"benchtui — {title}", public_url=url,
                   statics_path=statics, templates_path=offline_templates(Path(tmp))).serve()
    except OSError as exc:
        raise BenchError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", where="web") from None
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("web", help="serve the console to a browser (textual-serve), on 127.0.0.1 by default")
    which = sp.add_mutually_exclusive_group()
    which.add_argument("--profile", help="the bench's profile (a real bench, as `benchtui tui`)")
    which.add_argument("--demo", action="store_true", help="the virtual bench, as `benchtui demo` (default)")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = a free port)")
    scenario_args(sp)
    sp.set_defaults(func=cmd_web)
