// The C ABI's status strings and error formatting, over aarch64_paging::MapError.
#include "aarch64_paging/error.hpp"
#include "handle.hpp"
#include "idmap.h"

namespace reason = aarch64_paging::argument_reason;
static_assert(IDMAP_ARG_MMU_ENABLED == reason::MMU_ENABLED && IDMAP_ARG_UPPER_ASID == reason::UPPER_ASID &&
                  IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED == reason::CODE_NOT_IDENTITY_MAPPED &&
                  IDMAP_ARG_NEEDS_TTST == reason::NEEDS_TTST && IDMAP_ARG_ROOT_LEVEL == reason::ROOT_LEVEL &&
                  IDMAP_ARG_ASID_WIDTH == reason::ASID_WIDTH && IDMAP_ARG_ASID_IN_REGIME == reason::ASID_IN_REGIME &&
                  IDMAP_ARG_REGIME == reason::REGIME && IDMAP_ARG_VA_RANGE == reason::VA_RANGE &&
                  IDMAP_ARG_NO_UPPER_RANGE == reason::NO_UPPER_RANGE && IDMAP_ARG_ALLOCATOR == reason::ALLOCATOR &&
                  IDMAP_ARG_NULL_POINTER == reason::NULL_POINTER && IDMAP_ARG_INITIALISED == reason::INITIALISED &&
                  IDMAP_ARG_NOT_INITIALISED == reason::NOT_INITIALISED && IDMAP_ARG_NO_HANDLE == reason::NO_HANDLE &&
                  IDMAP_ARG_NOT_CURRENT_REGIME == reason::NOT_CURRENT_REGIME &&
                  IDMAP_ARG_GRANULE == reason::GRANULE && IDMAP_ARG_RANGES == reason::RANGES &&
                  IDMAP_ARG_REGIMES_DIFFER == reason::REGIMES_DIFFER &&
                  IDMAP_ARG_ASIDS_DIFFER == reason::ASIDS_DIFFER && IDMAP_ARG_SAME_MAPPING == reason::SAME_MAPPING &&
                  IDMAP_ARG_PA_OFFSET_ALIGNMENT == reason::PA_OFFSET_ALIGNMENT &&
                  IDMAP_ARG_PA_PAGE_OFFSET == reason::PA_PAGE_OFFSET && IDMAP_ARG_NO_BTI == reason::NO_BTI &&
                  IDMAP_ARG_NO_HAFDBS == reason::NO_HAFDBS && IDMAP_ARG_DIRTY_BITMAP == reason::DIRTY_BITMAP &&
                  IDMAP_ARG_TABLES_READ_ONLY == reason::TABLES_READ_ONLY &&
                  IDMAP_ARG_TABLES_NOT_PAGES == reason::TABLES_NOT_PAGES &&
                  IDMAP_ARG_NO_CNP == reason::NO_CNP && IDMAP_ARG_NO_BBM == reason::NO_BBM,
              "IDMAP_ARG_* are argument_reason's values");
namespace what = aarch64_paging::out_of_memory_what;
static_assert(IDMAP_OOM_TABLE_PAGES == what::TABLE_PAGES && IDMAP_OOM_LINT_SCRATCH == what::LINT_SCRATCH,
              "IDMAP_OOM_* are out_of_memory_what's values");
using aarch64_paging::BreakRule;
static_assert(IDMAP_BBM_SPLIT == static_cast<int>(BreakRule::Split) &&
                  IDMAP_BBM_OUTPUT_ADDRESS == static_cast<int>(BreakRule::OutputAddress) &&
                  IDMAP_BBM_MEMORY_TYPE == static_cast<int>(BreakRule::MemoryType) &&
                  IDMAP_BBM_GLOBAL == static_cast<int>(BreakRule::Global) &&
                  IDMAP_BBM_CONTIGUOUS == static_cast<int>(BreakRule::Contiguous),
              "IDMAP_BBM_* are BreakRule's values");
static_assert(IDMAP_DESC_NT == aarch64_paging::BLOCK_NT, "IDMAP_DESC_NT is nT");

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
