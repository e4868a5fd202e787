// The C ABI's MMU bring-up, over aarch64_paging::mmu_config / enable_mmu / disable_mmu, and
// its cache clean for a hand-over, over aarch64_paging::clean_to_poc.
#include "aarch64_paging/mmu.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::Status;
using idmap_capi::record;

namespace sctlr = aarch64_paging::sctlr;
static_assert(IDMAP_SCTLR_M == sctlr::M && IDMAP_SCTLR_A == sctlr::A && IDMAP_SCTLR_C == sctlr::C &&
                  IDMAP_SCTLR_I == sctlr::I && IDMAP_SCTLR_WXN == sctlr::WXN && IDMAP_SCTLR_E0E == sctlr::E0E &&
                  IDMAP_SCTLR_EE == sctlr::EE && IDMAP_SCTLR_BT == sctlr::BT && IDMAP_SCTLR_BT0 == sctlr::BT0,
              "IDMAP_SCTLR_* are sctlr's values");

namespace {

idmap_status_t config_for(const idmap_t* lower, const idmap_t* upper, uint64_t id_aa64mmfr0,
                          idmap_mmu_config_t* config) {
    if (config == nullptr) {
        return record(lower, Status::InvalidArgument);
    }
    aarch64_paging::MmuConfig c;
    const aarch64_paging::Result result = aarch64_paging::mmu_config(
        lower->mapping, upper != nullptr ? &upper->mapping : nullptr, id_aa64mmfr0, c);
    if (result.is_ok()) {
        *config = idmap_mmu_config_t{c.mair, c.tcr, c.ttbr, c.sctlr_set, c.sctlr_clear, c.ttbr1};
    }
    return record(lower, result);
}

idmap_status_t enable(idmap_t* lower, idmap_t* upper) {
    const aarch64_paging::Result result = aarch64_paging::enable_mmu(
        lower->mapping, upper != nullptr ? &upper->mapping : nullptr, lower->mmu_previous);
    if (result.is_ok()) {
        lower->mmu_disable = &idmap_disable_mmu;
        lower->mmu_upper = upper;
        if (upper != nullptr) {
            upper->mmu_lower = lower;
        }
    }
    return record(lower, result);
}

}  // namespace

extern "C" {

idmap_status_t idmap_mmu_config(const idmap_t* map, uint64_t id_aa64mmfr0, idmap_mmu_config_t* config) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return config_for(map, nullptr, id_aa64mmfr0, config);
}

idmap_status_t idmap_mmu_config_split(const idmap_t* lower, const idmap_t* upper, uint64_t id_aa64mmfr0,
                                      idmap_mmu_config_t* config) {
    if (lower == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (upper == nullptr) {
        return record(lower, Status::InvalidArgument);
    }
    return config_for(lower, upper, id_aa64mmfr0, config);
}

idmap_status_t idmap_enable_mmu(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return enable(map, nullptr);
}

idmap_status_t idmap_enable_mmu_split(idmap_t* lower, idmap_t* upper) {
    if (lower == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (upper == nullptr || upper == lower) {
        return record(lower, Status::InvalidArgument);
    }
    return enable(lower, upper);
}

idmap_status_t idmap_disable_mmu(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (map->mmu_disable == nullptr) {
        return record(map, map->mapping.is_active() ? Status::InvalidArgument : Status::NotActive);
    }
    idmap* upper = map->mmu_upper;
    const aarch64_paging::Result result = aarch64_paging::disable_mmu(
        map->mapping, upper != nullptr ? &upper->mapping : nullptr, map->mmu_previous);
    if (result.is_ok()) {
        map->mmu_disable = nullptr;
        if (upper != nullptr) {
            upper->mmu_lower = nullptr;
        }
        map->mmu_upper = nullptr;
    }
    return record(map, result);
}

void idmap_clean_to_poc(uint64_t start, uint64_t end) {
    aarch64_paging::clean_to_poc(aarch64_paging::VirtualAddress(start), aarch64_paging::VirtualAddress(end));
}

}  // extern "C"
