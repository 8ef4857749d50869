"""`web --host`: an empty host is an error (it printed "http://:PORT" and bound every interface);
every spelling of every interface warns; a numeric host is bound as printed, in canonical form.
Nothing here binds anything but 127.0.0.1: the spellings are classified, not listened on."""

from __future__ import annotations

import pytest

from benchtui.cli import main
from benchtui.cli.web import listen_address

EVERY_INTERFACE = {"0.0.0.0": "0.0.0.0", "0": "0.0.0.0", "0.0.0": "0.0.0.0", "::": "::", "::0": "::",
                   "0:0:0:0:0:0:0:0": "::", "0000::": "::"}


@pytest.mark.parametrize("host", list(EVERY_INTERFACE))
def test_every_spelling_of_every_interface_warns_and_binds_as_printed(host):
    bind, warning = listen_address(host)
    assert bind == EVERY_INTERFACE[host]
    assert warning and "listening on every interface" in warning and "drive the bench" in warning, warning


@pytest.mark.parametrize("host, bind", [("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("::1", "::1"),
                                        ("localhost", "localhost"), ("0:0:0:0:0:0:0:1", "::1")])
def test_loopback_binds_without_a_warning(host, bind):
    assert listen_address(host) == (bind, None)


def test_an_address_of_the_network_warns():
    bind, warning = listen_address("192.0.2.7")
    assert bind == "192.0.2.7" and warning == ("listening on 192.0.2.7: anyone who reaches this machine "
                                               "can drive the bench")


@pytest.mark.parametrize("host", ["", "  "])
def test_an_empty_host_is_a_one_line_error_before_anything_listens(host, capsys):
    assert main(["web", "--demo", "--host", host, "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"benchtui: web: --host {host!r}: "), \
        captured.err

