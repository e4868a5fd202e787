// The C ABI of the export, over aarch64_paging::export_*: regions and UEFI descriptors
// are converted one at a time as the core gives them, into the caller's array.
#include "aarch64_paging/export.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::EfiMemoryDescriptor;
using aarch64_paging::ExportRegion;

namespace {

namespace flags = aarch64_paging::export_flags;
namespace efi = aarch64_paging::efi;
using aarch64_paging::MemoryType;
// The C names are the C++ values: regions and descriptors are copied field by field.
static_assert(IDMAP_EXPORT_VALID == flags::VALID && IDMAP_EXPORT_READ_ONLY == flags::READ_ONLY &&
                  IDMAP_EXPORT_EXECUTE_NEVER == flags::EXECUTE_NEVER && IDMAP_EXPORT_USER == flags::USER &&
                  IDMAP_EXPORT_USER_EXECUTE == flags::USER_EXECUTE && IDMAP_EXPORT_NON_GLOBAL == flags::NON_GLOBAL &&
                  IDMAP_EXPORT_ACCESSED == flags::ACCESSED,
              "IDMAP_EXPORT_* are export_flags");
static_assert(IDMAP_MEMORY_DEVICE == static_cast<int>(MemoryType::Device) &&
                  IDMAP_MEMORY_NORMAL_NC == static_cast<int>(MemoryType::NormalNonCacheable) &&
                  IDMAP_MEMORY_NORMAL_WT == static_cast<int>(MemoryType::NormalWriteThrough) &&
                  IDMAP_MEMORY_NORMAL_WB == static_cast<int>(MemoryType::NormalWriteBack),
              "IDMAP_MEMORY_* are MemoryType");
static_assert(IDMAP_EFI_RESERVED_MEMORY_TYPE == efi::RESERVED_MEMORY_TYPE &&
                  IDMAP_EFI_RUNTIME_SERVICES_CODE == efi::RUNTIME_SERVICES_CODE &&
                  IDMAP_EFI_RUNTIME_SERVICES_DATA == efi::RUNTIME_SERVICES_DATA &&
                  IDMAP_EFI_MEMORY_MAPPED_IO == efi::MEMORY_MAPPED_IO && IDMAP_EFI_MEMORY_UC == efi::MEMORY_UC &&
                  IDMAP_EFI_MEMORY_WC == efi::MEMORY_WC && IDMAP_EFI_MEMORY_WT == efi::MEMORY_WT &&
                  IDMAP_EFI_MEMORY_WB == efi::MEMORY_WB && IDMAP_EFI_MEMORY_RP == efi::MEMORY_RP &&
                  IDMAP_EFI_MEMORY_XP == efi::MEMORY_XP && IDMAP_EFI_MEMORY_RO == efi::MEMORY_RO,
              "IDMAP_EFI_* are the efi values");
static_assert(sizeof(idmap_efi_memory_descriptor_t) == 40 && sizeof(EfiMemoryDescriptor) == 40,
              "UEFI's EFI_MEMORY_DESCRIPTOR is 40 bytes");
static_assert(IDMAP_ARG_NOT_STAGE1 == aarch64_paging::argument_reason::NOT_STAGE1, "the C and C++ reasons agree");

template <class C>
struct COut {
    C* out;
    size_t max;
};

void put_region(void* ctx, size_t n, const ExportRegion& r) {
    const auto* c = static_cast<const COut<idmap_export_region_t>*>(ctx);
    if (n < c->max) {
        c->out[n] = idmap_export_region_t{r.va_start, r.va_end, r.pa_start, r.descriptor, r.flags,
                                          static_cast<uint8_t>(r.memory_type), r.attr_index, r.shareability,
                                          r.level};
    }
}

void put_efi(void* ctx, size_t n, const EfiMemoryDescriptor& e) {
    const auto* c = static_cast<const COut<idmap_efi_memory_descriptor_t>*>(ctx);
    if (n < c->max) {
        c->out[n] = idmap_efi_memory_descriptor_t{e.type, e.pad, e.physical_start, e.virtual_start,
                                                  e.number_of_pages, e.attribute};
    }
}

}  // namespace

extern "C" {

size_t idmap_export_regions(const idmap_t* map, idmap_export_region_t* out, size_t max) {
    if (map == nullptr) {
        return 0;
    }
    COut<idmap_export_region_t> c{out, out != nullptr ? max : 0};
    return aarch64_paging::for_each_export_region(map->mapping, &put_region, &c);
}

idmap_status_t idmap_export_devicetree(const idmap_t* map, const char* node_name, idmap_write_fn write,
                                       void* ctx) {
    if (map == nullptr || write == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    // A stage-2 map's refusal has a reason: recorded as the map's last error.
    if (const aarch64_paging::Result r = aarch64_paging::memory_types_exportable(
            map->mapping, aarch64_paging::export_options(map->mapping));
        !r) {
        return idmap_capi::record(map, r);
    }
    aarch64_paging::TextWriter out(write, ctx);
    const aarch64_paging::Result result =
        aarch64_paging::export_devicetree(map->mapping, node_name != nullptr ? node_name : "idmap", out);
    return static_cast<idmap_status_t>(result.status());
}

size_t idmap_export_efi(const idmap_t* map, idmap_efi_memory_descriptor_t* out, size_t max) {
    if (map == nullptr) {
        return 0;
    }
    if (const aarch64_paging::Result r = aarch64_paging::memory_types_exportable(
            map->mapping, aarch64_paging::export_options(map->mapping));
        !r) {
        (void)idmap_capi::record(map, r);
        return 0;
    }
    COut<idmap_efi_memory_descriptor_t> c{out, out != nullptr ? max : 0};
    return aarch64_paging::for_each_efi_descriptor(map->mapping, &put_efi, &c);
}

}  // extern "C"
