// The C ABI's MMU bring-up, over aarch64_paging::mmu_config / enable_mmu / disable_mmu.
#include "aarch64_paging/mmu.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::Status;
using idmap_capi::record;

extern "C" {

idmap_status_t idmap_mmu_config(const idmap_t* map, uint64_t id_aa64mmfr0, idmap_mmu_config_t* config) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (config == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    aarch64_paging::MmuConfig c;
    const aarch64_paging::Result result = aarch64_paging::mmu_config(map->mapping, id_aa64mmfr0, c);
    if (result.is_ok()) {
        *config = idmap_mmu_config_t{c.mair, c.tcr, c.ttbr, c.sctlr_set, c.sctlr_clear};
    }
    return record(map, result);
}

idmap_status_t idmap_enable_mmu(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    const aarch64_paging::Result result = aarch64_paging::enable_mmu(map->mapping, map->mmu_previous);
    map->mmu_enabled = map->mmu_enabled || result.is_ok();
    return record(map, result);
}

idmap_status_t idmap_disable_mmu(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (!map->mmu_enabled) {
        return record(map, map->mapping.is_active() ? Status::InvalidArgument : Status::NotActive);
    }
    const aarch64_paging::Result result = aarch64_paging::disable_mmu(map->mapping, map->mmu_previous);
    map->mmu_enabled = !result.is_ok();
    return record(map, result);
}

}  // extern "C"
