/// @file
/// LinearMap: every virtual address va maps to va + a fixed offset (which may be
/// negative), in one regime and VA range, over the generic core, owning its tables for its
/// lifetime. The crate's LinearMap, in C++; IdMap (idmap.hpp) is the one with offset 0.
///
/// @code
///   // A kernel's upper half: 0xffff'ff80'0000'0000 + x maps RAM at x. The offset is minus
///   // that base: 2^39 modulo 2^64, worked out unsigned, where the subtraction wraps.
///   aarch64_paging::LinearMap kernel({TranslationRegime::El1And0, VaRange::Upper}, 1, 1,
///                                    static_cast<int64_t>(0 - 0xffff'ff80'0000'0000));
///   Result r = kernel.map_range(MemoryRegion(0xffff'ff80'4000'0000, 0xffff'ff80'4800'0000),
///                               Attributes::NORMAL | Attributes::VALID);
/// @endcode
#ifndef AARCH64_PAGING_LINEAR_MAP_HPP
#define AARCH64_PAGING_LINEAR_MAP_HPP

#include <stdint.h>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/region.hpp"
#include "aarch64_paging/text.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// A linear map: every address va it maps, it maps to va + its offset (the crate's
/// LinearMap). It owns its table pages from construction to destruction; not copyable.
class LinearMap {
public:
    /// An empty, inactive map for @p where (regime and VA range) with its root table at
    /// root_level (0 to 3), ASID asid (16 bits; 0 in regimes without ASIDs), output
    /// address = input address + @p pa_offset (modulo 2^64; whole 4 KiB pages), table
    /// pages from allocator (which must outlive the map). is_valid() is false, and every
    /// call answers InvalidArgument, when the arguments are bad or there was no page for
    /// the root; init_result() says why.
    LinearMap(Regime where, uint64_t asid, unsigned root_level, int64_t pa_offset,
              const PageAllocator& allocator = default_page_allocator())
        : init_result_(mapping_.init(asid, root_level, allocator, static_cast<uint64_t>(pa_offset), where)),
          offset_(pa_offset) {}
    /// Deactivates the map if activate() made it active and returns every table page, but
    /// where the table is still live (Mapping::release()): a map the MMU runs on
    /// (enable_mmu(), mmu.hpp), or whose deactivation is refused, keeps its tables in place,
    /// never given back. Call disable_mmu() or deactivate() before such a map goes out of
    /// scope.
    ~LinearMap() { mapping_.release(); }
    LinearMap(const LinearMap&) = delete;
    LinearMap& operator=(const LinearMap&) = delete;

    /// The constructor got its root table: the map is usable.
    bool is_valid() const { return mapping_.is_initialised(); }
    /// What the constructor's Mapping::init answered: Ok, or InvalidArgument (bad root
    /// level, regime or range, ASID over 16 bits or not 0 without ASIDs, incomplete
    /// allocator, an offset that is not whole pages: PA_OFFSET_ALIGNMENT, va the offset)
    /// or OutOfMemory (no root page).
    const Result& init_result() const { return init_result_; }

    /// Maps every address va of @p range to va + the offset with @p flags (ACCESSED and
    /// the regime's RES1 bits added on every block and page), with the largest blocks
    /// that fit: 1 GiB at level 1, 2 MiB at level 2, pages at level 3. A table already
    /// covering part of the range is kept and filled. On an active map every live entry
    /// changed is invalidated in the TLB (TLBI by VA, or the regime), DSB ISH, ISB.
    /// @return Ok, or the error, with the tables exactly as they were:
    ///   - InvalidArgument: the map is not valid;
    ///   - RegionBackwards: region = @p range;
    ///   - AddressRange: va = the range's end, past size();
    ///   - InvalidVirtualAddress: va = the first address of @p range that the offset
    ///     would take outside the output addresses: as the crate's LinearMap, an address
    ///     read as a signed number (upper-range addresses negative) plus the offset must be
    ///     in [0, 2^63);
    ///   - InvalidFlags: value = the refused bits of @p flags (REFUSED_MAP_FLAGS, and the
    ///     bits the regime lacks: refused_bits());
    ///   - BreakBeforeMakeViolation: region = the whole region of the first live entry
    ///     that would have to break; the map is active and the change would split a live
    ///     block, change a live entry's output address, memory type or shareability, or
    ///     clear its nG bit;
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
        uint64_t outside = 0;
        if (is_valid() && leaves_output_space(range, outside)) {
            return MapError::invalid_virtual_address(VirtualAddress(outside));
        }
        return mapping_.map_range(range, mapping_.output_address(range.start()), flags, constraints);
    }
    /// As map_range_with_constraints(), to the physical range that starts at @p pa rather
    /// than to the map's own output addresses: a device or a carve-out at a virtual address
    /// of the caller's choosing (TF-A's MAP_REGION(pa, va, ...)). Blocks only where the
    /// virtual and the physical address are both aligned to the block's size.
    /// modify_range()'s callback still may not make valid an entry at another output
    /// address than the map's own: map it again with this call.
    /// @return as map_range_with_constraints(), and InvalidArgument (PA_PAGE_OFFSET, va =
    ///         @p pa) for a pa at another offset in its page than the range's start;
    ///         AddressRange (va = the range's start) for an output range beyond 48 bits.
    [[nodiscard]] Result map_range_to(const MemoryRegion& range, PhysicalAddress pa, Attributes flags,
                                      Constraints constraints = Constraints::NONE) {
        return mapping_.map_range(range, pa, flags, constraints);
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

    /// Saves the regime's TTBR (TTBR0_EL1, TTBR1_EL1, TTBR0_EL2, ...) and installs this
    /// map's root with its ASID (on the host only the fake registers change); with the
    /// MMU on, through the MMU off where no ASID keeps the two trees' TLB entries apart
    /// (Mapping::activate).
    /// @return Ok, or the error, the map unchanged:
    ///   - AlreadyActive: the map is active;
    ///   - InvalidArgument: the map is not valid; or, value argument_reason::UPPER_ASID
    ///     or CODE_NOT_IDENTITY_MAPPED, as Mapping::activate says.
    [[nodiscard]] Result activate() { return mapping_.activate(); }
    /// Restores the TTBR that activate() saved and invalidates the map's TLB entries.
    /// @return Ok, or the error, the map unchanged:
    ///   - NotActive: the map is not active;
    ///   - InvalidArgument, value argument_reason::MMU_ENABLED: enable_mmu() installed the
    ///     map; disable_mmu() turns it off.
    [[nodiscard]] Result deactivate() { return mapping_.deactivate(); }
    /// Whether the map is installed (activate() or enable_mmu()).
    bool is_active() const { return mapping_.is_active(); }

    /// The physical address of the root table (0 for a map that is not valid).
    PhysicalAddress root_address() const { return mapping_.root_address(); }
    /// Bytes of address space the map covers, from va_base() (0 for a map that is not
    /// valid).
    uint64_t size() const { return mapping_.size(); }
    /// The first address the map covers: 0, or 2^64 - size() in the upper VA range.
    uint64_t va_base() const { return mapping_.va_base(); }
    /// Table pages in use, the root included.
    size_t table_count() const { return mapping_.table_count(); }
    /// Writes the whole tree to @p out, one line per entry or folded run of entries.
    void dump(TextWriter& out) const { mapping_.dump(out); }

    /// The core, for what LinearMap does not wrap (enable_mmu, activate_on_core, ...).
    Mapping<>& mapping() { return mapping_; }
    /// The core, read-only.
    const Mapping<>& mapping() const { return mapping_; }

private:
    // Whether the offset takes an address of range (non-empty, not backwards; an end of 0
    // is 2^64) outside the output addresses the crate's LinearTranslation allows: va, read
    // as a signed number (upper-range addresses are negative), plus the offset must be in
    // [0, 2^63). outside is then the first such address.
    bool leaves_output_space(const MemoryRegion& range, uint64_t& outside) const {
        const uint64_t start = range.start().value();
        const uint64_t last = range.end().value() - 1;
        if (range.start() == range.end() || last < start) {
            return false;  // the core's to refuse, or to do nothing
        }
        constexpr uint64_t SIGN = uint64_t{1} << 63;
        int64_t out = 0;
        if (__builtin_add_overflow(static_cast<int64_t>(start), offset_, &out) || out < 0) {
            outside = start;
            return true;
        }
        if (start >= SIGN) {
            return false;  // a negative start the offset keeps: the rest of the range too
        }
        // From start up, the first address past INT64_MAX - offset overflows, and 2^63
        // (negative) falls below 0.
        outside = offset_ > 0 ? static_cast<uint64_t>(INT64_MAX - offset_) + 1 : SIGN;
        return last >= outside;
    }

    Mapping<> mapping_;
    Result init_result_;
    int64_t offset_;
};

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
