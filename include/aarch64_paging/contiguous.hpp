/// @file
/// The contiguous hint (Arm ARM DDI 0487K.a D8.6.1 "The Contiguous bit"): an aligned group
/// of G::contiguous_entries(level) leaves that map one aligned, contiguous output range
/// with the same attributes may say so, letting the TLB hold one entry for the group. The
/// rules for one group, for the core's regroup (mapping.hpp) and its coalescing.
#ifndef AARCH64_PAGING_CONTIGUOUS_HPP
#define AARCH64_PAGING_CONTIGUOUS_HPP

#include <stdint.h>

#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"

namespace aarch64_paging {

/// The contiguous hint's rules for granule @p G.
template <class G>
struct Contiguous {
    /// The contiguous bit.
    static constexpr uint64_t BIT = bits(Attributes::CONTIGUOUS);

    /// What rewriting a live entry @p old as @p written leaves: the entry as it was,
    /// contiguous bit included, when nothing else changes (a live group is never
    /// regrouped).
    static constexpr Descriptor kept_hint(Descriptor old, Descriptor written) {
        return same_but_hint(old, written) ? old : written;
    }

    /// Whether @p a and @p b differ in nothing but the contiguous bit.
    static constexpr bool same_but_hint(Descriptor a, Descriptor b) { return ((a.bits() ^ b.bits()) & ~BIT) == 0; }

    /// Whether entries [0, @p count) of a table at @p level are valid leaves that map one
    /// output range aligned to count entries, with one set of attributes but the
    /// contiguous bit: what a contiguous group and a table made a block both need.
    static constexpr bool one_run(const Descriptor* entries, unsigned count, unsigned level) {
        const Descriptor first = entries[0];
        const bool leaf =
            level == G::leaf_level ? first.is_table_or_page() : first.is_valid() && !first.is_table(level);
        if (!leaf || (first.output_address().value() & (count * G::level_size(level) - 1)) != 0) {
            return false;
        }
        return same_run(entries, count, first, G::level_size(level)) == count;
    }

    /// How many of @p count entries from @p entries on are @p first, then each @p step
    /// above the last, but for the contiguous bit.
    static constexpr uint64_t same_run(const Descriptor* entries, uint64_t count, Descriptor first, uint64_t step) {
        // Two entries a step, while both go on; then the one of a pair that may.
        uint64_t k = 0;
        uint64_t expected = first.bits();
        while (k + 2 <= count &&
               (((entries[k].bits() ^ expected) | (entries[k + 1].bits() ^ (expected + step))) & ~BIT) == 0) {
            k += 2;
            expected += 2 * step;
        }
        return k < count && same_but_hint(entries[k], Descriptor(expected)) ? k + 1 : k;
    }

    /// Sets (where @p hint and the group is one run) or clears the contiguous bit of every
    /// group of @p table's entries, at @p level, that [@p va, @p end) touches. Invalid
    /// entries lose the bit too: made valid later on a live map, where no group is
    /// regrouped, one would claim a group the others no longer form. Leaves with DBM form
    /// no group: the hardware may update the dirty state (and the Access flag) of one
    /// entry of a group for all of them, so that a page's state would be its group's
    /// (dirty.hpp keeps it each page's own).
    static constexpr void regroup_table(Descriptor* table, unsigned level, uint64_t va, uint64_t end, bool hint) {
        const unsigned n = G::contiguous_entries(level);
        const unsigned first = G::index(va, level) & ~(n - 1);
        const unsigned last = G::index(end - 1, level) | (n - 1);
        for (unsigned g = first; g < last; g += n) {
            Descriptor* group = table + g;
            const bool same = hint && !contains(group[0].flags(), Attributes::DBM) && one_run(group, n, level);
            for (unsigned k = 0; k < n; ++k) {
                if (!group[k].is_table(level) && group[k].bits() != 0) {
                    group[k] = Descriptor(same ? group[k].bits() | BIT : group[k].bits() & ~BIT);
                }
            }
        }
    }
};

}  // namespace aarch64_paging

#endif
