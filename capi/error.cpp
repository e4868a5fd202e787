// The C ABI's status strings and error formatting, over aarch64_paging::MapError.
#include "aarch64_paging/error.hpp"
#include "handle.hpp"
#include "idmap.h"

namespace reason = aarch64_paging::argument_reason;
static_assert(IDMAP_ARG_MMU_ENABLED == reason::MMU_ENABLED && IDMAP_ARG_UPPER_ASID == reason::UPPER_ASID &&
                  IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED == reason::CODE_NOT_IDENTITY_MAPPED &&
                  IDMAP_ARG_NEEDS_TTST == reason::NEEDS_TTST,
              "IDMAP_ARG_* are argument_reason's values");

extern "C" {

const char* idmap_status_str(idmap_status_t status) {
    return aarch64_paging::status_str(static_cast<aarch64_paging::Status>(status));
}

size_t idmap_format_error(const idmap_error_t* err, char* buf, size_t len) {
    if (err == nullptr) {
        if (buf != nullptr && len != 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    return idmap_capi::from_c(*err).format(buf, len);
}

}  // extern "C"
