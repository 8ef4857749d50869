"""The whole virtual bench in one object: board model, SCPI instruments, STM32 twin.

One `BoardModel` drives everything: the simulated PSU sets its supply, the simulated scope
samples its nets, the twin asks it whether it is powered and whether a flash operation was
disturbed. The app reaches the bench only through what this object publishes: VISA resource
strings and pyOCD probe uids (in-process plugin uid, and `remote:host:port` when served).
"""

from __future__ import annotations

from typing import Any

from .batch import Batch
from .board import BoardModel
from .board.wiring import ProbeWiring
from .instruments import start_instruments
from .twin.mcu import Stm32Twin
from .twin.registry import register_twin, unregister_twin
from .twin.server import serve_twin


class VirtualBench:
    """Start with `start()` (or `with VirtualBench(...) as vb:`), stop with `stop()`."""

    def __init__(self, *, scenario: str = "healthy", seed: int = 1, time_scale: float = 0.0,
                 variant: str = "zg", psu_model: str = "rigol-dp832",
                 scope_model: str = "rigol-ds1054z", host: str = "127.0.0.1",
                 psu_port: int = 0, scope_port: int = 0, probe_port: int = 0,
                 serve_probe: bool = False, state_file: str | None = None, dual_bank: bool = False,
                 batch: int = 0, faulty: tuple[int, ...] | None = None, board: int = 1,
                 fault_words: tuple[str, ...] = (), fault_addresses: tuple[int, ...] = (),
                 swap_nets: tuple[str, ...] = (), probe_ratios: dict[str, float] | None = None,
                 psu_line: str = "socket"):
        self.scenario, self.seed, self.variant = scenario, seed, variant
        self.dual_bank = dual_bank
        #: The virtual batch (None: one board, as the scenario and seed describe it).
        self.batch: Batch | None = Batch.make(scenario, seed, batch, faulty) if batch else None
        self.board_number = board if self.batch else 0
        if self.batch is not None:
            self.batch.spec(board)  # a one-line ValueError for a board outside the batch
        self._options = dict(time_scale=time_scale, psu_model=psu_model, scope_model=scope_model,
                             host=host, psu_port=psu_port, scope_port=scope_port,
                             probe_port=probe_port, serve_probe=serve_probe, state_file=state_file,
                             fault_words=tuple(fault_words), fault_addresses=tuple(fault_addresses),
                             psu_line=psu_line)
        #: The bench's probe wiring (its faults: swapped probes, a probe ratio the scope is not set to).
        self.wiring = ProbeWiring(tuple(swap_nets), dict(probe_ratios or {}))
        self.board: BoardModel | None = None
        self.twin: Stm32Twin | None = None
        self.instruments: Any = None
        self.probe_uid: str | None = None
        self._server: Any = None

    # -- what the app sees --------------------------------------------------------------------
    @property
    def psu_resource(self) -> str:
        return self.instruments.psu_resource

    @property
    def scope_resource(self) -> str:
        return self.instruments.scope_resource

    @property
    def remote_uid(self) -> str | None:
        """`remote:host:port` of the twin's DebugProbeServer, when served."""
        return self._server.uid if self._server is not None else None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "VirtualBench":
        o = self._options
        spec = self.batch.spec(self.board_number) if self.batch is not None else None
        self.board = BoardModel(self.scenario, seed=self.seed, spec=spec)
        self.board.wiring = self.wiring
        self.instruments = start_instruments(
            self.board, psu_model=o["psu_model"], scope_model=o["scope_model"], host=o["host"],
            psu_port=o["psu_port"], scope_port=o["scope_port"], psu_line=o["psu_line"])
        try:
            # The twin's MCU carries the board's 96-bit unique ID (from the board's seed).
            uid = b"".join(w.to_bytes(4, "little") for w in self.board.uid_words)
            self.twin = Stm32Twin(self.variant, power=self.board, time_scale=o["time_scale"],
                                  state_file=o["state_file"], uid=uid, dual_bank=self.dual_bank,
                                  fault_words=o["fault_words"], fault_addresses=o["fault_addresses"])
            self.probe_uid = register_twin(self.twin)
            if o["serve_probe"]:
                self._server = serve_twin(self.twin, host=o["host"], port=o["probe_port"])
        except BaseException:
            self.stop()
            raise
        return self

    def insert_board(self, number: int) -> None:
        """Put board `number` of the batch on the bench, as swapping a board would: the PSU
        keeps its settings; the probe meets another chip (its UID) at the next connect."""
        if self.batch is None:
            raise ValueError("this virtual bench has one board: set [sim] batch to swap boards")
        spec = self.batch.spec(number)
        with self.twin.lock:
            self.board.insert(spec)
            _set_twin_uid(self.twin, spec.uid_words)
        self.board_number = number

    def front_panel_on(self, voltage: float, current_limit: float) -> None:
        """What a user does at the PSU's front panel: set channel 1 and switch it on."""
        psu = self.instruments.psu
        psu.set_voltage(1, voltage)
        psu.set_current(1, current_limit)
        psu.set_output(1, True)

    def stop(self) -> None:
        """Stop every server; save the twin's state if it has a state file."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.probe_uid is not None:
            unregister_twin(self.probe_uid)
            self.probe_uid = None
        if self.twin is not None:
            self.twin.save_if_dirty()
        if self.instruments is not None:
            self.instruments.stop()

    def __enter__(self) -> "VirtualBench":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _set_twin_uid(twin: Stm32Twin, words: tuple[int, int, int]) -> None:
    """The twin's chip gets the board's 96-bit unique ID (a swapped board is another chip)."""
    twin.set_uid(b"".join(w.to_bytes(4, "little") for w in words))
