"""benchtui: a bench console for STM32 boards that fail after a power cycle."""

from importlib import metadata

try:
    #: The installed distribution's version (pyproject.toml is its one source).
    __version__ = metadata.version("benchtui")
except metadata.PackageNotFoundError:  # a source tree on sys.path, never installed
    __version__ = "0+unknown"
