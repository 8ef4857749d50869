"""The virtual bench: board electrical model, SCPI instrument servers, STM32F767 twin.

Stands alone: imports nothing from the rest of benchtui, so it can be reached only the way
real hardware is reached (VISA resource strings, pyOCD probe uids).
"""
