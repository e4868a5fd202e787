/// @file
/// Errors: one status enum shared with the C ABI (same values as idmap_status_t), the
/// detail that goes with each, and a [[nodiscard]] result type, since without exceptions
/// an ignored error is the easiest bug to write.
#ifndef AARCH64_PAGING_ERROR_HPP
#define AARCH64_PAGING_ERROR_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/region.hpp"

namespace aarch64_paging {

/// What a call answers: Ok, or what went wrong (the crate's MapError variants, plus
/// OutOfMemory and the C ABI's argument and state errors). The values are idmap_status_t's.
enum class Status : int {
    /// Success.
    Ok = 0,
    /// An address outside what the table covers.
    AddressRange = 1,
    /// An address the call cannot take.
    InvalidVirtualAddress = 2,
    /// A region whose end is before its start.
    RegionBackwards = 3,
    /// A modify or walk callback failed.
    PteUpdateFault = 4,
    /// Flags the call does not accept.
    InvalidFlags = 5,
    /// The change to a live table would need break-before-make.
    BreakBeforeMakeViolation = 6,
    /// No page for a new table.
    OutOfMemory = 7,
    /// A NULL pointer, a bad root level or ASID, ...
    InvalidArgument = 8,
    /// Activating a mapping that is active.
    AlreadyActive = 9,
    /// Deactivating a mapping that is not active.
    NotActive = 10,
    /// The pre-flight check (preflight.hpp) found an address the CPU needs mapped wrongly.
    Preflight = 11,
    /// A change that would widen access on a sealed mapping (Mapping::seal).
    Sealed = 12,
};

/// A short description of status: "address out of range", ...; never null ("unknown
/// status" for a value outside the enum).
const char* status_str(Status status);

/// Why a call answered InvalidArgument, where the argument itself is well-formed but the
/// state of the map or the CPU forbids the call: MapError::value bits 7:0, with two
/// numbers the reason names in bits 31:16 (first) and 47:32 (second). The values are the
/// C ABI's IDMAP_ARG_*; 0 is a plain bad argument (a NULL pointer, a bad root level, ...).
namespace argument_reason {
/// deactivate() (or the last deactivate_on_core()) of a mapping that enable_mmu() made
/// the MMU's: the MMU must not be left walking the table it replaced; use disable_mmu().
inline constexpr uint8_t MMU_ENABLED = 1;
/// Activating an upper-range mapping whose ASID (first) is not the ASID in TTBR0 (second):
/// with TCR_ELx.A1 = 0 TTBR0's ASID tags the non-global entries of both ranges, so the
/// mapping's TLB maintenance by its own ASID would miss them.
inline constexpr uint8_t UPPER_ASID = 2;
/// Switching tables with the MMU on in a regime without ASIDs (EL2, EL3) goes through the
/// MMU off, so the calling code must be mapped to itself; the address in va is not.
inline constexpr uint8_t CODE_NOT_IDENTITY_MAPPED = 3;
/// The root level needs TnSZ (first) above 39, which needs FEAT_TTST (ID_AA64MMFR2_EL1.ST).
inline constexpr uint8_t NEEDS_TTST = 4;
/// The root level (first) is not one the granule has (second: its lowest, up to 3).
inline constexpr uint8_t ROOT_LEVEL = 5;
/// An ASID (va) wider than the bits (first) there are for it: 16 in the TTBR, or 8 when
/// the CPU's ID_AA64MMFR0_EL1.ASIDBits says so.
inline constexpr uint8_t ASID_WIDTH = 6;
/// An ASID (va, not 0) for a regime without ASIDs (first: its TranslationRegime).
inline constexpr uint8_t ASID_IN_REGIME = 7;
/// A translation regime (first) that is none of TranslationRegime's.
inline constexpr uint8_t REGIME = 8;
/// A VA range (first) that is none of VaRange's.
inline constexpr uint8_t VA_RANGE = 9;
/// The upper VA range (TTBR1) in a regime (first) that has none: EL2 and EL3.
inline constexpr uint8_t NO_UPPER_RANGE = 10;
/// An allocator without its alloc_page or free_page.
inline constexpr uint8_t ALLOCATOR = 11;
/// A NULL pointer where the call needs one.
inline constexpr uint8_t NULL_POINTER = 12;
/// init() of a mapping that is initialised already.
inline constexpr uint8_t INITIALISED = 13;
/// The mapping is not initialised (its init() failed, or release() ran).
inline constexpr uint8_t NOT_INITIALISED = 14;
/// Every handle (first: how many there are, the board's IDMAP_MAX_MAPS) is in use.
inline constexpr uint8_t NO_HANDLE = 15;
/// The mapping's regime (first) is not the one the CPU runs in (second: from CurrentEL,
/// and HCR_EL2.E2H at EL2).
inline constexpr uint8_t NOT_CURRENT_REGIME = 16;
/// The CPU lacks the granule: ID_AA64MMFR0_EL1.TGran (first: the page size in KiB).
inline constexpr uint8_t GRANULE = 17;
/// The lower and upper mappings of one MMU do not pair: their VA ranges (first: the lower
/// one's, second: the upper one's) are not lower and upper.
inline constexpr uint8_t RANGES = 18;
/// The lower and upper mappings of one MMU are for different regimes (first, second).
inline constexpr uint8_t REGIMES_DIFFER = 19;
/// The lower and upper mappings of one MMU have different ASIDs (first: the lower's,
/// second: the upper's); with TCR_ELx.A1 = 0 TTBR0's ASID tags both ranges' entries.
inline constexpr uint8_t ASIDS_DIFFER = 20;
/// The same mapping given as both the lower and the upper one.
inline constexpr uint8_t SAME_MAPPING = 21;
/// An output address offset (va) that is not a multiple of the granule's page size
/// (first, in KiB): every page would map to an unaligned output address.
inline constexpr uint8_t PA_OFFSET_ALIGNMENT = 22;
/// A call's output address (va) lies at another offset in its page (first: the page size in
/// KiB) than the region's start (region: as rounded to whole pages): a page maps whole to
/// a page.
inline constexpr uint8_t PA_PAGE_OFFSET = 23;
/// Guarded code (Mapping::set_guarded_code) where there is no GP bit: at stage 2, or on a
/// CPU without FEAT_BTI (ID_AA64PFR1_EL1.BT); first: the regime.
inline constexpr uint8_t NO_BTI = 24;
/// Hardware updates (Mapping::set_hardware_updates) the CPU does not make: first, the
/// ID_AA64MMFR1_EL1.HAFDBS they need (1: the Access flag, 2: the dirty state too); second,
/// the CPU's.
inline constexpr uint8_t NO_HAFDBS = 25;
/// Common not Private (Mapping::set_common_not_private) on a CPU without FEAT_TTCNP
/// (ID_AA64MMFR2_EL1.CnP), where TTBR bit 0 is RES0.
inline constexpr uint8_t NO_CNP = 26;
/// A dirty page bitmap (Mapping::collect_dirty) of fewer 64-bit words than the region
/// needs (va: how many), or NULL (first: 1).
inline constexpr uint8_t DIRTY_BITMAP = 27;
/// The mapping's tables are read-only (Mapping::protect_tables): it takes no change until
/// unprotect_tables(); or protect_tables() of tables read-only already.
inline constexpr uint8_t TABLES_READ_ONLY = 28;
/// A table page of the mapping (va) that the map given to protect_tables() does not map
/// with a valid page: a block's permissions cannot change for one page without a split,
/// which would take a table page the protection misses. Map the tables with pages.
inline constexpr uint8_t TABLES_NOT_PAGES = 29;
// Stage 2's from 30 to 36.
/// Stage 2: an IPA size (first) that a root table at the level (second) cannot serve with
/// 1 to 16 concatenated tables (Granule::stage2_min_ipa_bits, stage2_max_ipa_bits).
inline constexpr uint8_t IPA_SIZE = 30;
/// Stage 2: a root of concatenated tables (first: how many) and an allocator without
/// alloc_pages and free_pages (the contiguous request).
inline constexpr uint8_t CONTIGUOUS_ALLOCATOR = 31;
/// A stage-2 call (VTCR_EL2, stage-2 activation) on a mapping whose regime (first) is not
/// stage 2.
inline constexpr uint8_t NOT_STAGE2 = 32;
/// Stage 2: the IPA size (first) is larger than the PA size (second) the CPU has
/// (ID_AA64MMFR0_EL1.PARange, at most 48 bits), or a level-0 start (4 KiB) on a CPU with
/// less than 44 PA bits (Arm ARM, AArch64.S2InvalidSL); second the PA size.
inline constexpr uint8_t IPA_BEYOND_PA = 33;
/// Stage 2: an output address (va) at or beyond the CPU's PA size (first, bits): VTCR_EL2.PS
/// cannot cover it.
inline constexpr uint8_t OUTPUT_BEYOND_PA = 34;
/// Stage 2: a VMID (va) wider than the CPU's VMIDs (first: 8 or 16 bits,
/// ID_AA64MMFR1_EL1.VMIDBits).
inline constexpr uint8_t VMID_WIDTH = 35;
/// Stage 2: a mapping made with Stage2Options::xnx for a CPU without FEAT_XNX
/// (ID_AA64MMFR1_EL1.XNX).
inline constexpr uint8_t NO_XNX = 36;
/// What describes stage-1 memory types and permissions (the devicetree and UEFI exports,
/// export.hpp) given a stage-2 mapping (first: its regime, Stage2), whose MemAttr is half
/// a memory type; its regions export by IPA (export_regions()).
inline constexpr uint8_t NOT_STAGE1 = 37;
/// Live block splits (Mapping::set_live_splits) on a CPU without FEAT_BBM
/// (ID_AA64MMFR2_EL1.BBM), where bit 16 of a block is RES0, not nT.
inline constexpr uint8_t NO_BBM = 38;
}  // namespace argument_reason

/// Which break-before-make rule (break_before_make.hpp) a change to a live entry would
/// break: BreakBeforeMakeViolation's MapError::value. The values are the C ABI's IDMAP_BBM_*.
enum class BreakRule : uint8_t {
    None = 0,           ///< No break needed.
    Split = 1,          ///< The live block would be split into a table.
    OutputAddress = 2,  ///< Its output address, or the NS bit that qualifies it, would change.
    MemoryType = 3,     ///< Its memory type or shareability would change.
    Global = 4,         ///< It is non-global (nG) and would become global.
    Contiguous = 5,     ///< It is one of a live contiguous group and would change alone.
};

/// What ran out, in OutOfMemory's MapError::value bits 63:56.
namespace out_of_memory_what {
/// Table pages from the mapping's allocator: value bits 31:0 the pages the call needed,
/// bits 55:32 how many the allocator gave before it failed; va the page it gave that
/// cannot be a table (not aligned, beyond the output address bits, or in use), or 0 when
/// it answered NULL.
inline constexpr uint8_t TABLE_PAGES = 0;
/// The lint's scratch array (lint.hpp): bits 31:0 the words it needed (a lower bound),
/// bits 55:32 the words it had.
inline constexpr uint8_t LINT_SCRATCH = 1;
}  // namespace out_of_memory_what

/// What went wrong, with the detail that goes with the status:
/// - AddressRange: va, and region = what the mapping covers (its end 0 for 2^64);
/// - InvalidVirtualAddress: va;
/// - RegionBackwards: region;
/// - BreakBeforeMakeViolation: region = the live entry that would break, value = the
///   BreakRule;
/// - OutOfMemory: value and va as out_of_memory_what says;
/// - PteUpdateFault: value = the descriptor;
/// - InvalidFlags: value = the bits;
/// - Preflight: va = the first address that failed, region = the range checked, value =
///   what was wrong | the use << 8 (preflight.hpp).
/// - Sealed: region, and value = the bits whose change would widen access.
/// - InvalidArgument: value = an argument_reason and its numbers (0: no more to say); va =
///   the address a reason names.
struct MapError {
    Status status = Status::Ok;  ///< What went wrong; Ok for no error.
    VirtualAddress va;           ///< AddressRange, InvalidVirtualAddress, Preflight: the address.
    MemoryRegion region;         ///< RegionBackwards, BreakBeforeMakeViolation, Preflight: the region.
    uint64_t value = 0;          ///< PteUpdateFault: the descriptor; InvalidFlags: the bits; Preflight.

    /// No error (Ok). Declared, and forced inline: GCC's -Os calls the implicit one out of
    /// line, from every Result it builds.
    AARCH64_PAGING_INLINE constexpr MapError() {}
    /// @p status with its @p va, @p region and @p value.
    AARCH64_PAGING_INLINE constexpr MapError(Status status, VirtualAddress va, MemoryRegion region, uint64_t value)
        : status(status), va(va), region(region), value(value) {}

    /// AddressRange at @p va, for a mapping that covers @p bounds.
    static constexpr MapError address_range(VirtualAddress va, MemoryRegion bounds) {
        return MapError{Status::AddressRange, va, bounds, 0};
    }
    /// InvalidVirtualAddress at @p va.
    static constexpr MapError invalid_virtual_address(VirtualAddress va) {
        return MapError{Status::InvalidVirtualAddress, va, {}, 0};
    }
    /// RegionBackwards for @p region.
    static constexpr MapError region_backwards(MemoryRegion region) {
        return MapError{Status::RegionBackwards, {}, region, 0};
    }
    /// PteUpdateFault for the entry @p descriptor.
    static constexpr MapError pte_update_fault(uint64_t descriptor) {
        return MapError{Status::PteUpdateFault, {}, {}, descriptor};
    }
    /// InvalidFlags for the refused @p bits.
    static constexpr MapError invalid_flags(uint64_t bits) {
        return MapError{Status::InvalidFlags, {}, {}, bits};
    }
    /// BreakBeforeMakeViolation: the live entry that maps @p region would break @p rule.
    static constexpr MapError break_before_make(MemoryRegion region, BreakRule rule) {
        return MapError{Status::BreakBeforeMakeViolation, {}, region, static_cast<uint64_t>(rule)};
    }
    /// OutOfMemory: @p needed of @p what, of which @p given were had; @p refused the page
    /// that could not be a table (0: none).
    static constexpr MapError out_of_memory(uint64_t needed, uint64_t given, uint64_t refused = 0,
                                            uint8_t what = out_of_memory_what::TABLE_PAGES) {
        constexpr uint64_t needed_max = 0xffff'ffff;
        constexpr uint64_t given_max = 0xff'ffff;
        return MapError{Status::OutOfMemory, VirtualAddress(refused), {},
                        (needed < needed_max ? needed : needed_max) |
                            ((given < given_max ? given : given_max) << 32) | (uint64_t{what} << 56)};
    }
    /// Preflight: @p va failed, in the range @p region checked; @p value = reasons | use << 8.
    static constexpr MapError preflight(VirtualAddress va, MemoryRegion region, uint64_t value) {
        return MapError{Status::Preflight, va, region, value};
    }
    /// Sealed in @p region: changing @p bits would widen access.
    static constexpr MapError sealed(MemoryRegion region, uint64_t bits) {
        return MapError{Status::Sealed, {}, region, bits};
    }
    /// InvalidArgument for @p reason (argument_reason) with its numbers @p first and
    /// @p second, and the address @p va it names.
    static constexpr MapError invalid_argument(uint8_t reason, uint16_t first = 0, uint16_t second = 0,
                                               VirtualAddress va = VirtualAddress(0)) {
        return MapError{Status::InvalidArgument, va, {},
                        reason | (uint64_t{first} << 16) | (uint64_t{second} << 32)};
    }
    /// @p status without detail.
    static constexpr MapError of(Status status) { return MapError{status, {}, {}, 0}; }

    /// Writes the error as one line without a newline, as snprintf does: at most len - 1
    /// characters and a NUL (nothing when len is 0). Returns the length of the whole line.
    size_t format(char* buf, size_t len) const;
};

/// The outcome of a call: Ok, or a MapError. [[nodiscard]]: a result cannot be dropped
/// silently. Converts to true when Ok: `if (Result r = map.activate(); !r) return r;`.
class [[nodiscard]] Result {
public:
    /// Ok. Provided, not defaulted: `return {}` would otherwise clear the whole object
    /// before the constructor sets each member (a string instruction at -Os on x86).
    /// Forced inline, as MapError's: the caller's test of a fresh Ok folds away.
    AARCH64_PAGING_INLINE constexpr Result() {}  // NOLINT(modernize-use-equals-default)
    /// The failure @p error (Ok if its status is Ok).
    AARCH64_PAGING_INLINE constexpr Result(const MapError& error) : error_(error) {}  // NOLINT: implicit by design
    /// @p status without detail.
    constexpr Result(Status status) : error_(MapError::of(status)) {}  // NOLINT

    /// Success.
    constexpr bool is_ok() const { return error_.status == Status::Ok; }
    /// is_ok().
    constexpr explicit operator bool() const { return is_ok(); }
    /// Ok, or what went wrong.
    constexpr Status status() const { return error_.status; }
    /// The error with its detail (status Ok on success).
    constexpr const MapError& error() const { return error_; }

private:
    MapError error_;
};

}  // namespace aarch64_paging

#endif
