"""The board's electrical constants and the per-board component tolerances.

All values are UNCONFIRMED unless noted: the STM32F767 datasheet DS11532 tables could not be
read, so the POR/PDR and NRST values are the STM32F405/407 datasheet's (DS8626). They are the
nominal board: each board of a virtual batch (`sim/batch.py`) scales some of them by its own
tolerances (`BoardSpec`), a lone board uses them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

V_POR_RISE = 1.72           # V, POR threshold on a rising VDD (DS8626 typ)
V_PDR_FALL = 1.68           # V, PDR threshold on a falling VDD (40 mV hysteresis, DS8626)
T_RSTTEMPO = 1.5e-3         # s, NRST held low after POR (tRSTTEMPO typ, DS8626)
NRST_RESET_MIN_PULSE = 300e-9   # s, VNF(NRST): shorter low pulses may be filtered (DS8626)
NRST_RISE_TAU = 20e-6       # s, NRST pull-up (40 kOhm) into pin + trace capacitance
TAU_RISE = 300e-6           # s, PSU output slew into the board's bulk capacitance
TAU_FALL = 5e-3             # s, rail decay after output off (bulk C discharged by the load)
#: s, the decay's tail once VDD is below PDR: the MCU is held in reset and draws next to nothing,
#: the bulk capacitance is discharged only by the board's other loads (pull-ups, the SPI flash).
TAU_FALL_RESET = 10e-3
TAU_SAG = 150e-6            # s, rail collapse once the PSU goes CC
R_WIRING = 0.05             # ohm, PSU leads + connector
I_BASE = 0.060              # A, board current at 3.3 V (MCU at HSI + peripherals)
V_LOAD_KNEE = 1.5           # V, below this the regulated load behaves resistively
V12_NOM = 1.20              # V, internal regulator output on VCAP1/VCAP2
REG_HEADROOM = 0.60         # V, VCAP follows VDD - headroom until VDD > ~1.8 V
TAU_VCAP_RECOVER = 150e-6   # s, regulator recovery after a load step
I_STARTUP = 0.025           # A, core + option-byte load current step at NRST release after POR
OB_LOAD_WINDOW = 1.0e-3     # s, option-byte load window after the POR NRST release
VCAP_FLASH_MIN = 1.10       # V, a flash erase/program whose window sees VCAP below this fails
VCAP_OB_LOAD_MIN = 1.05     # V, the option-byte load at POR is corrupted below this
LOAD_MIN_DURATION = 2e-3    # s, shortest load event (a time-scale-0 twin still leaves a mark)
#: V, the power-on reset's re-arm band: a power-up from a rail that fell below V_REARM_LO gets the
#: full reset temporization; one from a rail left above V_REARM_HI (a short off-time) gets none,
#: the reset is released at the POR crossing itself (in between: the square of the fraction). A POR needs the
#: supply to fall below its threshold before a new power-on reset is generated (Microchip,
#: "Power-On Reset (POR)", e.g. the dsPIC33/PIC24 family reference manual); the values here are
#: ours, for a POR whose delay element keeps its charge while VDD stays up.
V_REARM_LO = 0.1
V_REARM_HI = 0.7
#: ohm, the internal regulator's output impedance in dropout (VDD too low for it to hold 1.2 V):
#: it adds to the VCAP decoupling's on every load step while VDD is below V_REG_FULL.
R_DROPOUT = 2.0
V_REG_FULL = 2.2            # V, from here up the regulator has its full headroom (0 ohm added)
NOISE_RMS_V = 0.002         # V, noise on sampled waveforms
#: s, events older than this are forgotten. What reads the past: the scope's record and trigger
#: scan (continuous modes skip records older than CATCH_UP_S = 2 s, sim/scpi/scope.py; a single
#: capture looks back one record, 12 divisions of the time base), the twin's verdict on a flash
#: operation (up to a mass erase, 8 s at time scale 1) and the option-byte load at power-up (ms).
#: 60 s covers them all with room and lets the history fill within the first minute of a soak.
PRUNE_AGE_S = 60.0
GLITCH_CHUNK_S = 10.0       # s, glitch/dropout times are generated per chunk of a power cycle

NETS = ("VDD", "VCAP1", "VCAP2", "NRST")

#: Component tolerance bands of the boards of one batch: each board's factor on the nominal value
#: is 1 + a normal draw with sigma = band / 2, cut at the band (parts are within their spec, so
#: a healthy board is never a 4-sigma outlier). UNCONFIRMED choices: 20-30 % passives, a
#: regulator trimmed to 1.5 %.
TOLERANCE_BAND = {
    "vcap_z": 0.30,     # VCAP decoupling ESR/ESL and placement
    "i_base": 0.15,     # board quiescent current (MCU and peripherals)
    "tau_rise": 0.20,   # bulk capacitance on VDD
    "v12": 0.015,       # internal regulator output
    "nrst_tau": 0.30,   # NRST pull-up and pin capacitance
}


@dataclass(frozen=True)
class BoardSpec:
    """One physical board: its identity, the fault it carries and its component tolerances.

    `uid_words` are the three 32-bit words of the STM32's 96-bit unique ID (UID_BASE
    0x1FF0F420, lowest address first); the twin reports them. The factors multiply the nominal
    constants above (1.0 = nominal).
    """

    number: int                        # position in the batch (1-based); 0 for a lone board
    seed: int
    scenario: str                      # the fault scenario this board carries ("healthy" if none)
    uid_words: tuple[int, int, int]
    vcap_z: float = 1.0
    i_base: float = 1.0
    tau_rise: float = 1.0
    v12: float = 1.0
    nrst_tau: float = 1.0

    @property
    def uid(self) -> str:
        """The UID as 24 hex digits, word at the lowest address first."""
        return "".join(f"{w:08X}" for w in self.uid_words)


__all__ = [name for name in dir() if name.isupper()] + ["BoardSpec"]
