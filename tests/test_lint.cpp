// The linter (lint.hpp, idmap_lint*): clean trees give no finding; each kind of finding
// at its exact entry, for each regime; the scratch and findings bounds; the text; and a
// randomised run that builds trees with the library, plants one corruption of a known
// kind per iteration and requires the linter to report it at the right entry.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/lint.hpp"
#include "support/capi_support.hpp"
#include "support/tree_support.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

using namespace capi_test;
using tree_test::Entry;
using tree_test::entry_at;
using tree_test::index_of;
using tree_test::kOaMask;
using tree_test::level_size;

// A finding as its text, in failure messages (global: found by lookup from Catch).
static std::ostream& operator<<(std::ostream& os, const idmap_lint_finding_t& f) {
    char line[256];
    idmap_lint_finding_text(&f, line, sizeof line);
    return os << line;
}

namespace {

constexpr uint64_t kAF = IDMAP_ATTR_ACCESSED;
constexpr uint64_t kRO = IDMAP_ATTR_READ_ONLY;
constexpr uint64_t kXN = IDMAP_ATTR_EXECUTE_NEVER;
constexpr uint64_t kUXN = 1ULL << 54;  // XN of the EL2 and EL3 regimes
constexpr uint64_t kPXN = 1ULL << 53;
constexpr uint64_t kUser = IDMAP_ATTR_USER;
// The attributes of the random trees: none both writable and executable, so that a tree
// holds no W^X alias until one is planted.
const uint64_t kAttrs[] = {kRW | kXN, kRW | kRO, kRW | kRO | kXN, IDMAP_ATTR_VALID | kXN};

struct Lint {
    idmap_status_t status = IDMAP_OK;
    std::vector<idmap_lint_finding_t> findings;
    idmap_lint_report_t report{};
};

// Lints with ample scratch and room for every finding (two passes: count, then fetch).
template <class Call>
Lint run_lint(Call call, uint32_t checks = 0, uint32_t features = 0) {
    std::vector<uint64_t> scratch(1 << 16);
    idmap_lint_options_t options{checks, features, scratch.data(), scratch.size()};
    Lint out;
    out.status = call(&options, nullptr, 0, &out.report);
    out.findings.resize(out.report.findings);
    idmap_lint_report_t again{};
    const idmap_status_t st = call(&options, out.findings.data(), out.findings.size(), &again);
    CHECK(st == out.status);
    CHECK(again.findings == out.report.findings);
    return out;
}

Lint lint_map(const idmap_t* m, uint32_t checks = 0) {
    return run_lint([m](const idmap_lint_options_t* o, idmap_lint_finding_t* f, size_t max,
                        idmap_lint_report_t* r) { return idmap_lint(m, o, f, max, r); },
                    checks);
}

// The pages of a PagePool, as idmap_lint_raw's translate callback.
const void* pool_pages(void* ctx, uint64_t pa) {
    auto* pool = static_cast<PagePool*>(ctx);
    void* p = reinterpret_cast<void*>(static_cast<uintptr_t>(pa));
    return pool->live.count(p) != 0 ? p : nullptr;
}

idmap_lint_tree_t raw_tree(const idmap_t* m, unsigned root_level, PagePool& pool,
                           idmap_regime_t regime = IDMAP_REGIME_EL1_0) {
    idmap_lint_tree_t t{};
    t.root = idmap_root_address(m);
    t.root_level = root_level;
    t.regime = regime;
    t.translate = &pool_pages;
    t.ctx = &pool;
    return t;
}

Lint lint_raw(const std::vector<idmap_lint_tree_t>& trees, uint32_t checks = 0, uint32_t features = 0) {
    return run_lint(
        [&trees](const idmap_lint_options_t* o, idmap_lint_finding_t* f, size_t max,
                 idmap_lint_report_t* r) { return idmap_lint_raw(trees.data(), trees.size(), o, f, max, r); },
        checks, features);
}

bool is(const idmap_lint_finding_t& f, idmap_lint_kind_t kind, uint64_t va, unsigned level) {
    return f.kind == kind && f.va == va && f.level == level && f.index == index_of(va, level);
}

// A map with its own page pool. The tests corrupt its tables, which idmap_free would
// follow: the first entry() (or save()) keeps a copy of every table page, put back before
// the map is freed (pages no longer reachable then are freed with the pool).
struct PoolMap {
    PagePool pool;
    Map map{nullptr, &idmap_free};
    unsigned root_level;
    std::map<void*, std::vector<uint64_t>> saved;

    explicit PoolMap(unsigned level) : root_level(level) {
        const idmap_allocator_t a = pool.allocator();
        map.reset(idmap_new_with_allocator(1, level, &a));
        REQUIRE(map != nullptr);
    }
    ~PoolMap() {
        for (const auto& page : saved) {
            if (pool.live.count(page.first) != 0) {
                std::memcpy(page.first, page.second.data(), kPage);
            }
        }
        map.reset();
    }
    PoolMap(const PoolMap&) = delete;
    PoolMap& operator=(const PoolMap&) = delete;

    void save() {
        saved.clear();
        for (void* p : pool.live) {
            const auto* words = static_cast<const uint64_t*>(p);
            saved[p].assign(words, words + 512);
        }
    }
    idmap_t* get() const { return map.get(); }
    uint64_t* entry(uint64_t va, unsigned level) {
        if (saved.empty()) save();
        return entry_at(get(), root_level, va, level);
    }
};

}  // namespace

TEST_CASE("lint: a tree built by the library has no finding", "[lint]") {
    for (unsigned root = 0; root <= 3; ++root) {
        CAPTURE(root);
        PoolMap m(root);
        const uint64_t top = idmap_size(m.get());
        // Code read-only and executable, data and devices execute-never, blocks and pages.
        require_map(m.get(), 0, std::min<uint64_t>(top, k2M), kRW | kRO);
        if (top > k1G) {
            require_map(m.get(), k1G, k1G + 3 * k2M + 5 * kPage, kRW | kXN | kNG);
            require_map(m.get(), 2 * k1G, 3 * k1G, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | kXN);
            require_map(m.get(), 3 * k1G, 3 * k1G + 64 * kPage, kRW | kXN, IDMAP_NO_BLOCK_MAPPINGS);
        }
        const Lint l = lint_map(m.get());
        CHECK(l.status == IDMAP_OK);
        CHECK(l.findings.empty());
        CHECK(l.report.tables == idmap_table_count(m.get()));
        // The same tree read through its pool gives the same answer.
        const Lint raw = lint_raw({raw_tree(m.get(), root, m.pool)});
        CHECK(raw.status == IDMAP_OK);
        CHECK(raw.findings.empty());
        CHECK(raw.report.tables == idmap_table_count(m.get()));
    }
}

TEST_CASE("lint: RES0 bits of blocks, pages and table descriptors", "[lint]") {
    PoolMap m(1);
    require_map(m.get(), 0, k2M, kRW | kXN);              // a level-2 block
    require_map(m.get(), k2M, k2M + kPage, kRW | kXN);    // a page
    *m.entry(0, 2) |= 1ULL << 48;
    *m.entry(k2M, 3) |= 1ULL << 50;                         // GP: RES0 without FEAT_BTI
    *m.entry(0, 1) |= 1ULL << 51;                           // the level-1 table descriptor
    const Lint l = lint_map(m.get());
    REQUIRE(l.findings.size() == 3);
    CHECK(is(l.findings[0], IDMAP_LINT_RES0_BITS, 0, 1));
    CHECK(l.findings[0].bits == 1ULL << 51);
    CHECK(is(l.findings[1], IDMAP_LINT_RES0_BITS, 0, 2));
    CHECK(l.findings[1].bits == 1ULL << 48);
    CHECK(l.findings[1].descriptor == *m.entry(0, 2));
    CHECK(is(l.findings[2], IDMAP_LINT_RES0_BITS, k2M, 3));
    CHECK(l.findings[2].bits == 1ULL << 50);
    // With FEAT_BTI bit 50 is GP.
    std::vector<uint64_t> scratch(256);
    idmap_lint_options_t bti{0, IDMAP_LINT_FEATURE_BTI, scratch.data(), scratch.size()};
    idmap_lint_report_t r{};
    CHECK(idmap_lint(m.get(), &bti, nullptr, 0, &r) == IDMAP_OK);
    CHECK(r.findings == 2);
}

TEST_CASE("lint: the bits the EL2 and EL3 regimes lack", "[lint]") {
    // Mapped as those regimes want it: AP[1] set (RES1), XN in bit 54, no nG, no PXN.
    PoolMap m(1);
    const uint64_t el2 = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | kUser | kUXN;
    require_map(m.get(), 0, 4 * kPage, el2);
    for (idmap_regime_t regime : {IDMAP_REGIME_EL2, IDMAP_REGIME_EL3}) {
        CAPTURE(int(regime));
        CHECK(lint_raw({raw_tree(m.get(), 1, m.pool, regime)}).findings.empty());
    }
    // The same tree is fine in EL1&0 too (EL0 read/write, EL0 never executes).
    CHECK(lint_raw({raw_tree(m.get(), 1, m.pool, IDMAP_REGIME_EL1_0)}).findings.empty());

    *m.entry(0, 3) &= ~kUser;          // AP[1] clear: RES1
    *m.entry(kPage, 3) |= kNG;         // nG: RES0 without ASIDs
    *m.entry(2 * kPage, 3) |= kPXN;    // PXN: RES0 with one privilege level
    *m.entry(0, 2) |= 1ULL << 59;      // PXNTable: RES0 there
    *m.entry(0, 1) |= 1ULL << 61;      // APTable[0]: RES0 there
    for (idmap_regime_t regime : {IDMAP_REGIME_EL2, IDMAP_REGIME_EL3}) {
        CAPTURE(int(regime));
        const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool, regime)});
        REQUIRE(l.findings.size() == 5);
        CHECK(is(l.findings[0], IDMAP_LINT_RES0_BITS, 0, 1));
        CHECK(l.findings[0].bits == 1ULL << 61);
        CHECK(is(l.findings[1], IDMAP_LINT_RES0_BITS, 0, 2));
        CHECK(l.findings[1].bits == 1ULL << 59);
        CHECK(is(l.findings[2], IDMAP_LINT_RES1_CLEAR, 0, 3));
        CHECK(l.findings[2].bits == kUser);
        CHECK(is(l.findings[3], IDMAP_LINT_RES0_BITS, kPage, 3));
        CHECK(l.findings[3].bits == kNG);
        CHECK(is(l.findings[4], IDMAP_LINT_RES0_BITS, 2 * kPage, 3));
        CHECK(l.findings[4].bits == kPXN);
    }
    // In the regimes with EL0 all of these bits exist.
    for (idmap_regime_t regime : {IDMAP_REGIME_EL1_0, IDMAP_REGIME_EL2_0}) {
        CAPTURE(int(regime));
        CHECK(lint_raw({raw_tree(m.get(), 1, m.pool, regime)}).findings.empty());
    }
}

TEST_CASE("lint: blocks where the granule has none, and misaligned block addresses", "[lint]") {
    PoolMap m(0);
    require_map(m.get(), k1G, 2 * k1G, kRW | kXN);   // a level-1 block
    require_map(m.get(), 2 * k1G, 2 * k1G + k2M + kPage, kRW | kXN);
    // Level 0: 0b01 would be a 512 GiB block, which needs FEAT_LPA2.
    *m.entry(k512G, 0) = k512G | kAF | kRW;
    // Level 3: 0b01 is reserved.
    *m.entry(2 * k1G + k2M, 3) &= ~IDMAP_ATTR_TABLE_OR_PAGE;
    // Output address bits below the block size.
    *m.entry(k1G, 1) |= 0x20000000;         // bit 29 of a 1 GiB block
    *m.entry(2 * k1G, 2) |= 0x1000;         // bit 12 of a 2 MiB block
    const Lint l = lint_map(m.get());
    REQUIRE(l.findings.size() == 4);
    CHECK(is(l.findings[0], IDMAP_LINT_MISALIGNED_OUTPUT, k1G, 1));
    CHECK(l.findings[0].bits == 0x20000000);
    CHECK(is(l.findings[1], IDMAP_LINT_MISALIGNED_OUTPUT, 2 * k1G, 2));
    CHECK(l.findings[1].bits == 0x1000);
    CHECK(is(l.findings[2], IDMAP_LINT_BLOCK_NOT_ALLOWED, 2 * k1G + k2M, 3));
    CHECK(is(l.findings[3], IDMAP_LINT_BLOCK_NOT_ALLOWED, k512G, 0));
    // nT (bit 16) of FEAT_BBM is not an address bit.
    *m.entry(k1G, 1) &= ~0x20000000ULL;
    *m.entry(k1G, 1) |= 1ULL << 16;
    std::vector<uint64_t> scratch(256);
    idmap_lint_options_t bbm{0, IDMAP_LINT_FEATURE_BBM, scratch.data(), scratch.size()};
    idmap_lint_report_t r{};
    CHECK(idmap_lint(m.get(), &bbm, nullptr, 0, &r) == IDMAP_OK);
    CHECK(r.findings == 3);
    bbm.features = 0;
    CHECK(idmap_lint(m.get(), &bbm, nullptr, 0, &r) == IDMAP_OK);
    CHECK(r.findings == 4);
}

TEST_CASE("lint: contiguous groups", "[lint]") {
    PoolMap m(1);
    // 32 pages at 64 KiB: two aligned groups of 16 with the same attributes.
    const uint64_t base = 0x40000000;
    require_map(m.get(), base, base + 32 * kPage, kRW | kXN, IDMAP_NO_BLOCK_MAPPINGS);
    auto page = [&](unsigned k) { return m.entry(base + k * kPage, 3); };
    auto set_group = [&](unsigned first) {
        for (unsigned k = first; k < first + 16; ++k) *page(k) |= kContiguous;
    };
    set_group(0);
    set_group(16);
    CHECK(lint_map(m.get()).findings.empty());

    SECTION("the bit missing from one entry") {
        *page(20) &= ~kContiguous;
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base + 20 * kPage, 3));
        CHECK(l.findings[0].other_va == base + 16 * kPage);
    }
    SECTION("the bit on an entry of a group without it") {
        require_map(m.get(), base + 32 * kPage, base + 48 * kPage, kRW | kXN, IDMAP_NO_BLOCK_MAPPINGS);
        *page(37) |= kContiguous;  // entry 0 of the group is the first without it
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base + 32 * kPage, 3));
        CHECK(l.findings[0].other_va == base + 32 * kPage);
    }
    SECTION("different attributes") {
        *page(3) |= IDMAP_ATTR_SWFLAG_0;
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base + 3 * kPage, 3));
    }
    SECTION("AF and, with DBM, AP[2] may differ: the hardware updates them per entry") {
        *page(3) &= ~kAF;
        for (unsigned k = 16; k < 32; ++k) *page(k) |= IDMAP_ATTR_DBM;
        *page(17) |= kRO;
        CHECK(lint_map(m.get()).findings.empty());
    }
    SECTION("an output address out of sequence") {
        *page(9) += kPage;
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base + 9 * kPage, 3));
    }
    SECTION("a group whose output range is not aligned to 64 KiB") {
        for (unsigned k = 0; k < 16; ++k) *page(k) += 2 * kPage;  // still in sequence
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base, 3));
    }
    SECTION("an invalid entry in a group") {
        *page(31) &= ~IDMAP_ATTR_VALID;
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_CONTIGUOUS, base + 31 * kPage, 3));
    }
}

TEST_CASE("lint: tables outside the pool, loops and shared tables", "[lint]") {
    PoolMap m(1);
    require_map(m.get(), 0, kPage, kRW | kXN);
    require_map(m.get(), k1G, k1G + kPage, kRW | kXN);
    require_map(m.get(), 2 * k1G, 2 * k1G + kPage, kRW | kXN);
    const uint64_t l2_a = *m.entry(0, 1) & kOaMask;
    const uint64_t root = idmap_root_address(m.get());

    SECTION("outside the pool: reported, never read") {
        *m.entry(k1G, 1) = 0x1000 | 3;  // page 1: not a table page, and unreadable here
        const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool)});
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_TABLE_OUTSIDE_POOL, k1G, 1));
        CHECK(l.findings[0].pa == 0x1000);
        CHECK(l.report.tables == idmap_table_count(m.get()) - 2);  // one level-2 and one level-3 table lost
    }
    SECTION("shared: the later reference is reported, the table walked once") {
        *m.entry(2 * k1G, 1) = l2_a | 3;
        const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool)});
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_TABLE_SHARED, 2 * k1G, 1));
        CHECK(l.findings[0].pa == l2_a);
        CHECK(l.findings[0].other_va == 0);
    }
    SECTION("a loop back to the root") {
        *m.entry(k1G, 3) = root | 3;  // at level 3 this is a page, not a table: no loop
        *m.entry(k1G, 2) = root | 3;  // the level-2 table descriptor points at the root
        const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool)});
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_TABLE_LOOP, k1G, 2));
        CHECK(l.findings[0].pa == root);
        CHECK(l.findings[0].other_va == 0);
    }
    SECTION("a table pointing at itself") {
        const uint64_t l2_b = *m.entry(k1G, 1) & kOaMask;
        *m.entry(k1G + 5 * k2M, 2) = l2_b | 3;
        const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool)});
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_TABLE_LOOP, k1G + 5 * k2M, 2));
        CHECK(l.findings[0].other_va == k1G);
    }
}

TEST_CASE("lint: W^X aliases within a tree and across maps", "[lint][wx]") {
    PoolMap m(1);
    const uint64_t code = 0x40000000;
    require_map(m.get(), code, code + 4 * kPage, kRW | kRO);            // RX
    require_map(m.get(), code + k2M, code + k2M + 4 * kPage, kRW | kXN);  // RW
    CHECK(lint_map(m.get()).findings.empty());

    SECTION("a writable alias of a code page") {
        *m.entry(code + k2M + 2 * kPage, 3) = (code + kPage) | (*m.entry(code + k2M, 3) & ~kOaMask);
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        const idmap_lint_finding_t& f = l.findings[0];
        CHECK(is(f, IDMAP_LINT_WX_ALIAS, code + k2M + 2 * kPage, 3));
        CHECK(f.other_va == code + kPage);
        CHECK(f.pa == code + kPage);
        CHECK(f.size == kPage);
        CHECK(f.descriptor == *m.entry(code + k2M + 2 * kPage, 3));
        // Not a structural finding.
        CHECK(lint_map(m.get(), IDMAP_LINT_CHECK_STRUCTURE).findings.empty());
    }
    SECTION("an executable alias of a data page, inside a block") {
        require_map(m.get(), code + 2 * k2M, code + 3 * k2M, kRW | kXN);  // a 2 MiB block
        *m.entry(code + 3 * kPage, 3) = (code + 2 * k2M + 7 * kPage) | (*m.entry(code, 3) & ~kOaMask);
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        const idmap_lint_finding_t& f = l.findings[0];
        CHECK(f.kind == IDMAP_LINT_WX_ALIAS);
        CHECK(f.va == code + 2 * k2M + 7 * kPage);  // the writable address of the byte
        CHECK(f.level == 2);
        CHECK(f.index == index_of(code + 2 * k2M, 2));
        CHECK(f.other_va == code + 3 * kPage);
        CHECK(f.size == kPage);
    }
    SECTION("EL0 execution counts, and EL0-writable is never privileged-executable") {
        // An EL0 read-write alias with PXN clear: EL1 cannot execute it (implicit PXN),
        // EL0 cannot (UXN), so the alias of an execute-never page is harmless.
        const uint64_t el0_rw = kRW | kUser | (1ULL << 54);
        *m.entry(code + k2M + 3 * kPage, 3) = (code + k2M) | el0_rw | kAF | IDMAP_ATTR_TABLE_OR_PAGE;
        CHECK(lint_map(m.get()).findings.empty());
        // EL0-executable (UXN clear) read-only alias of a writable page: an alias.
        *m.entry(code + k2M + 3 * kPage, 3) =
            (code + k2M) | kRW | kUser | kRO | kPXN | kAF | IDMAP_ATTR_TABLE_OR_PAGE;
        const Lint l = lint_map(m.get());
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_WX_ALIAS, code + k2M, 3));
        CHECK(l.findings[0].other_va == code + k2M + 3 * kPage);
    }
    SECTION("the hierarchical limits of table descriptors count") {
        *m.entry(code + k2M + 2 * kPage, 3) = (code + kPage) | (*m.entry(code + k2M, 3) & ~kOaMask);
        *m.entry(code + k2M, 2) |= 1ULL << 62;  // APTable[1]: nothing below is writable
        CHECK(lint_map(m.get()).findings.empty());
    }
    SECTION("across maps: the same identity address, writable in one and executable in another") {
        PoolMap other(1);
        require_map(other.get(), code + kPage, code + 2 * kPage, kRW | kXN);
        const idmap_t* maps[] = {m.get(), other.get()};
        std::vector<uint64_t> scratch(1024);
        idmap_lint_options_t o{0, 0, scratch.data(), scratch.size()};
        idmap_lint_finding_t f[4];
        idmap_lint_report_t r{};
        REQUIRE(idmap_lint_wx_aliases(maps, 2, &o, f, 4, &r) == IDMAP_OK);
        REQUIRE(r.findings == 1);
        CHECK(f[0].kind == IDMAP_LINT_WX_ALIAS);
        CHECK(f[0].tree == 1);
        CHECK(f[0].va == code + kPage);
        CHECK(f[0].other_tree == 0);
        CHECK(f[0].other_va == code + kPage);
        CHECK(f[0].pa == code + kPage);
        // Each map alone is clean.
        CHECK(idmap_lint_wx_aliases(maps, 1, &o, f, 4, &r) == IDMAP_OK);
        CHECK(r.findings == 0);
        // Only aliases are looked for, whatever the options say.
        *m.entry(code, 3) |= 1ULL << 48;
        o.checks = IDMAP_LINT_CHECK_STRUCTURE;
        CHECK(idmap_lint_wx_aliases(maps, 2, &o, f, 4, &r) == IDMAP_OK);
        CHECK(r.findings == 1);
        CHECK(f[0].kind == IDMAP_LINT_WX_ALIAS);
    }
    SECTION("EL2: XN is bit 54, AP[1] is RES1 and ignored") {
        PoolMap el2(1);
        require_map(el2.get(), code, code + kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | kUser | kRO);
        require_map(el2.get(), code + kPage, code + 2 * kPage, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | kUser | kUXN);
        CHECK(lint_raw({raw_tree(el2.get(), 1, el2.pool, IDMAP_REGIME_EL2)}).findings.empty());
        *el2.entry(code + kPage, 3) -= kPage;  // now the code page, writable
        const Lint l = lint_raw({raw_tree(el2.get(), 1, el2.pool, IDMAP_REGIME_EL2)});
        REQUIRE(l.findings.size() == 1);
        CHECK(is(l.findings[0], IDMAP_LINT_WX_ALIAS, code + kPage, 3));
        CHECK(l.findings[0].other_va == code);
    }
}

TEST_CASE("lint: bounded: findings past the array are counted, scratch too small is an error", "[lint]") {
    PoolMap m(1);
    require_map(m.get(), 0, 8 * kPage, kRW | kXN);
    require_map(m.get(), k1G, k1G + 8 * kPage, kRW | kRO);
    for (unsigned k = 0; k < 8; ++k) *m.entry(k * kPage, 3) |= 1ULL << 49;
    const Lint all = lint_map(m.get());
    REQUIRE(all.findings.size() == 8);

    SECTION("a short array gets the first findings, the report counts them all") {
        std::vector<uint64_t> scratch(256);
        idmap_lint_options_t o{0, 0, scratch.data(), scratch.size()};
        idmap_lint_finding_t f[3];
        std::memset(f, 0xee, sizeof f);
        idmap_lint_report_t r{};
        REQUIRE(idmap_lint(m.get(), &o, f, 2, &r) == IDMAP_OK);
        CHECK(r.findings == 8);
        CHECK(f[0].va == all.findings[0].va);
        CHECK(f[1].va == all.findings[1].va);
        uint32_t untouched;
        std::memcpy(&untouched, &f[2].kind, sizeof untouched);
        CHECK(untouched == 0xeeeeeeee);
    }
    SECTION("scratch too small: OUT_OF_MEMORY with the size needed, then enough works") {
        const size_t tables = idmap_table_count(m.get());
        for (size_t words : {size_t{0}, size_t{1}, 2 * tables, 2 * tables + 4}) {
            CAPTURE(words);
            std::vector<uint64_t> scratch(words + 1);
            idmap_lint_options_t o{0, 0, words ? scratch.data() : nullptr, words};
            idmap_lint_report_t r{};
            CHECK(idmap_lint(m.get(), &o, nullptr, 0, &r) == IDMAP_ERR_OUT_OF_MEMORY);
            CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_OUT_OF_MEMORY);
            CHECK(r.scratch_words > words);
        }
        std::vector<uint64_t> small(2 * tables);
        idmap_lint_options_t o{0, 0, small.data(), small.size()};
        idmap_lint_report_t r{};
        REQUIRE(idmap_lint(m.get(), &o, nullptr, 0, &r) == IDMAP_ERR_OUT_OF_MEMORY);
        // The structure was checked all the same.
        CHECK(r.findings == 8);
        CHECK(r.tables == tables);
        CHECK(r.runs == 2);  // the RW run and the RX run
        CHECK(r.scratch_words == IDMAP_LINT_SCRATCH_WORDS(tables, 2));
        std::vector<uint64_t> exact(r.scratch_words);
        o.scratch = exact.data();
        o.scratch_words = exact.size();
        CHECK(idmap_lint(m.get(), &o, nullptr, 0, &r) == IDMAP_OK);
        CHECK(r.findings == 8);
        // Structure alone needs no room for runs.
        o.checks = IDMAP_LINT_CHECK_STRUCTURE;
        o.scratch_words = 2 * tables;
        CHECK(idmap_lint(m.get(), &o, nullptr, 0, &r) == IDMAP_OK);
        CHECK(r.scratch_words == 2 * tables);
    }
}

TEST_CASE("lint: many tables go through the table set's merges", "[lint]") {
    // 200 level-3 tables, reached out of address order of their pages (the pool hands
    // pages out from the heap), one of them shared at the end.
    PoolMap m(1);
    for (unsigned i = 0; i < 200; ++i) {
        require_map(m.get(), i * k2M, i * k2M + kPage, kRW | kXN);
    }
    CHECK(lint_map(m.get()).findings.empty());
    const uint64_t t7 = *m.entry(7 * k2M, 2) & kOaMask;
    *m.entry(199 * k2M, 2) = t7 | 3;
    const Lint l = lint_raw({raw_tree(m.get(), 1, m.pool)});
    REQUIRE(l.findings.size() == 1);
    CHECK(is(l.findings[0], IDMAP_LINT_TABLE_SHARED, 199 * k2M, 2));
    CHECK(l.findings[0].other_va == 7 * k2M);
}

TEST_CASE("lint: bad arguments", "[lint][bad-input]") {
    PoolMap m(1);
    std::vector<uint64_t> scratch(64);
    idmap_lint_options_t o{0, 0, scratch.data(), scratch.size()};
    idmap_lint_report_t r{};
    idmap_lint_finding_t f[1];
    CHECK(idmap_lint(nullptr, &o, f, 1, &r) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_lint(m.get(), &o, nullptr, 1, &r) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_lint(m.get(), &o, nullptr, 0, nullptr) == IDMAP_OK);
    CHECK(idmap_lint_raw(nullptr, 1, &o, f, 1, &r) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_lint_raw(nullptr, 0, &o, f, 1, &r) == IDMAP_OK);
    const idmap_t* maps[] = {m.get(), nullptr};
    CHECK(idmap_lint_wx_aliases(maps, 2, &o, f, 1, &r) == IDMAP_ERR_INVALID_ARGUMENT);

    const idmap_lint_tree_t good = raw_tree(m.get(), 1, m.pool);
    auto raw = [&](idmap_lint_tree_t t) { return idmap_lint_raw(&t, 1, &o, f, 1, &r); };
    CHECK(raw(good) == IDMAP_OK);
    idmap_lint_tree_t t = good;
    t.root_level = 4;
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    t = good;
    const int unknown_regime = 5;  // as a C caller may store it (4 is stage 2)
    std::memcpy(&t.regime, &unknown_regime, sizeof unknown_regime);
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    t = good;
    t.root += 8;
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    t = good;
    t.root = 0x1000;  // not a page of the pool
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    t = good;
    t.translate = nullptr;  // and no pools
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    const idmap_lint_pool_t odd{good.root + 8, kPage, nullptr};
    t.pools = &odd;
    t.pool_count = 1;
    CHECK(raw(t) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(r.findings == 0);
}

TEST_CASE("lint: pools with a separate readable copy (an image read from a file)", "[lint]") {
    // Two pages "at" physical 0x80000000: a level-2 root whose entry 1 points at a
    // level-3 table in the second page; the data lives in a host buffer.
    alignas(4096) static uint64_t image[2][512];
    std::memset(image, 0, sizeof image);
    const uint64_t base = 0x80000000;
    image[0][1] = (base + kPage) | 3;
    image[1][0] = 0x200000 | kAF | IDMAP_ATTR_NORMAL | kRO | 3;  // a code page
    image[1][1] = 0x200000 | kAF | IDMAP_ATTR_NORMAL | kXN | 3;  // its writable alias
    image[1][2] = 0x205000 | kAF | IDMAP_ATTR_NORMAL | kXN | (1ULL << 49) | 3;
    const idmap_lint_pool_t pool{base, sizeof image, image};
    idmap_lint_tree_t t{};
    t.root = base;
    t.root_level = 2;
    t.regime = IDMAP_REGIME_EL1_0;
    t.pools = &pool;
    t.pool_count = 1;
    const Lint l = lint_raw({t});
    REQUIRE(l.findings.size() == 2);
    CHECK(is(l.findings[0], IDMAP_LINT_RES0_BITS, k2M + 2 * kPage, 3));
    CHECK(is(l.findings[1], IDMAP_LINT_WX_ALIAS, k2M + kPage, 3));
    CHECK(l.findings[1].other_va == k2M);
    CHECK(l.findings[1].pa == 0x200000);
    CHECK(l.report.tables == 2);
    // A pointer outside the pool is reported, not read.
    image[0][2] = (base + 2 * kPage) | 3;
    const Lint outside = lint_raw({t});
    REQUIRE(outside.findings.size() == 3);
    CHECK(is(outside.findings[1], IDMAP_LINT_TABLE_OUTSIDE_POOL, 2 * k2M, 2));
    CHECK(outside.findings[1].pa == base + 2 * kPage);
    CHECK(outside.findings[2].kind == IDMAP_LINT_WX_ALIAS);
}

TEST_CASE("lint: the text of each kind", "[lint][text]") {
    const idmap_lint_kind_t kinds[] = {
        IDMAP_LINT_RES0_BITS,    IDMAP_LINT_RES1_CLEAR,         IDMAP_LINT_BLOCK_NOT_ALLOWED,
        IDMAP_LINT_MISALIGNED_OUTPUT, IDMAP_LINT_CONTIGUOUS,    IDMAP_LINT_TABLE_OUTSIDE_POOL,
        IDMAP_LINT_TABLE_LOOP,   IDMAP_LINT_TABLE_SHARED,       IDMAP_LINT_WX_ALIAS};
    std::vector<std::string> names;
    for (idmap_lint_kind_t k : kinds) {
        const std::string name = idmap_lint_kind_str(k);
        CHECK_FALSE(name.empty());
        CHECK(std::find(names.begin(), names.end(), name) == names.end());
        names.push_back(name);
        idmap_lint_finding_t f{k, 3, 5, 0, 0, 0x80005000, 0x1000080005743, 0x1000000000000,
                               0x80007000, 0x90000000, 0x2000};
        const size_t n = idmap_lint_finding_text(&f, nullptr, 0);
        std::string line(n + 1, '\0');
        REQUIRE(idmap_lint_finding_text(&f, &line[0], line.size()) == n);
        line.resize(n);
        CAPTURE(line);
        CHECK(line.rfind(name + ": L3[5] va 0x80005000, descriptor 0x1000080005743", 0) == 0);
        CHECK(line.find('\n') == std::string::npos);
    }
    CHECK(std::string(idmap_lint_kind_str(static_cast<idmap_lint_kind_t>(0))) == "unknown finding");
    idmap_lint_finding_t f{IDMAP_LINT_RES0_BITS, 3, 5, 0, 0, 0x80005000, 0x1000080005743, 0x1000000000000, 0, 0, 0};
    char line[200];
    REQUIRE(idmap_lint_finding_text(&f, line, sizeof line) < sizeof line);
    CHECK(std::string(line) == "RES0 bits set: L3[5] va 0x80005000, descriptor 0x1000080005743, bits 0x1000000000000");
    f = idmap_lint_finding_t{IDMAP_LINT_WX_ALIAS, 2, 1, 1, 0, 0x40200000, 0x40200741, 0, 0x80000000, 0x40200000, 0x1000};
    REQUIRE(idmap_lint_finding_text(&f, line, sizeof line) < sizeof line);
    CHECK(std::string(line) ==
          "W^X alias: tree 1 L2[1] va 0x40200000, descriptor 0x40200741, writable; executable at tree 0 va "
          "0x80000000: pa 0x40200000, 0x1000 bytes");
    char tiny[6];
    CHECK(idmap_lint_finding_text(&f, tiny, sizeof tiny) > sizeof tiny);
    CHECK(std::string(tiny) == "W^X a");
    CHECK(idmap_lint_finding_text(nullptr, tiny, sizeof tiny) == 0);
    CHECK(tiny[0] == '\0');
}

TEST_CASE("lint: the C++ API on an IdMap", "[lint][cpp]") {
    using namespace aarch64_paging;
    IdMap map(1, 1);
    REQUIRE(map.is_valid());
    REQUIRE(map.map_range(MemoryRegion(0x80000000, 0x80010000), Attributes::NORMAL | Attributes::VALID |
                                                                    Attributes::READ_ONLY).is_ok());
    REQUIRE(map.map_range(MemoryRegion(0x80200000, 0x80210000), Attributes::NORMAL | Attributes::VALID |
                                                                    Attributes::EXECUTE_NEVER).is_ok());
    uint64_t scratch[lint_scratch_words(8, 8)];
    LintOptions options;
    options.scratch = scratch;
    options.scratch_words = sizeof scratch / sizeof scratch[0];
    const LintTree tree = lint_tree(map.mapping());
    LintFinding out[2];
    LintReport report;
    REQUIRE(lint(&tree, 1, options, out, 2, report).is_ok());
    CHECK(report.findings == 0);
    CHECK(report.tables == map.table_count());
    CHECK(report.runs == 2);
    // Alias the code page at 0x80001000 writable from 0x80205000.
    uint64_t* leaf = tree_test::table_at(tree.root);
    leaf = tree_test::table_at(leaf[2] & kOaMask);      // level 2, 0x80000000
    leaf = tree_test::table_at(leaf[1] & kOaMask);      // level 3, 0x80200000
    leaf[5] = (leaf[5] & ~kOaMask) | 0x80001000;
    REQUIRE(lint(&tree, 1, options, out, 2, report).is_ok());
    REQUIRE(report.findings == 1);
    CHECK(out[0].kind == LintKind::WxAlias);
    CHECK(out[0].va == 0x80205000);
    CHECK(out[0].other_va == 0x80001000);
    CHECK(std::string(lint_kind_str(LintKind::WxAlias)) == "W^X alias");
}

// ---- The randomised run: one planted corruption per iteration, each found.

namespace {

struct Planted {
    idmap_lint_kind_t kind;
    uint64_t va;
    unsigned level;
    uint64_t bits = 0;      // checked when not 0
    uint64_t other_va = ~0ULL;  // checked when not ~0
    bool only = true;       // the only finding
};

const char* const kCorruptionNames[] = {"res0-leaf",  "res0-table",  "misaligned", "page-bit",
                                        "level0-block", "contig-one", "contig-group", "outside",
                                        "shared",     "loop",        "wx-alias",   "el2-bits"};
constexpr unsigned kCorruptions = sizeof kCorruptionNames / sizeof kCorruptionNames[0];

// A random tree: a few regions of random attributes (none writable and executable),
// blocks and pages, under root level 0 or 1 (EL2 trees: AP[1] set, XN in bit 54).
void build(PoolMap& m, std::mt19937_64& rng, bool el2) {
    const unsigned regions = 3 + rng() % 6;
    for (unsigned r = 0; r < regions; ++r) {
        const uint64_t start = (rng() % 4) * k1G + (rng() % 512) * k2M + (rng() % 2 ? (rng() % 512) * kPage : 0);
        const uint64_t len = rng() % 3 == 0 ? (1 + rng() % 3) * k2M : (1 + rng() % 40) * kPage;
        uint64_t attrs = kAttrs[rng() % 4];
        if (el2) attrs = (attrs & ~(kXN | kNG)) | kUser | ((attrs & kXN) ? kUXN : 0);
        const uint32_t constraints = rng() % 4 == 0 ? IDMAP_NO_BLOCK_MAPPINGS : 0;
        require_map(m.get(), start, start + len, attrs, constraints);
    }
}

template <class Pred>
const Entry* pick(const std::vector<Entry>& all, std::mt19937_64& rng, Pred pred) {
    std::vector<const Entry*> c;
    for (const Entry& e : all) {
        if (pred(e)) c.push_back(&e);
    }
    return c.empty() ? nullptr : c[rng() % c.size()];
}

// Plants corruption number `which` in m; answers what the linter must report, or false
// when the tree has nothing to corrupt that way.
bool plant(unsigned which, PoolMap& m, std::mt19937_64& rng, Planted& want, idmap_regime_t& regime) {
    const std::vector<Entry> all = tree_test::entries(m.get(), m.root_level);
    const auto leaf = [](const Entry& e) { return e.is_leaf(); };
    const auto table = [](const Entry& e) { return e.is_table(); };
    switch (which) {
        case 0: {  // a RES0 bit of a leaf
            const Entry* e = pick(all, rng, leaf);
            if (e == nullptr) return false;
            const uint64_t bit = 1ULL << (48 + rng() % 3);
            *e->slot |= bit;
            want = {IDMAP_LINT_RES0_BITS, e->va, e->level, bit};
            return true;
        }
        case 1: {  // a RES0 bit of a table descriptor
            const Entry* e = pick(all, rng, table);
            if (e == nullptr) return false;
            const uint64_t bit = 1ULL << (48 + rng() % 4);
            *e->slot |= bit;
            want = {IDMAP_LINT_RES0_BITS, e->va, e->level, bit};
            return true;
        }
        case 2: {  // a low output-address bit of a block
            const Entry* e = pick(all, rng, [](const Entry& x) { return x.is_leaf() && x.level < 3; });
            if (e == nullptr) return false;
            const uint64_t bit = 1ULL << (12 + rng() % (tree_test::level_shift(e->level) - 12));
            *e->slot |= bit;
            want = {IDMAP_LINT_MISALIGNED_OUTPUT, e->va, e->level, bit};
            return true;
        }
        case 3: {  // a page without its page bit
            const Entry* e = pick(all, rng, [](const Entry& x) { return x.is_leaf() && x.level == 3; });
            if (e == nullptr) return false;
            *e->slot &= ~IDMAP_ATTR_TABLE_OR_PAGE;
            want = {IDMAP_LINT_BLOCK_NOT_ALLOWED, e->va, 3};
            return true;
        }
        case 4: {  // a block at level 0, in a tree with a level-0 root
            if (m.root_level != 0) return false;
            const Entry* e = pick(all, rng, [](const Entry& x) { return x.level == 0; });
            *e->slot = e->va | kAF | kRW | kXN;
            want = {IDMAP_LINT_BLOCK_NOT_ALLOWED, e->va, 0};
            return true;
        }
        case 5: {  // the contiguous bit on one leaf
            const Entry* e = pick(all, rng, leaf);
            if (e == nullptr) return false;
            *e->slot |= kContiguous;
            // The first entry of its group that does not fit: entry 0, or 1 when it is 0.
            const uint64_t group = e->va & ~(16 * level_size(e->level) - 1);
            const uint64_t at = e->va == group ? group + level_size(e->level) : group;
            want = {IDMAP_LINT_CONTIGUOUS, at, e->level, 0, group};
            return true;
        }
        case 6: {  // a whole valid group, then one entry broken
            const Entry* e = pick(all, rng, [&](const Entry& x) {
                if (!x.is_leaf() || x.index % 16 != 0) return false;
                for (unsigned k = 0; k < 16; ++k) {
                    const uint64_t d = x.slot[k];
                    if (!Entry{x.slot + k, 0, 0, x.level, 0}.is_leaf() || (d & ~kOaMask) != (x.slot[0] & ~kOaMask) ||
                        (d & kOaMask) != (x.slot[0] & kOaMask) + k * level_size(x.level) ||
                        ((x.slot[0] & kOaMask) & (16 * level_size(x.level) - 1)) != 0) {
                        return false;
                    }
                }
                return true;
            });
            if (e == nullptr) return false;
            for (unsigned k = 0; k < 16; ++k) e->slot[k] |= kContiguous;
            const unsigned j = rng() % 16;
            const unsigned how = rng() % 3;
            if (how == 0) e->slot[j] &= ~kContiguous;
            if (how == 1) e->slot[j] ^= IDMAP_ATTR_SWFLAG_2;
            if (how == 2) e->slot[j] += level_size(e->level);
            // Entry 0 is the reference unless it lost the bit; then entry 1 is.
            const unsigned at = (j == 0 && how != 0) ? 1 : j;
            want = {IDMAP_LINT_CONTIGUOUS, e->va + at * level_size(e->level), e->level, 0, e->va};
            // A moved output address may now alias a page mapped otherwise.
            want.only = how != 2;
            return true;
        }
        case 7: {  // a table address outside the pool
            const Entry* e = pick(all, rng, table);
            if (e == nullptr) return false;
            const uint64_t pa = (1 + rng() % 0xfffff) << 12;  // never a heap page the pool holds
            if (m.pool.live.count(reinterpret_cast<void*>(pa)) != 0) return false;
            *e->slot = pa | 3;
            want = {IDMAP_LINT_TABLE_OUTSIDE_POOL, e->va, e->level};
            return true;
        }
        case 8: {  // two table descriptors of one level pointing at the same table
            const Entry* a = pick(all, rng, table);
            if (a == nullptr) return false;
            const Entry* b = pick(all, rng, [&](const Entry& x) { return x.is_table() && x.level == a->level && &x != a; });
            if (b == nullptr) return false;
            *a->slot = *b->slot;
            const Entry* later = a->va > b->va ? a : b;
            want = {IDMAP_LINT_TABLE_SHARED, later->va, later->level, 0, std::min(a->va, b->va)};
            return true;
        }
        case 9: {  // a table descriptor pointing back at its own table or the root
            const Entry* e = pick(all, rng, table);
            if (e == nullptr) return false;
            const bool root = rng() % 2 == 0;
            const uint64_t target = root ? idmap_root_address(m.get()) : e->table_pa;
            *e->slot = target | 3;
            // Where the walk first reached the target: 0 for the root, else the address
            // of the entry that points at it, the first its table maps.
            const uint64_t first = root ? 0 : e->va & ~(level_size(e->level) * 512 - 1);
            want = {IDMAP_LINT_TABLE_LOOP, e->va, e->level, 0, first};
            return true;
        }
        case 10: {  // a writable alias of an executable page, in an empty page slot
            const Entry* x = pick(all, rng, [](const Entry& e) {
                return e.is_leaf() && (*e.slot & kRO) && !(*e.slot & kPXN);
            });
            const Entry* hole = pick(all, rng, [](const Entry& e) { return e.level == 3 && *e.slot == 0; });
            if (x == nullptr || hole == nullptr) return false;
            const uint64_t off = (rng() % (level_size(x->level) / kPage)) * kPage;
            const uint64_t pa = (*x->slot & kOaMask) + off;
            *hole->slot = pa | kAF | kRW | kXN | IDMAP_ATTR_TABLE_OR_PAGE;
            want = {IDMAP_LINT_WX_ALIAS, hole->va, 3, 0, x->va + off};
            return true;
        }
        case 11: {  // EL2/EL3: a RES1 bit cleared or a RES0 bit the regime lacks set
            regime = rng() % 2 ? IDMAP_REGIME_EL2 : IDMAP_REGIME_EL3;
            const unsigned what = rng() % 4;
            const Entry* e = pick(all, rng, what == 3 ? table : leaf);
            if (e == nullptr) return false;
            const uint64_t bit = what == 0 ? kUser : what == 1 ? kNG : what == 2 ? kPXN : 1ULL << (59 + 2 * (rng() % 2));
            *e->slot ^= bit;
            want = {what == 0 ? IDMAP_LINT_RES1_CLEAR : IDMAP_LINT_RES0_BITS, e->va, e->level, bit};
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("lint: every planted corruption is found at its entry", "[lint][random]") {
    std::mt19937_64 rng(0x11e7);
    unsigned found[kCorruptions] = {};
    for (unsigned iter = 0; iter < 1200; ++iter) {
        const unsigned which = iter % kCorruptions;
        const bool el2 = which == 11;
        PoolMap m(rng() % 2);
        build(m, rng, el2);
        const idmap_regime_t clean_regime = el2 ? IDMAP_REGIME_EL2 : IDMAP_REGIME_EL1_0;
        INFO("iteration " << iter << ", corruption " << kCorruptionNames[which]);
        // Clean before.
        const Lint before = lint_raw({raw_tree(m.get(), m.root_level, m.pool, clean_regime)});
        REQUIRE(before.status == IDMAP_OK);
        REQUIRE(before.findings.empty());
        Planted want{};
        idmap_regime_t regime = clean_regime;
        m.save();
        if (!plant(which, m, rng, want, regime)) {
            continue;
        }
        const Lint l = lint_raw({raw_tree(m.get(), m.root_level, m.pool, regime)});
        REQUIRE(l.status == IDMAP_OK);
        INFO("want kind " << want.kind << " at 0x" << std::hex << want.va << std::dec << " L" << want.level);
        for (const idmap_lint_finding_t& f : l.findings) UNSCOPED_INFO(f);
        const auto hit = std::find_if(l.findings.begin(), l.findings.end(), [&](const idmap_lint_finding_t& f) {
            return is(f, want.kind, want.va, want.level) && (want.bits == 0 || f.bits == want.bits) &&
                   (want.other_va == ~0ULL || f.other_va == want.other_va);
        });
        REQUIRE(hit != l.findings.end());
        if (want.only) {
            CHECK(l.findings.size() == 1);
        }
        ++found[which];
    }
    // Every kind of corruption was planted and found many times.
    for (unsigned k = 0; k < kCorruptions; ++k) {
        INFO(kCorruptionNames[k] << ": " << found[k]);
        CHECK(found[k] >= 20);
        if (std::getenv("IDMAP_LINT_STATS") != nullptr) std::printf("%s: %u\n", kCorruptionNames[k], found[k]);
    }
}
