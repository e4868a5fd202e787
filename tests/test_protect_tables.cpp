// Tables that protect themselves on the host fake: idmap_protect_tables makes a map's
// table pages read-only in the map itself or in another one, after which the map takes
// no change until idmap_unprotect_tables; the refusals that leave everything as it was.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/idmap.hpp"
#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

// Table pages from one static array, so that a map can map them all: the pages handed out
// (the map's tables) and those given back.
struct Pool {
    static constexpr size_t kPages = 32;
    alignas(65536) uint8_t pages[kPages][4096];  // two aligned groups of 16 pages
    size_t next = 0;
    std::set<uint64_t> out;
    size_t freed = 0;

    uint64_t start() const { return reinterpret_cast<uintptr_t>(pages[0]); }
    uint64_t end() const { return start() + sizeof pages; }
    idmap_allocator_t allocator() { return idmap_allocator_t{&alloc, &release, this}; }
    static void* alloc(void* ctx) {
        auto* pool = static_cast<Pool*>(ctx);
        if (pool->next == kPages) {
            return nullptr;
        }
        void* page = pool->pages[pool->next++];
        pool->out.insert(reinterpret_cast<uintptr_t>(page));
        return page;
    }
    static void release(void* ctx, void* page) {
        auto* pool = static_cast<Pool*>(ctx);
        pool->out.erase(reinterpret_cast<uintptr_t>(page));
        ++pool->freed;
    }
};

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

uint64_t leaf_bits(const idmap_t* m, uint64_t va) { return walk(m, va, va + kPage).at(0).bits; }

// A map over the whole 48-bit range (root level 0), its tables from pool, mapping the
// pool's pages (its own tables among them) with pages, and 2 MiB of RAM at 1 GiB.
Map pool_map(Pool& pool, uint64_t flags = kRW) {
    const idmap_allocator_t a = pool.allocator();
    Map m(idmap_new_with_allocator(1, 0, &a), &idmap_free);
    REQUIRE(m != nullptr);
    require_map(m.get(), k1G, k1G + k2M, kRW);
    require_map(m.get(), pool.start(), pool.end(), flags, IDMAP_NO_BLOCK_MAPPINGS);
    return m;
}

// The one pool of the tests below, emptied (static: 128 KiB).
Pool& fresh_pool() {
    static Pool pool;
    pool = Pool{};
    return pool;
}

// On a reset fake CPU: a map whose tables come from a fresh pool (root level 1; 2 MiB of
// RAM at 1 GiB, below a level-2 table), and the map the CPU runs on: the pool mapped by
// pages, under the contiguous hint if asked, its own tables elsewhere.
struct GuestHost {
    Pool& pool = fresh_pool();
    Map guest{nullptr, &idmap_free};
    Map host{nullptr, &idmap_free};
    explicit GuestHost(bool hint) {
        fake::reset();
        const idmap_allocator_t a = pool.allocator();
        guest.reset(idmap_new_with_allocator(2, 1, &a));
        REQUIRE(guest != nullptr);
        require_map(guest.get(), k1G, k1G + k2M, kRW);
        host.reset(idmap_new(1, 0));
        REQUIRE(host != nullptr);
        REQUIRE(idmap_set_contiguous_hint(host.get(), hint) == IDMAP_OK);
        require_map(host.get(), pool.start(), pool.end(), kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    }
};

// Whether each of the pool's table pages is read-only in m (and every other pool page not).
bool tables_read_only(const idmap_t* m, const Pool& pool, bool read_only) {
    for (uint64_t page = pool.start(); page < pool.end(); page += kPage) {
        const bool table = pool.out.count(page) != 0;
        if (((leaf_bits(m, page) & IDMAP_ATTR_READ_ONLY) != 0) != (table && read_only)) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("protect_tables: a map's tables read-only in itself, every change refused until undone",
          "[protect]") {
    fake::reset();
    static Pool pool;
    pool = Pool{};
    Map m = pool_map(pool);
    const size_t tables = idmap_table_count(m.get());
    REQUIRE(tables == pool.out.size());
    REQUIRE(tables_read_only(m.get(), pool, false));
    CHECK(!idmap_tables_protected(m.get()));
    REQUIRE(idmap_protect_tables(m.get(), nullptr) == IDMAP_OK);
    CHECK(idmap_tables_protected(m.get()));
    CHECK(tables_read_only(m.get(), pool, true));
    const std::vector<Leaf> protected_trace = trace(m.get());

    // Every writer refused with the reason, the tables as they were.
    const idmap_region_t ram = idmap_region(k1G, k1G + kPage);
    CHECK(idmap_map_range(m.get(), &ram, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_TABLES_READ_ONLY);
    CHECK(last_error_text(m.get()) ==
          "invalid argument: the map's tables are read-only (idmap_protect_tables): undo it first "
          "(idmap_unprotect_tables)");
    CHECK(idmap_map_range_to(m.get(), &ram, 2 * k1G, kRW, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_change_attributes(m.get(), &ram, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(modify(m.get(), k1G, k1G + kPage, [](const idmap_region_t&, idmap_descriptor_t&, unsigned) { return 0; }) ==
          IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_unmap_range(m.get(), &ram) == IDMAP_ERR_INVALID_ARGUMENT);
    uint64_t bitmap = 0;
    CHECK(idmap_collect_dirty(m.get(), &ram, &bitmap, 1) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_compact_subtables(m.get()) == 0);
    CHECK(idmap_coalesce_subtables(m.get()) == 0);
    CHECK(idmap_protect_tables(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_TABLES_READ_ONLY);
    CHECK(trace(m.get()) == protected_trace);
    // Planning and walking work.
    size_t pages = 99;
    const idmap_region_t far = idmap_region(3 * k1G, 3 * k1G + kPage);
    CHECK(idmap_tables_needed(m.get(), &far, kRW, 0, &pages) == IDMAP_OK);
    CHECK(pages == 2);

    REQUIRE(idmap_unprotect_tables(m.get()) == IDMAP_OK);
    CHECK(!idmap_tables_protected(m.get()));
    CHECK(tables_read_only(m.get(), pool, false));
    CHECK(idmap_unprotect_tables(m.get()) == IDMAP_OK);  // nothing to undo
    REQUIRE(idmap_map_range(m.get(), &ram, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
}

TEST_CASE("protect_tables refuses tables not mapped by pages, and changes nothing", "[protect]") {
    fake::reset();
    static Pool pool;
    pool = Pool{};
    const idmap_allocator_t a = pool.allocator();
    Map m(idmap_new_with_allocator(1, 0, &a), &idmap_free);
    REQUIRE(m != nullptr);
    require_map(m.get(), k1G, k1G + k2M, kRW);
    const uint64_t root = idmap_root_address(m.get());
    // Not mapped at all: the root, the first table visited.
    const std::vector<Leaf> before = trace(m.get());
    CHECK(idmap_protect_tables(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_TABLES_NOT_PAGES);
    CHECK(idmap_last_error(m.get())->va == root);
    CHECK(last_error_text(m.get()).find("is not mapped by a page in the map given: map the tables with pages") !=
          std::string::npos);
    CHECK(trace(m.get()) == before);
    CHECK(!idmap_tables_protected(m.get()));
    // Mapped by blocks: the 2 MiB blocks around the pool (two where it crosses a 2 MiB
    // boundary, as its address, random from run to run, may make it).
    const uint64_t block = pool.start() & ~(k2M - 1);
    require_map(m.get(), block, (pool.end() + k2M - 1) & ~(k2M - 1), kRW);
    REQUIRE((walk(m.get(), root, root + kPage).at(0).level) == 2);
    const std::vector<Leaf> blocks = trace(m.get());
    CHECK(idmap_protect_tables(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_TABLES_NOT_PAGES);
    CHECK(trace(m.get()) == blocks);
    // A stage-2 map is no place for them.
    Map s2 = new_stage2(s2_config(40, 1));
    CHECK(idmap_protect_tables(m.get(), s2.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == (IDMAP_ARG_NOT_STAGE1 | uint64_t{IDMAP_REGIME_STAGE2} << 16));
    CHECK(idmap_protect_tables(nullptr, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_unprotect_tables(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(!idmap_tables_protected(nullptr));
}

TEST_CASE("protect_tables in another map, live: its TLB entries invalidated; a live self refused", "[protect]") {
    GuestHost maps(false);
    Pool& pool = maps.pool;
    Map& guest = maps.guest;
    Map& host = maps.host;
    REQUIRE(idmap_activate(host.get()) == IDMAP_OK);
    fake::counters() = fake::Counters{};
    REQUIRE(idmap_protect_tables(guest.get(), host.get()) == IDMAP_OK);
    CHECK(tables_read_only(host.get(), pool, true));
    CHECK(fake::counters().log_count == pool.out.size());  // one TLBI per page made read-only
    // The host takes changes, the guest none; undone while the host is live.
    require_map(host.get(), k1G, k1G + kPage, kRW);
    CHECK(map_range(guest.get(), 0, kPage, kRW) == IDMAP_ERR_INVALID_ARGUMENT);
    REQUIRE(idmap_unprotect_tables(guest.get()) == IDMAP_OK);
    CHECK(tables_read_only(host.get(), pool, false));
    require_map(guest.get(), 0, kPage, kRW);

    // The live host in itself: its tables would be written through themselves.
    Map self = pool_map(pool);
    REQUIRE(idmap_deactivate(host.get()) == IDMAP_OK);
    REQUIRE(idmap_activate(self.get()) == IDMAP_OK);
    const std::vector<Leaf> before = trace(self.get());
    CHECK(idmap_protect_tables(self.get(), nullptr) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(trace(self.get()) == before);
    REQUIRE(idmap_deactivate(self.get()) == IDMAP_OK);
    REQUIRE(idmap_protect_tables(self.get(), nullptr) == IDMAP_OK);
    REQUIRE(idmap_activate(self.get()) == IDMAP_OK);
    CHECK(idmap_unprotect_tables(self.get()) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(idmap_tables_protected(self.get()));
    REQUIRE(idmap_deactivate(self.get()) == IDMAP_OK);
    REQUIRE(idmap_unprotect_tables(self.get()) == IDMAP_OK);
}

TEST_CASE("protect_tables in a live map that maps the tables in a contiguous group: refused, nothing changed",
          "[protect]") {
    GuestHost maps(true);
    Map& guest = maps.guest;
    Map& host = maps.host;
    REQUIRE((leaf_bits(host.get(), maps.pool.start()) & kContiguous) != 0);
    REQUIRE(idmap_activate(host.get()) == IDMAP_OK);
    const std::vector<Leaf> before = trace(host.get());
    CHECK(idmap_protect_tables(guest.get(), host.get()) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    const idmap_error_t* e = idmap_last_error(guest.get());
    CHECK(e->value == IDMAP_BBM_CONTIGUOUS);
    CHECK(e->region.start == idmap_root_address(guest.get()));  // the first table page
    CHECK(trace(host.get()) == before);
    CHECK(!idmap_tables_protected(guest.get()));
    CHECK(map_range(guest.get(), 0, kPage, kRW) == IDMAP_OK);  // still takes changes
    REQUIRE(idmap_deactivate(host.get()) == IDMAP_OK);
}

TEST_CASE("lint of a protected map: a table page the other map lets be written, or does not map",
          "[protect][lint]") {
    GuestHost maps(false);
    const Pool& pool = maps.pool;
    Map& guest = maps.guest;
    Map& host = maps.host;
    static uint64_t scratch[1024];
    idmap_lint_finding_t f[4];
    idmap_lint_report_t report{};
    idmap_lint_options_t o{0, 0, scratch, sizeof scratch / sizeof scratch[0]};
    const auto lint = [&] {
        REQUIRE(idmap_lint(guest.get(), &o, f, 4, &report) == IDMAP_OK);
        return report.findings;
    };
    CHECK(lint() == 0);  // not protected: its tables may be writable anywhere
    REQUIRE(idmap_protect_tables(guest.get(), host.get()) == IDMAP_OK);
    CHECK(lint() == 0);
    const uint64_t root = idmap_root_address(guest.get());
    // The root made writable again in the host behind the protection's back.
    const idmap_region_t r = idmap_region(root, root + kPage);
    REQUIRE(idmap_change_attributes(host.get(), &r, 0, IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    REQUIRE(lint() == 1);
    CHECK(f[0].kind == IDMAP_LINT_TABLE_WRITABLE);
    CHECK(f[0].level == 1);
    CHECK(f[0].index == 0);
    CHECK(f[0].va == 0);
    CHECK(f[0].descriptor == 0);
    CHECK(f[0].pa == root);
    CHECK(f[0].bits == leaf_bits(host.get(), root));
    char text[200];
    (void)idmap_lint_finding_text(&f[0], text, sizeof text);
    CHECK(std::string(text).find("table page writable where it is protected: L1[0] va 0x0, descriptor 0x0, table ") ==
          0);
    CHECK(std::string(text).find(" mapped writable by ") != std::string::npos);
    // The level-2 table (linked by root entry 1, at 1 GiB) unmapped in the host.
    REQUIRE(idmap_change_attributes(host.get(), &r, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    uint64_t table = 0;
    for (uint64_t page : pool.out) {
        table = page != root ? page : table;
    }
    REQUIRE(pool.out.size() == 2);
    const idmap_region_t t = idmap_region(table, table + kPage);
    REQUIRE(idmap_unmap_range(host.get(), &t) == IDMAP_OK);
    REQUIRE(lint() == 1);
    CHECK(f[0].kind == IDMAP_LINT_TABLE_WRITABLE);
    CHECK(f[0].level == 1);
    CHECK(f[0].index == 1);
    CHECK(f[0].va == k1G);
    CHECK((f[0].descriptor & 0x0000'ffff'ffff'f000) == table);
    CHECK(f[0].pa == table);
    CHECK(f[0].bits == 0);
    (void)idmap_lint_finding_text(&f[0], text, sizeof text);
    CHECK(std::string(text).find(" not mapped") != std::string::npos);
    // DBM on a read-only page: a write under hardware dirty state makes it writable.
    require_map(host.get(), table, table + kPage, kRW | kNG | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_DBM);
    CHECK(lint() == 1);
    require_map(host.get(), table, table + kPage, kRW | kNG | IDMAP_ATTR_READ_ONLY);
    CHECK(lint() == 0);
}

TEST_CASE("protect_tables clears DBM; a protected map's tables are not given back", "[protect][dirty]") {
    fake::reset();
    fake::registers().id_aa64mmfr1_el1 = 2;
    static Pool pool;
    pool = Pool{};
    const idmap_allocator_t a = pool.allocator();
    Map m(idmap_new_with_allocator(1, 0, &a), &idmap_free);
    REQUIRE(m != nullptr);
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), pool.start(), pool.end(), kRW, IDMAP_NO_BLOCK_MAPPINGS);  // clean, with DBM
    const uint64_t root = idmap_root_address(m.get());
    CHECK((leaf_bits(m.get(), root) & IDMAP_ATTR_DBM) != 0);
    REQUIRE(idmap_protect_tables(m.get(), nullptr) == IDMAP_OK);
    // Read-only with DBM would still be writable for the MMU.
    CHECK((leaf_bits(m.get(), root) & (IDMAP_ATTR_DBM | IDMAP_ATTR_READ_ONLY)) == IDMAP_ATTR_READ_ONLY);
    const size_t tables = pool.out.size();
    m.reset();
    CHECK(pool.out.size() == tables);
    CHECK(pool.freed == 0);
}

TEST_CASE("Mapping::protect_tables in C++", "[protect]") {
    using namespace aarch64_paging;
    fake::reset();
    static Pool pool;
    pool = Pool{};
    const idmap_allocator_t a = pool.allocator();
    PageAllocator allocator{a.alloc_page, a.free_page, a.ctx};
    Mapping<> map;
    REQUIRE(map.init(1, 0, allocator).is_ok());
    REQUIRE(map.map_range(MemoryRegion(pool.start(), pool.end()), PhysicalAddress(pool.start()),
                          Attributes::NORMAL | Attributes::VALID, Constraints::NO_BLOCK_MAPPINGS)
                .is_ok());
    REQUIRE(map.protect_tables().is_ok());
    CHECK(map.tables_protected());
    const Result r = map.map_range(MemoryRegion(0, 0x1000), PhysicalAddress(0), Attributes::NORMAL | Attributes::VALID,
                                   Constraints::NONE);
    CHECK(r.status() == Status::InvalidArgument);
    CHECK(r.error().value == argument_reason::TABLES_READ_ONLY);
    REQUIRE(map.unprotect_tables().is_ok());
    CHECK(map.map_range(MemoryRegion(0, 0x1000), PhysicalAddress(0), Attributes::NORMAL | Attributes::VALID,
                        Constraints::NONE)
              .is_ok());
}

TEST_CASE("protect_tables in a map whose own tables are read-only: refused, as every change of it is",
          "[protect]") {
    fake::reset();
    static Pool pool;
    pool = Pool{};
    const idmap_allocator_t a = pool.allocator();
    // The map the tables would be protected in: the pool by pages, itself protected.
    Map self = pool_map(pool);
    // Another map, its tables from the same pool.
    Map other(idmap_new_with_allocator(2, 1, &a), &idmap_free);
    REQUIRE(other != nullptr);
    require_map(other.get(), k1G, k1G + k2M, kRW);
    REQUIRE(idmap_protect_tables(self.get(), nullptr) == IDMAP_OK);
    const std::vector<Leaf> before = trace(self.get());
    CHECK(idmap_protect_tables(other.get(), self.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(other.get())->value == IDMAP_ARG_TABLES_READ_ONLY);
    CHECK(!idmap_tables_protected(other.get()));
    CHECK(trace(self.get()) == before);
    // In the other order: protected in it first, then it protected; undone in reverse.
    REQUIRE(idmap_unprotect_tables(self.get()) == IDMAP_OK);
    REQUIRE(idmap_protect_tables(other.get(), self.get()) == IDMAP_OK);
    REQUIRE(idmap_protect_tables(self.get(), nullptr) == IDMAP_OK);
    CHECK(idmap_unprotect_tables(other.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(other.get())->value == IDMAP_ARG_TABLES_READ_ONLY);
    CHECK(idmap_tables_protected(other.get()));
    CHECK(tables_read_only(self.get(), pool, true));
    REQUIRE(idmap_unprotect_tables(self.get()) == IDMAP_OK);
    REQUIRE(idmap_unprotect_tables(other.get()) == IDMAP_OK);
    CHECK(tables_read_only(self.get(), pool, false));
}

TEST_CASE("pre-flight's check_tables: a protected map's read-only tables are no failure", "[protect][preflight]") {
    fake::reset();
    static Pool pool;
    pool = Pool{};
    Map m = pool_map(pool);
    idmap_preflight_t p{};
    p.check_tables = true;
    p.skip = IDMAP_PREFLIGHT_SKIP_PC | IDMAP_PREFLIGHT_SKIP_SP | IDMAP_PREFLIGHT_SKIP_VBAR;
    REQUIRE(idmap_preflight(m.get(), &p) == IDMAP_OK);  // writable, as the library writes them
    REQUIRE(idmap_protect_tables(m.get(), nullptr) == IDMAP_OK);
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);  // read-only, and written no more
    // The same pages read-only in a map that is not protected: not writable.
    REQUIRE(idmap_unprotect_tables(m.get()) == IDMAP_OK);
    const idmap_region_t root = idmap_region(idmap_root_address(m.get()), idmap_root_address(m.get()) + kPage);
    REQUIRE(idmap_change_attributes(m.get(), &root, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_ERR_PREFLIGHT);
}
