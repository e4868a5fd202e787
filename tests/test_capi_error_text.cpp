// What a C caller reads when a call fails: idmap_format_error() of the error each mistake
// leaves (idmap_last_error(), or idmap_new_error() for a constructor), checked as text.
// Each case is a mistake a newcomer makes; the line must say what happened and what to do.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <cstring>
#include <string>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

std::string text(const idmap_error_t* e) {
    char buf[512];
    const size_t n = idmap_format_error(e, buf, sizeof buf);
    REQUIRE(n < sizeof buf);
    return buf;
}

std::string last(const Map& m) { return text(idmap_last_error(m.get())); }

// What the constructor said when it answered NULL.
std::string refused(const idmap_config_t* c) {
    REQUIRE(idmap_new_with_config(c) == nullptr);
    return text(idmap_new_error());
}

// A page allocator that fails after `pages` pages, or hands out `bad` once.
struct Budget {
    size_t pages;
    void* bad = nullptr;
};
void* budget_alloc(void* ctx) {
    auto* b = static_cast<Budget*>(ctx);
    if (b->bad != nullptr) {
        return b->bad;
    }
    if (b->pages == 0) {
        return nullptr;
    }
    --b->pages;
    return std::aligned_alloc(kPage, kPage);
}
void budget_free(void* ctx, void* page) {
    if (page != static_cast<Budget*>(ctx)->bad) {
        std::free(page);
    }
}

}  // namespace

TEST_CASE("a constructor that answers NULL says why", "[error-text]") {
    CHECK(refused(nullptr) == "invalid argument: a NULL pointer where the call needs one");
    idmap_config_t c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0, 7);
    CHECK(refused(&c) == "invalid argument: root level 7 is not one of 0 to 3");
    c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x12345);
    CHECK(refused(&c) == "invalid argument: ASID 0x12345 is wider than 16 bits");
    c = config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 3);
    CHECK(refused(&c) == "invalid argument: ASID 0x3 for EL2, which has no ASIDs: use 0");
    c = config(IDMAP_REGIME_EL3, IDMAP_VA_RANGE_UPPER);
    CHECK(refused(&c) == "invalid argument: EL3 has no upper VA range (TTBR1): use the lower one");
    c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER);
    const int bad_regime = 9;
    std::memcpy(&c.regime, &bad_regime, sizeof bad_regime);
    CHECK(refused(&c) == "invalid argument: 9 is no idmap_regime_t");
    CHECK(idmap_new_error()->value == (IDMAP_ARG_REGIME | (uint64_t{9} << 16)));
    c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER);
    c.pa_offset = 0x1800;
    CHECK(refused(&c) == "invalid argument: pa_offset 0x1800 is not a multiple of the 4 KiB page: a page maps to "
                         "a page-aligned output address, so the offset must be whole pages");

    const idmap_allocator_t incomplete{&budget_alloc, nullptr, nullptr};
    c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER);
    c.allocator = &incomplete;
    CHECK(refused(&c) == "invalid argument: the allocator lacks alloc_page or free_page");

    Budget none{0};
    const idmap_allocator_t empty{&budget_alloc, &budget_free, &none};
    c.allocator = &empty;
    CHECK(refused(&c) == "out of memory: the call needed 1 table page, the allocator gave 0; a board's pool "
                         "holds IDMAP_POOL_PAGES pages");
    alignas(4096) static char pages[2 * 4096];
    Budget misaligned{1, pages + 8};
    const idmap_allocator_t odd{&budget_alloc, &budget_free, &misaligned};
    c.allocator = &odd;
    REQUIRE(idmap_new_with_config(&c) == nullptr);
    CHECK(idmap_new_error()->va == reinterpret_cast<uintptr_t>(pages + 8));
    CHECK(text(idmap_new_error()).find(", which cannot be a table (not page-aligned") != std::string::npos);
}

TEST_CASE("enable_mmu says which map and which CPU state do not fit", "[error-text]") {
    fake::reset();
    fake::registers().current_el = 2;
    Map el1 = new_map(0, 1);
    CHECK(idmap_enable_mmu(el1.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(last(el1) == "invalid argument: the map is for EL1&0, the CPU runs in EL2");
    fake::reset();

    Map lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 2));
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1));
    CHECK(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(last(lower) == "invalid argument: lower ASID 2, upper ASID 1: TTBR0's ASID tags both ranges' entries "
                         "(TCR.A1 = 0), so they must be equal");
    Map upper2 = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 2));
    CHECK(idmap_enable_mmu_split(upper2.get(), lower.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(last(upper2) == "invalid argument: the lower map is of the upper (TTBR1) VA range, the upper map of "
                          "the lower (TTBR0): swapped?");

    Map wide = new_map(0x1234, 1);
    fake::registers().id_aa64mmfr0_el1 &= ~uint64_t{0xf0};  // ASIDBits: 8
    CHECK(idmap_enable_mmu(wide.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(last(wide) ==
          "invalid argument: ASID 0x1234 is wider than 8 bits, the CPU's (ID_AA64MMFR0_EL1.ASIDBits)");
    fake::reset();
}

TEST_CASE("break-before-make names the live entry and the rule", "[error-text]") {
    fake::reset();
    Map m = new_map(1, 1);
    require_map(m.get(), 0x4000'0000, 0x4040'0000, kRW);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(map_range(m.get(), 0x4020'1000, 0x4020'2000, kRW | IDMAP_ATTR_READ_ONLY) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_SPLIT);
    CHECK(last(m) == "break-before-make violation: would split the live 2 MiB block [0x40200000, 0x40400000): "
                     "change it before activating (map it with IDMAP_NO_BLOCK_MAPPINGS) or deactivate first");
    CHECK(map_range(m.get(), 0x4000'0000, 0x4020'0000, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_MEMORY_TYPE);
    CHECK(last(m).find("would change the memory type or shareability of the live 2 MiB entry [0x40000000, "
                       "0x40200000)") != std::string::npos);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("refused flags are named, with the regime's alternative", "[error-text]") {
    Map el2 = new_map(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER));
    CHECK(map_range(el2.get(), 0x4000'0000, 0x4000'1000, kRW | IDMAP_ATTR_EXECUTE_NEVER) ==
          IDMAP_ERR_INVALID_FLAGS);
    const char* const pxn = "invalid flags: refused bits 0x20000000000000: PXN: EL2 and EL3 have one privilege "
                            "level: use IDMAP_ATTR_XN; at stage 2 bit 53 is XN[0], which needs FEAT_XNX (the "
                            "stage-2 config's xnx)";
    CHECK(last(el2) == pxn);
    CHECK(map_range(el2.get(), 0x4000'0000, 0x4000'1000, kRW | IDMAP_ATTR_XN) == IDMAP_OK);
    // Stage 2 without FEAT_XNX refuses XN[0] with the same words.
    const idmap_stage2_config_t vm = {40, 1, 1, false, 0, nullptr, nullptr, nullptr};
    Map s2(idmap_new_stage2(&vm), &idmap_free);
    REQUIRE(s2 != nullptr);
    CHECK(map_range(s2.get(), 0x4000'0000, 0x4000'1000, IDMAP_S2_NORMAL | IDMAP_S2_XN_EL1 | IDMAP_S2_VALID) ==
          IDMAP_ERR_INVALID_FLAGS);
    CHECK(last(s2) == pxn);

    Map m = new_map(1, 1);
    require_map(m.get(), 0x4000'0000, 0x4000'1000, kRW);
    const idmap_region_t r = idmap_region(0x4000'0000, 0x4000'1000);
    const idmap_modify_fn move = [](const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
        d->bits += 0x1000;  // another output address
        return 0;
    };
    CHECK(idmap_modify_range(m.get(), &r, move, nullptr) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(last(m).find("output address bits 47:12: map_range takes the address from the region, and a callback "
                       "may not move it") != std::string::npos);
}

TEST_CASE("out of memory says how many pages, and the lint its scratch", "[error-text]") {
    Budget two{2};
    const idmap_allocator_t alloc{&budget_alloc, &budget_free, &two};
    Map m(idmap_new_with_allocator(0, 0, &alloc), &idmap_free);  // the root takes one
    REQUIRE(m != nullptr);
    CHECK(map_range(m.get(), 0x4000'0000, 0x4000'1000, kRW) == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(last(m) == "out of memory: the call needed 3 table pages, the allocator gave 1; a board's pool holds "
                     "IDMAP_POOL_PAGES pages");

    Map big = new_map(0, 1);
    require_map(big.get(), 0x4000'0000, 0x4000'1000, kRW);
    require_map(big.get(), 0x8000'0000, 0x8000'1000, kRW);
    uint64_t scratch[2];
    idmap_lint_options_t options;
    std::memset(&options, 0, sizeof options);
    options.scratch = scratch;
    options.scratch_words = 2;
    idmap_lint_report_t report;
    CHECK(idmap_lint(big.get(), &options, nullptr, 0, &report) == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(last(big).rfind("out of memory: the lint's scratch array holds 2 words and needs ", 0) == 0);
}

TEST_CASE("an address out of range is placed below or past the map's range", "[error-text]") {
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER));
    CHECK(map_range(upper.get(), 0x4000'0000, 0x4020'0000, kRW) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(last(upper) == "address out of range: 0x40000000 is below the map's range [0xffffff8000000000, 2^64)");

    Map lower = new_map(0, 1);
    CHECK(map_range(lower.get(), 0x7f'ffff'f000, 0x80'0000'1000, kRW) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(lower.get())->va == 0x80'0000'1000);  // the contract's: the rounded end
    CHECK(last(lower) == "address out of range: the region ends at 0x8000001000, past the map's range [0x0, "
                         "0x8000000000); a lower root level covers more (up to 256 TiB)");
}

TEST_CASE("a sealed map says map_range is refused and modify may only tighten", "[error-text]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0x4000'0000, 0x4000'1000, kRW);
    REQUIRE(idmap_seal(m.get()) == IDMAP_OK);
    CHECK(map_range(m.get(), 0x4000'0000, 0x4000'1000, kRW) == IDMAP_ERR_SEALED);
    CHECK(last(m).rfind("sealed: map_range is refused on a sealed map, and modify_range may only tighten access",
                        0) == 0);
}

TEST_CASE("the dump says an entry without VALID maps nothing", "[error-text]") {
    Map m = new_map(1, 1);
    // The easy mistake: IDMAP_ATTR_DEVICE_NGNRE is 0, so this has no VALID bit.
    REQUIRE(map_range(m.get(), 0x900'0000, 0x900'1000, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_UXN) == IDMAP_OK);
    std::string dump;
    idmap_dump(m.get(), [](void* ctx, const char* s, size_t n) { static_cast<std::string*>(ctx)->append(s, n); },
               &dump);
    CHECK(dump.find("invalid, maps nothing (no VALID bit)") != std::string::npos);
}
