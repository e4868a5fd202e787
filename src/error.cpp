#include "aarch64_paging/error.hpp"

#include "aarch64_paging/preflight.hpp"
#include "aarch64_paging/text.hpp"
#include "bounded_text.hpp"

namespace aarch64_paging {

const char* status_str(Status status) {
    switch (status) {
        case Status::Ok: return "ok";
        case Status::AddressRange: return "address out of range";
        case Status::InvalidVirtualAddress: return "invalid virtual address";
        case Status::RegionBackwards: return "region backwards";
        case Status::PteUpdateFault: return "page table entry update failed";
        case Status::InvalidFlags: return "invalid flags";
        case Status::BreakBeforeMakeViolation: return "break-before-make violation";
        case Status::OutOfMemory: return "out of memory";
        case Status::InvalidArgument: return "invalid argument";
        case Status::AlreadyActive: return "already active";
        case Status::NotActive: return "not active";
        case Status::Preflight: return "pre-flight check failed";
        case Status::Sealed: return "sealed";
    }
    return "unknown status";
}

namespace {

// An end of 0 after a start that is not is the top of the address space (an upper range's).
void write_region(TextWriter& out, const MemoryRegion& region) {
    out.chr('[').hex(region.start().value()).str(", ");
    if (region.end().value() == 0 && region.start().value() != 0) {
        out.str("2^64");
    } else {
        out.hex(region.end().value());
    }
    out.chr(')');
}

const char* regime_name(uint64_t regime) {
    static constexpr const char* names[] = {"EL1&0", "EL2", "EL2&0", "EL3", "stage 2"};
    return regime < sizeof names / sizeof names[0] ? names[regime] : "an unknown regime";
}

const char* range_name(uint64_t range) { return range == 0 ? "lower (TTBR0)" : "upper (TTBR1)"; }

// A size as the Arm ARM writes block sizes: 4 KiB, 2 MiB, 1 GiB, 512 GiB.
void write_size(TextWriter& out, uint64_t bytes) {
    static constexpr const char* units[] = {" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"};
    unsigned unit = 0;
    while (bytes >= 1024 && bytes % 1024 == 0 && unit + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        ++unit;
    }
    out.dec(bytes).str(units[unit]);
}

// ADDRESS_RANGE: below or past what the map covers (region), or beyond the output
// address size (no region).
void write_address_range(TextWriter& out, const MapError& e) {
    const MemoryRegion& bounds = e.region;
    const uint64_t va = e.va.value();
    out.str(": ");
    if (bounds.start().value() == 0 && bounds.end().value() == 0) {
        out.str("the output addresses from ").hex(va);
        out.str(" on would be beyond what a descriptor holds (48 bits)");
        return;
    }
    if (va < bounds.start().value()) {
        out.hex(va).str(" is below the map's range ");
        write_region(out, bounds);
        return;
    }
    out.str("the region ends at ").hex(va).str(", past the map's range ");
    write_region(out, bounds);
    const uint64_t size = bounds.end().value() - bounds.start().value();
    constexpr uint64_t most = uint64_t{1} << 48;
    if (size != 0 && size < most) {
        out.str("; a lower root level covers more (up to 256 TiB)");
    }
}

// INVALID_FLAGS: each refused bit or field by name, with what to do instead. Unknown
// constraint bits share the value: bits no flag check refuses.
struct RefusedBits {
    uint64_t mask;
    const char* text;
};
constexpr RefusedBits refused_bits_text[] = {
    {uint64_t{1} << 0,
     "VALID: a callback may not make valid an entry that would be malformed or map another output address"},
    {uint64_t{1} << 1, "TABLE_OR_PAGE: the library sets it"},
    // Bits 4:2 (AttrIndx, which a stage-2 map refuses in stage-1 Attributes) are not named:
    // alone they read as unknown constraint bits, which share the value.
    {uint64_t{1} << 5, "NS (bit 5): stage 1's; stage 2 reads it as MemAttr[3]: use Stage2Attributes (IDMAP_S2_*)"},
    {uint64_t{1} << 6, "USER (AP[1]): EL2 and EL3 have no EL0, and the library keeps AP[1] set there (RES1); stage 2 "
                       "reads bit 6 as S2AP[0]: use Stage2Attributes (IDMAP_S2_*)"},
    {uint64_t{1} << 7,
     "READ_ONLY (AP[2]): stage 2 reads bit 7 as S2AP[1], write access: use Stage2Attributes (IDMAP_S2_*)"},
    {uint64_t{1} << 11, "NON_GLOBAL (nG): EL2, EL3 and stage 2 have no ASIDs (RES0 at stage 2)"},
    {uint64_t{1} << 50, "GP (bit 50): stage 1 only"},
    {((uint64_t{1} << 48) - 1) & ~uint64_t{0xfff},
     "output address bits 47:12: map_range takes the address from the region, and a callback may not move it"},
    {uint64_t{3} << 48, "RES0 bits 49:48"},
    {uint64_t{1} << 52, "the contiguous bit: the library manages it (IDMAP_NO_CONTIGUOUS_HINT turns it off)"},
    {uint64_t{1} << 53, "PXN: EL2 and EL3 have one privilege level: use IDMAP_ATTR_XN; at stage 2 bit 53 is XN[0], "
                        "which needs FEAT_XNX (the stage-2 config's xnx)"},
};

void write_invalid_flags(TextWriter& out, uint64_t value) {
    if (value == 0) {
        return;
    }
    uint64_t named = 0;
    for (const RefusedBits& r : refused_bits_text) {
        named |= r.mask;
    }
    if ((value & named) == 0) {
        out.str(": unknown constraint bits ").hex(value);
        out.str(" (the constraints are IDMAP_NO_BLOCK_MAPPINGS and IDMAP_NO_CONTIGUOUS_HINT)");
        return;
    }
    out.str(": refused bits ").hex(value);
    const char* sep = ": ";
    for (const RefusedBits& r : refused_bits_text) {
        if ((value & r.mask) != 0) {
            out.str(sep).str(r.text);
            sep = "; ";
        }
    }
}

void write_break_before_make(TextWriter& out, const MapError& e) {
    static constexpr const char* rules[] = {
        "would change",
        "would split",
        "would change the output address of",
        "would change the memory type or shareability of",
        "would make global",
        "would change alone an entry of a contiguous group, in",
    };
    const uint64_t rule = e.value < sizeof rules / sizeof rules[0] ? e.value : 0;
    out.str(": ").str(rules[rule]).str(" the live ");
    write_size(out, e.region.len() != 0 ? e.region.len() : 0 - e.region.start().value());
    const bool split = e.value == static_cast<uint64_t>(BreakRule::Split);
    out.str(split ? " block " : " entry ");
    write_region(out, e.region);
    out.str(": change it before activating").str(split ? " (map it with IDMAP_NO_BLOCK_MAPPINGS)" : "");
    out.str(" or deactivate first");
}

void write_out_of_memory(TextWriter& out, const MapError& e) {
    const uint64_t needed = e.value & 0xffff'ffff;
    const uint64_t given = (e.value >> 32) & 0xff'ffff;
    if ((e.value >> 56) == out_of_memory_what::LINT_SCRATCH) {
        out.str(": the lint's scratch array holds ").dec(given).str(" words and needs ").dec(needed);
        return;
    }
    if (needed == 0) {
        return;  // no more known (a handle on the host)
    }
    out.str(": the call needed ").dec(needed).str(" table page").str(needed == 1 ? "" : "s");
    out.str(", the allocator gave ").dec(given);
    if (e.va.value() != 0) {
        out.str(" and then ").hex(e.va.value());
        out.str(", which cannot be a table (not page-aligned, beyond the output address size, or in use)");
    }
    out.str("; a board's pool holds IDMAP_POOL_PAGES pages");
}

// Preflight's value: the use in bits 15:8 (CriticalUse), the reasons in bits 7:0, named
// here in the order of their bits.
static_assert(static_cast<int>(CriticalUse::Code) == 1 && static_cast<int>(CriticalUse::Table) == 4 &&
                  preflight_reason::NOT_MAPPED == 1 && preflight_reason::DEVICE == 1u << 4,
              "the names below follow preflight.hpp's values");
void write_preflight(TextWriter& out, const MapError& e) {
    static constexpr const char* uses[] = {"address", "code", "stack", "vector table", "table page"};
    static constexpr const char* reasons[] = {"not mapped", "access flag clear", "not executable",
                                              "not writable", "Device memory"};
    const uint64_t use = (e.value >> 8) & 0xff;
    out.str(": ").str(uses[use < sizeof uses / sizeof uses[0] ? use : 0]).str(" at ").hex(e.va.value());
    const char* sep = ": ";
    for (unsigned i = 0; i < sizeof reasons / sizeof reasons[0]; ++i) {
        if ((e.value & (uint64_t{1} << i)) != 0) {
            out.str(sep).str(reasons[i]);
            sep = ", ";
        }
    }
}

// InvalidArgument's value: the reason in bits 7:0 (argument_reason), its numbers in 31:16
// and 47:32.
void write_argument(TextWriter& out, const MapError& e) {
    const uint64_t first = (e.value >> 16) & 0xffff;
    const uint64_t second = (e.value >> 32) & 0xffff;
    switch (e.value & 0xff) {
        case argument_reason::MMU_ENABLED:
            out.str(": the map was turned on by enable_mmu; turn it off with disable_mmu");
            break;
        case argument_reason::UPPER_ASID:
            out.str(": the upper map's ASID ").dec(first).str(" is not TTBR0's ASID ").dec(second);
            out.str(", which tags its entries (TCR.A1 = 0)");
            break;
        case argument_reason::CODE_NOT_IDENTITY_MAPPED:
            out.str(": the code at ").hex(e.va.value());
            out.str(" is not mapped to itself, and switching tables without ASIDs turns the MMU off");
            break;
        case argument_reason::NEEDS_TTST:
            out.str(": the root level needs T0SZ ").dec(first).str(", above 39, and the CPU lacks FEAT_TTST");
            break;
        case argument_reason::ROOT_LEVEL:
            // second: the lowest level, and in bits 15:8 the highest where it is not 3.
            out.str(": root level ").dec(first).str(" is not one of ").dec(second & 0xff).str(" to ");
            out.dec((second >> 8) != 0 ? second >> 8 : 3);
            break;
        case argument_reason::ASID_WIDTH:
            out.str(": ASID ").hex(e.va.value()).str(" is wider than ").dec(first).str(" bits");
            if (first < 16) {
                out.str(", the CPU's (ID_AA64MMFR0_EL1.ASIDBits)");
            }
            break;
        case argument_reason::ASID_IN_REGIME:
            out.str(": ASID ").hex(e.va.value()).str(" for ").str(regime_name(first));
            out.str(", which has no ASIDs: use 0");
            break;
        case argument_reason::REGIME:
            if (first == static_cast<unsigned>(TranslationRegime::Stage2)) {  // a regime, not a stage-1 one
                out.str(": a stage-2 map has no stage-1 registers or constructor: use idmap_new_stage2 and "
                        "idmap_s2_activate (C++: init_stage2, stage2_activate)");
            } else {
                out.str(": ").dec(first).str(" is no idmap_regime_t");
            }
            break;
        case argument_reason::VA_RANGE:
            out.str(": ").dec(first).str(" is no idmap_va_range_t");
            break;
        case argument_reason::NO_UPPER_RANGE:
            out.str(": ").str(regime_name(first)).str(" has no upper VA range (TTBR1): use the lower one");
            break;
        case argument_reason::ALLOCATOR:
            out.str(": the allocator lacks alloc_page or free_page");
            break;
        case argument_reason::NULL_POINTER:
            out.str(": a NULL pointer where the call needs one");
            break;
        case argument_reason::INITIALISED:
            out.str(": the mapping is initialised already");
            break;
        case argument_reason::NOT_INITIALISED:
            out.str(": the mapping is not initialised (its init failed, or it was released)");
            break;
        case argument_reason::NO_HANDLE:
            out.str(": all ").dec(first).str(" idmap_t handles are in use (the board's IDMAP_MAX_MAPS)");
            break;
        case argument_reason::NOT_CURRENT_REGIME:
            out.str(": the map is for ").str(regime_name(first)).str(", the CPU runs in ").str(regime_name(second));
            break;
        case argument_reason::GRANULE:
            out.str(": the CPU lacks the ").dec(first).str(" KiB granule (ID_AA64MMFR0_EL1.TGran)");
            break;
        case argument_reason::RANGES:
            out.str(": the lower map is of the ").str(range_name(first)).str(" VA range");
            out.str(", the upper map of the ").str(range_name(second));
            out.str(first != 0 && second == 0 ? ": swapped?" : "");
            break;
        case argument_reason::REGIMES_DIFFER:
            out.str(": the lower map is for ").str(regime_name(first)).str(", the upper map for ");
            out.str(regime_name(second));
            break;
        case argument_reason::ASIDS_DIFFER:
            out.str(": lower ASID ").dec(first).str(", upper ASID ").dec(second);
            out.str(": TTBR0's ASID tags both ranges' entries (TCR.A1 = 0), so they must be equal");
            break;
        case argument_reason::SAME_MAPPING:
            out.str(": the same map is given as the lower and the upper one");
            break;
        case argument_reason::IPA_SIZE:
            out.str(": a ").dec(first).str("-bit IPA cannot start at level ").dec(second);
            out.str(" with 1 to 16 concatenated tables");
            break;
        case argument_reason::CONTIGUOUS_ALLOCATOR:
            out.str(": the stage-2 root is ").dec(first);
            out.str(" concatenated tables, and the allocator has no contiguous request (alloc_pages)");
            break;
        case argument_reason::NOT_STAGE2:
            out.str(": the map is for ").str(regime_name(first)).str(", not stage 2");
            break;
        case argument_reason::IPA_BEYOND_PA:
            out.str(": a ").dec(first).str("-bit IPA (or a level-0 start) on a CPU with ").dec(second);
            out.str(" PA bits (ID_AA64MMFR0_EL1.PARange)");
            break;
        case argument_reason::OUTPUT_BEYOND_PA:
            out.str(": output address ").hex(e.va.value()).str(" is beyond the CPU's ").dec(first);
            out.str(" PA bits (VTCR_EL2.PS)");
            break;
        case argument_reason::VMID_WIDTH:
            out.str(": VMID ").hex(e.va.value()).str(" is wider than the CPU's ").dec(first);
            out.str(" bits (ID_AA64MMFR1_EL1.VMIDBits)");
            break;
        case argument_reason::NO_XNX:
            out.str(": the stage-2 map uses XN[0] (FEAT_XNX) and the CPU lacks it (ID_AA64MMFR1_EL1.XNX)");
            break;
        case argument_reason::NOT_STAGE1:
            out.str(": a stage-2 map's MemAttr is no stage-1 memory type (MAIR index): export its regions");
            break;
        case argument_reason::NO_BTI:
            out.str(first == static_cast<uint16_t>(TranslationRegime::Stage2)
                        ? ": stage 2 has no guarded pages (GP is stage 1's)"
                        : ": the CPU has no FEAT_BTI (ID_AA64PFR1_EL1.BT is 0), so bit 50 is RES0, not GP");
            break;
        case argument_reason::NO_HAFDBS:
            out.str(first == 2 ? ": hardware dirty state needs" : ": a hardware Access flag needs");
            out.str(" ID_AA64MMFR1_EL1.HAFDBS ").dec(first).str(" (FEAT_HAFDBS), the CPU has ").dec(second);
            out.str(second == 1 ? ": ask for the Access flag alone" : ": leave the updates off");
            break;
        case argument_reason::DIRTY_BITMAP:
            out.str(first != 0 ? ": no dirty bitmap given" : ": the dirty bitmap is too small");
            out.str(": the region needs ").dec(e.va.value()).str(" 64-bit words, a bit per page");
            break;
        case argument_reason::TABLES_READ_ONLY:
            out.str(": the map's tables are read-only (idmap_protect_tables): undo it first (idmap_unprotect_tables)");
            break;
        case argument_reason::TABLES_NOT_PAGES:
            out.str(": table page ").hex(e.va.value());
            out.str(" is not mapped by a page in the map given: map the tables with pages (IDMAP_NO_BLOCK_MAPPINGS)");
            break;
        case argument_reason::NO_BBM:
            out.str(": the CPU has no FEAT_BBM (ID_AA64MMFR2_EL1.BBM is 0), so a block has no nT bit: ");
            out.str("split live blocks with break-before-make (idmap_s2_map_range_bbm) or while inactive");
            break;
        case argument_reason::NO_CNP:
            out.str(": the CPU has no FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP is 0), so TTBR bit 0 is RES0: ");
            out.str("leave common not private off, each core's TLB keeps its own entries");
            break;
        case argument_reason::PA_PAGE_OFFSET:
            out.str(": output address ").hex(e.va.value()).str(" is not at the offset of the region's start ");
            out.hex(e.region.start().value()).str(" in a ").dec(first).str(" KiB page: a page maps whole to a page");
            break;
        case argument_reason::PA_OFFSET_ALIGNMENT:
            out.str(": pa_offset ").hex(e.va.value()).str(" is not a multiple of the ").dec(first);
            out.str(" KiB page: a page maps to a page-aligned output address, so the offset must be whole pages");
            break;
        default:
            break;
    }
}

}  // namespace

// NOLINTNEXTLINE(readability-non-const-parameter): written through the bounded sink
size_t MapError::format(char* buf, size_t len) const {
    return detail::format_bounded(buf, len, [this](TextWriter& out) {
        out.str(status_str(status));
        switch (status) {
            case Status::AddressRange:
                write_address_range(out, *this);
                break;
            case Status::InvalidVirtualAddress:
                out.str(": ").hex(va.value());
                break;
            case Status::RegionBackwards:
                out.str(": end before start in ");
                write_region(out, region);
                break;
            case Status::PteUpdateFault:
                out.str(": callback failed on descriptor ").hex(value);
                break;
            case Status::InvalidFlags:
                write_invalid_flags(out, value);
                break;
            case Status::BreakBeforeMakeViolation:
                write_break_before_make(out, *this);
                break;
            case Status::OutOfMemory:
                write_out_of_memory(out, *this);
                break;
            case Status::Preflight:
                write_preflight(out, *this);
                break;
            case Status::InvalidArgument:
                write_argument(out, *this);
                break;
            case Status::Sealed:
                out.str(": map_range is refused on a sealed map, and modify_range may only tighten access");
                out.str(" (bits ").hex(value).str(" in ");
                write_region(out, region);
                out.chr(')');
                break;
            default:
                break;
        }
    });
}

}  // namespace aarch64_paging
