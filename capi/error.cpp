// The C ABI's status strings and error formatting, over aarch64_paging::MapError.
#include "aarch64_paging/error.hpp"
#include "handle.hpp"
#include "idmap.h"

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
