/// @file
/// The TLB maintenance one change to a live tree needs: the entries it made stale,
/// gathered while the change writes, then invalidated at once after its writes (Arm ARM
/// DDI 0487K.a D8.13.3 "Using break-before-make", D8.14 "TLB maintenance"). Internal to
/// the core (mapping.hpp).
#ifndef AARCH64_PAGING_TLB_BATCH_HPP
#define AARCH64_PAGING_TLB_BATCH_HPP

#include <stdint.h>

#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {

/// The TLB entries a change to a live tree leaves stale: invalidated by VA while there
/// are at most MAX of them, else the whole regime at once (as Linux does past a
/// threshold), since a TLBI per page of a large range costs more than refilling.
struct TlbBatch {
    /// The most entries invalidated one by one.
    static constexpr unsigned MAX = 16;

    /// Empty. (A constructor, not an aggregate's {}: GCC clears an aggregate whole.)
    constexpr TlbBatch() {}
    /// Page-aligned input offsets; bit 0: a leaf entry (TLBI VALE*). Only the first count
    /// are written: a union, so that a batch begins with none cleared, which C++17 allows
    /// a literal type only through a member of a union (128 bytes that every call on an
    /// inactive tree would clear and none read). No slot is written in constant evaluation
    /// (add()).
    union Slots {
        constexpr Slots() : none() {}
        char none;           ///< Before the first add().
        uint64_t at[MAX];    ///< The entries.
    } va;                    ///< The first count entries of at are the batch's.
    unsigned count = 0;     ///< Entries in va.
    bool all = false;       ///< More than MAX: the whole regime.

    /// The entry at input offset @p offset goes stale: a leaf (last level) or a table.
    /// (A compile-time image has no TLB, and C++17 keeps the slots unwritten there: all.)
    AARCH64_PAGING_INLINE constexpr void add(uint64_t offset, bool leaf) {
        if (count < MAX && !__builtin_is_constant_evaluated()) {
            va.at[count++] = offset | (leaf ? 1 : 0);
        } else {
            all = true;
        }
    }
    /// The leaf at @p offset changed from @p before to @p after: stale if it was valid.
    AARCH64_PAGING_INLINE constexpr void note(uint64_t offset, Descriptor before, Descriptor after) {
        if (before.is_valid() && before != after) {
            add(offset, true);
        }
    }

    /// After the writes of a change to a live tree of @p where (TTBR value @p ttbr: its
    /// ASID in bits 63:48; input offsets from @p va_base): DSB ISHST, the TLBIs, DSB ISH,
    /// ISB; or, where no entry that was valid changed, DSB ISHST, ISB
    /// (arch::tables_published). The upper range of EL1&0 is invalidated for every ASID:
    /// TTBR0's, whichever it was, tagged its entries.
    void sync(Regime where, uint64_t ttbr, uint64_t va_base) const {
        if (!all && count == 0) {
            arch::tables_published();
            return;
        }
        arch::table_store_barrier();
        if (all) {
            arch::invalidate_regime(where.regime);
        } else {
            const bool all_asids = where.regime == TranslationRegime::El1And0 && where.range == VaRange::Upper;
            invalidate_each(ttbr & (MAX_ASID << TTBR_ASID_SHIFT), va_base, [&](uint64_t operand, bool last_level) {
                arch::invalidate_va(where.regime, operand, last_level, all_asids);
            });
        }
        arch::tlb_sync();
    }

    /// sync() of a stage-2 tree (Arm ARM D8.14 "TLB maintenance", the stage-2 TLBIs;
    /// Linux's __kvm_tlb_flush_vmid_ipa), @p vttbr its VTTBR_EL2 value: the TLBIs act on
    /// the VMID in VTTBR_EL2, so the tree's is made current for them and the one before
    /// restored after (arch::enter_vmid); TLBI IPAS2E1IS (IPAS2LE1IS for a leaf) per IPA,
    /// DSB ISH, then TLBI VMALLE1IS, since an invalidation by IPA leaves the entries that
    /// combine stage 1 and stage 2 (tagged by VA, not IPA), DSB ISH, ISB; past MAX entries,
    /// TLBI VMALLS12E1IS, DSB ISH, ISB. Static, for Mapping's pointer to it: a program
    /// that makes no stage-2 mapping does not link it.
    static void sync_stage2(const TlbBatch& batch, uint64_t vttbr, uint64_t va_base) {
        if (!batch.all && batch.count == 0) {
            arch::tables_published();
            return;
        }
        arch::table_store_barrier();
        const uint64_t restore = arch::enter_vmid(vttbr);
        if (batch.all) {
            arch::invalidate_vmid();
        } else {
            batch.invalidate_each(0, va_base, &arch::invalidate_ipa);
            arch::tlb_barrier();
            arch::invalidate_regime(TranslationRegime::El1And0);
        }
        arch::tlb_sync();
        arch::leave_vmid(restore, vttbr);
    }

private:
    // tlbi(operand, last_level) for each entry, the operand VA[55:12] in bits 43:0 and
    // @p tag (the ASID in 63:48, 0 without ASIDs); by IPA at stage 2: IPA[55:12] alone.
    // Inlined: a program has one caller of each.
    template <class Tlbi>
    AARCH64_PAGING_INLINE void invalidate_each(uint64_t tag, uint64_t va_base, Tlbi tlbi) const {
        for (unsigned i = 0; i < count; ++i) {
            const uint64_t address = (va.at[i] & ~uint64_t{1}) + va_base;
            tlbi(tag | ((address >> 12) & ((uint64_t{1} << 44) - 1)), (va.at[i] & 1) != 0);
        }
    }
};

}  // namespace aarch64_paging

#endif
