// The C ABI of the pre-flight check, over aarch64_paging::preflight_check and
// activate_checked; a failure is recorded as the map's last error.
#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/preflight.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::CriticalRange;
using aarch64_paging::CriticalUse;
using aarch64_paging::Preflight;
using aarch64_paging::Result;
using aarch64_paging::Status;
using idmap_capi::record;

namespace {

namespace reason = aarch64_paging::preflight_reason;
namespace skip = aarch64_paging::preflight_skip;
// The C names are the C++ values.
static_assert(IDMAP_ERR_PREFLIGHT == static_cast<int>(Status::Preflight), "IDMAP_ERR_PREFLIGHT is Status::Preflight");
static_assert(IDMAP_USE_CODE == static_cast<int>(CriticalUse::Code) &&
                  IDMAP_USE_STACK == static_cast<int>(CriticalUse::Stack) &&
                  IDMAP_USE_VECTORS == static_cast<int>(CriticalUse::Vectors) &&
                  IDMAP_USE_TABLE == static_cast<int>(CriticalUse::Table),
              "idmap_use_t is CriticalUse");
static_assert(IDMAP_PREFLIGHT_NOT_MAPPED == reason::NOT_MAPPED && IDMAP_PREFLIGHT_NO_ACCESS_FLAG == reason::NO_ACCESS_FLAG &&
                  IDMAP_PREFLIGHT_NOT_EXECUTABLE == reason::NOT_EXECUTABLE &&
                  IDMAP_PREFLIGHT_NOT_WRITABLE == reason::NOT_WRITABLE && IDMAP_PREFLIGHT_DEVICE == reason::DEVICE &&
                  IDMAP_PREFLIGHT_SKIP_PC == skip::PC && IDMAP_PREFLIGHT_SKIP_SP == skip::SP &&
                  IDMAP_PREFLIGHT_SKIP_VBAR == skip::VBAR && IDMAP_PREFLIGHT_SKIP_ALL == skip::ALL,
              "IDMAP_PREFLIGHT_* are preflight_reason and preflight_skip");

// The C ranges, one at a time: the core takes CriticalRange, so they are checked here
// as single-range Preflights (no array is copied).
Result check(const idmap* map, const idmap_preflight_t& c) {
    if (c.extra == nullptr && c.extra_count != 0) {
        return Status::InvalidArgument;
    }
    Preflight p;
    p.pc = c.pc;
    p.sp = c.sp;
    p.vbar = c.vbar;
    p.skip = c.skip;
    p.check_tables = false;
    if (Result r = aarch64_paging::preflight_check(map->mapping, p); !r) {
        return r;
    }
    p.skip = aarch64_paging::preflight_skip::PC | aarch64_paging::preflight_skip::SP |
             aarch64_paging::preflight_skip::VBAR;
    for (size_t i = 0; i < c.extra_count; ++i) {
        int use;
        __builtin_memcpy(&use, &c.extra[i].use, sizeof use);  // a C enum may hold any int
        if (use < static_cast<int>(CriticalUse::Code) || use > static_cast<int>(CriticalUse::Table)) {
            return Status::InvalidArgument;
        }
        const CriticalRange range{c.extra[i].start, c.extra[i].size, static_cast<CriticalUse>(use)};
        p.extra = &range;
        p.extra_count = 1;
        if (Result r = aarch64_paging::preflight_check(map->mapping, p); !r) {
            return r;
        }
    }
    p.extra = nullptr;
    p.extra_count = 0;
    p.check_tables = c.check_tables;
    return aarch64_paging::preflight_check(map->mapping, p);
}

// The check, then what goes live (activate or enable_mmu) only if it passed; with every
// check skipped, that alone.
idmap_status_t checked(idmap_t* map, const idmap_preflight_t* preflight, idmap_status_t (*then)(idmap_t*)) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (preflight == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    if (preflight->skip != IDMAP_PREFLIGHT_SKIP_ALL) {
        if (Result r = check(map, *preflight); !r) {
            return record(map, r);
        }
    }
    return then(map);
}

}  // namespace

extern "C" {

idmap_status_t idmap_preflight(const idmap_t* map, const idmap_preflight_t* preflight) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (preflight == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, check(map, *preflight));
}

idmap_status_t idmap_activate_checked(idmap_t* map, const idmap_preflight_t* preflight) {
    return checked(map, preflight, &idmap_activate);
}

idmap_status_t idmap_enable_mmu_checked(idmap_t* map, const idmap_preflight_t* preflight) {
    return checked(map, preflight, &idmap_enable_mmu);
}

idmap_status_t idmap_preflight_read_cpu(idmap_preflight_t* preflight) {
    if (preflight == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    const aarch64_paging::arch::CpuState cpu =
        aarch64_paging::arch::read_cpu_state(reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
    preflight->pc = cpu.pc;
    preflight->sp = cpu.sp;
    preflight->vbar = cpu.vbar;
    return IDMAP_OK;
}

}  // extern "C"
