// One line of the tree dump: which entries, the VA range they cover, and what they hold,
// with the attributes decoded as the EL1&0 stage-1 descriptor defines them.
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

void write_attributes(TextWriter& out, Descriptor entry) {
    const uint64_t raw = entry.bits();
    const uint64_t attr_index = (raw >> 2) & 7;
    if (attr_index == 0) {
        out.str(" Device-nGnRE");
    } else if (attr_index == 1) {
        out.str(" Normal");
    } else {
        out.str(" AttrIndx=").dec(attr_index);
    }
    const uint64_t shareability = (raw >> 8) & 3;
    out.str(shareability == 3 ? " ISH" : shareability == 2 ? " OSH" : shareability == 0 ? "" : " SH=1");
    out.str((raw & bits(Attributes::READ_ONLY)) != 0 ? " RO" : " RW");
    const uint64_t xn = (raw >> 53) & 3;
    out.str(xn == 3 ? " XN" : xn == 2 ? " UXN" : xn == 1 ? " PXN" : "");
    for (const NamedBit& named : kNamedBits) {
        if ((raw & named.bits) != 0) {
            out.str(named.name);
        }
    }
}

}  // namespace

void dump_entries(TextWriter& out, unsigned level, unsigned first, unsigned last,
                  uint64_t va_start, uint64_t va_end, Descriptor first_entry) {
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
            out.str("invalid");
        } else {
            out.str(level == Granule4K::leaf_level ? "page" : "block").str(last != first ? "s" : "");
        }
        out.str(" -> ").hex(first_entry.output_address().value());
        write_attributes(out, first_entry);
        out.str(" (").hex(first_entry.bits()).chr(')');
    }
    out.chr('\n');
}

}  // namespace aarch64_paging
