// Where idmap_t handles come from: never from the table allocator. On a board, a fixed
// array of IDMAP_MAX_MAPS (no heap); on the host, the heap.
#include "handle.hpp"

#if defined(IDMAP_HOST)
#include <stdlib.h>
#endif

namespace idmap_capi {

idmap_error_t g_new_error{};

#if defined(IDMAP_HOST)

idmap* acquire_handle() {
    // idmap is an implicit-lifetime type: malloc's storage holds one once assigned.
    auto* map = static_cast<idmap*>(malloc(sizeof(idmap)));
    if (map != nullptr) {
        *map = idmap{};
        map->in_use = true;
    }
    return map;
}

void release_handle(idmap* map) { free(map); }

aarch64_paging::MapError no_handle() { return aarch64_paging::MapError::of(aarch64_paging::Status::OutOfMemory); }

#else

#if !defined(IDMAP_MAX_MAPS)
#error "IDMAP_MAX_MAPS (idmap_t handles) comes from the board's board.mk"
#endif

namespace {
// Constant-initialised: no constructor runs, so none needs a C++ runtime.
idmap g_handles[IDMAP_MAX_MAPS];
}  // namespace

idmap* acquire_handle() {
    for (idmap& map : g_handles) {
        if (!map.in_use) {
            map = idmap{};
            map.in_use = true;
            return &map;
        }
    }
    return nullptr;
}

void release_handle(idmap* map) { map->in_use = false; }

aarch64_paging::MapError no_handle() {
    return aarch64_paging::MapError::invalid_argument(aarch64_paging::argument_reason::NO_HANDLE, IDMAP_MAX_MAPS);
}

#endif

}  // namespace idmap_capi
