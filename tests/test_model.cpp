// The reference model's unmap_range, compact, walk_runs and change_attributes on their
// own, against expectations worked out by hand from the contract (idmap.h): the property
// tests check the library against the model, these check the model, so that the two
// cannot agree on a mistake in the cases the contract spells out.
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
    // Invalid, not empty: the flags alone, output address 0 (contract 1.1).
    REQUIRE(map(m, 2 * G, 3 * G, IDMAP_ATTR_NORMAL).status == IDMAP_OK);
    REQUIRE(m.activate().status == IDMAP_OK);
    // A valid block straddling an edge: break-before-make, nothing changed.
    const std::vector<Run> before = m.runs();
    Outcome o = unmap(m, G + P, G + 2 * P);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.region.start == G);  // the live block's region (contract 1.1)
    CHECK(o.region.end == 2 * G);
    CHECK_FALSE(o.may_change);
    CHECK(m.runs() == before);
    CHECK(m.last_error().status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    // The whole block: no split, allowed.
    o = unmap(m, G, 2 * G);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.removed_valid);
    // An invalid block straddling an edge is split, live or not; its kept part keeps bits,
    // and each page its translation (output address = its offset in the block).
    o = unmap(m, 2 * G + P, 2 * G + 2 * P);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 2);
    CHECK_FALSE(o.removed_valid);
    Leaf page = leaf(3, IDMAP_ATTR_NORMAL | kPageBit);
    page.delta = 0 - 2 * G;
    Leaf block = leaf(2, IDMAP_ATTR_NORMAL);
    block.delta = 0 - 2 * G;
    CHECK(m.info((2 * G) / P).leaf == page);
    CHECK(m.info((2 * G + P) / P).leaf == leaf(3, 0));
    CHECK(m.info((2 * G + M2) / P).leaf == block);
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

// ---- Maps of idmap_new_with_config (ModelConfig): worked out by hand from idmap.h.

namespace {

idmap_model::ModelConfig upper_config(uint64_t pa_offset) {
    idmap_model::ModelConfig c;
    c.upper = true;
    c.pa_offset = pa_offset;
    return c;
}

}  // namespace

TEST_CASE("model: the upper range's regions, in real addresses, end 0 for 2^64", "[model]") {
    // Root level 1: [2^64 - 512 GiB, 2^64), mapping [0, 512 GiB): pa_offset 2^39, delta 0.
    const uint64_t start = 0xffff'ff80'0000'0000;
    Model m(1, upper_config(uint64_t{1} << 39));
    CHECK(m.range_start() == start);
    CHECK(m.delta() == 0);
    // The top 2 MiB: a block at level 2 (entry 511 of the L2 table below L1 entry 511).
    Outcome o = map(m, 0 - M2, 0, kRW);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 1);
    const uint64_t size = uint64_t{1} << 39;
    CHECK(m.runs() == std::vector<Run>{run(0, size - G, 1, 0), run(size - G, size - M2, 2, 0),
                                       run(size - M2, size, 2, kRW | IDMAP_ATTR_ACCESSED)});
    // A start of 0 is address 0, below the range; a region below it is reported at its start.
    o = map(m, 0, 0, kRW);
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == 0);
    o = map(m, P, 2 * P, kRW);
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == P);
    o = map(m, start - P, start + P, kRW);
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == start - P);
    o = map(m, start, UINT64_MAX - 4, kRW);  // rounding would pass 2^64
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == UINT64_MAX - 4);
    o = map(m, 0 - P, 0 - 2 * P, kRW);
    CHECK(o.status == IDMAP_ERR_REGION_BACKWARDS);
    CHECK(o.region.start == 0 - P);
    CHECK(o.region.end == 0 - 2 * P);
    // Active: a retype of the live block is break-before-make, region in real addresses.
    REQUIRE(m.activate().status == IDMAP_OK);
    o = map(m, 0 - M2, 0, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.region.start == 0 - M2);
    CHECK(o.region.end == 0);
}

TEST_CASE("model: a linear map's leaves map input + pa_offset, blocks only where it is aligned", "[model]") {
    idmap_model::ModelConfig c;
    c.pa_offset = M2;  // 2 MiB: no 1 GiB block
    Model m(1, c);
    Outcome o = map(m, 0, G, kRW);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 1);
    Leaf block = leaf(2, kRW | IDMAP_ATTR_ACCESSED);
    block.delta = M2;
    CHECK(m.runs() == std::vector<Run>{Run{0, G / P, block}, run(G, 512 * G, 1, 0)});
    // An output below 0 (a negative offset): ADDRESS_RANGE at the start.
    c.pa_offset = 0 - G;
    Model down(1, c);
    o = map(down, G - P, G + P, kRW);
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == G - P);
    CHECK(map(down, G, 2 * G, kRW).status == IDMAP_OK);
    // modify makes valid only an entry mapping its own output address (G + offset = 0).
    std::vector<idmap_model::Call> calls;
    const idmap_model::ModifyFn invalidate = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits &= ~IDMAP_ATTR_VALID;
        return 0;
    };
    const idmap_model::ModifyFn validate = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits |= IDMAP_ATTR_VALID;
        return 0;
    };
    const idmap_model::ModifyFn elsewhere = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits = (bits | IDMAP_ATTR_VALID) + G;  // another output address
        return 0;
    };
    REQUIRE(down.modify_range(idmap_region_t{G, 2 * G}, invalidate, SIZE_MAX, calls).status == IDMAP_OK);
    CHECK(down.modify_range(idmap_region_t{G, 2 * G}, validate, SIZE_MAX, calls).status == IDMAP_OK);
    REQUIRE(down.modify_range(idmap_region_t{G, 2 * G}, invalidate, SIZE_MAX, calls).status == IDMAP_OK);
    o = down.modify_range(idmap_region_t{G, 2 * G}, elsewhere, SIZE_MAX, calls);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (IDMAP_ATTR_VALID | G));  // the address bit changed, and VALID
}

TEST_CASE("model: map_range_to maps elsewhere, blocks where pa and va are alike, checks pa in order", "[model]") {
    Model m(1);
    const auto to = [&m](uint64_t start, uint64_t end, uint64_t pa, uint64_t flags, bool bbm = false) {
        return m.map_range_to(idmap_region_t{start, end}, pa, flags, 0, SIZE_MAX, bbm);
    };
    const uint64_t mapped = kRW | IDMAP_ATTR_ACCESSED;
    const auto at = [](unsigned level, uint64_t attrs, uint64_t delta) {
        Leaf l = leaf(level, attrs);
        l.delta = delta;
        return l;
    };
    // Alike modulo 1 GiB: a 1 GiB block; modulo 2 MiB only: 2 MiB blocks; else pages.
    CHECK(to(G, 2 * G, 5 * G, kRW).status == IDMAP_OK);
    CHECK(to(2 * G, 2 * G + 2 * M2, 9 * G + M2, kRW).status == IDMAP_OK);
    CHECK(to(3 * G, 3 * G + 2 * P, 3 * G + M2 + P, kRW).status == IDMAP_OK);
    CHECK(m.runs() == std::vector<Run>{run(0, G, 1, 0), Run{G / P, 2 * G / P, at(1, mapped, 4 * G)},
                                       Run{2 * G / P, (2 * G + 2 * M2) / P, at(2, mapped, 7 * G + M2)},
                                       run(2 * G + 2 * M2, 3 * G, 2, 0),
                                       Run{3 * G / P, (3 * G + 2 * P) / P, at(3, mapped | kPageBit, M2 + P)},
                                       run(3 * G + 2 * P, 3 * G + M2, 3, 0), run(3 * G + M2, 4 * G, 2, 0),
                                       run(4 * G, 512 * G, 1, 0)});
    // pa is the first page's: a ragged start's byte maps as far into pa's page.
    CHECK(to(4 * G + 0x123, 4 * G + P, 0x7123, kRW).status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(to(4 * G + 0x123, 4 * G + P, 0x7000, kRW).status == IDMAP_OK);
    CHECK(m.info(4 * G / P).leaf == at(3, mapped | kPageBit, 0x7000 - 4 * G));
    // Checked after the flags, before the output range: value the reason, the page in KiB.
    Outcome o = to(0, P, 0x5000 + 1, kRW | (uint64_t{1} << 12));
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    o = to(0, P, (uint64_t{1} << 48) + 1, kRW);
    CHECK(o.status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(o.va == (uint64_t{1} << 48) + 1);
    CHECK(o.value == (IDMAP_ARG_PA_PAGE_OFFSET | (4u << 16)));
    o = to(P, 3 * P, (uint64_t{1} << 48) - P, kRW);
    CHECK(o.status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(o.va == P);
    CHECK(o.output_range_error);
    CHECK(to(P, 3 * P, (uint64_t{1} << 48) - 2 * P, kRW).status == IDMAP_OK);
    // Live: another output address breaks (the block's region); with bbm it is made.
    REQUIRE(m.activate().status == IDMAP_OK);
    o = to(G, 2 * G, 6 * G, kRW);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_OUTPUT_ADDRESS);
    CHECK(o.region.start == G);
    CHECK(o.region.end == 2 * G);
    CHECK(to(G, 2 * G, 5 * G, kRW).status == IDMAP_OK);  // as it is: no change
    CHECK(to(G, 2 * G, 6 * G, kRW, true).status == IDMAP_OK);
    CHECK(m.info(G / P).leaf == at(1, mapped, 5 * G));
    // A block that maps its part as asked is not split, at its own delta.
    o = to(G + P, G + 2 * P, 6 * G + P, kRW);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 0);
}

TEST_CASE("model: EL2 and EL3 refuse USER, nG and PXN and set AP[1]", "[model]") {
    idmap_model::ModelConfig c;
    c.one_privilege_level = true;
    Model m(1, c);
    // kRW has nG: refused beside USER and the contract's TABLE_OR_PAGE.
    Outcome o = map(m, 0, P, kRW | IDMAP_ATTR_USER | IDMAP_ATTR_TABLE_OR_PAGE);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_USER | IDMAP_ATTR_TABLE_OR_PAGE));
    o = map(m, 0, P, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_EXECUTE_NEVER);  // PXN and UXN
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (uint64_t{1} << 53));
    const uint64_t rw = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_XN;
    REQUIRE(map(m, 0, P, rw).status == IDMAP_OK);
    CHECK(m.info(0).leaf == leaf(3, rw | IDMAP_ATTR_ACCESSED | kPageBit | IDMAP_ATTR_USER));
    std::vector<idmap_model::Call> calls;
    const idmap_model::ModifyFn clear_ap1 = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits &= ~IDMAP_ATTR_USER;
        return 0;
    };
    const idmap_model::ModifyFn set_ng = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits |= IDMAP_ATTR_NON_GLOBAL;
        return 0;
    };
    const idmap_model::ModifyFn clear_both = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits &= ~(IDMAP_ATTR_USER | IDMAP_ATTR_VALID);
        return 0;
    };
    o = m.modify_range(idmap_region_t{0, P}, clear_ap1, SIZE_MAX, calls);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == IDMAP_ATTR_USER);
    o = m.modify_range(idmap_region_t{0, P}, set_ng, SIZE_MAX, calls);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == IDMAP_ATTR_NON_GLOBAL);
    CHECK(m.modify_range(idmap_region_t{0, P}, clear_both, SIZE_MAX, calls).status == IDMAP_OK);
}

namespace {

using idmap_model::Call;

constexpr uint64_t kBlock = kRW | IDMAP_ATTR_ACCESSED;  // what map_range writes
constexpr uint64_t kPage = kBlock | kPageBit;

std::vector<Call> runs_of(Model& m, uint64_t start, uint64_t end, size_t stop_at = 0,
                          idmap_status_t want = IDMAP_OK) {
    std::vector<Call> runs;
    const Outcome o = m.walk_runs(idmap_region_t{start, end}, stop_at, runs);
    CHECK(o.status == want);
    CHECK(!o.may_change);
    return runs;
}

}  // namespace

TEST_CASE("model: walk_runs merges leaves of one level, valid and consecutive or invalid and alike", "[model]") {
    Model m(1);
    // Two 2 MiB blocks at level 2, then two pages at 4 MiB, the rest of their table empty.
    REQUIRE(map(m, 0, 2 * M2, kRW).status == IDMAP_OK);
    REQUIRE(map(m, 2 * M2, 2 * M2 + 2 * P, kRW).status == IDMAP_OK);
    // From P: the first run is the whole of its first leaf's region, from 0; the last
    // ends with the leaf holding the range's last address (the L2 entry [6M, 8M)).
    CHECK(runs_of(m, P, 4 * M2) == std::vector<Call>{
                                       {0, 2 * M2, kBlock, 2},                       // both blocks
                                       {2 * M2, 2 * M2 + 2 * P, 2 * M2 | kPage, 3},  // both pages
                                       {2 * M2 + 2 * P, 3 * M2, 0, 3},               // their table's empty pages
                                       {3 * M2, 4 * M2, 0, 2},                       // an empty L2 entry
                                   });
    // Stopped at the second run: PTE_UPDATE_FAULT, value its first descriptor.
    const std::vector<Call> stopped = runs_of(m, 0, 4 * M2, 2, IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(stopped.size() == 2);
    CHECK(m.last_error().value == (2 * M2 | kPage));
    // An empty range: no run.
    CHECK(runs_of(m, M2, M2).empty());

    // Without VALID, pages get the flags alone, output address 0 each: alike, one run.
    REQUIRE(map(m, G, G + 4 * P, IDMAP_ATTR_NORMAL).status == IDMAP_OK);
    CHECK(runs_of(m, G, G + 8 * P) ==
          std::vector<Call>{{G, G + 4 * P, IDMAP_ATTR_NORMAL, 3}, {G + 4 * P, G + 8 * P, 0, 3}});
    // Valid pages made invalid keep their addresses: no two alike, a run each.
    REQUIRE(map(m, 2 * G, 2 * G + 3 * P, kRW).status == IDMAP_OK);
    std::vector<Call> calls;
    const idmap_model::ModifyFn invalidate = [](uint64_t, uint64_t, uint64_t& bits, unsigned) {
        bits &= ~IDMAP_ATTR_VALID;
        return 0;
    };
    REQUIRE(m.modify_range(idmap_region_t{2 * G, 2 * G + 3 * P}, invalidate, SIZE_MAX, calls).status == IDMAP_OK);
    const uint64_t off = kPage & ~IDMAP_ATTR_VALID;
    CHECK(runs_of(m, 2 * G, 2 * G + 3 * P) == std::vector<Call>{{2 * G, 2 * G + P, 2 * G | off, 3},
                                                                {2 * G + P, 2 * G + 2 * P, (2 * G + P) | off, 3},
                                                                {2 * G + 2 * P, 2 * G + 3 * P, (2 * G + 2 * P) | off, 3}});
    // Bad regions answer as walk_range does.
    CHECK(runs_of(m, 2 * P, P, 0, IDMAP_ERR_REGION_BACKWARDS).empty());
    CHECK(runs_of(m, 0, 513 * G, 0, IDMAP_ERR_ADDRESS_RANGE).empty());
}

TEST_CASE("model: change_attributes checks its masks whole, then changes valid leaves only", "[model]") {
    Model m(1);
    REQUIRE(map(m, 0, 2 * M2, kRW).status == IDMAP_OK);        // two blocks
    REQUIRE(map(m, G, G + 2 * P, IDMAP_ATTR_NORMAL).status == IDMAP_OK);  // invalid pages with flags
    // VALID, bit 52 and an address bit refused, from either mask, before the region.
    Outcome o = m.change_attributes(idmap_region_t{0, 513 * G}, IDMAP_ATTR_VALID | (uint64_t{1} << 52),
                                    uint64_t{1} << 12, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (IDMAP_ATTR_VALID | (uint64_t{1} << 52) | (uint64_t{1} << 12)));
    CHECK_FALSE(o.may_change);
    o = m.change_attributes(idmap_region_t{0, P}, IDMAP_ATTR_SWFLAG_0, ~uint64_t{0}, SIZE_MAX);  // not all zero
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (Model::kRefusedFlags | IDMAP_ATTR_VALID));
    // Read-only from P: the first block split at the range's start, the second whole;
    // the invalid pages keep their bits.
    o = m.change_attributes(idmap_region_t{P, G + 2 * P}, IDMAP_ATTR_READ_ONLY, IDMAP_ATTR_NON_GLOBAL, SIZE_MAX);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 1);
    const uint64_t ro = (kBlock | IDMAP_ATTR_READ_ONLY) & ~IDMAP_ATTR_NON_GLOBAL;
    CHECK(runs_of(m, 0, 2 * M2) == std::vector<Call>{{0, P, kPage, 3}, {P, M2, P | ro | kPageBit, 3}, {M2, 2 * M2, M2 | ro, 2}});
    CHECK(m.info(G / P).leaf.attrs == IDMAP_ATTR_NORMAL);
    // Live: setting nG back is allowed, changing the memory type is not (the rule).
    REQUIRE(m.activate().status == IDMAP_OK);
    CHECK(m.change_attributes(idmap_region_t{M2, 2 * M2}, IDMAP_ATTR_NON_GLOBAL, 0, SIZE_MAX).status == IDMAP_OK);
    o = m.change_attributes(idmap_region_t{M2, 2 * M2}, 0, uint64_t{3} << 8, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_MEMORY_TYPE);
    CHECK(o.region.start == M2);
    CHECK(o.region.end == 2 * M2);
    // Nor may it split a live block.
    o = m.change_attributes(idmap_region_t{M2 + P, 2 * M2}, IDMAP_ATTR_SWFLAG_1, 0, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_SPLIT);
    // set 0, clear ~0: the leaves become empty, live or not.
    CHECK(m.change_attributes(idmap_region_t{M2, 2 * M2}, 0, ~uint64_t{0}, SIZE_MAX).status == IDMAP_OK);
    CHECK(m.info(M2 / P).leaf == leaf(2, 0));
}

TEST_CASE("model: change_attributes refuses the regime's bits in either mask", "[model]") {
    idmap_model::ModelConfig c;
    c.one_privilege_level = true;  // EL2, EL3: USER (RES1 AP[1]), nG and PXN
    Model m(1, c);
    Outcome o = m.change_attributes(idmap_region_t{0, P}, IDMAP_ATTR_READ_ONLY, IDMAP_ATTR_USER, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == IDMAP_ATTR_USER);
    o = m.change_attributes(idmap_region_t{0, P}, IDMAP_ATTR_EXECUTE_NEVER, IDMAP_ATTR_NON_GLOBAL, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == (IDMAP_ATTR_PXN | IDMAP_ATTR_NON_GLOBAL));
    CHECK(m.change_attributes(idmap_region_t{0, P}, IDMAP_ATTR_XN, 0, SIZE_MAX).status == IDMAP_OK);
    // Stage 2: nG, GP and XN[0] (without FEAT_XNX).
    idmap_model::ModelConfig s2;
    s2.stage2 = true;
    s2.size_bits = 40;
    Model m2(1, s2);
    o = m2.change_attributes(idmap_region_t{0, P}, uint64_t{1} << 50, uint64_t{1} << 53, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(o.value == ((uint64_t{1} << 50) | (uint64_t{1} << 53)));
    s2.xnx = true;
    Model xnx(1, s2);
    CHECK(xnx.change_attributes(idmap_region_t{0, P}, uint64_t{1} << 53, 0, SIZE_MAX).status == IDMAP_OK);
}

TEST_CASE("model: live splits split a live block, every other rule still refuses", "[model][live_splits]") {
    Model none(1);  // no FEAT_BBM
    CHECK(none.set_live_splits(true).status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(none.last_error().value == IDMAP_ARG_NO_BBM);
    CHECK_FALSE(none.live_splits());
    CHECK(none.set_live_splits(false).status == IDMAP_OK);

    idmap_model::ModelConfig config;
    config.bbm = 1;
    Model m(1, config);
    REQUIRE(map(m, G, G + 2 * M2, kRW).status == IDMAP_OK);
    REQUIRE(m.activate().status == IDMAP_OK);
    const uint64_t ro = kRW | IDMAP_ATTR_READ_ONLY;
    Outcome o = map(m, G + P, G + 2 * P, ro);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_SPLIT);
    REQUIRE(m.set_live_splits(true).status == IDMAP_OK);
    o = map(m, G + P, G + 2 * P, ro);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.new_tables == 1);
    CHECK(o.live_splits == 1);
    CHECK(m.info((G + P) / P).leaf == leaf(3, ro | IDMAP_ATTR_ACCESSED | kPageBit));
    // Below the split a memory type change still breaks: refused at its page.
    const std::vector<Run> before = m.runs();
    o = map(m, G + M2 + P, G + M2 + 2 * P, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_MEMORY_TYPE);
    CHECK(o.region.start == G + M2 + P);
    CHECK(o.region.end == G + M2 + 2 * P);
    CHECK(m.runs() == before);
    o = unmap(m, G + M2 + P, G + M2 + 2 * P);
    CHECK(o.status == IDMAP_OK);
    CHECK(o.live_splits == 1);
    CHECK(m.info((G + M2 + P) / P).leaf == leaf(3, 0));
}

TEST_CASE("model: live splits leave a block of a live contiguous group whole", "[model][live_splits]") {
    idmap_model::ModelConfig config;
    config.bbm = 1;
    Model m(1, config);
    m.set_contiguous_hint(true);
    REQUIRE(map(m, G, G + 16 * M2, kRW).status == IDMAP_OK);  // one group of 16 blocks
    REQUIRE(m.info(G / P).contig);
    REQUIRE(m.set_live_splits(true).status == IDMAP_OK);
    REQUIRE(m.activate().status == IDMAP_OK);
    const std::vector<Run> before = m.runs();
    Outcome o = m.change_attributes(idmap_region_t{G + M2 + P, G + M2 + 2 * P}, IDMAP_ATTR_READ_ONLY, 0, SIZE_MAX);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_CONTIGUOUS);
    CHECK(o.region.start == G + M2);  // the block's region
    CHECK(o.region.end == G + 2 * M2);
    o = unmap(m, G + M2 + P, G + M2 + 2 * P);
    CHECK(o.status == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(o.value == IDMAP_BBM_CONTIGUOUS);
    CHECK(m.runs() == before);
}
