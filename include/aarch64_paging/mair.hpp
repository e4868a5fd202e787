/// @file
/// The memory type an entry's AttrIndx selects through MAIR_ELx (Arm ARM DDI 0487K.a,
/// D19.2 "MAIR_EL1": the Attr<n> encodings), reduced to the four kinds that the export
/// and the pre-flight check need to tell apart.
#ifndef AARCH64_PAGING_MAIR_HPP
#define AARCH64_PAGING_MAIR_HPP

#include <stdint.h>

namespace aarch64_paging {

/// The kind of memory an Attr<n> byte describes. The values are the C ABI's
/// IDMAP_MEMORY_*; their order is that of cacheability, least first.
enum class MemoryType : uint8_t {
    /// Device memory, any of nGnRnE, nGnRE, nGRE, GRE (Attr<n>[7:4] = 0b0000).
    Device = 0,
    /// Normal memory that is Non-cacheable at the inner or the outer level.
    NormalNonCacheable = 1,
    /// Normal memory, Write-Through at one level at least and cacheable at both.
    NormalWriteThrough = 2,
    /// Normal memory, Write-Back at both levels.
    NormalWriteBack = 3,
};

/// Attr<@p attr_index> of @p mair: bits [8n+7:8n].
constexpr uint8_t mair_attribute(uint64_t mair, unsigned attr_index) {
    return static_cast<uint8_t>(mair >> (8 * (attr_index & 7)));
}

/// The AttrIndx[2:0] field (bits 4:2) of a block or page descriptor.
constexpr unsigned attr_index(uint64_t descriptor) { return static_cast<unsigned>(descriptor >> 2) & 7; }

/// The memory type of the Attr<n> byte @p attr. Each nibble of a Normal type reads
/// 0b0100 Non-cacheable, 0b00RW (RW not 0b00) and 0b10RW Write-Through, 0b01RW (RW not
/// 0b00) and 0b11RW Write-Back; the FEAT_XS and FEAT_MTE bytes 0x40 (Non-cacheable), 0xa0 (Write-Through) and
/// 0xf0 (Write-Back) are decoded too. The reserved inner nibble 0b0000 under a Normal
/// outer nibble reads as Non-cacheable: the least the memory can be trusted to be.
constexpr MemoryType memory_type(uint8_t attr) {
    switch (attr) {
        case 0x40: return MemoryType::NormalNonCacheable;
        case 0xa0: return MemoryType::NormalWriteThrough;
        case 0xf0: return MemoryType::NormalWriteBack;
        default: break;
    }
    if ((attr >> 4) == 0) {
        return MemoryType::Device;
    }
    // Per nibble: 1 Non-cacheable, 2 Write-Through, 3 Write-Back; the type is the lesser.
    auto nibble = [](unsigned n) -> unsigned {
        if (n == 0x0 || n == 0x4) {
            return 1;
        }
        return (n & 4) != 0 ? 3 : 2;  // 0bx1RW Write-Back, 0bx0RW Write-Through
    };
    const unsigned outer = nibble(attr >> 4);
    const unsigned inner = nibble(attr & 0xfu);
    return static_cast<MemoryType>(outer < inner ? outer : inner);
}

/// The memory type a descriptor selects through @p mair.
constexpr MemoryType descriptor_memory_type(uint64_t descriptor, uint64_t mair) {
    return memory_type(mair_attribute(mair, attr_index(descriptor)));
}

}  // namespace aarch64_paging

#endif
