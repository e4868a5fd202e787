// Host tests of the C ABI: idmap_new, idmap_new_with_allocator, idmap_free and the
// inspection functions that describe a map's shape (idmap_size, idmap_table_count,
// idmap_root_address) (shared/spec/c-abi.md).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace capi_test;

namespace {

// Several tables on a root-level-1 map: [0, 4K) needs level-2 and level-3 tables,
// [1G + 2M - 4K, 1G + 2M + 4K) needs another level 2 and two level 3 = 6 tables.
void map_some_tables(idmap_t* m) {
    require_map(m, 0, kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
    require_map(m, k1G + k2M - kPage, k1G + k2M + kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
    REQUIRE(idmap_table_count(m) == 6);
}

}  // namespace

TEST_CASE("idmap_new accepts root levels 0 to 3 and sizes the table by level", "[lifetime]") {
    struct Row {
        unsigned level;
        uint64_t size;
    };
    const Row rows[] = {
        {0, 1ULL << 48},  // 4 KiB << 9*4 = 2^12 * 2^36: 256 TiB
        {1, 1ULL << 39},  // 4 KiB << 9*3 = 2^39: 512 GiB
        {2, 1ULL << 30},  // 4 KiB << 9*2 = 2^30: 1 GiB
        {3, 1ULL << 21},  // 4 KiB << 9:    2^21: 2 MiB
    };
    for (const Row& row : rows) {
        CAPTURE(row.level);
        Map m = new_map(1, row.level);
        CHECK(idmap_size(m.get()) == row.size);
        CHECK(idmap_table_count(m.get()) == 1);
        CHECK_FALSE(idmap_is_active(m.get()));
        const uint64_t root = idmap_root_address(m.get());
        CHECK(root != 0);
        CHECK((root & 0xfff) == 0);
        const idmap_error_t* e = idmap_last_error(m.get());
        REQUIRE(e != nullptr);
        CHECK(e->status == IDMAP_OK);
    }
}

TEST_CASE("idmap_new refuses a root level above 3", "[lifetime][errors]") {
    for (unsigned level : {4u, 5u, 17u, UINT_MAX}) {
        CAPTURE(level);
        CHECK(idmap_new(1, level) == nullptr);
        PagePool pool;
        const idmap_allocator_t a = pool.allocator();
        CHECK(idmap_new_with_allocator(1, level, &a) == nullptr);
        CHECK(pool.outstanding() == 0);
    }
}

TEST_CASE("idmap_new accepts a 16-bit ASID and refuses a wider one", "[lifetime][errors]") {
    for (size_t asid : {size_t{0}, size_t{1}, size_t{0x1234}, size_t{0xffff}}) {
        CAPTURE(asid);
        idmap_t* m = idmap_new(asid, 1);
        CHECK(m != nullptr);
        idmap_free(m);
    }
    for (size_t asid : {size_t{0x10000}, size_t{0x12345}, SIZE_MAX}) {
        CAPTURE(asid);
        CHECK(idmap_new(asid, 1) == nullptr);
        PagePool pool;
        const idmap_allocator_t a = pool.allocator();
        CHECK(idmap_new_with_allocator(asid, 1, &a) == nullptr);
        CHECK(pool.outstanding() == 0);
    }
}

TEST_CASE("idmap_new_with_allocator refuses a NULL or incomplete allocator", "[lifetime][errors]") {
    PagePool pool;
    CHECK(idmap_new_with_allocator(1, 1, nullptr) == nullptr);
    const idmap_allocator_t no_alloc{nullptr, &PagePool::release, &pool};
    CHECK(idmap_new_with_allocator(1, 1, &no_alloc) == nullptr);
    const idmap_allocator_t no_free{&PagePool::alloc, nullptr, &pool};
    CHECK(idmap_new_with_allocator(1, 1, &no_free) == nullptr);
    const idmap_allocator_t none{nullptr, nullptr, &pool};
    CHECK(idmap_new_with_allocator(1, 1, &none) == nullptr);
    CHECK(pool.outstanding() == 0);
}

namespace {
// An allocator that keeps its state in globals, so that it needs no ctx.
size_t g_ctxless_outstanding = 0;
void* ctxless_alloc(void* ctx) {
    if (ctx != nullptr) return nullptr;
    ++g_ctxless_outstanding;
    return std::aligned_alloc(4096, 4096);
}
void ctxless_free(void*, void* page) {
    --g_ctxless_outstanding;
    std::free(page);
}
}  // namespace

TEST_CASE("an allocator with a NULL ctx is complete", "[lifetime]") {
    // Only the two function pointers make an allocator complete; ctx is the caller's.
    const idmap_allocator_t a{&ctxless_alloc, &ctxless_free, nullptr};
    idmap_t* m = idmap_new_with_allocator(1, 1, &a);
    REQUIRE(m != nullptr);
    require_map(m, 0, kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
    CHECK(g_ctxless_outstanding == 3);
    idmap_free(m);
    CHECK(g_ctxless_outstanding == 0);
}

TEST_CASE("idmap_new_with_allocator returns NULL when there is no page for the root",
          "[lifetime][errors]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        PagePool pool;
        pool.budget = 0;
        const idmap_allocator_t a = pool.allocator();
        CHECK(idmap_new_with_allocator(1, level, &a) == nullptr);
        CHECK(pool.failed >= 1);
        CHECK(pool.outstanding() == 0);
        CHECK(pool.bad_frees == 0);
    }
}

TEST_CASE("the allocator gives the root table and nothing else at creation", "[lifetime]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        PagePool pool;
        const idmap_allocator_t a = pool.allocator();
        idmap_t* m = idmap_new_with_allocator(1, level, &a);
        REQUIRE(m != nullptr);
        // The idmap_t itself never comes from the allocator: one page, the root.
        CHECK(pool.allocs == 1);
        CHECK(pool.outstanding() == 1);
        CHECK(idmap_table_count(m) == 1);
        // Identity: the root's physical address is the page's address on the host.
        CHECK(pool.live.count(reinterpret_cast<void*>(idmap_root_address(m))) == 1);
        idmap_free(m);
        CHECK(pool.outstanding() == 0);
        CHECK(pool.bad_frees == 0);
    }
}

TEST_CASE("new tables start empty whatever the allocator's page held", "[lifetime]") {
    PagePool pool;  // pages are filled with 0x5a
    const idmap_allocator_t a = pool.allocator();
    idmap_t* m = idmap_new_with_allocator(1, 1, &a);
    REQUIRE(m != nullptr);
    // Fresh root: 512 empty level-1 entries, each 1 GiB.
    std::vector<Leaf> leaves = walk(m, 0, idmap_size(m));
    REQUIRE(leaves.size() == 512);
    for (const Leaf& l : leaves) CHECK(l.bits == 0);

    // [4K, 8K): new level-2 and level-3 tables; every entry but one stays empty. The
    // crate zeroes new tables, so "empty" means all bits 0.
    require_map(m, kPage, 2 * kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
    leaves = walk(m, 0, idmap_size(m));
    // level 3: 512 entries of [0, 2M); level 2: 511 entries of [2M, 1G); level 1: 511.
    REQUIRE(leaves.size() == 512 + 511 + 511);
    size_t valid = 0;
    for (const Leaf& l : leaves) {
        if (l.start == kPage) {
            ++valid;
            CHECK((l.bits & IDMAP_ATTR_VALID) != 0);
        } else {
            CHECK(l.bits == 0);
        }
    }
    CHECK(valid == 1);
    idmap_free(m);
    CHECK(pool.outstanding() == 0);
}

TEST_CASE("new tables are built whatever their pages held, even entries that look like tables",
          "[lifetime]") {
    // Every new page is filled with table descriptors pointing at a trap page the library
    // never got. A library that reads an entry of a new table before writing it follows
    // them and writes into the trap. The cases: ranges covering whole entries that cannot
    // be blocks (level 0; NO_BLOCK_MAPPINGS), whose new tables are overwritten entirely.
    struct Row {
        const char* what;
        unsigned root_level;
        uint64_t start, end;
        uint32_t constraints;
        size_t leaves;  // valid leaves the walk of [start, end) must meet
    };
    const Row rows[] = {
        // Root 0, [0, 512G): a level-1 table of 512 1 GiB blocks.
        {"a whole level-0 entry", 0, 0, 1ULL << 39, 0, 512},
        // Root 0, [512G, 512G + 2G): a level-1 table with two blocks.
        {"part of a level-0 entry", 0, 1ULL << 39, (1ULL << 39) + 2 * k1G, 0, 2},
        // Root 1, pages only, [1G, 1G + 4M) -> level-2 table (fresh, partly written) and
        // two whole level-3 tables.
        {"pages only under a fresh level-2 table", 1, k1G, k1G + 2 * k2M, IDMAP_NO_BLOCK_MAPPINGS,
         1024},
        // Root 1, pages only, a whole 1 GiB entry: a level-2 table overwritten entirely,
        // then 512 level-3 tables.
        {"pages only over a whole 1 GiB entry", 1, k1G, 2 * k1G, IDMAP_NO_BLOCK_MAPPINGS,
         512 * 512},
    };
    for (const Row& row : rows) {
        CAPTURE(row.what);
        std::unique_ptr<uint64_t[]> trap_storage(new uint64_t[512 * 2]());
        // A 4 KiB-aligned trap inside the storage (identity: its address is its PA).
        uint64_t* trap = reinterpret_cast<uint64_t*>(
            (reinterpret_cast<uintptr_t>(trap_storage.get()) + 4095) & ~uintptr_t{4095});
        PagePool pool;
        pool.poison = reinterpret_cast<uintptr_t>(trap) | IDMAP_ATTR_VALID | IDMAP_ATTR_TABLE_OR_PAGE;
        const idmap_allocator_t a = pool.allocator();
        idmap_t* m = idmap_new_with_allocator(1, row.root_level, &a);
        REQUIRE(m != nullptr);
        const idmap_region_t r = idmap_region(row.start, row.end);
        CHECK(idmap_map_range_with_constraints(m, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID,
                                               row.constraints) == IDMAP_OK);
        size_t stray = 0;
        for (size_t i = 0; i < 512; ++i) stray += trap[i] != 0 ? 1 : 0;
        CHECK(stray == 0);  // nothing written into memory the library does not own
        if (stray == 0) {
            size_t valid = 0;
            for (const Leaf& l : walk(m, row.start, row.end)) {
                valid += (l.bits & IDMAP_ATTR_VALID) ? 1 : 0;
            }
            CHECK(valid == row.leaves);
        }
        CHECK(pool.outstanding() == idmap_table_count(m));
        idmap_free(m);
        CHECK(pool.bad_frees == 0);
        CHECK(pool.outstanding() == 0);
    }
}

TEST_CASE("table_count counts the allocator's pages in use", "[lifetime]") {
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    idmap_t* m = idmap_new_with_allocator(1, 1, &a);
    REQUIRE(m != nullptr);
    CHECK(idmap_table_count(m) == pool.outstanding());
    map_some_tables(m);
    CHECK(pool.outstanding() == 6);
    CHECK(idmap_table_count(m) == pool.outstanding());
    idmap_free(m);
}

TEST_CASE("idmap_free returns every table page to the allocator", "[lifetime]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        PagePool pool;
        const idmap_allocator_t a = pool.allocator();
        idmap_t* m = idmap_new_with_allocator(7, level, &a);
        REQUIRE(m != nullptr);
        // A page at each end of the table; tables between them on every level.
        require_map(m, 0, kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
        require_map(m, idmap_size(m) - kPage, idmap_size(m),
                    IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID);
        // 1 + 2*(3 - level) tables: the root, then one chain of tables per end.
        CHECK(idmap_table_count(m) == 1 + 2 * (3 - level));
        CHECK(pool.outstanding() == idmap_table_count(m));
        idmap_free(m);
        CHECK(pool.outstanding() == 0);
        CHECK(pool.bad_frees == 0);
    }
}

TEST_CASE("idmap_free of an active map deactivates it and returns every page", "[lifetime]") {
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    idmap_t* m = idmap_new_with_allocator(1, 1, &a);
    REQUIRE(m != nullptr);
    map_some_tables(m);
    REQUIRE(idmap_activate(m) == IDMAP_OK);
    REQUIRE(idmap_is_active(m));
    idmap_free(m);
    CHECK(pool.outstanding() == 0);
    CHECK(pool.bad_frees == 0);
}

// A map idmap_free cannot take out of use keeps its tables: the TTBR still holds them.
TEST_CASE("idmap_free of a map whose deactivation is refused gives back no table", "[lifetime]") {
    namespace fake = aarch64_paging::arch::fake;
    fake::reset();
    // At EL2 with the MMU on, switching TTBR0_EL2 goes through the MMU off: refused from
    // code not mapped to itself (IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED).
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 1;  // M
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    idmap_config_t c{};
    c.regime = IDMAP_REGIME_EL2;
    c.root_level = 1;
    c.allocator = &a;
    idmap_t* m = idmap_new_with_config(&c);
    REQUIRE(m != nullptr);
    map_some_tables(m);
    REQUIRE(idmap_activate(m) == IDMAP_OK);
    const uint64_t root = idmap_root_address(m);
    REQUIRE(fake::registers().ttbr0_el2 == root);
    fake::registers().unmapped_switch_code = 0x4000'1000;
    idmap_free(m);
    CHECK(fake::registers().ttbr0_el2 == root);
    CHECK(pool.outstanding() == 6);  // the pool's destructor frees them
    CHECK(pool.bad_frees == 0);
    fake::reset();
}

TEST_CASE("idmap_free accepts NULL", "[lifetime]") {
    idmap_free(nullptr);
    SUCCEED("idmap_free(NULL) returned");
}

TEST_CASE("the inspection functions answer 0 or NULL for a NULL map", "[lifetime][errors]") {
    CHECK(idmap_size(nullptr) == 0);
    CHECK(idmap_table_count(nullptr) == 0);
    CHECK(idmap_root_address(nullptr) == 0);
    CHECK_FALSE(idmap_is_active(nullptr));
    CHECK(idmap_last_error(nullptr) == nullptr);
}

TEST_CASE("maps are independent of each other", "[lifetime]") {
    Map a = new_map(1, 1);
    Map b = new_map(2, 1);
    CHECK(idmap_root_address(a.get()) != idmap_root_address(b.get()));
    require_map(a.get(), 0, kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
    CHECK(idmap_table_count(a.get()) == 3);
    CHECK(idmap_table_count(b.get()) == 1);
    const idmap_region_t bad{0x2000, 0x1000};
    CHECK(idmap_map_range(b.get(), &bad, IDMAP_ATTR_NORMAL) == IDMAP_ERR_REGION_BACKWARDS);
    CHECK(idmap_last_error(a.get())->status == IDMAP_OK);
    CHECK(idmap_last_error(b.get())->status == IDMAP_ERR_REGION_BACKWARDS);
}
