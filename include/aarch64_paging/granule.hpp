/// @file
/// The translation granule: page size, and from it the number of levels, the bits each
/// level resolves and where blocks are allowed (Arm ARM DDI 0487K.a, chapter D8: "Translation
/// table walk" and, for block sizes, "Translation table descriptor formats").
#ifndef AARCH64_PAGING_GRANULE_HPP
#define AARCH64_PAGING_GRANULE_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A translation granule of 2^PageShift-byte pages and the table geometry that follows from
/// it. Levels are numbered as in the Arm ARM: 0 is the top, 3 the leaf (pages).
/// @tparam PageShift log2 of the page size: 12 for 4 KiB.
template <unsigned PageShift>
struct Granule {
    /// log2 of the page size.
    static constexpr unsigned page_shift = PageShift;
    /// Bytes in a page, and in a table.
    static constexpr uint64_t page_size = uint64_t{1} << PageShift;
    /// Each table fills one page of 8-byte descriptors.
    static constexpr unsigned index_bits = PageShift - 3;
    /// Entries in a table.
    static constexpr unsigned entries = 1u << index_bits;
    /// The level of pages.
    static constexpr unsigned leaf_level = 3;
    /// Without FEAT_LPA2 the input address is at most 48 bits.
    static constexpr unsigned max_va_bits = 48;

    /// log2 of the bytes one entry maps at level.
    static constexpr unsigned level_shift(unsigned level) {
        return page_shift + index_bits * (leaf_level - level);
    }
    /// Bytes one entry maps at level.
    static constexpr uint64_t level_size(unsigned level) {
        return uint64_t{1} << level_shift(level);
    }
    /// The index of the entry for @p va in a table at @p level.
    static constexpr unsigned index(uint64_t va, unsigned level) {
        return static_cast<unsigned>(va >> level_shift(level)) & (entries - 1);
    }
    /// Bits of input address a root table at level resolves (capped at 48).
    static constexpr unsigned va_bits(unsigned root_level) {
        const unsigned bits = level_shift(root_level) + index_bits;
        return bits < max_va_bits ? bits : max_va_bits;
    }

    /// Stage 2: the smallest IPA size a root table at @p level serves. The start level
    /// must resolve at least one bit (Arm ARM DDI 0487K.a, the pseudocode
    /// AArch64.S2InconsistentSL: 64 - T0SZ no less than the bits of the levels below plus
    /// one), and T0SZ is at most 39 without FEAT_TTST, which this library does not use.
    static constexpr unsigned stage2_min_ipa_bits(unsigned level) {
        const unsigned bits = level_shift(level) + 1;
        return bits > 25 ? bits : 25;
    }
    /// Stage 2: the largest IPA size a root table at @p level serves: up to 16
    /// concatenated tables, four bits more than one table resolves (AArch64.S2InconsistentSL; the
    /// "Concatenated translation tables for the initial stage 2 lookup"), capped at
    /// 48 bits.
    static constexpr unsigned stage2_max_ipa_bits(unsigned level) {
        const unsigned bits = level_shift(level) + index_bits + 4;
        return bits < max_va_bits ? bits : max_va_bits;
    }
    /// Stage 2: the concatenated tables of a root at @p level for @p ipa_bits: 1, or 2 to 16
    /// where the IPA size is larger than one table resolves (a 40-bit IPA from level 1 of
    /// the 4 KiB granule: 2 tables). The tables are contiguous and aligned to their
    /// total size.
    static constexpr unsigned stage2_root_tables(unsigned level, unsigned ipa_bits) {
        const unsigned one = level_shift(level) + index_bits;
        return ipa_bits > one ? 1u << (ipa_bits - one) : 1u;
    }
    /// Stage 2: ID_AA64MMFR0_EL1.TGranN_2 (@p shift) says whether stage 2 has the
    /// granule: 0b0000 as stage 1 does (@p stage1), 0b0001 no, 0b0010 and up yes.
    static constexpr bool stage2_field_supported(uint64_t id_aa64mmfr0, unsigned shift, bool stage1) {
        const uint64_t field = (id_aa64mmfr0 >> shift) & 0xf;
        return field == 0 ? stage1 : field >= 2;
    }
};

/// 4 KiB granule: blocks of 1 GiB at level 1 and 2 MiB at level 2. A level-0 block
/// (512 GiB) exists only with FEAT_LPA2 and 52-bit output addresses, which this library
/// does not use.
struct Granule4K : Granule<12> {
    /// The highest root table: level 0 (48-bit input addresses).
    static constexpr unsigned min_root_level = 0;
    /// Entries in a contiguous group at @p level (Arm ARM D8.6.1 "The Contiguous bit"):
    /// 16, so 64 KiB of pages, 32 MiB or 16 GiB of blocks.
    static constexpr unsigned contiguous_entries(unsigned) { return 16; }
    /// Whether a block descriptor may be written at @p level: 1 and 2 only.
    static constexpr bool block_allowed(unsigned level) { return level == 1 || level == 2; }
    /// Output address bits 47:12 of a block or page descriptor.
    static constexpr uint64_t output_address_mask = 0x0000'ffff'ffff'f000;
    /// TCR_ELx.TG0 for the granule.
    static constexpr uint64_t tg0 = 0b00;
    /// TCR_ELx.TG1 for the granule (encoded unlike TG0).
    static constexpr uint64_t tg1 = 0b10;
    /// ID_AA64MMFR0_EL1.TGran4 (bits 31:28): 0b0000 or 0b0001 when the CPU has it.
    static constexpr bool supported(uint64_t id_aa64mmfr0) { return ((id_aa64mmfr0 >> 28) & 0xf) <= 1; }
    /// Stage 2's root levels: 0 to 2 (level 3, SL0 = 0b11, needs FEAT_TTST).
    static constexpr unsigned stage2_min_root_level = 0;
    static constexpr unsigned stage2_max_root_level = 2;  ///< See stage2_min_root_level.
    /// VTCR_EL2.SL0 for a root at @p level (D19 "VTCR_EL2", TG0 = 4 KiB): 0b10 level 0,
    /// 0b01 level 1, 0b00 level 2.
    static constexpr uint64_t stage2_sl0(unsigned level) { return 2 - level; }
    /// ID_AA64MMFR0_EL1.TGran4_2 (bits 43:40).
    static constexpr bool stage2_supported(uint64_t id_aa64mmfr0) {
        return stage2_field_supported(id_aa64mmfr0, 40, supported(id_aa64mmfr0));
    }
};

/// 16 KiB granule: 2048 entries a table, blocks of 32 MiB at level 2 (level-1 blocks need
/// FEAT_LPA2); a level-0 root table has 2 entries for 48-bit input addresses.
struct Granule16K : Granule<14> {
    /// The highest root table: level 0 (bit 47 only).
    static constexpr unsigned min_root_level = 0;
    /// 128 pages (2 MiB) at level 3, 32 blocks (1 GiB) at level 2 (D8.6.1).
    static constexpr unsigned contiguous_entries(unsigned level) { return level == leaf_level ? 128 : 32; }
    /// Blocks at level 2 only.
    static constexpr bool block_allowed(unsigned level) { return level == 2; }
    /// Output address bits 47:14.
    static constexpr uint64_t output_address_mask = 0x0000'ffff'ffff'c000;
    /// TCR_ELx.TG0 = 0b10.
    static constexpr uint64_t tg0 = 0b10;
    /// TCR_ELx.TG1 = 0b01.
    static constexpr uint64_t tg1 = 0b01;
    /// ID_AA64MMFR0_EL1.TGran16 (bits 23:20): 0b0001 or 0b0010 when the CPU has it.
    static constexpr bool supported(uint64_t id_aa64mmfr0) { return ((id_aa64mmfr0 >> 20) & 0xf) != 0; }
    /// Stage 2's root levels: 1 to 3 (level 0 needs FEAT_LPA2).
    static constexpr unsigned stage2_min_root_level = 1;
    static constexpr unsigned stage2_max_root_level = 3;  ///< See stage2_min_root_level.
    /// VTCR_EL2.SL0 for a root at @p level (TG0 = 16 KiB): 0b10 level 1, 0b01 level 2,
    /// 0b00 level 3.
    static constexpr uint64_t stage2_sl0(unsigned level) { return 3 - level; }
    /// ID_AA64MMFR0_EL1.TGran16_2 (bits 35:32).
    static constexpr bool stage2_supported(uint64_t id_aa64mmfr0) {
        return stage2_field_supported(id_aa64mmfr0, 32, supported(id_aa64mmfr0));
    }
};

/// 64 KiB granule: 8192 entries a table, blocks of 512 MiB at level 2 (level-1 blocks need
/// 52-bit output addresses, FEAT_LPA); no level 0, and a level-1 root table has 64 entries
/// for 48-bit input addresses.
struct Granule64K : Granule<16> {
    /// The highest root table: level 1.
    static constexpr unsigned min_root_level = 1;
    /// 32 entries at levels 2 and 3: 2 MiB of pages, 16 GiB of blocks (D8.6.1).
    static constexpr unsigned contiguous_entries(unsigned) { return 32; }
    /// Blocks at level 2 only.
    static constexpr bool block_allowed(unsigned level) { return level == 2; }
    /// Output address bits 47:16 (bits 15:12 hold PA[51:48] only with FEAT_LPA).
    static constexpr uint64_t output_address_mask = 0x0000'ffff'ffff'0000;
    /// TCR_ELx.TG0 = 0b01.
    static constexpr uint64_t tg0 = 0b01;
    /// TCR_ELx.TG1 = 0b11.
    static constexpr uint64_t tg1 = 0b11;
    /// ID_AA64MMFR0_EL1.TGran64 (bits 27:24): 0b0000 when the CPU has it.
    static constexpr bool supported(uint64_t id_aa64mmfr0) { return ((id_aa64mmfr0 >> 24) & 0xf) == 0; }
    /// Stage 2's root levels: 1 to 3.
    static constexpr unsigned stage2_min_root_level = 1;
    static constexpr unsigned stage2_max_root_level = 3;  ///< See stage2_min_root_level.
    /// VTCR_EL2.SL0 for a root at @p level (TG0 = 64 KiB): 0b10 level 1, 0b01 level 2,
    /// 0b00 level 3.
    static constexpr uint64_t stage2_sl0(unsigned level) { return 3 - level; }
    /// ID_AA64MMFR0_EL1.TGran64_2 (bits 39:36).
    static constexpr bool stage2_supported(uint64_t id_aa64mmfr0) {
        return stage2_field_supported(id_aa64mmfr0, 36, supported(id_aa64mmfr0));
    }
};

}  // namespace aarch64_paging

#endif
