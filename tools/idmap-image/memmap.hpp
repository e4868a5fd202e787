// memmap.hpp - a board's memory map as idmap-image reads it (boards/<name>/memmap.txt).
//
// The file is text, one statement a line; '#' starts a comment; blank lines are ignored.
// Numbers are decimal or 0x-hex, with an optional K, M or G suffix (x 2^10, 2^20, 2^30).
//
//   board <name>                  optional: the name the outputs carry
//   tables <base-pa> <max-pages>  required: the tables live at base-pa (4 KiB aligned),
//                                 table i at base-pa + i * 4096; more than max-pages
//                                 tables is an error
//   root_level <0-3>              optional, default 1 (512 GiB from address 0)
//   regime el1|el2|el20|el3       optional, default el1 (EL1&0); el20 is EL2&0 (VHE)
//   asid <n>                      optional, default 0; 0 in el2 and el3
//   map <start> <end> <attrs...>  one region, [start, end), both 4 KiB aligned; end may
//                                 be +<size>. Later lines override earlier ones where
//                                 they overlap (map RAM first, then carve it up).
//
// Attributes of a map line: exactly one memory type, one access and one execute word,
// so that every line states its permissions, then any of the others:
//   normal | device      Normal write-back inner shareable (MAIR attr 1) | Device-nGnRE (0)
//   ro | rw              read-only | read-write
//   x | xn               executable | execute-never (PXN and UXN; XN in el2 and el3)
//   pxn, uxn             only one of the two (regimes with EL0)
//   ng                   non-global (TLB entries tagged with the ASID)
//   user                 EL0 access (AP[1])
//   ns                   Non-secure output address (from Secure state, el3)
//   pages                no block mappings: 4 KiB pages only
//   name=<word>          a label for the SVG and the region list
//
// Each map line becomes one map_range_with_constraints call, in file order, on an empty
// map: the runtime library told the same lines builds the same tables.
#ifndef IDMAP_IMAGE_MEMMAP_HPP
#define IDMAP_IMAGE_MEMMAP_HPP

#include <stdint.h>

#include <string>
#include <vector>

namespace idmap_image {

// One map line: the arguments of one map_range_with_constraints call.
struct Region {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t flags = 0;        // descriptor bits, IDMAP_ATTR_* (VALID included)
    uint32_t constraints = 0;  // IDMAP_NO_BLOCK_MAPPINGS
    std::string name;
    unsigned line = 0;  // where it was in the file, for messages
};

// The translation regimes, with the C ABI's values (idmap_regime_t).
enum class Regime : unsigned { El1 = 0, El2 = 1, El20 = 2, El3 = 3 };

struct MemoryMap {
    std::string board;
    uint64_t tables_base = 0;
    uint64_t max_pages = 0;
    unsigned root_level = 1;
    Regime regime = Regime::El1;
    uint64_t asid = 0;
    std::vector<Region> regions;
};

// Whether regime has EL0 (and so ASIDs, PXN, USER, nG): EL1&0 and EL2&0.
inline bool has_el0(Regime r) {
    return r == Regime::El1 || r == Regime::El20;
}

// The lowercase name of the regime, as a memmap file spells it.
const char* regime_name(Regime r);

// Parses the text of a memory map. On error returns false with "line N: what" in error.
bool parse_memmap(const std::string& text, MemoryMap& map, std::string& error);

// Reads and parses a file; error starts with the path.
bool read_memmap(const char* path, MemoryMap& map, std::string& error);

}  // namespace idmap_image

#endif
