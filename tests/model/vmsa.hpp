// The reference model's view of VMSAv8-64 stage-1 descriptors, 4 KiB granule, 48-bit
// output addresses (Arm ARM DDI 0487K.a, D8.3 "Translation table descriptor formats"),
// written from the architecture and shared/spec/c-abi.md, not from the library: nothing
// here includes src/ or include/aarch64_paging/ (idmap.h only, for the C types).
//
// A page's state is the leaf entry that maps it (Leaf): the level of that entry, whether it
// is all zeros, its bits other than the output address, and the page's output address
// minus its input address (delta; 0 in an identity map).
#ifndef IDMAP_MODEL_VMSA_HPP
#define IDMAP_MODEL_VMSA_HPP

#include <idmap.h>

#include <cstdint>
#include <ostream>

namespace idmap_model {

constexpr unsigned kPageShift = 12;
constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
constexpr unsigned kEntries = 512;  // 8-byte descriptors in a 4 KiB table
constexpr unsigned kLeafLevel = 3;

constexpr uint64_t kDescValid = uint64_t{1} << 0;
// Bit 1: table at levels 0-2, page at level 3; a valid entry without it is a block.
constexpr uint64_t kDescTableOrPage = uint64_t{1} << 1;
// Bits 47:12: next-level table address, or output address of a block or page.
constexpr uint64_t kOaMask = 0x0000fffffffff000ull;
// Bits 49:48 of a block or page descriptor: OA[49:48] only with FEAT_LPA2 (TCR.DS = 1),
// RES0 in the 48-bit format the library uses.
constexpr uint64_t kRes0HighOa = uint64_t{3} << 48;
constexpr uint64_t kContiguous = uint64_t{1} << 52;
// AttrIndx[2:0] (4:2) and SH[1:0] (9:8): a change is a change of memory type/shareability.
constexpr uint64_t kMemoryTypeMask = (uint64_t{7} << 2) | (uint64_t{3} << 8);
constexpr uint64_t kAccessed = uint64_t{1} << 10;
constexpr uint64_t kNonGlobal = uint64_t{1} << 11;
// In a table descriptor: bits 63:59 are NSTable/APTable/UXNTable/PXNTable (hierarchical
// attributes that would change every leaf below), 58:51 ignored, 11:2 ignored, 50:48 RES0.
// The library writes none of them.
constexpr uint64_t kTableDescriptorExtra = ~(kOaMask | kDescValid | kDescTableOrPage);

// Pages an entry at level maps: 1 at level 3, 512 at 2, 512^2 at 1, 512^3 at 0.
constexpr uint64_t level_pages(unsigned level) { return uint64_t{1} << (9 * (kLeafLevel - level)); }
constexpr uint64_t level_bytes(unsigned level) { return level_pages(level) << kPageShift; }
// Bytes a table with its root at root_level covers: 512 entries of the root's level.
constexpr uint64_t table_bytes(unsigned root_level) { return level_bytes(root_level) * kEntries; }
// Blocks exist at levels 1 and 2 only (a level-0 block needs FEAT_LPA2 with DS = 1).
constexpr bool block_level(unsigned level) { return level == 1 || level == 2; }

// The state of a page: the leaf entry that maps it.
struct Leaf {
    uint8_t level = 0;
    bool zero = true;    // the entry is all zeros (never written, or cleared)
    uint64_t attrs = 0;  // entry bits but output address and contiguous bit; bit 1 included
    uint64_t delta = 0;  // output address of the page minus its input address

    bool valid() const { return !zero && (attrs & kDescValid) != 0; }
    bool operator==(const Leaf& o) const {
        return level == o.level && zero == o.zero && attrs == o.attrs && delta == o.delta;
    }
    bool operator!=(const Leaf& o) const { return !(*this == o); }
};

inline std::ostream& operator<<(std::ostream& os, const Leaf& l) {
    if (l.zero) {
        return os << "L" << unsigned{l.level} << " zero";
    }
    os << "L" << unsigned{l.level} << " attrs 0x" << std::hex << l.attrs;
    if (l.delta != 0) {
        os << " delta 0x" << l.delta;
    }
    return os << std::dec;
}

// The descriptor of the leaf entry at level that starts at entry_va, in state leaf.
inline uint64_t leaf_descriptor(const Leaf& leaf, uint64_t entry_va) {
    if (leaf.zero) {
        return 0;
    }
    return ((entry_va + leaf.delta) & kOaMask) | leaf.attrs;
}

// The state of the pages of a leaf entry at level starting at entry_va holding bits
// (the contiguous bit is left out: it is a hint the model does not predict).
inline Leaf leaf_of(uint64_t bits, unsigned level, uint64_t entry_va) {
    Leaf leaf;
    leaf.level = static_cast<uint8_t>(level);
    bits &= ~kContiguous;
    if (bits == 0) {
        return leaf;
    }
    leaf.zero = false;
    leaf.attrs = bits & ~kOaMask;
    leaf.delta = (bits & kOaMask) - entry_va;
    return leaf;
}

// Arm ARM D8.16.1 without FEAT_BBM, as the contract states it: a live entry can change
// from valid to valid only keeping its output address (NS, bit 5, included: it picks the
// physical address space), memory type and shareability, and its nG bit if set. Creating
// a valid entry, or making one invalid, needs nothing.
inline bool needs_break_before_make(uint64_t old_bits, uint64_t new_bits) {
    constexpr uint64_t kNs = uint64_t{1} << 5;
    if ((old_bits & kDescValid) == 0 || (new_bits & kDescValid) == 0) {
        return false;
    }
    return (old_bits & (kOaMask | kNs)) != (new_bits & (kOaMask | kNs)) ||
           ((old_bits ^ new_bits) & kMemoryTypeMask) != 0 ||
           ((old_bits & kNonGlobal) != 0 && (new_bits & kNonGlobal) == 0);
}

// A run of pages [first, end) (page numbers) in one state.
struct Run {
    uint64_t first = 0;
    uint64_t end = 0;
    Leaf leaf;
    bool operator==(const Run& o) const { return first == o.first && end == o.end && leaf == o.leaf; }
    bool operator!=(const Run& o) const { return !(*this == o); }
};

inline std::ostream& operator<<(std::ostream& os, const Run& r) {
    return os << "[0x" << std::hex << (r.first << kPageShift) << ", 0x" << (r.end << kPageShift)
              << std::dec << ") " << r.leaf;
}

// Appends [first, end) in state leaf to runs, merging it with the last run when it
// continues it in the same state.
template <class Runs>
void append_run(Runs& runs, uint64_t first, uint64_t end, const Leaf& leaf) {
    if (!runs.empty() && runs.back().end == first && runs.back().leaf == leaf) {
        runs.back().end = end;
        return;
    }
    runs.push_back(Run{first, end, leaf});
}

}  // namespace idmap_model

#endif
