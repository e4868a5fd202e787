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
/// are at most MAX of them. Past MAX, where the CPU has FEAT_TLBIRANGE, the range from the
/// first to the last of them by range TLBIs (a few, whatever its size, as Linux's
/// __flush_tlb_range_op: arch::invalidate_va_range), up to arch::MAX_RANGE_PAGES pages; else the whole regime at once (as
/// Linux does past a threshold), since a TLBI per page of a large range costs more than
/// refilling.
struct TlbBatch {
    /// The most entries invalidated one by one.
    static constexpr unsigned MAX = 16;

    /// Empty; for a tree no walker uses (@p live false) it takes nothing: no TLB holds its
    /// entries, and sync() is not called. (A constructor, not an aggregate's {}: GCC
    /// clears an aggregate whole.)
    constexpr explicit TlbBatch(bool live) : live(live) {}
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
    bool live;              ///< The tree is in use: add() takes entries.
    bool all = false;       ///< More than MAX: the range [first, last], or the whole regime.
    bool tables = false;    ///< all: a table entry among those past MAX (no last-level TLBI).
    uint64_t first = ~uint64_t{0};  ///< all: the lowest input offset of an entry past MAX.
    uint64_t last = 0;              ///< all: the highest (the slots' fold in at sync).


    /// The entry at input offset @p offset goes stale: a leaf (last level) or a table.
    /// (A compile-time image has no TLB, and C++17 keeps the slots unwritten there: all.)
    AARCH64_PAGING_INLINE constexpr void add(uint64_t offset, bool leaf) {
        if (!live) {
            return;
        }
        if (count < MAX && !__builtin_is_constant_evaluated()) {
            va.at[count++] = offset | (leaf ? 1 : 0);
        } else {
            all = true;
            first = offset < first ? offset : first;
            last = offset > last ? offset : last;
            tables = tables || !leaf;
        }
    }
    /// The leaf at @p offset changed from @p before to @p after: stale if it was valid.
    AARCH64_PAGING_INLINE constexpr void note(uint64_t offset, Descriptor before, Descriptor after) {
        if (before.is_valid() && before != after) {
            add(offset, true);
        }
    }

    /// After the writes of a change to a live tree of @p where (TTBR value @p ttbr: its
    /// ASID in bits 63:48; input offsets from @p va_base; pages of 2^@p page_shift bytes):
    /// DSB ISHST, the TLBIs, DSB ISH, ISB; or, where no entry that was valid changed, DSB
    /// ISHST, ISB (arch::tables_published). The upper range of EL1&0 is invalidated for
    /// every ASID: TTBR0's, whichever it was, tagged its entries.
    void sync(Regime where, uint64_t ttbr, uint64_t va_base, unsigned page_shift) const {
        if (!all && count == 0) {
            arch::tables_published();
            return;
        }
        arch::table_store_barrier();
        const bool all_asids = where.regime == TranslationRegime::El1And0 && where.range == VaRange::Upper;
        const uint64_t tag = ttbr & (MAX_ASID << TTBR_ASID_SHIFT);
        uint64_t start = 0;
        bool leaves = false;
        if (!all) {
            invalidate_each(tag, va_base, [&](uint64_t operand, bool last_level) {
                arch::invalidate_va(where.regime, operand, last_level, all_asids);
            });
        } else if (const uint64_t pages = range_pages(page_shift, start, leaves); pages != 0) {
            arch::invalidate_va_range(where.regime, tag, start + va_base, pages, page_shift, leaves, all_asids);
        } else {
            arch::invalidate_regime(where.regime);
        }
        arch::tlb_sync();
    }

    /// sync() of a stage-2 tree (Arm ARM D8.14 "TLB maintenance", the stage-2 TLBIs;
    /// Linux's __kvm_tlb_flush_vmid_ipa), @p vttbr its VTTBR_EL2 value: the TLBIs act on
    /// the VMID in VTTBR_EL2, so the tree's is made current for them and the one before
    /// restored after (arch::enter_vmid); TLBI IPAS2E1IS (IPAS2LE1IS for a leaf) per IPA,
    /// DSB ISH, then TLBI VMALLE1IS, since an invalidation by IPA leaves the entries that
    /// combine stage 1 and stage 2 (tagged by VA, not IPA), DSB ISH, ISB; past MAX entries
    /// the range by TLBI RIPAS2E1IS (RIPAS2LE1IS) where the CPU has it, as sync() does,
    /// then TLBI VMALLE1IS likewise; else TLBI VMALLS12E1IS, DSB ISH, ISB. Static, for Mapping's pointer to it: a program
    /// that makes no stage-2 mapping does not link it.
    static void sync_stage2(const TlbBatch& batch, uint64_t vttbr, uint64_t va_base, unsigned page_shift) {
        if (!batch.all && batch.count == 0) {
            arch::tables_published();
            return;
        }
        arch::table_store_barrier();
        const uint64_t restore = arch::enter_vmid(vttbr);
        uint64_t start = 0;
        bool leaves = false;
        const uint64_t pages = batch.all ? batch.range_pages(page_shift, start, leaves) : 0;
        if (batch.all && pages == 0) {
            arch::invalidate_vmid();
        } else {
            if (!batch.all) {
                batch.invalidate_each(0, va_base, &arch::invalidate_ipa);
            } else {
                arch::invalidate_ipa_range(start + va_base, pages, page_shift, leaves);
            }
            arch::tlb_barrier();
            arch::invalidate_regime(TranslationRegime::El1And0);
        }
        arch::tlb_sync();
        arch::leave_vmid(restore, vttbr);
    }

private:
    // Where past MAX the range goes: when the CPU has FEAT_TLBIRANGE
    // (ID_AA64ISAR0_EL1.TLB, bits 59:56, 0b0010) and the pages from the first to the last
    // stale entry, the slots' folded in, are at most arch::MAX_RANGE_PAGES, those pages
    // from @p start (an input offset), and whether only leaves went stale; else 0 (the
    // whole regime).
    uint64_t range_pages(unsigned page_shift, uint64_t& start, bool& leaves) const {
        if (((arch::read_id_aa64isar0_el1() >> 56) & 0xf) < 2) {
            return 0;
        }
        uint64_t lo = first;
        uint64_t hi = last;
        leaves = !tables;
        for (unsigned i = 0; i < count; ++i) {
            const uint64_t offset = va.at[i] & ~uint64_t{1};
            lo = offset < lo ? offset : lo;
            hi = offset > hi ? offset : hi;
            leaves = leaves && (va.at[i] & 1) != 0;
        }
        start = lo;
        const uint64_t pages = ((hi - lo) >> page_shift) + 1;
        return pages <= arch::MAX_RANGE_PAGES ? pages : 0;
    }

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
