"""Simulated instruments on a serial line (a pseudo-terminal or a loopback socket serial URL)."""
