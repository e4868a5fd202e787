// The reference model's unmap_range and compact on their own, against expectations
// worked out by hand from the contract (idmap.h): the property tests check the library
// against the model, these check the model, so that the two cannot agree on a mistake in
// the cases the contract spells out.
#include <catch2/catch.hpp>

#include "model/model.hpp"

#include <vector>

namespace {

using idmap_model::Leaf;
using idmap_model::Model;
using idmap_model::Outcome;
using idmap_model::Run;

constexpr uint64_t P = 0x1000;
constexpr uint64_t M2 = 0x200000;
constexpr uint64_t G = 0x40000000;
constexpr uint64_t kRW = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL;
constexpr uint64_t kPageBit = IDMAP_ATTR_TABLE_OR_PAGE;

Leaf leaf(unsigned level, uint64_t attrs) {
    Leaf l;
    l.level = static_cast<uint8_t>(level);
    l.zero = attrs == 0;
    l.attrs = attrs;
    return l;
}

Run run(uint64_t start, uint64_t end, unsigned level, uint64_t attrs) {
    return Run{start / P, end / P, leaf(level, attrs)};
}

Outcome map(Model& m, uint64_t start, uint64_t end, uint64_t flags, uint32_t constraints = 0) {
    return m.map_range(idmap_region_t{start, end}, flags, constraints, SIZE_MAX);
}

Outcome unmap(Model& m, uint64_t start, uint64_t end, size_t budget = SIZE_MAX) {
    return m.unmap_range(idmap_region_t{start, end}, budget);
}

}  // namespace

TEST_CASE("model: unmap splits a block straddling an edge and keeps the rest", "[model]") {
    Model m(1);
    const uint64_t block = kRW | IDMAP_ATTR_ACCESSED;
    REQUIRE(map(m, G, 2 * G, kRW).status == IDMAP_OK);
    const Outcome o = unmap(m, G + P, G + 2 * P);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 2);  // the 1 GiB block to 2 MiB entries, the first to pages
    CHECK(o.freed_tables == 0);
    CHECK(o.removed_valid);
    CHECK(m.tables() == 3);
    CHECK(m.implied_tables() == 3);
    const std::vector<Run> want = {
        run(0, G, 1, 0),
        run(G, G + P, 3, block | kPageBit),
        run(G + P, G + 2 * P, 3, 0),
        run(G + 2 * P, G + M2, 3, block | kPageBit),
        run(G + M2, 2 * G, 2, block),
        run(2 * G, 512 * G, 1, 0),
    };
    CHECK(m.runs() == want);
}

TEST_CASE("model: unmap frees the tables it leaves empty, and whole subtrees", "[model]") {
    Model m(1);
    REQUIRE(map(m, 0, M2, kRW, IDMAP_NO_BLOCK_MAPPINGS).status == IDMAP_OK);  // root, L2, L3
    REQUIRE(m.tables() == 3);
    Outcome o = unmap(m, P, 3 * P);
    CHECK(o.freed_tables == 0);
    CHECK(m.tables() == 3);
    o = unmap(m, 0, P);
    CHECK(o.freed_tables == 0);
    // The last pages: the L3 table is left empty, then its L2 table.
    o = unmap(m, 3 * P, M2);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.freed_tables == 2);
    CHECK(m.tables() == 1);
    CHECK(m.runs() == std::vector<Run>{run(0, 512 * G, 1, 0)});
    // A whole table's range: its subtree goes at once.
    REQUIRE(map(m, 0, M2, kRW, IDMAP_NO_BLOCK_MAPPINGS).status == IDMAP_OK);
    o = unmap(m, 0, G);
    CHECK(o.freed_tables == 2);
    CHECK(m.tables() == 1);
}

TEST_CASE("model: unmap of empty entries splits nothing and changes nothing", "[model]") {
    Model m(1);
    REQUIRE(map(m, 2 * G, 3 * G, kRW).status == IDMAP_OK);
    const std::vector<Run> before = m.runs();
    const Outcome o = unmap(m, P, 3 * P, 0);  // no page needed
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 0);
    CHECK_FALSE(o.changed);
    CHECK_FALSE(o.may_change);
    CHECK(m.runs() == before);
}

TEST_CASE("model: unmap on an active map", "[model]") {
    Model m(1);
    REQUIRE(map(m, G, 2 * G, kRW).status == IDMAP_OK);
    REQUIRE(map(m, 2 * G, 3 * G, IDMAP_ATTR_NORMAL).status == IDMAP_OK);  // invalid, not empty
    REQUIRE(m.activate().status == IDMAP_OK);
    // A valid block straddling an edge: break-before-make, nothing changed.
    const std::vector<Run> before = m.runs();
    Outcome o = unmap(m, G + P, G + 2 * P);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.region.start == G + P);
    CHECK(o.region.end == G + 2 * P);
    CHECK_FALSE(o.may_change);
    CHECK(m.runs() == before);
    CHECK(m.last_error().status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    // The whole block: no split, allowed.
    o = unmap(m, G, 2 * G);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.removed_valid);
    // An invalid block straddling an edge is split, live or not; its kept part keeps bits.
    o = unmap(m, 2 * G + P, 2 * G + 2 * P);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 2);
    CHECK_FALSE(o.removed_valid);
    CHECK(m.info((2 * G) / P).leaf == leaf(3, IDMAP_ATTR_NORMAL | IDMAP_ATTR_ACCESSED | kPageBit));
    CHECK(m.info((2 * G + P) / P).leaf == leaf(3, 0));
    CHECK(m.info((2 * G + M2) / P).leaf == leaf(2, IDMAP_ATTR_NORMAL | IDMAP_ATTR_ACCESSED));
}

TEST_CASE("model: unmap without the pages for its splits changes nothing", "[model]") {
    Model m(0);
    REQUIRE(map(m, G, 3 * G, kRW).status == IDMAP_OK);  // root + L1 table
    const std::vector<Run> before = m.runs();
    // Both blocks split at both levels: 4 tables.
    Outcome o = unmap(m, G + M2 + P, 2 * G + P, 3);
    CHECK(o.status == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(m.runs() == before);
    CHECK(m.tables() == 2);
    o = unmap(m, G + M2 + P, 2 * G + P, 4);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 4);
    CHECK(m.tables() == 6);
}

TEST_CASE("model: compact frees empty subtables bottom up", "[model]") {
    Model m(0);
    // A modify of one page of an empty map splits empty entries down to it: L1, L2 and L3
    // tables of zeros. The L1 table holds only the L2 table, which holds only the L3 one.
    std::vector<idmap_model::Call> calls;
    const idmap_model::ModifyFn nop = [](uint64_t, uint64_t, uint64_t&, unsigned) { return 0; };
    REQUIRE(m.modify_range(idmap_region_t{0, P}, nop, SIZE_MAX, calls).status == IDMAP_OK);
    REQUIRE(m.tables() == 4);
    REQUIRE(map(m, 600 * G, 600 * G + P, kRW).status == IDMAP_OK);  // another L1, L2, L3: not empty
    REQUIRE(m.tables() == 7);
    const Outcome o = m.compact();
    CHECK(o.freed_tables == 3);
    CHECK(m.tables() == 4);
    CHECK(m.implied_tables() == 4);
    CHECK(m.info(0).leaf == leaf(0, 0));
    CHECK(m.compact().freed_tables == 0);
}
