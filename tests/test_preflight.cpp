// The pre-flight check (preflight.hpp, idmap_preflight, idmap_activate_checked): each use
// and each reason, at the first address that fails; the order of the checks; skipping;
// table pages; activation only after a pass; the error's text.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/preflight.hpp"
#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace capi_test;

namespace {

constexpr uint64_t kRO = IDMAP_ATTR_READ_ONLY;
constexpr uint64_t kXN = IDMAP_ATTR_EXECUTE_NEVER;
constexpr uint64_t kDev = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID;

constexpr uint64_t kCode = 0x40000000;   // 64 KiB read-only, executable
constexpr uint64_t kStack = 0x40100000;  // 64 KiB read-write, execute-never
constexpr uint64_t kUart = 0x09000000;   // a device page
constexpr uint64_t kDevX = 0x09001000;   // a device page left executable (and writable)
constexpr uint64_t kNoAF = 0x40200000;   // a code page without the Access flag
constexpr uint64_t kGuard = 0x40300000;  // written without VALID

int clear_af(const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
    d->bits &= ~IDMAP_ATTR_ACCESSED;
    return 0;
}

Map firmware_map() {
    Map m = new_map(1, 1);
    require_map(m.get(), kCode, kCode + 0x10000, kRW | kRO);
    require_map(m.get(), kStack, kStack + 0x10000, kRW | kXN);
    require_map(m.get(), kUart, kUart + kPage, kDev | kXN);
    require_map(m.get(), kDevX, kDevX + kPage, kDev);
    require_map(m.get(), kNoAF, kNoAF + kPage, kRW | kRO);
    const idmap_region_t r = idmap_region(kNoAF, kNoAF + kPage);
    REQUIRE(idmap_modify_range(m.get(), &r, clear_af, nullptr) == IDMAP_OK);
    require_map(m.get(), kGuard, kGuard + kPage, IDMAP_ATTR_NORMAL);
    return m;
}

idmap_preflight_t good() {
    idmap_preflight_t p{};
    p.pc = kCode + 0x100;
    p.sp = kStack + 0x10000;  // the top: the stack grows down from here
    p.vbar = kCode + 0x8000;
    return p;
}

struct Failure {
    uint64_t va;
    uint64_t reasons;
    unsigned use;
};

// The check must fail with PREFLIGHT at va, for the use, with exactly the reasons, va in
// the region (whose end of 0 is 2^64).
void require_failure(const idmap_t* m, const idmap_preflight_t& p, const Failure& want) {
    REQUIRE(idmap_preflight(m, &p) == IDMAP_ERR_PREFLIGHT);
    const idmap_error_t* e = idmap_last_error(m);
    CHECK(e->status == IDMAP_ERR_PREFLIGHT);
    CHECK(e->va == want.va);
    CHECK((e->value & 0xff) == want.reasons);
    CHECK((e->value >> 8) == want.use);
    CHECK(e->va - e->region.start < e->region.end - e->region.start);
}

std::string error_text(const idmap_t* m) {
    char line[200];
    idmap_format_error(idmap_last_error(m), line, sizeof line);
    return line;
}

}  // namespace

TEST_CASE("preflight: a well-mapped CPU passes, and activate_checked activates", "[preflight]") {
    Map m = firmware_map();
    const idmap_preflight_t p = good();
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(idmap_activate_checked(m.get(), &p) == IDMAP_OK);
    CHECK(idmap_is_active(m.get()));
    // The check still runs (and passes); then activate answers for itself.
    CHECK(idmap_activate_checked(m.get(), &p) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("preflight: code must be mapped, executable, accessed and Normal", "[preflight]") {
    Map m = firmware_map();
    idmap_preflight_t p = good();
    SECTION("in the data") {
        p.pc = kStack + 0x40;
        require_failure(m.get(), p, {kStack + 0x40, IDMAP_PREFLIGHT_NOT_EXECUTABLE, IDMAP_USE_CODE});
        CHECK(error_text(m.get()) == "pre-flight check failed: code at 0x40100040: not executable");
    }
    SECTION("nowhere") {
        p.pc = 0x50000000;
        require_failure(m.get(), p, {0x50000000, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_CODE});
    }
    SECTION("beyond the map") {
        p.pc = k512G + 0x100;
        require_failure(m.get(), p, {k512G + 0x100, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_CODE});
    }
    SECTION("in Device memory") {
        p.pc = kDevX + 8;
        require_failure(m.get(), p, {kDevX + 8, IDMAP_PREFLIGHT_DEVICE, IDMAP_USE_CODE});
        CHECK(error_text(m.get()) == "pre-flight check failed: code at 0x9001008: Device memory");
    }
    SECTION("on a page without the Access flag") {
        p.pc = kNoAF;
        require_failure(m.get(), p, {kNoAF, IDMAP_PREFLIGHT_NO_ACCESS_FLAG, IDMAP_USE_CODE});
    }
    SECTION("in an entry written without VALID") {
        p.pc = kGuard + 4;
        require_failure(m.get(), p, {kGuard + 4, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_CODE});
    }
    SECTION("an instruction straddling the end of the code: the first address that fails") {
        p.pc = kCode + 0xfffe;
        require_failure(m.get(), p, {kCode + 0x10000, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_CODE});
    }
    SECTION("in a device page that is also not executable: every reason") {
        p.pc = kUart;
        require_failure(m.get(), p,
                        {kUart, IDMAP_PREFLIGHT_NOT_EXECUTABLE | IDMAP_PREFLIGHT_DEVICE, IDMAP_USE_CODE});
        CHECK(error_text(m.get()) == "pre-flight check failed: code at 0x9000000: not executable, Device memory");
    }
    // Nothing was activated by a failed activate_checked.
    CHECK(idmap_activate_checked(m.get(), &p) == IDMAP_ERR_PREFLIGHT);
    CHECK_FALSE(idmap_is_active(m.get()));
}

TEST_CASE("preflight: the stack below sp must be writable Normal memory", "[preflight]") {
    Map m = firmware_map();
    idmap_preflight_t p = good();
    SECTION("read-only") {
        p.sp = kCode + 0x1000;
        require_failure(m.get(), p, {kCode + 0xff0, IDMAP_PREFLIGHT_NOT_WRITABLE, IDMAP_USE_STACK});
        CHECK(error_text(m.get()) == "pre-flight check failed: stack at 0x40000ff0: not writable");
    }
    SECTION("Device memory") {
        p.sp = kUart + 0x800;
        require_failure(m.get(), p, {kUart + 0x7f0, IDMAP_PREFLIGHT_DEVICE, IDMAP_USE_STACK});
    }
    SECTION("sp at the bottom of the stack: the next push lands below it") {
        p.sp = kStack;
        require_failure(m.get(), p, {kStack - 16, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_STACK});
    }
    SECTION("sp 0 wraps to the top of the address space") {
        p.sp = 0;
        require_failure(m.get(), p, {~uint64_t{15}, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_STACK});
    }
    SECTION("skipped") {
        p.sp = 0;
        p.skip = IDMAP_PREFLIGHT_SKIP_SP;
        CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    }
}

TEST_CASE("preflight: the whole vector table must be executable", "[preflight]") {
    Map m = firmware_map();
    idmap_preflight_t p = good();
    SECTION("the last 2 KiB of the code pass") {
        p.vbar = kCode + 0xf800;
        CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    }
    SECTION("a table running past the code") {
        p.vbar = kCode + 0xfc00;
        require_failure(m.get(), p, {kCode + 0x10000, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_VECTORS});
        CHECK(error_text(m.get()) == "pre-flight check failed: vector table at 0x40010000: not mapped");
    }
    SECTION("in the data") {
        p.vbar = kStack;
        require_failure(m.get(), p, {kStack, IDMAP_PREFLIGHT_NOT_EXECUTABLE, IDMAP_USE_VECTORS});
    }
    SECTION("skipped: no vectors installed yet") {
        p.vbar = 0;
        p.skip = IDMAP_PREFLIGHT_SKIP_VBAR;
        CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    }
}

TEST_CASE("preflight: the order of the checks, and the first failure wins", "[preflight]") {
    Map m = firmware_map();
    idmap_preflight_t p{};  // zero: pc 0 unmapped, sp 0 wraps, vbar 0 unmapped
    require_failure(m.get(), p, {0, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_CODE});
    p.skip = IDMAP_PREFLIGHT_SKIP_PC;
    require_failure(m.get(), p, {~uint64_t{15}, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_STACK});
    p.skip |= IDMAP_PREFLIGHT_SKIP_SP;
    require_failure(m.get(), p, {0, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_VECTORS});
    p.skip |= IDMAP_PREFLIGHT_SKIP_VBAR;
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    // Skipping everything knowingly: activate_checked is activate.
    idmap_preflight_t none{};
    none.skip = IDMAP_PREFLIGHT_SKIP_ALL;
    CHECK(idmap_activate_checked(m.get(), &none) == IDMAP_OK);
    CHECK(idmap_is_active(m.get()));
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("preflight: extra ranges with their uses", "[preflight]") {
    Map m = firmware_map();
    idmap_preflight_t p = good();
    idmap_critical_t extra[2] = {{kStack, 0x10000, IDMAP_USE_STACK}, {kCode, 0x10000, IDMAP_USE_CODE}};
    p.extra = extra;
    p.extra_count = 2;
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    extra[1] = idmap_critical_t{kStack, 0x20000, IDMAP_USE_STACK};  // 64 KiB too long
    require_failure(m.get(), p, {kStack + 0x10000, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_STACK});
    extra[1] = idmap_critical_t{kCode + 0x3000, 0, IDMAP_USE_TABLE};  // one byte, read-only
    require_failure(m.get(), p, {kCode + 0x3000, IDMAP_PREFLIGHT_NOT_WRITABLE, IDMAP_USE_TABLE});
    CHECK(error_text(m.get()) == "pre-flight check failed: table page at 0x40003000: not writable");
    // The extras come after vbar.
    p.vbar = kStack;
    require_failure(m.get(), p, {kStack, IDMAP_PREFLIGHT_NOT_EXECUTABLE, IDMAP_USE_VECTORS});
    p.vbar = good().vbar;
    // Bad extras.
    extra[1] = idmap_critical_t{~uint64_t{0} - 10, 100, IDMAP_USE_CODE};  // wraps
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_ERR_INVALID_ARGUMENT);
    const int unknown_use = 9;  // as a C caller may store it
    extra[1] = idmap_critical_t{kCode, 4, IDMAP_USE_CODE};
    std::memcpy(&extra[1].use, &unknown_use, sizeof unknown_use);
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_ERR_INVALID_ARGUMENT);
    p.extra = nullptr;
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_preflight(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_preflight(nullptr, &p) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_activate_checked(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_activate_checked(nullptr, &p) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK_FALSE(idmap_is_active(m.get()));
}

TEST_CASE("preflight: an upper-range map is checked at its own addresses, up to 2^64", "[preflight][regime]") {
    // EL1&0 TTBR1, root level 2: [2^64 - 1 GiB, 2^64) maps [0, 1 GiB). The code at its
    // start, the stack at its top: sp 0 is 2^64, the top of the stack.
    Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 2, static_cast<int64_t>(k1G)));
    const uint64_t code = 0 - k1G;
    require_map(m.get(), code, code + 0x10000, kRW | kRO);
    const idmap_region_t stack{0 - uint64_t{0x10000}, 0};
    REQUIRE(idmap_map_range(m.get(), &stack, kRW | kXN) == IDMAP_OK);
    idmap_preflight_t p{};
    p.pc = code + 0x100;
    p.sp = 0;
    p.vbar = code + 0x800;
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    CHECK(idmap_activate_checked(m.get(), &p) == IDMAP_OK);
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    // Vectors in the stack's last 2 KiB, [2^64 - 2 KiB, 2^64): a region that ends at 0.
    p.vbar = 0 - uint64_t{0x800};
    require_failure(m.get(), p, {0 - uint64_t{0x800}, IDMAP_PREFLIGHT_NOT_EXECUTABLE, IDMAP_USE_VECTORS});
    CHECK(idmap_last_error(m.get())->region.end == 0);
    // Not mapped inside the range, and below it, where a lower map's addresses are.
    p.vbar = code + 0x10000;
    require_failure(m.get(), p, {code + 0x10000, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_VECTORS});
    p.vbar = kCode;
    require_failure(m.get(), p, {kCode, IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_VECTORS});
    // An instruction wrapping past 2^64: the first address beyond the map is 0.
    p.pc = 0 - uint64_t{2};
    REQUIRE(idmap_preflight(m.get(), &p) == IDMAP_ERR_PREFLIGHT);
    CHECK(idmap_last_error(m.get())->va == 0);
    CHECK(idmap_last_error(m.get())->value == (IDMAP_PREFLIGHT_NOT_MAPPED | uint64_t{IDMAP_USE_CODE} << 8));
}

namespace {

// Table pages from one aligned arena, so that a map can map its own tables.
struct Arena {
    static constexpr size_t kPages = 64;
    unsigned char* base = static_cast<unsigned char*>(std::aligned_alloc(4096, kPages * 4096));
    size_t next = 0;
    ~Arena() { std::free(base); }
    static void* alloc(void* ctx) {
        auto* a = static_cast<Arena*>(ctx);
        return a->next < kPages ? a->base + 4096 * a->next++ : nullptr;
    }
    static void release(void*, void*) {}
    uint64_t start() const { return reinterpret_cast<uintptr_t>(base); }
};

int make_read_only(const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
    d->bits |= IDMAP_ATTR_READ_ONLY;
    return 0;
}

}  // namespace

TEST_CASE("preflight: the map's own table pages must be mapped and writable", "[preflight]") {
    Arena arena;
    REQUIRE(arena.base != nullptr);
    REQUIRE(arena.start() + Arena::kPages * 4096 <= (uint64_t{1} << 48));  // inside a level-0 map
    const idmap_allocator_t alloc{&Arena::alloc, &Arena::release, &arena};
    Map m(idmap_new_with_allocator(1, 0, &alloc), &idmap_free);
    REQUIRE(m != nullptr);
    require_map(m.get(), kCode, kCode + 0x10000, kRW | kRO);
    require_map(m.get(), kStack, kStack + 0x10000, kRW | kXN);
    idmap_preflight_t p = good();
    p.check_tables = true;
    // The root is the first table page, and is not mapped yet.
    require_failure(m.get(), p, {idmap_root_address(m.get()), IDMAP_PREFLIGHT_NOT_MAPPED, IDMAP_USE_TABLE});
    // Map the whole arena read-write: the tables that takes come from the arena too.
    require_map(m.get(), arena.start(), arena.start() + Arena::kPages * 4096, kRW | kXN);
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
    // One table page read-only: found, wherever it is.
    const uint64_t third = arena.start() + 2 * 4096;
    REQUIRE(arena.next > 2);
    const idmap_region_t r = idmap_region(third, third + 4096);
    REQUIRE(idmap_modify_range(m.get(), &r, make_read_only, nullptr) == IDMAP_OK);
    require_failure(m.get(), p, {third, IDMAP_PREFLIGHT_NOT_WRITABLE, IDMAP_USE_TABLE});
    // Not asked: not checked.
    p.check_tables = false;
    CHECK(idmap_preflight(m.get(), &p) == IDMAP_OK);
}

TEST_CASE("preflight: the C++ API, and other regimes", "[preflight][cpp]") {
    using namespace aarch64_paging;
    IdMap map(1, 1);
    REQUIRE(map.is_valid());
    // EL2-style bits: AP[1] set (RES1 there), XN in bit 54.
    REQUIRE(map.map_range(MemoryRegion(kCode, kCode + 0x10000), Attributes::NORMAL | Attributes::VALID |
                                                                    Attributes::USER | Attributes::READ_ONLY)
                .is_ok());
    REQUIRE(map.map_range(MemoryRegion(kStack, kStack + 0x10000),
                          Attributes::NORMAL | Attributes::VALID | Attributes::USER | Attributes::XN)
                .is_ok());
    Preflight p;
    p.pc = kCode;
    p.sp = kStack + 0x10000;
    p.vbar = kCode + 0x800;
    PreflightOptions el2;
    el2.regime = TranslationRegime::El2;
    CHECK(preflight_check(map.mapping(), p, el2).is_ok());
    // In EL1&0 the same bits make the stack EL0-writable and the code EL0-readable:
    // still fine for EL1, the code being read-only (so not implicitly PXN).
    CHECK(preflight_check(map.mapping(), p).is_ok());
    // A page EL0 may write is never executable at EL1 (implicit PXN); in EL2, where AP[1]
    // is RES1 and means nothing, the same bits are executable.
    const uint64_t rwx = 0x40400000;
    REQUIRE(map.map_range(MemoryRegion(rwx, rwx + PAGE_SIZE), Attributes::NORMAL | Attributes::VALID | Attributes::USER)
                .is_ok());
    p.pc = rwx;
    const Result el1 = preflight_check(map.mapping(), p);
    REQUIRE(el1.status() == Status::Preflight);
    CHECK(el1.error().va.value() == rwx);
    CHECK(el1.error().value == preflight_value(preflight_reason::NOT_EXECUTABLE, CriticalUse::Code));
    CHECK(preflight_check(map.mapping(), p, el2).is_ok());
    // XN (bit 54) stops EL2.
    p.pc = kStack;
    const Result r2 = preflight_check(map.mapping(), p, el2);
    REQUIRE(r2.status() == Status::Preflight);
    CHECK(r2.error().value == preflight_value(preflight_reason::NOT_EXECUTABLE, CriticalUse::Code));
    p.pc = kCode;
    CHECK(activate_checked(map.mapping(), p).is_ok());
    CHECK(map.is_active());
    CHECK(map.deactivate().is_ok());
    CHECK(std::string(status_str(Status::Preflight)) == "pre-flight check failed");
    Mapping<> none;
    CHECK(preflight_check(none, p).status() == Status::InvalidArgument);
}

TEST_CASE("idmap_preflight_read_cpu reads pc, sp and vbar; idmap_enable_mmu_checked refuses to turn the MMU on "
          "without them",
          "[preflight][capi][mmu]") {
    namespace fake = aarch64_paging::arch::fake;
    fake::reset();
    fake::registers().pc = 0x40081234;
    fake::registers().sp = 0x40400000;
    fake::registers().vbar = 0x40080800;
    idmap_preflight_t p{};
    p.check_tables = true;
    REQUIRE(idmap_preflight_read_cpu(&p) == IDMAP_OK);
    CHECK(p.pc == 0x40081234);
    CHECK(p.sp == 0x40400000);
    CHECK(p.vbar == 0x40080800);
    CHECK(p.check_tables);  // the rest as it was
    CHECK(idmap_preflight_read_cpu(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);

    Map m = new_map(1, 1);
    // Data only: the code at pc is execute-never.
    require_map(m.get(), 0x40000000, 0x40800000, kRW | IDMAP_ATTR_EXECUTE_NEVER);
    const uint64_t sctlr = fake::registers().sctlr_el1;
    CHECK(idmap_enable_mmu_checked(m.get(), &p) == IDMAP_ERR_PREFLIGHT);
    CHECK(idmap_last_error(m.get())->va == 0x40081234);
    CHECK(fake::registers().sctlr_el1 == sctlr);  // the MMU stayed off
    CHECK_FALSE(idmap_is_active(m.get()));
    // Code read-only and executable: now it goes on (the host's table pages are on the
    // heap, outside the map: not checked here).
    p.check_tables = false;
    require_map(m.get(), 0x40080000, 0x40100000, kRW | IDMAP_ATTR_READ_ONLY);
    REQUIRE(idmap_enable_mmu_checked(m.get(), &p) == IDMAP_OK);
    CHECK((fake::registers().sctlr_el1 & 1) == 1);
    CHECK(idmap_is_active(m.get()));
    REQUIRE(idmap_disable_mmu(m.get()) == IDMAP_OK);
    fake::reset();
}
