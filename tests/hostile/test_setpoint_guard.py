"""The PSU driver's own guard: whatever a caller passes as a setpoint, a number no float can hold
(10**400), a NaN, a string, a complex, a bool, is the driver's SafetyError and nothing is sent;
real numbers of any type (numpy, Fraction, Decimal) within the limits are sent as plain decimals.
Through pyvisa-py to the simulated PSU, behind a recording man in the middle."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from benchtui.devices.psu import open_psu
from benchtui.errors import SafetyError
from benchtui.profile import load_profile

from .conftest import bench_profile, upstream

REFUSED = {"10**400": 10 ** 400, "10**5000": 10 ** 5000, "-10**400": -10 ** 400, "nan": float("nan"),
           "Decimal 1e400": Decimal("1e400"), "Decimal nan": Decimal("NaN"), "text": "3.3",
           "complex": 3.3 + 0j, "bool": True, "None": None, "numpy inf": np.float64("inf")}


@pytest.fixture
def psu(tmp_path, sim, hostile):
    middle = hostile(upstream=upstream(sim.psu_resource))
    profile = load_profile(bench_profile(tmp_path, middle.resource, sim.scope_resource))
    driver = open_psu(profile.psu)
    yield driver, middle
    driver.close()


@pytest.mark.parametrize("case", list(REFUSED))
def test_every_setpoint_path_refuses_an_unconvertible_number_and_sends_nothing(case, psu):
    driver, middle = psu
    value = REFUSED[case]
    before = len(middle.received)
    for call in (lambda: driver.apply(value, 0.1), lambda: driver.apply(3.3, value),
                 lambda: driver.check_voltage(value), lambda: driver.check_current(value)):
        with pytest.raises(SafetyError, match="nothing was sent") as caught:
            call()
        assert len(caught.value.one_line()) < 200, caught.value.one_line()
    assert middle.received[before:] == [], "something was sent"


@pytest.mark.parametrize("value", [np.float64(3.3), Fraction(33, 10), Decimal("3.3"), np.int64(3)])
def test_real_numbers_of_any_type_are_sent_as_plain_decimals(value, psu):
    driver, middle = psu
    driver.apply(value, 0.1)
    assert f":SOUR1:VOLT {float(value):g}" in middle.received
