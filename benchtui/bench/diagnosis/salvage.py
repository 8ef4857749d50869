"""Salvage: how to get a board back when it ends the run protected (write-protected sectors,
PCROP, read protection), as commands that can be pasted as they are printed."""

from __future__ import annotations

from dataclasses import dataclass

from .context import FinalState, RunContext
from .knowledge import KnowledgeBase
from .words import command, profile_word


@dataclass(frozen=True)
class Salvage:
    """How to get the board back when it ends the run protected."""

    id: str
    title: str
    state: str
    commands: tuple[str, ...]
    console: str
    cost: str
    sources: tuple[str, ...]


def salvage_for(kb: KnowledgeBase, ctx: RunContext, commands: frozenset[str] | None) -> tuple[Salvage, ...]:
    final: FinalState | None = ctx.final
    if final is None:
        return ()
    states = []
    if final.protected_sectors:
        which = f" ({', '.join(map(str, final.sectors))})" if final.sectors else ""
        if final.fields.get("SPRMOD") == 1:  # nWRP = PCROP selection: setting the bits protects
            states.append(("pcrop_selected", f"{final.protected_sectors} sectors PCROP-protected{which} "
                                             f"(SPRMOD = 1) after cycle {final.cycle}"))
        else:
            states.append(("write_protected", f"{final.protected_sectors} sectors write-protected{which} "
                                              f"after cycle {final.cycle}"))
    if final.rdp_level == 1:
        states.append(("rdp_level_1", f"read protection at level 1 after cycle {final.cycle}"))
    if final.rdp_level == 2:
        states.append(("rdp_level_2", f"read protection at level 2 after cycle {final.cycle}"))
    words = salvage_words(ctx, final)
    out = []
    for when, state in states:
        for s in kb.salvage:
            if s.when == when:
                runnable = commands is None or not s.needs or s.needs in commands
                out.append(Salvage(s.id, s.title, state,
                                   tuple(command(c, words) for c in s.commands) if runnable else (),
                                   command(s.console, words), s.cost, kb.source_texts(s.sources)))
    return tuple(out)


#: Chips whose bank-2 write protection lives in OPTCR1's nWRP (named nWRP2 here): the
#: STM32F42x/F43x (DEV_ID 0x419), for runs whose records hold no decoded option bytes.
NWRP2_DEV_IDS = (0x419,)
#: The independent-watchdog selection bit by family (F7 IWDG_SW, F4 WDG_SW): 0 = hardware
#: watchdog, which can abort the RDP 1 -> 0 mass erase.
WATCHDOG_FIELDS = ("IWDG_SW", "WDG_SW", "IWDG1_SW")


def salvage_words(ctx: RunContext, final: FinalState) -> dict[str, str]:
    """The placeholders of the [[salvage]] texts, so that what they print can be pasted as is:
    the profile's absolute path quoted for the shell, `--virtual` when the run used the virtual
    bench, every nWRP field the chip has, the watchdog bit when it would abort the erase."""
    profile = profile_word(ctx)
    virtual = " --virtual" if ctx.virtual else ""
    if final.unprotect:     # the family module said what removes the protection on this chip
        clear = " ".join(f"--set {item}" for item in final.unprotect)
    else:                   # records of the F4/F7 from before they carried it
        wrp = [name for name in ("nWRP", "nWRP2") if name in final.fields]
        if not wrp:
            wrp = ["nWRP", "nWRP2"] if final.dev_id in NWRP2_DEV_IDS else ["nWRP"]
        clear = " ".join(f"--set {n}=0xFFF" for n in wrp)
    watchdog = next((f" --set {n}=1" for n in WATCHDOG_FIELDS if final.fields.get(n) == 0), "")
    return {"profile": profile, "virtual": virtual,
            "clear_wrp": clear,
            "watchdog": watchdog,
            "console": f"benchtui demo --profile {profile}" if ctx.virtual else f"benchtui tui --profile {profile}"}
