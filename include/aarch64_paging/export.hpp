/// @file
/// The applied map, exported for what comes after the firmware: an array of regions
/// (leaves merged where nothing but the address changes), a devicetree fragment, and a
/// UEFI memory-attributes list (EFI_MEMORY_ATTRIBUTES_TABLE entries). A separate object
/// (src/export.cpp): firmware that never calls it does not link it.
///
/// A region is a run of leaf entries (blocks, pages, and invalid entries that are not
/// all zero, such as map_range writes without VALID) in address order, each starting
/// where the previous one ends, whose output addresses follow on (valid entries; an
/// invalid region maps nothing, and its pa_start is 0), and whose bits are the same but
/// for the output address, the page/block bit (1) and the contiguous bit (52). All-zero
/// entries end a region and are not exported. Regions are at the map's own addresses: in
/// the upper VA range within [2^64 - size(), 2^64), where a va_end of 0 stands for 2^64.
///
/// Stage 2 (TranslationRegime::Stage2): the regions of a stage-2 mapping are listed by IPA
/// (va_start, va_end) with their output addresses and descriptor bits, as a stage-1
/// mapping's, every table of a concatenated root walked; ExportRegion says how their
/// fields read there. The devicetree fragment and the UEFI list are not made for it
/// (memory_types_exportable()): they describe the memory types of MAIR indices and the
/// permissions of the code that runs on the map, whereas a stage-2 entry's MemAttr is half
/// of a memory type - the guest's stage 1 combines with it, the more restrictive winning,
/// or, with HCR_EL2.FWB set, which the mapping does not record, it is read otherwise (Arm
/// ARM D8.5) - and the guest's own firmware describes the VM's memory to it. A faithful
/// equivalent would need the FWB setting and the guest's stage 1; rather than guess,
/// those two exports refuse.
///
/// The devicetree fragment (export_devicetree()) is exactly this, with tabs, for a map
/// with one region (values in hex, 64-bit values as two cells, high first):
/// @code
/// /* idmap: el1&0 stage 1, 4 KiB granule */
/// idmap {
///     #address-cells = <2>;
///     #size-cells = <2>;
///     regime = "el1&0";
///
///     region@80000000 {
///         reg = <0x0 0x80000000 0x0 0x200000>;      (virtual start, size)
///         output-address = <0x0 0x80000000>;        (physical start)
///         descriptor = <0x0 0x80000785>;            (the first leaf's bits)
///         level = <0x2>;                            (the first leaf's level)
///         memory-type = "normal-wb";                (device, normal-nc, normal-wt, normal-wb)
///         attr-index = <0x1>;                       (AttrIndx)
///         shareability = "inner";                   (non, reserved, outer, inner)
///         read-only;                                (then, each only where it holds:)
///         execute-never;                            (not executable at the privileged level)
///         user;                                     (EL0 access)
///         user-execute;                             (executable at EL0)
///         non-global;                               (nG)
///         no-access-flag;                           (AF clear: the first access faults)
///         invalid;                                  (bit 0 clear: every access faults)
///     };
/// };
/// @endcode
/// The node's name ("idmap" here) and the regime are the caller's; the parenthesised
/// notes are not written, and the lines are indented with tabs. A region's unit address
/// is its virtual start in hex without "0x" or leading zeros. No line ends in a space.
#ifndef AARCH64_PAGING_EXPORT_HPP
#define AARCH64_PAGING_EXPORT_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mair.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/mmu.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

/// ExportRegion::flags. Those but VALID describe the bits as they would act were the
/// entries valid (access.hpp decodes them). The values are the C ABI's IDMAP_EXPORT_*.
/// At stage 2 the privileged level is the guest's EL1: READ_ONLY is S2AP[1] (bit 7)
/// clear, EXECUTE_NEVER and USER_EXECUTE read XN[1:0], USER is S2AP[0] (bit 6: reads at
/// EL1 and EL0 alike), NON_GLOBAL is never set.
namespace export_flags {
inline constexpr uint32_t VALID = 1u << 0;          ///< Bit 0 set: the MMU translates it.
inline constexpr uint32_t READ_ONLY = 1u << 1;      ///< Not writable at the privileged level.
inline constexpr uint32_t EXECUTE_NEVER = 1u << 2;  ///< Not executable at the privileged level.
inline constexpr uint32_t USER = 1u << 3;           ///< Readable at EL0 (AP[1], EL1&0 and EL2&0).
inline constexpr uint32_t USER_EXECUTE = 1u << 4;   ///< Executable at EL0 (UXN clear, EL1&0 and EL2&0).
inline constexpr uint32_t NON_GLOBAL = 1u << 5;     ///< nG: TLB entries tagged with the ASID.
inline constexpr uint32_t ACCESSED = 1u << 6;       ///< AF set: the first access does not fault.
}  // namespace export_flags

/// One region of the applied map (the C ABI's idmap_export_region_t).
struct ExportRegion {
    uint64_t va_start = 0;    ///< The first virtual address.
    uint64_t va_end = 0;      ///< The virtual address after the last (0: 2^64).
    uint64_t pa_start = 0;    ///< The physical address of va_start (0 in an invalid region).
    uint64_t descriptor = 0;  ///< The first leaf's bits; the others differ only as said above.
    uint32_t flags = 0;       ///< export_flags.
    /// Through the MAIR of ExportOptions. At stage 2, from MemAttr[3:0] as read with
    /// HCR_EL2.FWB = 0: Device where MemAttr[3:2] is 0b00, else the lesser of the outer
    /// (MemAttr[3:2]) and inner (MemAttr[1:0]) cacheability, a reserved 0b00 read as
    /// Non-cacheable. (With FWB set, read MemAttr from the descriptor.)
    MemoryType memory_type = MemoryType::Device;
    uint8_t attr_index = 0;   ///< AttrIndx[2:0]; at stage 2 MemAttr[3:0] (bits 5:2).
    uint8_t shareability = 0;  ///< SH[1:0]: 0 non, 1 reserved, 2 outer, 3 inner shareable.
    uint8_t level = 0;        ///< The first leaf's level.
};

/// How to read the map's bits.
struct ExportOptions {
    /// What AP, XN and nG mean; Stage2: the stage-2 fields (S2AP, XN[1:0], MemAttr).
    TranslationRegime regime = TranslationRegime::El1And0;
    uint64_t mair = MAIR_DEFAULT;  ///< What AttrIndx selects (not read at stage 2).
};

/// The options for @p mapping as the library built it: its regime, MAIR_DEFAULT. What the
/// functions below use when given no options.
inline ExportOptions export_options(const Mapping<>& mapping) {
    return ExportOptions{mapping.regime().regime, MAIR_DEFAULT};
}

/// Receives region number @p n (counted from 0) of an export.
using ExportRegionFn = void (*)(void* ctx, size_t n, const ExportRegion& region);

/// Calls @p fn (unless null) for each region of @p mapping, in address order.
/// @return the number of regions (0 for a mapping not initialised).
size_t for_each_export_region(const Mapping<>& mapping, ExportRegionFn fn, void* ctx,
                      const ExportOptions& options);
/// for_each_export_region() with export_options(mapping).
inline size_t for_each_export_region(const Mapping<>& mapping, ExportRegionFn fn, void* ctx) {
    return for_each_export_region(mapping, fn, ctx, export_options(mapping));
}

/// Writes the regions of @p mapping, in address order, to @p out (at most @p max; null
/// with 0 to count only).
/// @return every region, also those past @p max (0 for a mapping not initialised).
size_t export_regions(const Mapping<>& mapping, ExportRegion* out, size_t max,
                      const ExportOptions& options);
/// export_regions() with export_options(mapping).
inline size_t export_regions(const Mapping<>& mapping, ExportRegion* out, size_t max) {
    return export_regions(mapping, out, max, export_options(mapping));
}

/// Whether export_devicetree() and export_efi() describe @p mapping read with
/// @p options: not a stage-2 mapping, nor stage-2 options (see the file's notes).
/// @return Ok, or InvalidArgument with argument_reason::NOT_STAGE1 (first: the stage-2
///         regime, TranslationRegime::Stage2).
[[nodiscard]] Result memory_types_exportable(const Mapping<>& mapping, const ExportOptions& options);

/// Writes the devicetree fragment above to @p out: the node @p node_name, holding one
/// child node per region.
/// @return Ok, or InvalidArgument (nothing written) for a mapping not initialised, or a
///         node name that is not 1 to 31 of the characters a devicetree node name may
///         have (letters, digits, ",._+-"), or an unknown regime in @p options; or, with
///         argument_reason::NOT_STAGE1, a stage-2 mapping or options
///         (memory_types_exportable()).
[[nodiscard]] Result export_devicetree(const Mapping<>& mapping, const char* node_name, TextWriter& out,
                                       const ExportOptions& options);
/// export_devicetree() with export_options(mapping).
[[nodiscard]] inline Result export_devicetree(const Mapping<>& mapping, const char* node_name, TextWriter& out) {
    return export_devicetree(mapping, node_name, out, export_options(mapping));
}

/// UEFI's EFI_MEMORY_DESCRIPTOR, as EFI_MEMORY_ATTRIBUTES_TABLE lists them: 40 bytes,
/// packed back to back (the table's DescriptorSize is sizeof(EfiMemoryDescriptor)).
struct EfiMemoryDescriptor {
    uint32_t type = 0;              ///< EFI_MEMORY_TYPE (efi namespace).
    uint32_t pad = 0;               ///< 0: UEFI's alignment of the next field.
    uint64_t physical_start = 0;    ///< PhysicalStart.
    uint64_t virtual_start = 0;     ///< VirtualStart.
    uint64_t number_of_pages = 0;   ///< NumberOfPages, of 4 KiB.
    uint64_t attribute = 0;         ///< Attribute: efi::MEMORY_*.
};

/// The UEFI values export_efi() uses (UEFI specification, EFI_BOOT_SERVICES.GetMemoryMap():
/// EFI_MEMORY_DESCRIPTOR, its types and its attributes).
namespace efi {
inline constexpr uint32_t RESERVED_MEMORY_TYPE = 0;     ///< EfiReservedMemoryType: invalid entries.
inline constexpr uint32_t RUNTIME_SERVICES_CODE = 5;    ///< EfiRuntimeServicesCode: executable.
inline constexpr uint32_t RUNTIME_SERVICES_DATA = 6;    ///< EfiRuntimeServicesData: the rest.
inline constexpr uint32_t MEMORY_MAPPED_IO = 11;        ///< EfiMemoryMappedIO: Device memory.
inline constexpr uint64_t MEMORY_UC = 0x1;              ///< Device memory.
inline constexpr uint64_t MEMORY_WC = 0x2;              ///< Normal Non-cacheable.
inline constexpr uint64_t MEMORY_WT = 0x4;              ///< Normal Write-Through.
inline constexpr uint64_t MEMORY_WB = 0x8;              ///< Normal Write-Back.
inline constexpr uint64_t MEMORY_RP = 0x2000;           ///< Read-protected: the entries are invalid.
inline constexpr uint64_t MEMORY_XP = 0x4000;           ///< Not executable at the privileged level.
inline constexpr uint64_t MEMORY_RO = 0x20000;          ///< Not writable at the privileged level.
}  // namespace efi

/// Receives UEFI descriptor number @p n (counted from 0) of an export.
using EfiDescriptorFn = void (*)(void* ctx, size_t n, const EfiMemoryDescriptor& descriptor);

/// Calls @p fn (unless null) for each UEFI memory descriptor of @p mapping, in address
/// order: one per run of regions with the same type and attribute whose addresses
/// follow on. Type: MEMORY_MAPPED_IO for Device memory, else RUNTIME_SERVICES_CODE where
/// executable at the privileged level, else RUNTIME_SERVICES_DATA; RESERVED_MEMORY_TYPE
/// for invalid entries. Attribute: the cacheability (UC, WC, WT, WB), RO, XP, and RP for
/// invalid entries; EFI_MEMORY_RUNTIME is the caller's to add.
/// @return the number of descriptors (0 for a mapping not initialised, and for a stage-2
///         mapping or options, which memory_types_exportable() refuses).
size_t for_each_efi_descriptor(const Mapping<>& mapping, EfiDescriptorFn fn, void* ctx,
                  const ExportOptions& options);
/// for_each_efi_descriptor() with export_options(mapping).
inline size_t for_each_efi_descriptor(const Mapping<>& mapping, EfiDescriptorFn fn, void* ctx) {
    return for_each_efi_descriptor(mapping, fn, ctx, export_options(mapping));
}

/// for_each_efi_descriptor() into @p out (at most @p max; null with 0 to count only).
/// @return every descriptor, also those past @p max (0 where for_each_efi_descriptor()
///         gives none).
size_t export_efi(const Mapping<>& mapping, EfiMemoryDescriptor* out, size_t max,
                  const ExportOptions& options);
/// export_efi() with export_options(mapping).
inline size_t export_efi(const Mapping<>& mapping, EfiMemoryDescriptor* out, size_t max) {
    return export_efi(mapping, out, max, export_options(mapping));
}

}  // namespace aarch64_paging

#endif
