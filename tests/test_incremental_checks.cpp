// The pieces the model harness checks a call with (tests/model/harness.hpp): it looks
// only at the pages a call changed, so each piece must find every change. PageRanges keeps
// a set of pages; the walker's walk of a set must be the whole walk cut to it; the copy of
// the tables (TableMirror) must see a change to any entry of any table, and a table given
// back; the model must say which pages it wrote.
#include <catch2/catch.hpp>

#include "model/allocator.hpp"
#include "model/harness.hpp"
#include "model/mirror.hpp"
#include "model/model.hpp"
#include "model/page_ranges.hpp"
#include "model/walker.hpp"

#include <vector>

namespace {

using idmap_model::PageRanges;
using idmap_model::Run;
using idmap_model::TreeWalk;

std::vector<PageRanges::Range> ranges(std::initializer_list<PageRanges::Range> r) { return r; }

// The runs of a whole walk cut to the pages of set, as a walk of set gives them.
std::vector<Run> cut(const std::vector<Run>& whole, const PageRanges& set) {
    std::vector<Run> out;
    for (const Run& r : whole) {
        set.each_in(r.first, r.end, [&](uint64_t a, uint64_t b) { idmap_model::append_run(out, a, b, r.leaf); });
    }
    return out;
}

}  // namespace

TEST_CASE("PageRanges keeps sorted, disjoint, non-adjacent ranges", "[model][incremental]") {
    PageRanges p;
    p.add(10, 20);
    p.add(30, 40);
    p.add(5, 5);  // empty: nothing
    CHECK(p.ranges() == ranges({{10, 20}, {30, 40}}));
    p.add(20, 25);  // adjacent: merged
    CHECK(p.ranges() == ranges({{10, 25}, {30, 40}}));
    p.add(0, 2);  // before all
    CHECK(p.ranges() == ranges({{0, 2}, {10, 25}, {30, 40}}));
    p.add(24, 31);  // bridges two
    CHECK(p.ranges() == ranges({{0, 2}, {10, 40}}));
    p.add(1, 50);  // covers all
    CHECK(p.ranges() == ranges({{0, 50}}));
    CHECK(p.overlaps(49, 60));
    CHECK_FALSE(p.overlaps(50, 60));
    std::vector<PageRanges::Range> seen;
    p.each_in(40, 70, [&](uint64_t a, uint64_t b) { seen.emplace_back(a, b); });
    CHECK(seen == ranges({{40, 50}}));
}

TEST_CASE("the walker's walk of a set of pages is its whole walk cut to them", "[model][incremental]") {
    for (unsigned root = 0; root < 4; ++root) {
        idmap_model::Harness h(root);
        const idmap_model::Zones zones(h);
        idmap_model::SplitMix rng{0x5e7 + root};
        for (unsigned i = 0; i < 60 && h.ok(); ++i) {
            (void)idmap_model::random_op(h, rng, zones, false, idmap_model::OpSet::Extended);
        }
        REQUIRE(h.ok());
        const idmap_model::Walker walker(idmap_root_address(h.map()), root,
                                         [&h](uint64_t pa) { return h.allocator().is_live(pa); });
        const TreeWalk whole = walker.walk();
        REQUIRE(whole.violations.empty());
        const uint64_t pages = idmap_model::table_bytes(root) >> idmap_model::kPageShift;
        for (unsigned k = 0; k < 50; ++k) {
            PageRanges set;
            for (unsigned r = 0; r < 1 + rng.below(4); ++r) {
                // Mostly near the zones' mappings, sometimes anywhere (a few pages or many).
                const uint64_t first = rng.below(2) == 0 ? (zones.base[rng.below(3)] >> idmap_model::kPageShift) +
                                                               rng.below(4096)
                                                         : rng.below(pages);
                set.add(first, std::min(pages, first + 1 + rng.below(rng.below(2) == 0 ? 600 : pages / 8 + 1)));
            }
            const TreeWalk part = walker.walk(set);
            INFO("root level " << root << ", set " << k);
            CHECK(part.violations.empty());
            CHECK(part.runs == cut(whole.runs, set));
            // Every table it reached is one of the whole walk's.
            for (const uint64_t pa : part.tables) {
                CHECK(std::binary_search(whole.reached.begin(), whole.reached.end(), pa));
            }
        }
    }
}

TEST_CASE("the copy of the tables sees a change to any entry, and a table given back", "[model][incremental]") {
    idmap_model::Harness h(1);
    const uint64_t P = 0x1000, M2 = 0x200000, G = 0x40000000;
    // A level-2 table below root entry 1 and two level-3 tables below it.
    idmap_region_t r{G + M2 - 4 * P, G + M2 + 4 * P};
    REQUIRE(h.map_range(r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID, 0, false));
    const idmap_model::Walker walker(idmap_root_address(h.map()), 1,
                                     [&h](uint64_t pa) { return h.allocator().is_live(pa); });
    const TreeWalk w = walker.walk();
    REQUIRE(w.tables.size() == 4);
    idmap_model::TableMirror mirror;
    mirror.replace({}, w.table_pages, w.reached);
    const auto live = [&h](uint64_t pa) { return h.allocator().is_live(pa); };
    PageRanges changed;
    mirror.changed(live, changed);
    CHECK(changed.empty());
    for (const idmap_model::TablePage& t : w.table_pages) {
        for (const unsigned i : {0u, 137u, 511u}) {
            auto* entries = reinterpret_cast<uint64_t*>(static_cast<uintptr_t>(t.pa));
            const uint64_t was = entries[i];
            entries[i] ^= uint64_t{1} << 58;  // an ignored bit: any change counts
            changed.clear();
            mirror.changed(live, changed);
            entries[i] = was;
            const uint64_t n = idmap_model::level_pages(t.level);
            const uint64_t first = (t.base >> idmap_model::kPageShift) + i * n;
            INFO("table at level " << t.level << ", entry " << i);
            CHECK(changed.ranges() == ranges({{first, first + n}}));
        }
    }
    // Given back (as far as the allocator knows): its whole range.
    const idmap_model::TablePage& leaf = w.table_pages.back();
    changed.clear();
    mirror.changed([&](uint64_t pa) { return pa != leaf.pa && live(pa); }, changed);
    const uint64_t base = leaf.base >> idmap_model::kPageShift;
    CHECK(changed.ranges() == ranges({{base, base + 512}}));
}

TEST_CASE("the model says which pages a call wrote", "[model][incremental]") {
    idmap_model::Model m(1);
    const uint64_t P = 0x1000, G = 0x40000000;
    REQUIRE(m.map_range(idmap_region_t{G + 3 * P, G + 9 * P}, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID, 0, SIZE_MAX)
                .status == IDMAP_OK);
    // The pages mapped, and the entries split on the way: the 1 GiB and 2 MiB entries.
    CHECK(m.touched().overlaps((G >> 12) + 3, (G >> 12) + 9));
    CHECK_FALSE(m.touched().overlaps(0, G >> 12));
    m.clear_touched();
    CHECK(m.touched().empty());
    // A call refused changes nothing, and says so.
    CHECK(m.map_range(idmap_region_t{G, G + P}, uint64_t{1} << 20, 0, SIZE_MAX).status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(m.touched().empty());
}
