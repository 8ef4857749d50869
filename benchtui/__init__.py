"""benchtui: a bench console for STM32 boards that fail after a power cycle."""

__version__ = "0.1.0"
