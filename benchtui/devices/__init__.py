"""Blocking drivers: VISA instruments (PSU, scope) and the pyOCD target link.

Each device is owned by one thread (see `owner.py`); nothing here imports textual.
"""
