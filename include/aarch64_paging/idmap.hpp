/// @file
/// IdMap: an identity map (every virtual address maps to the same physical address) over
/// the generic core, owning its tables for its lifetime. The crate's IdMap, in C++.
///
/// @code
///   aarch64_paging::IdMap map(1, 1);           // ASID 1, root level 1: 512 GiB
///   if (!map.is_valid()) ...                    // no page for the root table
///   Result r = map.map_range(MemoryRegion(0x80200000, 0x80400000),
///                            Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::VALID);
/// @endcode
#ifndef AARCH64_PAGING_IDMAP_HPP
#define AARCH64_PAGING_IDMAP_HPP

#include <stdint.h>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/region.hpp"
#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

/// An identity map: every address it maps, it maps to itself (the crate's IdMap). It owns
/// its table pages from construction to destruction; not copyable.
class IdMap {
public:
    /// An empty, inactive map with its root table at root_level (0 to 3), ASID asid (16
    /// bits), table pages from allocator (which must outlive the map). is_valid() is
    /// false, and every call answers InvalidArgument, when the arguments are bad or there
    /// was no page for the root; init_result() says why.
    IdMap(uint64_t asid, unsigned root_level, const PageAllocator& allocator = default_page_allocator())
        : init_result_(mapping_.init(asid, root_level, allocator)) {}
    /// Deactivates the map if it is active and returns every table page.
    ~IdMap() { mapping_.release(); }
    IdMap(const IdMap&) = delete;
    IdMap& operator=(const IdMap&) = delete;

    /// The constructor got its root table: the map is usable.
    bool is_valid() const { return mapping_.is_initialised(); }
    /// What the constructor's Mapping::init answered: Ok, or InvalidArgument (bad root
    /// level, ASID over 16 bits, incomplete allocator) or OutOfMemory (no root page).
    const Result& init_result() const { return init_result_; }

    /// Maps every address of @p range to itself with @p flags (ACCESSED added on every
    /// block and page), with the largest blocks that fit: 1 GiB at level 1, 2 MiB at
    /// level 2, pages at level 3. A table already covering part of the range is kept and
    /// filled. On an active map the change is followed by DSB ISHST, no TLB invalidation.
    /// @return Ok, or the error, with the tables exactly as they were:
    ///   - InvalidArgument: the map is not valid;
    ///   - RegionBackwards: region = @p range;
    ///   - AddressRange: va = the range's end, past size();
    ///   - InvalidFlags: value = the refused bits of @p flags (REFUSED_MAP_FLAGS);
    ///   - BreakBeforeMakeViolation: region = @p range; the map is active and the change
    ///     would split a live block, change a live entry's output address, memory type or
    ///     shareability, or clear its nG bit;
    ///   - OutOfMemory: the allocator had no page for a new table.
    [[nodiscard]] Result map_range(const MemoryRegion& range, Attributes flags) {
        return map_range_with_constraints(range, flags, Constraints::NONE);
    }
    /// As map_range(), laid out as @p constraints allow (Constraints::NO_BLOCK_MAPPINGS:
    /// pages only).
    /// @return as map_range(); InvalidFlags also for constraints outside KNOWN_CONSTRAINTS
    ///         (value = those bits).
    [[nodiscard]] Result map_range_with_constraints(const MemoryRegion& range, Attributes flags,
                                                    Constraints constraints) {
        return mapping_.map_range(range, PhysicalAddress(range.start().value()), flags, constraints);
    }
    /// Splits blocks so that every leaf it passes lies inside @p range, then calls
    /// `fn(const MemoryRegion&, Descriptor&, unsigned level) -> bool` once per leaf, which
    /// may change the entry; false stops the call.
    /// @return Ok, or the errors of Mapping::modify_range (InvalidArgument for a map that
    ///         is not valid).
    template <class F>
    [[nodiscard]] Result modify_range(const MemoryRegion& range, F&& fn) {
        return mapping_.modify_range(range, fn);
    }
    /// Calls `fn(const MemoryRegion&, Descriptor, unsigned level) -> bool` for every leaf
    /// (block, page or invalid) that intersects @p range, with the whole region the leaf
    /// maps; false stops the call. Splits nothing.
    /// @return Ok, or the errors of Mapping::walk_range (InvalidArgument for a map that is
    ///         not valid).
    template <class F>
    [[nodiscard]] Result walk_range(const MemoryRegion& range, F&& fn) const {
        return mapping_.walk_range(range, fn);
    }
    /// Removes every mapping of @p range, splitting blocks that straddle its edges and
    /// freeing the tables it empties; on an active map the TLB is invalidated at once.
    /// @return Ok, or the errors of Mapping::unmap_range, the map unchanged.
    [[nodiscard]] Result unmap_range(const MemoryRegion& range) { return mapping_.unmap_range(range); }
    /// Frees every subtable whose entries are all empty. @return the pages freed.
    size_t compact_subtables() { return mapping_.compact_subtables(); }

    /// Saves TTBR0_EL1 and installs this map's root with its ASID (on the host only the
    /// state changes).
    /// @return Ok, or the error, the map unchanged:
    ///   - AlreadyActive: the map is active;
    ///   - InvalidArgument: the map is not valid.
    [[nodiscard]] Result activate() { return mapping_.activate(); }
    /// Restores the TTBR0_EL1 that activate() saved and invalidates the ASID's TLB entries.
    /// @return Ok, or the error, the map unchanged:
    ///   - NotActive: the map is not active.
    [[nodiscard]] Result deactivate() { return mapping_.deactivate(); }
    /// Whether the map is installed (activate() or enable_mmu()).
    bool is_active() const { return mapping_.is_active(); }

    /// The physical address of the root table (0 for a map that is not valid).
    PhysicalAddress root_address() const { return mapping_.root_address(); }
    /// Bytes of address space the map covers, from 0 (0 for a map that is not valid).
    uint64_t size() const { return mapping_.size(); }
    /// Table pages in use, the root included.
    size_t table_count() const { return mapping_.table_count(); }
    /// Writes the whole tree to @p out, one line per entry or folded run of entries.
    void dump(TextWriter& out) const { mapping_.dump(out); }

    /// The core, for what IdMap does not wrap (enable_mmu, for_each_table, ...).
    Mapping<>& mapping() { return mapping_; }
    /// The core, read-only.
    const Mapping<>& mapping() const { return mapping_; }

private:
    Mapping<> mapping_;
    Result init_result_;
};

}  // namespace aarch64_paging

#endif
