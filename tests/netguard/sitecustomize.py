"""Loaded by every Python subprocess of the test suite (PYTHONPATH): see netguard.py."""

try:
    import netguard

    netguard.install()
except Exception:  # never break a child process over the guard itself
    pass
