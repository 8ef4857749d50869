"""What a power-up depends on besides the supply's level: how far the rail fell before it, and how
much headroom the internal regulator has.

* The reset temporization. The power-on reset holds NRST low for T_RSTTEMPO after VDD rises
  through POR, but only a rail that fell below the re-arm band before that rise re-arms it
  fully. A short off-time leaves VDD (and VCAP, which follows it) partly charged: the ramp that
  follows is not monotonic from 0 V, the POR's delay element still holds part of its charge, and
  the reset is released sooner — on a rail that has barely passed POR.
* The regulator's headroom. Below V_REG_FULL the internal 1.2 V regulator runs out of headroom;
  in dropout its output impedance adds to the VCAP decoupling's, so a load step at NRST release
  (the core starting and the option-byte load) dips VCAP further than the same step at 3.3 V.

Together: the earlier the release on the ramp (short off-time, slow ramp, low setpoint), the
lower VDD is at the option-byte load and the deeper its VCAP dip. A board with sound VCAP
decoupling keeps its margin; a board with weak decoupling loses it (the `vcap-marginal` shape).
"""

from __future__ import annotations

from .physics import (R_DROPOUT, REG_HEADROOM, T_RSTTEMPO, V12_NOM, V_REARM_HI, V_REARM_LO,
                      V_REG_FULL)


def reset_tempo(v_min: float) -> float:
    """Seconds NRST stays low after POR, for a rail whose lowest level before the rise was
    `v_min` volts: the full T_RSTTEMPO below V_REARM_LO, none above V_REARM_HI; between, the
    square of how far below V_REARM_HI it fell (the delay element's charge left, UNCONFIRMED)."""
    armed = min(1.0, max(0.0, (V_REARM_HI - v_min) / (V_REARM_HI - V_REARM_LO)))
    return T_RSTTEMPO * armed * armed


def regulator_impedance(vdd: float) -> float:
    """Ohms the internal regulator adds to a VCAP load step at supply `vdd`: R_DROPOUT in dropout
    (VDD below 1.2 V + its headroom), 0 from V_REG_FULL up, linear between."""
    dropout = V12_NOM + REG_HEADROOM
    return R_DROPOUT * min(1.0, max(0.0, (V_REG_FULL - vdd) / (V_REG_FULL - dropout)))


__all__ = ["regulator_impedance", "reset_tempo"]
