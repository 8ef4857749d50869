"""The pyOCD target link, in the parts a newcomer looks for:

  link.py      TargetLink: the session, connect (chip-mapped memory map), identity, memory, layout
  flashops.py  erase (register level, RM0410/RM0090 sector numbers), program, verify
  options.py   option bytes: read, complement checks, write with confirmation, bank mode
  classify.py  every pyOCD exception mapped into errors.py with its evidence
  identity.py  TargetIdentity (part, flash, layout, UID, package), ProbeInfo, results

MCU family knowledge is in devices/mcu/, the pyOCD target types in devices/pyocd_targets.py.
"""

from .classify import NO_ACK_TEXT
from .flashops import VERIFY_BLOCK
from .identity import ProbeInfo, ProgramResult, TargetIdentity, VerifyResult
from .link import TargetLink, list_probes
from .options import OptionForensics

__all__ = ["NO_ACK_TEXT", "OptionForensics", "ProbeInfo", "ProgramResult", "TargetIdentity",
           "TargetLink", "VERIFY_BLOCK", "VerifyResult", "list_probes"]
