"""Compatibility name: the STM32F7 family module now lives in `devices/mcu/stm32f7.py`."""

from .mcu.stm32f7 import *  # noqa: F401,F403
from .mcu.stm32f7 import __all__  # noqa: F401
