// Helpers shared by the host tests of the C ABI (tests/test_capi_*.cpp): sizes and flags,
// an owning map handle, the walk-trace capture, thin wrappers of map_range/modify_range,
// and a page allocator that counts, poisons and can fail. Header-only; every function is
// inline so that each test file can include it. Include it as
// "support/capi_support.hpp" (relative to tests/).
#ifndef IDMAP_TESTS_SUPPORT_CAPI_SUPPORT_HPP
#define IDMAP_TESTS_SUPPORT_CAPI_SUPPORT_HPP

#include <catch2/catch.hpp>

#include <idmap.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <vector>

namespace capi_test {

// ---- Sizes and flags

inline constexpr uint64_t kPage = 0x1000;
inline constexpr uint64_t k2M = 0x200000;
inline constexpr uint64_t k1G = 0x40000000;
inline constexpr uint64_t k512G = 1ULL << 39;
// The contiguous hint (bit 52): the library manages it, so attribute checks mask it out.
inline constexpr uint64_t kContiguous = 1ULL << 52;
inline constexpr uint64_t kRW = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID;
inline constexpr uint64_t kNG = IDMAP_ATTR_NON_GLOBAL;

// Bytes one entry maps at each level: 4 KiB << 9*(3 - level).
inline uint64_t granule(unsigned level) { return kPage << (9 * (3 - level)); }

// ---- Maps

// A map freed by idmap_free when it goes out of scope.
using Map = std::unique_ptr<idmap_t, void (*)(idmap_t*)>;

// idmap_new, required to succeed.
inline Map new_map(size_t asid, unsigned root_level) {
    Map m(idmap_new(asid, root_level), &idmap_free);
    REQUIRE(m != nullptr);
    return m;
}

// A config as a C caller writes one; root level 1 unless said.
inline idmap_config_t config(idmap_regime_t regime, idmap_va_range_t range, uint64_t asid = 0,
                             unsigned root_level = 1, int64_t pa_offset = 0,
                             const idmap_allocator_t* allocator = nullptr) {
    idmap_config_t c;
    std::memset(&c, 0, sizeof c);
    c.regime = regime;
    c.va_range = range;
    c.asid = asid;
    c.root_level = root_level;
    c.pa_offset = pa_offset;
    c.allocator = allocator;
    return c;
}

// idmap_new_with_config, required to succeed.
inline Map new_map(const idmap_config_t& c) {
    Map m(idmap_new_with_config(&c), &idmap_free);
    REQUIRE(m != nullptr);
    return m;
}

// A stage-2 config as a C caller writes one: the IPA size, start level and VMID.
inline idmap_stage2_config_t s2_config(unsigned ipa_bits, unsigned start_level, uint32_t vmid = 1) {
    idmap_stage2_config_t c;
    std::memset(&c, 0, sizeof c);
    c.ipa_bits = ipa_bits;
    c.start_level = start_level;
    c.vmid = vmid;
    return c;
}

// idmap_new_stage2, required to succeed.
inline Map new_stage2(const idmap_stage2_config_t& c) {
    Map m(idmap_new_stage2(&c), &idmap_free);
    REQUIRE(m != nullptr);
    return m;
}

// idmap_map_range of [start, end) (rounded by idmap_region); the status is the caller's.
inline idmap_status_t map_range(idmap_t* m, uint64_t start, uint64_t end, uint64_t flags) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_map_range(m, &r, flags);
}

// idmap_map_range_with_constraints of [start, end); the status is the caller's.
inline idmap_status_t map_range(idmap_t* m, uint64_t start, uint64_t end, uint64_t flags,
                                uint32_t constraints) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_map_range_with_constraints(m, &r, flags, constraints);
}

// map_range that must succeed: a step of a test's setup.
inline void require_map(idmap_t* m, uint64_t start, uint64_t end, uint64_t flags) {
    REQUIRE(map_range(m, start, end, flags) == IDMAP_OK);
}
inline void require_map(idmap_t* m, uint64_t start, uint64_t end, uint64_t flags,
                        uint32_t constraints) {
    REQUIRE(map_range(m, start, end, flags, constraints) == IDMAP_OK);
}

// ---- Walk traces

// One walk_range callback: the leaf's whole region, its descriptor bits and its level.
struct Leaf {
    uint64_t start, end, bits;
    unsigned level;
};
inline bool operator==(const Leaf& a, const Leaf& b) {
    return a.start == b.start && a.end == b.end && a.bits == b.bits && a.level == b.level;
}
inline std::ostream& operator<<(std::ostream& os, const Leaf& l) {
    return os << "{0x" << std::hex << l.start << "..0x" << l.end << " bits 0x" << l.bits
              << std::dec << " L" << l.level << "}";
}

// walk_range callback: appends each leaf to the std::vector<Leaf> at ctx.
inline int collect(const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level,
                   void* ctx) {
    static_cast<std::vector<Leaf>*>(ctx)->push_back({r->start, r->end, d->bits, level});
    return 0;
}

// Every leaf intersecting [start, end), invalid ones included; the walk must succeed.
inline std::vector<Leaf> walk(const idmap_t* m, uint64_t start, uint64_t end) {
    std::vector<Leaf> out;
    idmap_region_t r{start, end};
    REQUIRE(idmap_walk_range(m, &r, collect, &out) == IDMAP_OK);
    return out;
}

// The whole table, leaf by leaf: two equal traces mean the same table contents.
inline std::vector<Leaf> trace(const idmap_t* m) { return walk(m, 0, idmap_size(m)); }

// The attributes of a leaf, its output address and contiguous hint aside.
inline uint64_t attrs(const Leaf& l) {
    const idmap_descriptor_t d{l.bits};
    return idmap_descriptor_flags(&d) & ~kContiguous;
}

// The attributes a leaf written by map_range(flags) must hold, the contiguous bit
// aside: flags, ACCESSED, and TABLE_OR_PAGE on a level-3 page.
inline uint64_t leaf_flags(uint64_t flags, unsigned level) {
    return flags | IDMAP_ATTR_ACCESSED | (level == 3 ? IDMAP_ATTR_TABLE_OR_PAGE : 0);
}

// ---- modify_range with a C++ callable

using ModifyFn = std::function<int(const idmap_region_t&, idmap_descriptor_t&, unsigned)>;

// modify_range callback: forwards to the ModifyFn at ctx.
inline int call_modify(const idmap_region_t* r, idmap_descriptor_t* d, unsigned level,
                       void* ctx) {
    return (*static_cast<ModifyFn*>(ctx))(*r, *d, level);
}

// idmap_modify_range of [start, end) with fn; the status is the caller's.
inline idmap_status_t modify(idmap_t* m, uint64_t start, uint64_t end, ModifyFn fn) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_modify_range(m, &r, call_modify, &fn);
}

// ---- A page allocator for idmap_new_with_allocator

// A page source that counts what it hands out, fails once its budget is spent, fills
// every page with a poison pattern (the library must initialise its tables itself), and
// checks that only its own pages come back, each once. It must outlive its maps.
struct PagePool {
    uint64_t poison = 0x5a5a5a5a5a5a5a5aULL;  // what each new page is filled with
    size_t budget = SIZE_MAX;  // pages it will still hand out
    size_t allocs = 0;         // successful allocations
    size_t failed = 0;         // NULL answers
    size_t bad_frees = 0;      // pages freed that were not ours (or twice)
    std::set<void*> live;

    PagePool() = default;
    PagePool(const PagePool&) = delete;
    PagePool& operator=(const PagePool&) = delete;
    ~PagePool() {
        for (void* p : live) std::free(p);
    }
    size_t outstanding() const { return live.size(); }
    idmap_allocator_t allocator() { return idmap_allocator_t{&alloc, &release, this}; }

    static void* alloc(void* ctx) {
        auto* pool = static_cast<PagePool*>(ctx);
        if (pool->budget == 0) {
            ++pool->failed;
            return nullptr;
        }
        --pool->budget;
        void* page = std::aligned_alloc(4096, 4096);
        if (page == nullptr) return nullptr;
        // By default 0x5a: bit 0 clear, so a table left unzeroed shows up as odd invalid
        // entries rather than as pointers to follow.
        for (size_t i = 0; i < 512; ++i) static_cast<uint64_t*>(page)[i] = pool->poison;
        pool->live.insert(page);
        ++pool->allocs;
        return page;
    }
    static void release(void* ctx, void* page) {
        auto* pool = static_cast<PagePool*>(ctx);
        if (pool->live.erase(page) == 0) {
            ++pool->bad_frees;
            return;
        }
        std::free(page);
    }
};

}  // namespace capi_test

#endif  // IDMAP_TESTS_SUPPORT_CAPI_SUPPORT_HPP
