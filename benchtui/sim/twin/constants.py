"""Fixed values of the STM32F767 twin: debug identity, register addresses, keys and every
UNCONFIRMED choice in one place.

Values marked UNCONFIRMED are our choice where the public sources (RM0410, the STM32F767
datasheet DS11532, ST's HAL, OpenOCD) do not settle the silicon's behaviour; change them here
and nowhere else.
"""

from __future__ import annotations

# --- debug identity ----------------------------------------------------------------------------
# DBGMCU_IDCODE: RM0410 "Debug support (DBG)"; DP IDR, AHB-AP IDR and CPUID as pyOCD logs them on
# a NUCLEO-F767ZI (https://github.com/mbed-ce/mbed-os/pull/36) and CMSIS stm32f767xx.h __CM7_REV.
DPIDR = 0x5BA02477
AHB_AP_IDR = 0x74770001
AP_BASE = 0xE00FD003          # ST system ROM table, format + present bits
CPUID = 0x411FC270            # Cortex-M7 r1p0
DBGMCU_IDCODE = 0x10016451    # DEV_ID 0x451, REV_ID 0x1001 (rev Z)
DBGMCU_BASE = 0xE0042000

# --- memory map --------------------------------------------------------------------------------
# RM0410 §2.2.2 "Memory map and register boundary addresses"; UID, flash size and package words:
# RM0410 "Device electronic signature".
ITCM_RAM_BASE, ITCM_RAM_SIZE = 0x00000000, 16 * 1024
SRAM_BASE, SRAM_SIZE = 0x20000000, 512 * 1024          # DTCM 128K + SRAM1 368K + SRAM2 16K
FLASH_AXIM_BASE = 0x08000000
FLASH_ITCM_BASE = 0x00200000
SYSINFO_BASE, SYSINFO_SIZE = 0x1FF0F000, 0x800          # OTP, UID, flash size, package
OTP_SIZE = 0x420
UID_ADDR = 0x1FF0F420
FLASH_SIZE_ADDR = 0x1FF0F442
PACKAGE_ADDR = 0x1FF0F7E0
OPTION_IMAGE_BASE, OPTION_IMAGE_SIZE = 0x1FFF0000, 0x20
FLASH_REGS_BASE = 0x40023C00
IWDG_BASE = 0x40003000
#: UID words of a twin built without a seed or UID (arbitrary but fixed); boards of the virtual
#: bench derive theirs from their seed (variants.uid_for_seed).
UID_WORDS = (0x00460031, 0x3437510D, 0x36383639)
#: Package word: PKG[10:8] = 0b100, LQFP144 (the seed's STM32F767ZGT6) in the UNCONFIRMED
#: encoding the device side decodes (devices/mcu/stm32f7.py PACKAGES).
PACKAGE_VALUE = 0x0400
NDBANK = 1 << 29

# --- variants (variants.py holds the chips; these are the F7's UNCONFIRMED layout choices) ------
#: UNCONFIRMED: bank-2 base of a 1 MB part in dual-bank mode. We follow RM0410 §3.3.1 (flash
#: memory organization) and OpenOCD src/flash/nor/stm32f2x.c (bank 2 directly after bank 1);
#: Blackmagic src/target/stm32f4.c and one forum user say 0x08100000 (https://community.st.com/t5/
#: stm32-mcus-products/stm32f765-flash-start-address-of-bank-2-problem-with-rm/m-p/777761).
BANK2_OFFSET_1MB_DUAL = 0x80000
#: UNCONFIRMED: nWRP bit of 1 MB dual-bank bank-2 sector pairs. We follow the HAL numbering
#: (stm32f7xx_hal_flash_ex.h OB_WRP_DB_SECTOR_*) (sector numbers 12..19 -> bits 6..9), not OpenOCD's sequential bits 4..7.
WRP_1MB_DUAL_HAL_NUMBERING = True

# --- FLASH interface (RM0410 §3.7 "FLASH registers"; keys: stm32f7xx_hal_flash.h) --------------
KEY1, KEY2 = 0x45670123, 0xCDEF89AB
OPTKEY1, OPTKEY2 = 0x08192A3B, 0x4C5D6E7F
OPTCR_FACTORY = 0xFFFFAAFD
OPTCR1_FACTORY = 0x00400080
CR_RESET = 0x80000000         # UNCONFIRMED reset value (LOCK=1)
RDP_LEVEL0, RDP_LEVEL2 = 0xAA, 0xCC
#: What an option-byte write interrupted by a reset leaves behind (UNCONFIRMED hardware rule, from
#: public reports: https://community.st.com/t5/stm32-mcus-products/stm32f7-reset-during-write-protection-causes-read-protection/m-p/271452,
#: STMicroelectronics/STM32CubeF7#96, rusefi/rusefi#8926): RDP 0xFF (level 1), every sector
#: write-protected, boot addresses 0xFFFF.
CORRUPT_RDP = 0xFF
CORRUPT_NWRP = 0x000
CORRUPT_BOOT_ADD = 0xFFFF
#: UNCONFIRMED: an option-byte write cut short also leaves the stored words' complements (RM0410
#: §3.4.1 "Option bytes description") disagreeing: the nWRP/user word (1) and both boot-address words (2, 3)
#: carry a complement with these bits flipped, until the next complete option write.
CORRUPT_BROKEN_WORDS = frozenset({1, 2, 3})
BROKEN_COMPLEMENT_XOR = 0x00FF
#: UNCONFIRMED: what the flash array holds after a bank-mode change (nDBANK / DB1M). We keep
#: it as it was, address for address (the cells do not move; only the sector boundaries and
#: numbers change); True would erase the whole array instead.
BANK_CHANGE_ERASES = False
#: STM32F4 option bytes after a write cut short (UNCONFIRMED rule, from ST community reports:
#: F429 https://community.st.com/t5/stm32-mcus-products/stm32f429zit6-reset-values-for-flash-option-bytes-when-power/td-p/394565,
#: F427 https://community.st.com/t5/stm32-mcus-products/my-stm32f427-has-option-byte-modified-reset-to-0xcffffffd-after/td-p/238751):
#: F42x/F446 read OPTCR 0xCFFFFFFD (RDP 1, SPRMOD with all nWRP = PCROP everywhere), F405/407
#: 0x0FFFFFEC (RDP 1).
F4_CORRUPT_OPTCR_F42X = 0xCFFFFFFD
F4_CORRUPT_OPTCR_F40X = 0x0FFFFFEC
#: UNCONFIRMED: whether WRP blocks the RDP 1->0 regression erase. We let the regression erase
#: the whole array regardless of nWRP.
REGRESSION_IGNORES_WRP = True

# --- durations (x32 typ; UNCONFIRMED) ------------------------------------------------------------
# DS11532 "Flash memory programming" characteristics could not be read: these are the STM32F405/
# 407 datasheet's (DS8626) numbers with the F7's doubled sector sizes; a 2 MB erase taking about
# 16 s is reported at https://community.st.com/t5/stm32-mcus-products/stm32f767-rom-bootloader-over-i2c-should-mass-erase-work/td-p/812175.
T_PROG_WORD_S = 16e-6
T_ERASE_BY_SIZE_S = ((32 * 1024, 0.25), (128 * 1024, 0.55), (256 * 1024, 1.0))   # size <= key
T_MASS_ERASE_PER_MB_S = 4.0     # 8 s for 2 MB
T_OPTION_WRITE_S = 0.3          # the ~300 ms option-programming window users report (thread 271452)
#: One supply-load event covers this many programmed words (8 KB, ~33 ms of programming): fine
#: enough for the board model to place dips in time, coarse enough that asking it for a verdict
#: (a few ms of numpy each) stays a small part of a 700 KB flash.
PROGRAM_BURST_WORDS = 2048
#: Words written within this long after the controller finished the previous ones are
#: programmed back to back (flash.py `settle`): gaps shorter than this are the debugger's
#: latency between two pages, not idle time of the controller.
PROGRAM_CHAIN_S = 0.005

# --- supply current drawn by flash operations (UNCONFIRMED: no F7 value found; DS11532) --------
I_ERASE_A = 0.030
I_PROGRAM_A = 0.030
I_OPTION_A = 0.030

# --- core execution ----------------------------------------------------------------------------
#: Host time the core may run per DHCSR poll while "running". Enforced by a timer thread calling
#: emu_stop: Unicorn's own `timeout`/`count` limits make the flash algorithm ~2x slower.
RUN_CHUNK_S = 0.2
#: Unicorn's translated-code buffer (see core.py: the 1 GB default grows RSS without bound).
#: 2 MB: the flash algorithm's translations (re-made after every page-buffer write) fill it
#: within ~2 minutes of a soak, after which it is flushed and reused; 8 MB took ~10 minutes to
#: fill, which a soak measured as RSS growth (UNCONFIRMED size choice, benchmarks/flash.py
#: showed no slowdown).
TCG_BUFFER_BYTES = 2 << 20
#: IWDG clock (LSI, UNCONFIRMED typ 32 kHz).
LSI_HZ = 32000.0

