// Helpers for the tests that read and corrupt a map's tables directly (test_lint.cpp,
// test_export.cpp, test_preflight.cpp): on the host a table's physical address is its
// pointer, so the tests reach every entry from idmap_root_address(). Written from the
// descriptor format (Arm ARM D8.3), not from the library. Header-only.
#ifndef IDMAP_TESTS_SUPPORT_TREE_SUPPORT_HPP
#define IDMAP_TESTS_SUPPORT_TREE_SUPPORT_HPP

#include <idmap.h>

#include <cstdint>
#include <vector>

namespace tree_test {

inline constexpr uint64_t kOaMask = 0x0000fffffffff000ull;
inline constexpr unsigned kLeafLevel = 3;

inline unsigned level_shift(unsigned level) { return 12 + 9 * (kLeafLevel - level); }
inline uint64_t level_size(unsigned level) { return uint64_t{1} << level_shift(level); }
inline unsigned index_of(uint64_t va, unsigned level) { return (va >> level_shift(level)) & 511; }

inline uint64_t* table_at(uint64_t pa) { return reinterpret_cast<uint64_t*>(static_cast<uintptr_t>(pa)); }

// One entry of the tree, as the walk below finds it.
struct Entry {
    uint64_t* slot;     // where the descriptor is
    uint64_t table_pa;  // the table holding it
    uint64_t va;        // the first address it maps
    unsigned level;
    unsigned index;
    bool is_table() const { return level < kLeafLevel && (*slot & 3) == 3; }
    bool is_leaf() const {
        return (*slot & 1) != 0 && (level == kLeafLevel ? (*slot & 2) != 0 : level != 0 && (*slot & 2) == 0);
    }
};

// Every entry of the tree of @p map (root level first, depth first, address order).
inline std::vector<Entry> entries(const idmap_t* map, unsigned root_level) {
    std::vector<Entry> out;
    struct Walk {
        std::vector<Entry>& out;
        void table(uint64_t pa, unsigned level, uint64_t base) {
            uint64_t* t = table_at(pa);
            for (unsigned i = 0; i < 512; ++i) {
                Entry e{&t[i], pa, base + i * level_size(level), level, i};
                out.push_back(e);
                if (e.is_table()) {
                    table(t[i] & kOaMask, level + 1, e.va);
                }
            }
        }
    } walk{out};
    walk.table(idmap_root_address(map), root_level, 0);
    return out;
}

// The entry at @p level that maps @p va (the tables down to it must exist).
inline uint64_t* entry_at(const idmap_t* map, unsigned root_level, uint64_t va, unsigned level) {
    uint64_t* t = table_at(idmap_root_address(map));
    for (unsigned l = root_level; l < level; ++l) {
        t = table_at(t[index_of(va, l)] & kOaMask);
    }
    return &t[index_of(va, level)];
}

}  // namespace tree_test

#endif  // IDMAP_TESTS_SUPPORT_TREE_SUPPORT_HPP
