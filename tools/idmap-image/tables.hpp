// tables.hpp - a memory map's translation tables, built by the library and laid out as
// they will sit in the target's memory.
//
// The library (its C ABI over the core: libidmap.a built for the host) builds the tables
// in host memory, its table pages handed out in order from one buffer: page i of the
// buffer becomes table i of the image. Serialising walks the tree and rewrites every
// table descriptor's address from the host pointer to where table i will be:
// tables_base + i * 4096 (absolute), or i * 4096 (relocatable: the loader adds the
// base, see relocs). Everything else is the library's output unchanged, so the same map
// gives the same bytes, and the library building the same map at run time with its
// pages at the same addresses writes them too.
#ifndef IDMAP_IMAGE_TABLES_HPP
#define IDMAP_IMAGE_TABLES_HPP

#include <stdint.h>

#include <string>
#include <vector>

#include "memmap.hpp"

namespace idmap_image {

// The 4 KiB granule's geometry (Arm ARM DDI 0487, D8 "Translation table walk").
constexpr uint64_t kPageSize = 4096;
constexpr unsigned kEntries = 512;                              // descriptors in a table
constexpr unsigned kLeafLevel = 3;                              // the level of pages
constexpr uint64_t kOutputAddressMask = 0x0000fffffffff000ULL;  // bits 47:12
// Bytes one entry maps at level.
constexpr uint64_t level_size(unsigned level) {
    return uint64_t{1} << (12 + 9 * (kLeafLevel - level));
}
// Bytes a root table at root_level translates (48 bits at most).
constexpr uint64_t space_size(unsigned root_level) {
    return root_level == 0 ? uint64_t{1} << 48 : level_size(root_level) * kEntries;
}

// One table of the image: its level and the first input address it translates.
struct TableInfo {
    unsigned level = 0;
    uint64_t va = 0;
};

// A run of leaves (blocks or pages) the walk found next to each other, at one level,
// with one set of attributes, mapping a contiguous output range.
struct LeafRun {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t flags = 0;  // the first leaf's descriptor bits but the output address
    unsigned level = 0;
    uint64_t count = 0;  // leaves in the run
};

struct TableImage {
    uint64_t base = 0;                  // the tables' address (0 in a relocatable image)
    std::vector<uint64_t> descriptors;  // 512 per table, table 0 (the root) first
    std::vector<TableInfo> tables;
    std::vector<uint32_t> relocs;  // byte offsets of the table descriptors
    // The registers, as the library's idmap_mmu_config() gives them for this map, but
    // for the CPU's fields, which the enable routine reads from ID_AA64MMFR0_EL1 at run
    // time: TCR's IPS (PS) is 0 and AS (16-bit ASIDs) is clear.
    uint64_t mair = 0;
    uint64_t tcr = 0;
    uint64_t ttbr = 0;  // root | ASID << 48 (relocatable: ASID << 48, the root at +0)
    uint64_t sctlr_set = 0;
    uint64_t sctlr_clear = 0;
    std::vector<LeafRun> leaves;  // what the tables map, in address order

    size_t pages() const { return tables.size(); }
    // The image as bytes, little-endian: what the target's memory holds.
    std::vector<uint8_t> bytes() const;
};

// Builds map's tables with the library and serialises them for tables at base (absolute)
// or for relocation (relocatable: base is ignored). False with a message naming the
// map line the library refused, or the table count past the tables line's max-pages.
bool build_tables(const MemoryMap& map, bool relocatable, TableImage& image, std::string& error);

// Adds base to every table descriptor that relocs lists: what idmap_image_relocate()
// does on the target.
void relocate(std::vector<uint8_t>& bytes, const std::vector<uint32_t>& relocs, uint64_t base);

}  // namespace idmap_image

#endif
