// Failure at every allocation point: for each operation below (map_range, modify_range,
// unmap_range splitting blocks that straddle its edges), on every root level, the
// operation is first run once to count the pages it takes (N); then, on a fresh map set up
// the same way, with an allocator that fails the k-th request, for every k in 1..N. Each
// such call must answer IDMAP_ERR_OUT_OF_MEMORY and leave every table byte (the full
// walk trace), idmap_table_count and the allocator's outstanding pages as they were,
// with no page freed twice; the harness (tests/model/harness.hpp) checks this and the
// model's view after every call. With k = N + 1 the call succeeds.
// IDMAP_PROPERTY_STATS=1 in the environment prints how many points were tried.
#include <catch2/catch.hpp>

#include "model/harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

namespace {

using idmap_model::CountingAllocator;
using idmap_model::Harness;
using idmap_model::ModifySpec;

constexpr uint64_t P = 0x1000;
constexpr uint64_t M = 1ull << 20;
constexpr uint64_t G = 1ull << 30;
constexpr uint64_t kRW = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL;

struct Scenario {
    const char* name;
    std::function<void(Harness&, uint64_t mid)> setup;
    std::function<void(Harness&, uint64_t mid)> op;
};

uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

// mid: the middle of the table, a boundary of an entry at every level below the root.
std::vector<Scenario> scenarios(uint64_t size) {
    const auto in = [size](uint64_t start, uint64_t end) {
        return idmap_region_t{clamp(start, 0, size), clamp(end, 0, size)};
    };
    // Before mid - d with wraparound kept inside the table.
    const auto below = [](uint64_t mid, uint64_t d) { return mid > d ? mid - d : 0; };
    ModifySpec swflag;
    swflag.set = IDMAP_ATTR_SWFLAG_0;
    ModifySpec swflag_fail = swflag;
    swflag_fail.fail_one_in = 3;
    swflag_fail.salt = 7;
    // Gives empty entries attributes: non-empty invalid entries, which unmap splits too.
    ModifySpec swflag_empty = swflag;
    swflag_empty.touch_empty = true;
    return {
        {"map a ragged range across every level boundary", [](Harness&, uint64_t) {},
         [in](Harness& h, uint64_t mid) { h.map_range(in(mid - 3 * P, mid + 5 * P), kRW, 0, false); }},
        {"map with NO_BLOCK_MAPPINGS", [](Harness&, uint64_t) {},
         [in, below](Harness& h, uint64_t mid) {
             h.map_range(in(below(mid, 2 * M + 3 * P), mid + 4 * M + 5 * P), kRW, IDMAP_NO_BLOCK_MAPPINGS, true);
         }},
        {"map filling tables that exist and adding more",
         [in](Harness& h, uint64_t mid) { h.map_range(in(mid - P, mid + P), kRW, 0, false); },
         [in, below](Harness& h, uint64_t mid) {
             h.map_range(in(below(mid, 3 * M), mid + 3 * M + P), kRW | IDMAP_ATTR_READ_ONLY, 0, false);
         }},
        {"map on an active map", [](Harness& h, uint64_t) { h.activate(); },
         [in](Harness& h, uint64_t mid) { h.map_range(in(mid - 3 * P, mid + 5 * P), kRW, 0, false); }},
        {"modify splitting valid blocks",
         [in, below](Harness& h, uint64_t mid) { h.map_range(in(below(mid, G), mid + G), kRW, 0, false); },
         [in, swflag](Harness& h, uint64_t mid) { h.modify_range(in(mid - 5 * P, mid + 3 * P), swflag); }},
        {"modify splitting blocks, callback failing on the way",
         [in, below](Harness& h, uint64_t mid) { h.map_range(in(below(mid, G), mid + G), kRW, 0, false); },
         [in, swflag_fail](Harness& h, uint64_t mid) { h.modify_range(in(mid - 5 * P, mid + 3 * P), swflag_fail); }},
        {"modify splitting invalid blocks on an active map",
         [in, below](Harness& h, uint64_t mid) {
             h.map_range(in(below(mid, G), mid + G), IDMAP_ATTR_NORMAL, 0, false);
             h.activate();
         },
         [in, swflag](Harness& h, uint64_t mid) { h.modify_range(in(mid - 5 * P, mid + 3 * P), swflag); }},
        {"unmap splitting valid blocks at both edges",
         [in, below](Harness& h, uint64_t mid) { h.map_range(in(below(mid, G), mid + G), kRW, 0, false); },
         [in](Harness& h, uint64_t mid) { h.unmap_range(in(mid - 5 * P, mid + 3 * P)); }},
        {"unmap splitting invalid blocks on an active map",
         [in, below](Harness& h, uint64_t mid) {
             h.map_range(in(below(mid, G), mid + G), IDMAP_ATTR_NORMAL, 0, false);
             h.activate();
         },
         [in](Harness& h, uint64_t mid) { h.unmap_range(in(mid - 5 * P, mid + 3 * P)); }},
        {"unmap splitting empty entries that a modify gave attributes",
         [in, below, swflag_empty](Harness& h, uint64_t mid) {
             h.modify_range(in(below(mid, G), mid + G), swflag_empty);
         },
         [in](Harness& h, uint64_t mid) { h.unmap_range(in(mid - 5 * P, mid + 3 * P)); }},
        {"unmap splitting blocks and freeing page tables in one call",
         [in, below](Harness& h, uint64_t mid) {
             h.map_range(in(below(mid, G), mid + G), kRW, 0, false);
             h.map_range(in(below(mid, 2 * M), mid + 2 * M), kRW, IDMAP_NO_BLOCK_MAPPINGS, true);
         },
         [in, below](Harness& h, uint64_t mid) {
             h.unmap_range(in(below(mid, 2 * M + 3 * P), mid + 2 * M + 5 * P));
         }},
    };
}

size_t g_points = 0;

void fail_every_allocation(unsigned root_level) {
    const uint64_t size = idmap_model::table_bytes(root_level);
    const uint64_t mid = size / 2;
    for (const Scenario& s : scenarios(size)) {
        INFO("root level " << root_level << ": " << s.name);
        // Learn N.
        size_t pages = 0;
        {
            Harness h(root_level);
            s.setup(h, mid);
            REQUIRE(h.ok());
            const size_t before = h.allocator().requests();
            s.op(h, mid);
            INFO(h.failure());
            REQUIRE(h.ok());
            pages = h.allocator().requests() - before;
            REQUIRE(h.finish());
        }
        if (root_level < 3) {
            REQUIRE(pages > 0);  // each scenario needs a table somewhere
        }
        for (size_t k = 1; k <= pages + 1; ++k) {
            INFO("failing request " << k << " of " << pages);
            Harness h(root_level);
            s.setup(h, mid);
            REQUIRE(h.ok());
            const size_t oom_before = h.stats().by_status[IDMAP_ERR_OUT_OF_MEMORY];
            h.fail_request(k);
            s.op(h, mid);
            INFO(h.failure());
            REQUIRE(h.ok());  // the model predicts OUT_OF_MEMORY for k <= N, and no change
            const bool oom = h.stats().by_status[IDMAP_ERR_OUT_OF_MEMORY] == oom_before + 1;
            REQUIRE(oom == (k <= pages));
            if (k <= pages) {
                REQUIRE(idmap_last_error(h.map())->status == IDMAP_ERR_OUT_OF_MEMORY);
                ++g_points;
            }
            REQUIRE(h.finish());
            REQUIRE(h.allocator().bad_frees() == 0);
        }
    }
}

}  // namespace

TEST_CASE("idmap_new_with_allocator without a root page returns NULL and keeps no page", "[alloc-failure]") {
    for (unsigned root_level = 0; root_level <= 3; ++root_level) {
        CountingAllocator alloc;
        const idmap_allocator_t c = alloc.c_allocator();
        alloc.fail_request(1);
        REQUIRE(idmap_new_with_allocator(1, root_level, &c) == nullptr);
        REQUIRE(alloc.requests() == 1);
        REQUIRE(alloc.outstanding() == 0);
        ++g_points;
    }
}

TEST_CASE("every allocation failure leaves the tables as they were, root level 0", "[alloc-failure]") {
    fail_every_allocation(0);
}

TEST_CASE("every allocation failure leaves the tables as they were, root level 1", "[alloc-failure]") {
    fail_every_allocation(1);
}

TEST_CASE("every allocation failure leaves the tables as they were, root level 2", "[alloc-failure]") {
    fail_every_allocation(2);
}

TEST_CASE("every allocation failure leaves the tables as they were, root level 3", "[alloc-failure]") {
    fail_every_allocation(3);
    if (std::getenv("IDMAP_PROPERTY_STATS") != nullptr) {
        std::printf("allocation failure points tried: %zu\n", g_points);
    }
}
