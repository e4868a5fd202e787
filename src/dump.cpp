// One line of the tree dump: which entries, the VA range they cover, and what they hold,
// with the attributes decoded as the EL1&0 stage-1 descriptor defines them, or the
// stage-2 one.
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

namespace {

struct NamedBit {
    uint64_t bits;
    const char* name;
};

// Access permissions and the bits that mean something on their own; memory type,
// shareability and execute-never are decoded separately as fields.
constexpr NamedBit kNamedBits[] = {
    {uint64_t{1} << 5, " NS"},
    {uint64_t{1} << 6, " EL0"},
    {uint64_t{1} << 10, " AF"},
    {uint64_t{1} << 11, " nG"},
    {uint64_t{1} << 51, " DBM"},
    {uint64_t{1} << 52, " Cont"},
    {uint64_t{1} << 55, " SW0"},
    {uint64_t{1} << 56, " SW1"},
    {uint64_t{1} << 57, " SW2"},
    {uint64_t{1} << 58, " SW3"},
};

// Fields decoded by table, indexed by their value: AttrIndx (bits 4:2) as the MAIR of
// mmu.hpp sets it up, SH (bits 9:8), and PXN/UXN (bits 54:53).
constexpr const char* kMemoryTypes[8] = {" Device-nGnRE", " Normal",      " AttrIndx=2", " AttrIndx=3",
                                         " AttrIndx=4",   " AttrIndx=5", " AttrIndx=6", " AttrIndx=7"};
constexpr const char* kShareability[4] = {"", " SH=1", " OSH", " ISH"};
constexpr const char* kExecuteNever[4] = {"", " PXN", " UXN", " XN"};

void write_attributes(TextWriter& out, Descriptor entry) {
    const uint64_t raw = entry.bits();
    out.str(kMemoryTypes[(raw >> 2) & 7]).str(kShareability[(raw >> 8) & 3]);
    out.str((raw & bits(Attributes::READ_ONLY)) != 0 ? " RO" : " RW").str(kExecuteNever[(raw >> 53) & 3]);
    for (const NamedBit& named : kNamedBits) {
        if ((raw & named.bits) != 0) {
            out.str(named.name);
        }
    }
}

// Stage 2: MemAttr[3:0] (bits 5:2, read with HCR_EL2.FWB = 0), SH, S2AP (bits 7:6), XN[1:0]
// (bits 54:53).
constexpr const char* kStage2Access[4] = {" S2AP=none", " RO", " WO", " RW"};
constexpr const char* kStage2ExecuteNever[4] = {"", " XN-EL1", " XN", " XN-EL0"};

void write_stage2_attributes(TextWriter& out, Descriptor entry) {
    const uint64_t raw = entry.bits();
    const unsigned memattr = (raw >> 2) & 0xf;
    if ((memattr >> 2) == 0) {
        static constexpr const char* devices[4] = {" Device-nGnRnE", " Device-nGnRE", " Device-nGRE", " Device-GRE"};
        out.str(devices[memattr & 3]);
    } else if (memattr == 0xf) {
        out.str(" Normal-WB");
    } else if (memattr == 0xa) {
        out.str(" Normal-WT");
    } else if (memattr == 0x5) {
        out.str(" Normal-NC");
    } else {
        out.str(" MemAttr=").hex(memattr);
    }
    out.str(kShareability[(raw >> 8) & 3]).str(kStage2Access[(raw >> 6) & 3]);
    out.str(kStage2ExecuteNever[(raw >> 53) & 3]);
    for (const NamedBit& named : kNamedBits) {
        // NS and EL0 are bits 5 and 6, MemAttr[3] and S2AP[0] here: decoded above.
        if ((raw & named.bits) != 0 && named.bits > (uint64_t{1} << 6)) {
            out.str(named.name);
        }
    }
}

}  // namespace

void dump_entries(TextWriter& out, unsigned level, unsigned first, unsigned last,
                  uint64_t va_start, uint64_t va_end, Descriptor first_entry, bool stage2) {
    out.spaces(2 * level).chr('L').dec(level).str(" [").dec(first);
    if (last != first) {
        out.chr('-').dec(last);
    }
    out.str("] ").hex(va_start).chr('-').hex(va_end).str(": ");
    if (first_entry.is_table(level)) {
        out.str("table at ").hex(first_entry.output_address().value());
    } else if (first_entry.bits() == 0) {
        out.str("empty");
    } else {
        if (!first_entry.is_valid()) {
            // Attributes without VALID map nothing: say so, since map_range without VALID
            // (an unmap, and IDMAP_ATTR_DEVICE_NGNRE is 0) writes such entries.
            out.str("invalid, maps nothing (no VALID bit)");
        } else {
            out.str(level == Granule4K::leaf_level ? "page" : "block").str(last != first ? "s" : "");
        }
        out.str(" -> ").hex(first_entry.output_address().value());
        if (stage2) {
            write_stage2_attributes(out, first_entry);
        } else {
            write_attributes(out, first_entry);
        }
        out.str(" (").hex(first_entry.bits()).chr(')');
    }
    out.chr('\n');
}

}  // namespace aarch64_paging
