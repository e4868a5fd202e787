/// @file
/// The generic core: a tree of translation tables for one regime and VA range, with the
/// granule and the table address translation as parameters. IdMap (idmap.hpp) and the
/// C ABI are thin layers over it.
///
/// Every change runs in three steps, so that a failed call changes nothing:
/// - plan: walk the range without writing: count the table pages the change needs
///   and, on an active map, check every entry against break-before-make;
/// - reserve: take that many pages from the allocator, or give them back and fail;
/// - apply: walk again and write; this step cannot fail for lack of memory.
///
/// Recursion is per table (depth at most four), never per entry; in the speed build the
/// leaf level is written by a plain loop. The size build (-Os) runs map_range, modify_range
/// and walk_range on one walk of changes (change_walk); tuning.hpp lists the differences.
#ifndef AARCH64_PAGING_MAPPING_HPP
#define AARCH64_PAGING_MAPPING_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/break_before_make.hpp"
#include "aarch64_paging/contiguous.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/page_reserve.hpp"
#include "aarch64_paging/region.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/seal.hpp"
#include "aarch64_paging/text.hpp"
#include "aarch64_paging/tlb_batch.hpp"
#include "aarch64_paging/translation.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {

/// Writes one line of the dump for entries [first, last] of a table at level
/// (src/dump.cpp), covering [va_start, va_end]; first_entry: the entries' descriptor (the
/// first of a folded run). Used by Mapping::dump.
void dump_entries(TextWriter& out, unsigned level, unsigned first, unsigned last,
                  uint64_t va_start, uint64_t va_end, Descriptor first_entry);

AARCH64_PAGING_BUILD_BEGIN

/// A tree of translation tables for one regime and VA range (the crate's Mapping): the
/// generic core under IdMap and the C ABI. It owns its table pages from init() to
/// release(); calls that change the tables change nothing when they fail.
/// @tparam G the granule (Granule4K).
/// @tparam T how table pages' physical addresses and pointers convert (IdTranslation).
template <class G = Granule4K, class T = IdTranslation>
class Mapping {
public:
    /// The granule.
    using Granule = G;
    /// The level of pages: 3.
    static constexpr unsigned LEAF_LEVEL = G::leaf_level;

    /// An empty, unusable mapping; init() makes it one. Constant-initialised and trivially
    /// destructible, so a static one needs no constructor or atexit: release() frees it.
    constexpr Mapping() = default;
    /// The same, with a translation that has state (ImageTranslation, static_tables.hpp).
    constexpr explicit Mapping(const T& translation) : translation_(translation) {}

    /// Allocates the root table at root_level (G::min_root_level to 3), for the regime and
    /// VA range @p where: the table covers [0, size()) in the lower range and
    /// [2^64 - size(), 2^64) in the upper one.
    /// Errors: InvalidArgument for a bad root level, an ASID over 16 bits (or not 0 in a
    /// regime without ASIDs), an unknown regime, the upper range in a regime without one,
    /// an incomplete allocator or a mapping already initialised; OutOfMemory without a
    /// root page.
    /// @p pa_offset: the output address of every input address va is va + pa_offset
    /// (modulo 2^64; an identity map's is 0). modify_range refuses to make valid an entry
    /// that maps anything else.
    [[nodiscard]] constexpr Result init(uint64_t asid, unsigned root_level, const PageAllocator& allocator,
                              uint64_t pa_offset = 0, Regime where = {});
    /// Deactivates the mapping if activate() made it active and returns every table page.
    /// A mapping the MMU runs on (enable_mmu(), mmu.hpp, without disable_mmu()) is left to
    /// the MMU: its tables stay as they are and are not given back, since freeing them, or
    /// loading the TTBR it replaced, would leave the MMU walking what is no longer a table.
    /// Call disable_mmu() before a mapping the MMU uses goes out of scope.
    constexpr void release();
    /// init() succeeded and release() has not run since: the mapping has a root table.
    constexpr bool is_initialised() const { return root_ != nullptr; }

    /// Maps region to the physical range starting at pa with flags (ACCESSED added, the
    /// regime's RES1 bits, and TABLE_OR_PAGE on pages), with the largest blocks
    /// constraints allow. In the upper VA range a region's end of 0 stands for 2^64.
    /// On an active mapping, every live entry the call changes is invalidated in the TLB
    /// (by VA, or the whole regime past TlbBatch::MAX entries), DSB ISH, ISB.
    /// Errors: AddressRange, RegionBackwards, InvalidFlags (REFUSED_MAP_FLAGS, the bits
    /// the regime lacks, unknown constraints), BreakBeforeMakeViolation (active only),
    /// OutOfMemory. On any error the tables are as they were.
    [[nodiscard]] constexpr Result map_range(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                   Constraints constraints = Constraints::NONE);

    /// The table pages map_range(region, pa, flags, constraints) would take from the
    /// allocator now, found by its plan step alone: nothing is allocated or written. Exact:
    /// the call would take this many pages and succeed, or fail as this does.
    /// Errors: those of map_range, but OutOfMemory.
    [[nodiscard]] constexpr Result tables_needed(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                       Constraints constraints, size_t& pages) const;

    /// Splits entries so every leaf passed lies inside region, then calls
    /// fn(const MemoryRegion& leaf_region, Descriptor& entry, unsigned level) -> bool, once
    /// per leaf; false stops with PteUpdateFault. On an active mapping fn first runs on
    /// copies, to check break-before-make before anything changes.
    /// Errors: those of map_range for region; InvalidFlags when fn changes a bit map_range
    /// refuses (TABLE_OR_PAGE, output address and RES0 bits 12-49, the contiguous bit), or
    /// sets VALID on an entry that is empty, at level 0, or a page without the page bit
    /// (value = those bits); PteUpdateFault (value = the entry
    /// before the call); BreakBeforeMakeViolation and OutOfMemory before any change.
    /// The entry for which fn failed keeps its old value.
    template <class F>
    [[nodiscard]] constexpr Result modify_range(const MemoryRegion& region, F&& fn);

    /// Calls fn(const MemoryRegion& leaf_region, Descriptor entry, unsigned level) -> bool
    /// for every leaf (block, page or invalid) intersecting region, with the whole region
    /// the leaf maps. Splits nothing. Errors: those of map_range for region; PteUpdateFault
    /// (value = the descriptor) when fn answers false.
    template <class F>
    [[nodiscard]] constexpr Result walk_range(const MemoryRegion& region, F&& fn) const;

    /// Removes every mapping of region: its entries become empty (zero), blocks that
    /// straddle its edges are split to keep what lies outside, and a table left empty by
    /// the call is freed, its entry zeroed. On an active mapping the TLB is then
    /// invalidated, before any table is freed: by VA for each entry removed (tables
    /// included, for the walk caches), or the whole regime past TlbBatch::MAX entries.
    /// Errors: those of map_range for region; BreakBeforeMakeViolation (active only) when a
    /// valid block straddles an edge of region; OutOfMemory for the splits. On any error
    /// the tables are as they were.
    [[nodiscard]] constexpr Result unmap_range(const MemoryRegion& region);
    /// Seals the mapping: from now on it accepts only changes that tighten access
    /// (widened_bits(), seal.hpp). map_range answers Sealed (it makes entries valid or
    /// rewrites them whole; tighten with modify_range); modify_range answers Sealed, with
    /// region and value = the bits, for a change fn makes that widens, before anything
    /// changes; unmap_range and compact_subtables work as before. There is no unseal.
    constexpr void seal() { widened_ = root_ != nullptr ? &widened_bits : nullptr; }
    /// Whether seal() ran.
    constexpr bool is_sealed() const { return widened_ != nullptr; }

    /// Replaces every subtable whose entries map one aligned, contiguous output range with
    /// one set of attributes by a block (where the level has blocks), bottom-up, and frees
    /// it: what map_range and modify_range leave after pages were made alike again (they
    /// keep tables, as the C ABI contract says). Inactive mappings only: turning a live
    /// table into a block needs break-before-make (Arm ARM D8.16.1). Returns the table
    /// pages freed (0 on an active mapping).
    constexpr size_t coalesce_subtables();

    /// Sets the contiguous hint policy (off after init()). On: after every change to an
    /// inactive mapping, each aligned group of G::contiguous_entries(level) leaves in the range
    /// changed that maps one aligned, contiguous output range with identical attributes
    /// gets the contiguous bit, unless the call has Constraints::NO_CONTIGUOUS_HINT; every
    /// other group there loses it, whatever the policy. On an active mapping no hint is
    /// added, and a change to an entry of a hinted group (but its contiguous bit) is a
    /// BreakBeforeMakeViolation (needs_break_before_make). Off by default: a misprogrammed
    /// group is a TLB conflict that no emulator reports, and cores have errata around the
    /// hint; turn it on where the core's errata notice allows.
    constexpr void set_contiguous_hint(bool on) {
        contiguous_hint_ = on;
        if (on) {
            regroup_ = &regroup_tree;
            hint_used_ = true;
        }
    }
    /// The contiguous hint policy.
    constexpr bool contiguous_hint() const { return contiguous_hint_; }

    /// Frees every subtable whose entries are all empty (zero), as modify_range's splits
    /// of empty entries can leave them, and zeroes its entry; on an active mapping the TLB
    /// is invalidated first, as unmap_range does. Returns the table pages freed.
    constexpr size_t compact_subtables();

    /// Saves the regime's TTBR (TTBR0_EL1, TTBR1_EL1, TTBR0_EL2, ...) in the mapping and
    /// installs this table with its ASID, on the calling core, as arch::switch_ttbr() says:
    /// directly, or where nothing keeps the old and new trees' TLB entries apart (EL2 and
    /// EL3, the upper range, one ASID in both) through the MMU off, so that the TLB never
    /// holds both. The changes made to the mapping, and its activation, are the caller's to
    /// serialise: a change samples once whether the table is live (the library holds no
    /// lock), so an activation on another core during a change escapes that change's
    /// break-before-make check.
    /// Errors: AlreadyActive (activate() or enable_mmu() ran, without their undoing);
    /// InvalidArgument when not initialised, or (value, argument_reason) UPPER_ASID: an
    /// upper-range EL2&0 mapping whose ASID is not TTBR0_EL2's (with TCR_EL2.A1 = 0 that
    /// ASID tags its entries, and EL2 has no TLBI by VA for every ASID; in EL1&0 the
    /// upper range is invalidated for every ASID instead), CODE_NOT_IDENTITY_MAPPED: a
    /// switch through the MMU off from code not mapped to itself (va).
    [[nodiscard]] Result activate();
    /// Restores the TTBR activate() saved, as activate() switches, and invalidates the
    /// table's TLB entries (its ASID's in EL1&0, the regime's elsewhere).
    /// Errors: NotActive; InvalidArgument with MMU_ENABLED for a mapping that enable_mmu()
    /// installed (disable_mmu() turns it off), CODE_NOT_IDENTITY_MAPPED as activate().
    [[nodiscard]] Result deactivate();
    /// Installs this table on the calling core as activate() does, for a table that other
    /// cores may use at the same time: the TTBR value it replaced goes to @p previous, for
    /// deactivate_on_core() on the same core. Counted: the break-before-make rules apply
    /// while any core has the table active. Errors: InvalidArgument when not initialised,
    /// and as activate().
    [[nodiscard]] Result activate_on_core(uint64_t& previous);
    /// Undoes activate_on_core() on the calling core (or activate(), when it is the only
    /// activation left): restores @p previous and invalidates as deactivate() does.
    /// Errors: NotActive when no core has the table active; as deactivate() when the only
    /// activation left is enable_mmu()'s.
    [[nodiscard]] Result deactivate_on_core(uint64_t previous);
    /// For callers that install the table themselves: record that it is live and the TTBR
    /// value it replaced, which deactivate() loads back. Errors: as activate().
    [[nodiscard]] Result mark_active(uint64_t previous_ttbr);
    /// For enable_mmu(): record that the MMU runs on the table, so that deactivate() is
    /// refused and release() leaves the tables to the MMU. Errors: as activate().
    [[nodiscard]] Result mark_enabled();
    /// Records that the caller has taken the table out of use (disable_mmu()).
    /// Errors: NotActive.
    [[nodiscard]] Result mark_inactive();
    /// Whether enable_mmu() installed the table and disable_mmu() has not run since.
    constexpr bool is_mmu_enabled() const { return owner_ == Owner::MmuEnabled; }

    /// Whether the table is live on any core: activate(), activate_on_core() or
    /// mark_active() ran more often than their undoing.
    AARCH64_PAGING_INLINE constexpr bool is_active() const { return active_cores() != 0; }
    /// The cores the table is active on (activate() and mark_active() count one).
    constexpr uint32_t active_cores() const {
        return __builtin_is_constant_evaluated() ? active_cores_ : __atomic_load_n(&active_cores_, __ATOMIC_ACQUIRE);
    }
    /// Root table address | ASID << 48: the TTBR value activate() writes.
    constexpr uint64_t ttbr() const { return root_address().value() | (uint64_t{asid_} << TTBR_ASID_SHIFT); }
    /// The regime and VA range the table serves.
    constexpr Regime regime() const { return where_; }
    /// The first input address the table covers: 0 in the lower VA range, 2^64 - size()
    /// in the upper one.
    constexpr uint64_t va_base() const { return va_base_; }
    /// Where the mapping's own translation takes @p va: va + pa_offset (init()).
    constexpr PhysicalAddress output_address(VirtualAddress va) const { return PhysicalAddress(va.value() + pa_offset_); }
    /// The physical address of the root table; 0 before init().
    constexpr PhysicalAddress root_address() const {
        return root_ != nullptr ? translation_.physical(root_) : PhysicalAddress(0);
    }
    /// Bytes of input address space the table covers, from va_base().
    constexpr uint64_t size() const { return size_; }
    /// Table pages in use, the root included.
    constexpr size_t table_count() const { return tables_; }
    /// The level of the root table.
    constexpr unsigned root_level() const { return root_level_; }
    /// The ASID, tagging the TLB entries of non-global entries.
    constexpr uint16_t asid() const { return asid_; }

    /// Calls fn(const void* table) for every table page, the root included.
    template <class F>
    constexpr void for_each_table(F&& fn) const {
        if (root_ != nullptr) {
            visit_tables(root_, root_level_, fn);
        }
    }

    /// The whole tree, one line per table entry or folded run of entries.
    void dump(TextWriter& out) const;

private:
    friend class PageReserve<Mapping>;
    using PageReserve = aarch64_paging::PageReserve<Mapping>;
    // A page from the allocator (the translation's own, for a compile-time image).
    constexpr Descriptor* alloc_page() {
        if constexpr (T::allocates_pages) {
            return translation_.alloc_page();
        } else {
            return static_cast<Descriptor*>(allocator_.alloc_page(allocator_.ctx));
        }
    }
    constexpr void free_page(Descriptor* page) {
        if constexpr (T::allocates_pages) {
            translation_.free_page(page);
        } else {
            allocator_.free_page(allocator_.ctx, page);
        }
    }
    // Chains next after page: page[0] = next's address, invalid (bit 0 clear). The chains
    // count their pages: 0 is a page's address too (RAM at 0 on some boards).
    constexpr void chain(Descriptor* page, Descriptor* next) const {
        page[0] = next != nullptr ? Descriptor(translation_.physical(next).value()) : Descriptor();
    }
    // The page after page in a chain; only asked where there is one.
    constexpr Descriptor* chained(const Descriptor* page) const { return subtable(page[0]); }

    // After the writes of a call on a live mapping: TlbBatch::sync.
    constexpr void sync_tlb(const TlbBatch& batch) const {
        if (is_active()) {
            batch.sync(where_, asid_, va_base_);
        }
    }
    // Writes value into entry of a table already in the tree, which the MMU may be walking
    // (arch::write_entry: one store the compiler cannot elide, tear or merge); plainly in a
    // compile-time image. New tables, which no walker reaches yet, are written plainly.
    AARCH64_PAGING_INLINE static constexpr void store(Descriptor& entry, Descriptor value) {
        if (__builtin_is_constant_evaluated()) {
            entry = value;
        } else {
            arch::write_entry(entry, value);
        }
    }
    // Writes written over the live leaf entry at va: kept_hint, then TlbBatch::note.
    AARCH64_PAGING_INLINE static constexpr void write_live(Descriptor& entry, Descriptor written, uint64_t va,
                                                          TlbBatch& batch) {
        written = Contiguous<G>::kept_hint(entry, written);
        batch.note(va, entry, written);
        store(entry, written);
    }

    // What a split leaves in a new table: the block's attributes spread over the entries
    // below it (not its contiguous bit: a group of blocks says nothing of the entries
    // below), or nothing for an empty entry.
    static constexpr Descriptor split_entry(Descriptor parent, unsigned child_level, unsigned index) {
        if (parent.bits() == 0) {
            return Descriptor();
        }
        uint64_t bits = (parent.bits() & ~bits_of(Attributes::CONTIGUOUS)) +
                        uint64_t{index} * G::level_size(child_level);
        if (child_level == LEAF_LEVEL) {
            bits |= bits_of(Attributes::TABLE_OR_PAGE);
        }
        return Descriptor(bits);
    }
    static constexpr uint64_t bits_of(Attributes a) { return aarch64_paging::bits(a); }
    // The bits but the address of what map_range writes at level with flags: ACCESSED
    // added, and the page bit on pages.
    static constexpr uint64_t leaf_bits(Attributes flags, unsigned level) {
        return bits_of(flags | Attributes::ACCESSED) | (level == LEAF_LEVEL ? bits_of(Attributes::TABLE_OR_PAGE) : 0);
    }

    constexpr Descriptor* subtable(Descriptor entry) const {
        return static_cast<Descriptor*>(translation_.virt(entry.output_address()));
    }
    // Makes sub the table below entry. In a live tree the walker must not see the table
    // before its entries, so a DSB ISHST comes first; below a table this call creates
    // nothing is reachable yet, so live is only where a new table joins the live tree.
    AARCH64_PAGING_INLINE constexpr void link_table(Descriptor& entry, const Descriptor* sub, bool live) const {
        if (live) {
            arch::table_store_barrier();
        }
        store(entry, Descriptor(translation_.physical(sub), Attributes::VALID | Attributes::TABLE_OR_PAGE));
    }
    static constexpr bool covers_entry(unsigned level, uint64_t va, uint64_t end) {
        return (va & (G::level_size(level) - 1)) == 0 && end - va == G::level_size(level);
    }
    // Whether entries at level that the range covers whole may be blocks: the level has
    // them, the constraints allow them, and va and pa are aligned alike for the level.
    AARCH64_PAGING_INLINE static constexpr bool blocks_allowed(unsigned level, uint64_t va, uint64_t pa,
                                                              Constraints constraints) {
        return G::block_allowed(level) && !contains(constraints, Constraints::NO_BLOCK_MAPPINGS) &&
               ((pa - va) & (G::level_size(level) - 1)) == 0;
    }

    // Calls body(index, va, chunk_end) -> bool for each entry of a table at level that
    // [va, end) touches, with the part of the range inside that entry; stops at the first
    // false. The internal walks answer bool and leave the detail of a failure in a
    // MapError, so that no 40-byte Result travels through every level and entry.
    template <class Body>
    static constexpr bool for_each_entry(unsigned level, uint64_t va, uint64_t end, Body&& body) {
        const uint64_t entry_size = G::level_size(level);
        while (va < end) {
            const uint64_t next = (va & ~(entry_size - 1)) + entry_size;
            const uint64_t chunk_end = next < end ? next : end;
            if (!body(G::index(va, level), va, chunk_end)) {
                return false;
            }
            va = chunk_end;
        }
        return true;
    }


    // For [va, end) inside one leaf table's span: the deepest table on the way down to it
    // and that table's level (LEAF_LEVEL: the leaf table itself); nullptr otherwise.
    constexpr Descriptor* descend(uint64_t va, uint64_t end, unsigned& level) const;
    // The leaf table that holds all of [va, end), if the tables down to it exist.
    constexpr Descriptor* leaf_table(uint64_t va, uint64_t end) const {
        unsigned level = 0;
        Descriptor* table = descend(va, end, level);
        return level == LEAF_LEVEL ? table : nullptr;
    }
    // Whether writing pages for [va, end) over the live entries of a leaf table would need
    // break-before-make; @p changes is set when any entry would change (the contiguous bit
    // of a kept entry aside).
    static constexpr bool pages_need_bbm(const Descriptor* table, uint64_t va, uint64_t end, uint64_t pa,
                                         Attributes flags, bool& changes);
    static constexpr void write_pages(Descriptor* table, uint64_t va, uint64_t end, uint64_t pa, Attributes flags);
    // Writes count entries from entry on, each mapping 2^shift bytes from pa on, with bits.
    static constexpr void write_run(Descriptor* entry, uint64_t count, uint64_t pa, uint64_t bits, unsigned shift) {
        for (uint64_t k = 0; k < count; ++k) {
            entry[k] = Descriptor(((pa + (k << shift)) & G::output_address_mask) | bits);
        }
    }
    // write_pages on a live leaf table: notes the valid entries it changes.
    static constexpr void write_live_pages(Descriptor* table, uint64_t va, uint64_t end, uint64_t pa,
                                 Attributes flags, TlbBatch& tlb);
    // The callbacks' view of [va, end): real addresses, not offsets into the table.
    constexpr MemoryRegion region_at(uint64_t va, uint64_t end) const {
        return MemoryRegion(va + va_base_, end + va_base_);
    }

    // map_range's checks, and region as offsets into va and end; flags gain the RES1 bits,
    // pa moves down with va where the granule's pages are larger than the region's.
    AARCH64_PAGING_INLINE constexpr Result check_map(const MemoryRegion& region, PhysicalAddress& pa, Attributes& flags,
                     Constraints constraints, uint64_t& va, uint64_t& end) const;

    // What one change - a map_range or a modify_range call - asks, passed down its walks.
    // Not a template: in the size build one change_walk serves map_range and every
    // modify_range, whose fn it reaches through fn_ (ModifyCall).
    struct Change {
        const MemoryRegion& region;
        bool active;           // is_active() when the call began
        // A modify_range on a sealed mapping: the seal's rule (widened_bits), else nullptr.
        uint64_t (*widened)(Descriptor, Descriptor, TranslationRegime) = nullptr;
        bool changes = false;  // map_walk's plan finds a live entry to change
        size_t pages = 0;      // the tables the plan finds it needs
        MapError error{};      // why a walk stopped
        TlbBatch tlb{};        // apply: live entries changed
        // map_range: its leaves map va to va + to_pa with flags (and ACCESSED), as large as
        // constraints allow.
        Attributes flags = Attributes::EMPTY;
        Constraints constraints = Constraints::NONE;
        uint64_t to_pa = 0;
        // modify_range and walk_range: fn (nullptr for map_range); modify_range: the bits
        // it may not change.
        bool (*fn_)(Change&, const MemoryRegion&, Descriptor&, unsigned) = nullptr;
        bool walks = false;  // walk_range: fn sees each leaf whole, on a copy
        uint64_t fixed = 0;  // bits fn may not change: REFUSED_MAP_FLAGS, those the regime lacks
        uint64_t res1 = 0;   // bits a valid entry keeps set: the regime's RES1 bits
        uint64_t own = 0;    // va + own: the output address of va (va_base_ + pa_offset_)
    };
    // A modify_range's change with its fn, which the speed build's walk calls directly.
    template <class F>
    struct ModifyCall : Change {
        F& fn;
        // Change::fn_ for this F.
        static constexpr bool call(Change& change, const MemoryRegion& region, Descriptor& entry, unsigned level) {
            return static_cast<ModifyCall&>(change).fn(region, entry, level);
        }
    };
    // Whether a change maps (map_range), or walks (walk_range in the size build), rather
    // than modifies; known at compile time where the walk has the ModifyCall.
    static constexpr bool maps(const Change& call) { return call.fn_ == nullptr; }
    template <class F>
    static constexpr bool maps(const ModifyCall<F>&) {
        return false;
    }
    static constexpr bool walks(const Change& call) { return call.walks; }
    template <class F>
    static constexpr bool walks(const ModifyCall<F>&) {
        return false;
    }
    static constexpr bool call_fn(Change& call, const MemoryRegion& region, Descriptor& entry, unsigned level) {
        return call.fn_(call, region, entry, level);
    }
    template <class F>
    static constexpr bool call_fn(ModifyCall<F>& call, const MemoryRegion& region, Descriptor& entry,
                                  unsigned level) {
        return call.fn(region, entry, level);
    }
    // map_range's change of [va, va + ...) to pa: the Change its walks take.
    static constexpr Change map_change(const MemoryRegion& region, bool active, Attributes flags,
                                       Constraints constraints, uint64_t va, uint64_t pa) {
        Change call{region, active};
        call.flags = flags;
        call.constraints = constraints;
        call.to_pa = pa - va;
        return call;
    }
    // After a change to [va, end) of an inactive mapping: sets (hint) or clears the
    // contiguous bit of every group of leaves that [va, end) touches, at every level.
    constexpr void regroup(Descriptor* table, unsigned level, uint64_t va, uint64_t end, bool hint);
    // regroup over the whole tree, on an inactive mapping; reached through regroup_, so
    // that a program that never turns the hint on does not link it (0.8 KiB of a board's
    // library). Hidden: in position-independent code its address is then taken directly,
    // not through the GOT.
    [[gnu::visibility("hidden")]] static constexpr void regroup_tree(Mapping& mapping, uint64_t va, uint64_t end,
                                                                    bool hint) {
        if (!mapping.is_active() && va != end) {
            // The errata policy is the running CPU's; a compile-time image has none. (Not a
            // const local: its initialiser would be tried as a constant expression, where
            // __builtin_is_constant_evaluated() is true.)
            mapping.regroup(mapping.root_, mapping.root_level_, va, end,
                            hint && mapping.contiguous_hint_ &&
                                (__builtin_is_constant_evaluated() ||
                                 (arch::errata_in_force() & arch::errata::NO_CONTIGUOUS_HINT) == 0));
        }
    }
    // Once the hint has been on, groups may carry the bit, on or off: regroup_ is set.
    // (Not regroup_ != nullptr: a sanitizer build cannot compare function addresses in
    // constant evaluation.)
    constexpr void regroup_range(uint64_t va, uint64_t end, bool hint) {
        if (hint_used_) {
            regroup_(*this, va, end, hint);
        }
    }

    // map_range's walk in the speed build (the size build's is change_walk), serving both
    // steps (tuning.hpp). Planning (no reserve) counts the tables in call.pages and answers
    // false where a live entry would need break-before-make, writing nothing (table is
    // nullptr below a table it would create). Applying (with the reserve) writes, and
    // cannot fail. fresh: table is new and every entry in [va, end) is to be written,
    // whatever it holds.
    template <class Step>
    constexpr bool map_walk(Step apply, Descriptor* table, bool fresh, unsigned level, uint64_t va, uint64_t end,
                  uint64_t pa, Change& call, PageReserve* reserve);
    // A block over entry (table[i], at va): applying writes it (a live entry keeps its
    // contiguous bit when nothing else changes, and its TLB entry is noted); planning
    // answers false where a live entry would need break-before-make.
    template <class Step>
    AARCH64_PAGING_INLINE static constexpr bool map_block(Step apply, Descriptor* table, unsigned i, Descriptor entry,
                                                         Descriptor written, bool live, uint64_t va, Change& call) {
        if (apply) {
            if (live) {
                write_live(table[i], written, va, call.tlb);
            } else {
                table[i] = written;
            }
        } else if (live) {
            if (needs_break_before_make(entry, written)) {
                return false;
            }
            call.changes = call.changes || Contiguous<G>::kept_hint(entry, written) != entry;
        }
        return true;
    }
    // map_walk over a new table at a level with blocks: the whole entries become one run of
    // blocks, and only a partial first and last entry need tables below them (map_edge).
    template <class Step>
    constexpr void map_new_table(Step apply, Descriptor* table, unsigned level, uint64_t va, uint64_t end,
                                 uint64_t pa, Change& call, PageReserve* reserve);
    template <class Step>
    constexpr void map_edge(Step apply, Descriptor* table, unsigned level, uint64_t va, uint64_t end, uint64_t pa,
                            Change& call, PageReserve* reserve);

    // Plan, reserve, apply: a change's steps (change_walk), then the contiguous hint's
    // regroup (hint: the call may add hints) and the TLB maintenance.
    // Out of line: the size build would inline it into both map_range and modify_range.
    template <class Call>
    [[gnu::noinline]] constexpr Result run_change(Call& call, uint64_t va, uint64_t end, bool hint) {
        if (!change_walk(PLAN, root_, Descriptor(), root_level_, va, end, call, nullptr)) {
            return call.error;
        }
        PageReserve reserve(*this);
        if (!reserve.reserve(call.pages)) {
            return Status::OutOfMemory;
        }
        const bool ok = change_walk(APPLY, root_, Descriptor(), root_level_, va, end, call, &reserve);
        reserve.release();  // what a callback that failed midway left
        regroup_range(va, end, hint);
        sync_tlb(call.tlb);
        return ok ? Result() : Result(call.error);
    }
    // One walk serves both steps of modify_range (tuning.hpp), and in the size build
    // map_range's too. Without a reserve it plans: counts the pages splits need and, on an
    // active or sealed mapping, checks each leaf's change (runs fn on a copy); table is
    // nullptr below a split, whose entries derive from parent. With a reserve it splits and
    // changes. False, with call.error, where it stops.
    template <class Step, class Call>
    constexpr bool change_walk(Step apply, Descriptor* table, Descriptor parent, unsigned level, uint64_t va,
                               uint64_t end, Call& call, PageReserve* reserve);
    // change_walk's leaf level in the speed build: fn on each page of [va, end).
    template <class Step, class F>
    constexpr bool modify_pages(Step apply, Descriptor* table, Descriptor parent, uint64_t va, uint64_t end,
                                ModifyCall<F>& call);
    /// Runs fn on a copy of entry into next and checks what it did: the rules every modify
    /// obeys, and break-before-make on an active mapping. False, with call.error, when
    /// refused. Inlined: it runs once per leaf.
    template <class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool modified(Descriptor entry, unsigned level, uint64_t va, uint64_t end,
                                                     Call& call, Descriptor& next) const;
    // walk_range's leaf, entry at va: fn on a copy of it, with the whole region it maps;
    // false, with error, when fn answers false.
    template <class Fn>
    AARCH64_PAGING_INLINE constexpr bool visit_leaf(Descriptor entry, unsigned level, uint64_t va, Fn&& fn,
                                                    MapError& error) const {
        Descriptor copy = entry;
        const uint64_t start = va & ~(G::level_size(level) - 1);
        if (!fn(region_at(start, start + G::level_size(level)), copy, level)) {
            error = MapError::pte_update_fault(entry.bits());
            return false;
        }
        return true;
    }
    // map_range's leaf at va, a block or a page, into next; on an active mapping, false
    // with call.error where it would need break-before-make.
    AARCH64_PAGING_INLINE static constexpr bool mapped(Descriptor entry, unsigned level, uint64_t va, Change& call,
                                                      Descriptor& next) {
        next = Descriptor(((va + call.to_pa) & G::output_address_mask) | leaf_bits(call.flags, level));
        if (call.active) {
            if (needs_break_before_make(entry, next)) {
                call.error = MapError::break_before_make(call.region);
                return false;
            }
            next = Contiguous<G>::kept_hint(entry, next);
        }
        return true;
    }

    // walk_range's walk in the speed build.
    template <class F>
    constexpr bool walk(const Descriptor* table, unsigned level, uint64_t va, uint64_t end, F& fn,
              MapError& error) const;

    constexpr Descriptor* new_table(PageReserve& reserve, Descriptor replaced, unsigned level,
                          bool fully_overwritten);
    constexpr void free_tables(Descriptor* table, unsigned level);

    // Tables taken out of the tree, freed only once the TLB can no longer hold them. Each
    // page's first word links the next: a 4 KiB-aligned address, or 0, reads as an invalid
    // descriptor to a walker still holding the page.
    struct Retired {
        Descriptor* head = nullptr;
        size_t count = 0;
    };
    // Unlinks the subtree at table, which covers from va, into retired (the page itself
    // included), noting in tlb the table entries and valid leaves that go with it.
    constexpr void retire_tables(Descriptor* table, unsigned level, uint64_t va, Retired& retired, TlbBatch& tlb);
    // On a live mapping, the TLB maintenance tlb asks for; then frees what was retired.
    constexpr void free_retired(Retired& retired, const TlbBatch& tlb);
    static constexpr bool is_empty(const Descriptor* table);

    // What one unmap_range call asks, passed down its walks.
    struct UnmapCall {
        size_t pages;  // the splits the plan finds
        TlbBatch tlb;  // apply: what the entries removed leave in the TLB
        Retired retired;
    };
    // As map_walk: planning (table may be nullptr below a split, entries derived from
    // parent) answers false where a live block would be split; applying cannot fail.
    template <class Step>
    constexpr bool unmap_walk(Step apply, Descriptor* table, Descriptor parent, unsigned level, uint64_t va,
                    uint64_t end, UnmapCall& call, PageReserve* reserve);
    // coalesce_subtables below table, which covers from va.
    constexpr void coalesce(Descriptor* table, unsigned level, uint64_t va, Retired& retired, TlbBatch& tlb);
    // Whether the table at level maps one aligned contiguous range with one set of
    // attributes, and the block at level - 1 that maps the same.
    static constexpr bool uniform(const Descriptor* table, unsigned level, Descriptor& block);
    // compact_subtables below table, which covers from va; answers whether table is now
    // empty.
    constexpr bool compact(Descriptor* table, unsigned level, uint64_t va, Retired& retired, TlbBatch& tlb);
    template <class F>
    constexpr void visit_tables(const Descriptor* table, unsigned level, F& fn) const;
    void dump_table(TextWriter& out, const Descriptor* table, unsigned level, uint64_t base) const;

    // Offsets from va_base_ of region (in the upper range an end of 0 is 2^64, the top)
    // into va and end: whether they lie in the table. Inline: every call starts with it.
    // An end that MemoryRegion could not round (within a page of 2^64) is refused; in the
    // upper range a start must lie inside it (start 0 is address 0, below it).
    AARCH64_PAGING_INLINE constexpr bool in_range(const MemoryRegion& region, uint64_t& va, uint64_t& end) const {
        va = region.start().value() - va_base_;
        end = region.end().value() - va_base_;
        if (G::page_size > PAGE_SIZE) {
            // Rounded out to the granule's pages; an end beyond 2^64 - page stays unaligned.
            va &= ~(G::page_size - 1);
            end = end <= UINT64_MAX - (G::page_size - 1) ? (end + G::page_size - 1) & ~(G::page_size - 1) : end;
        }
        return root_ != nullptr && va <= end && end <= size_ && va <= start_limit_ &&
               (end & (G::page_size - 1)) == 0;
    }
    // Why in_range refused region.
    constexpr MapError range_error(const MemoryRegion& region) const;
    // arch::switch_ttbr() to ttbr, with its refusal as an error; displaced gets the TTBR it
    // replaced.
    Result switch_to(uint64_t ttbr, bool leaving, uint64_t& displaced);
    // activate()'s UPPER_ASID check.
    Result check_upper_asid() const;
    void add_core() { __atomic_add_fetch(&active_cores_, 1, __ATOMIC_ACQ_REL); }
    void remove_core() { __atomic_sub_fetch(&active_cores_, 1, __ATOMIC_ACQ_REL); }

    Descriptor* root_ = nullptr;
    T translation_{};
    PageAllocator allocator_;
    size_t tables_ = 0;
    uint64_t saved_ttbr_ = 0;
    uint64_t pa_offset_ = 0;
    uint64_t va_base_ = 0;  // va_base(): input addresses are offsets from it inside
    uint64_t size_ = 0;
    uint64_t start_limit_ = 0;  // the highest start offset: size_, or size_ - 1 when upper
    // Set by init(); zero before, so that a static Mapping (the C ABI's handles on a board)
    // stays in .bss.
    Attributes refused_flags_ = Attributes::EMPTY;  // REFUSED_MAP_FLAGS and the bits the regime lacks
    Attributes res1_flags_ = Attributes::EMPTY;     // the regime's RES1 bits
    uint32_t active_cores_ = 0;
    uint16_t asid_ = 0;
    uint8_t root_level_ = 0;
    Regime where_{};
    // How this table was made live by its owner: activate() or mark_active(), or
    // enable_mmu() (mark_enabled()), without their undoing.
    enum class Owner : uint8_t { None, Activated, MmuEnabled };
    Owner owner_ = Owner::None;
    // widened_bits once seal() ran, else nullptr: reached through the pointer, so that a
    // program that never seals does not link the rule.
    uint64_t (*widened_)(Descriptor, Descriptor, TranslationRegime) = nullptr;
    bool contiguous_hint_ = false;
    bool hint_used_ = false;  // set_contiguous_hint(true) ran: a contiguous bit may be set
    void (*regroup_)(Mapping&, uint64_t, uint64_t, bool) = nullptr;  // set by set_contiguous_hint(true)
};

// ---- Implementation

template <class G, class T>
constexpr Result Mapping<G, T>::init(uint64_t asid, unsigned root_level, const PageAllocator& allocator,
                           uint64_t pa_offset, Regime where) {
    const bool two_levels = has_two_privilege_levels(where.regime);
    if (root_ != nullptr || root_level < G::min_root_level || root_level > LEAF_LEVEL ||
        asid > (two_levels ? MAX_ASID : 0) || !is_known(where.regime) ||
        static_cast<unsigned>(where.range) > static_cast<unsigned>(VaRange::Upper) ||
        (where.range == VaRange::Upper && !two_levels) || (!T::allocates_pages && !allocator.is_complete())) {
        return Status::InvalidArgument;
    }
    allocator_ = allocator;
    PageReserve reserve(*this);
    if (!reserve.reserve(1)) {
        return Status::OutOfMemory;
    }
    asid_ = static_cast<uint16_t>(asid);
    root_level_ = static_cast<uint8_t>(root_level);
    pa_offset_ = pa_offset;
    where_ = where;
    size_ = uint64_t{1} << G::va_bits(root_level);
    va_base_ = where.range == VaRange::Upper ? 0 - size_ : 0;
    start_limit_ = where.range == VaRange::Upper ? size_ - 1 : size_;
    refused_flags_ = REFUSED_MAP_FLAGS | Attributes(refused_bits(where.regime));
    res1_flags_ = Attributes(res1_bits(where.regime));
    root_ = new_table(reserve, Descriptor(), root_level, false);
    return {};
}

template <class G, class T>
constexpr void Mapping<G, T>::release() {
    if (root_ == nullptr) {
        return;
    }
    if (owner_ == Owner::Activated) {
        (void)deactivate();
    }
    if (owner_ != Owner::MmuEnabled) {
        free_tables(root_, root_level_);
    }
    owner_ = Owner::None;
    root_ = nullptr;
    size_ = 0;
    widened_ = nullptr;
    contiguous_hint_ = false;
    hint_used_ = false;
    regroup_ = nullptr;
}

template <class G, class T>
Result Mapping<G, T>::mark_active(uint64_t previous_ttbr) {
    if (root_ == nullptr) {
        return Status::InvalidArgument;
    }
    if (owner_ != Owner::None) {
        return Status::AlreadyActive;
    }
    saved_ttbr_ = previous_ttbr;
    owner_ = Owner::Activated;
    add_core();
    return {};
}

template <class G, class T>
Result Mapping<G, T>::mark_enabled() {
    if (Result r = mark_active(0); !r) {
        return r;
    }
    owner_ = Owner::MmuEnabled;
    return {};
}

template <class G, class T>
Result Mapping<G, T>::mark_inactive() {
    if (owner_ == Owner::None) {
        return Status::NotActive;
    }
    owner_ = Owner::None;
    remove_core();
    return {};
}

template <class G, class T>
Result Mapping<G, T>::switch_to(uint64_t ttbr, bool leaving, uint64_t& displaced) {
    if (!arch::switch_ttbr(where_, ttbr, leaving, displaced)) {
        return MapError::invalid_argument(argument_reason::CODE_NOT_IDENTITY_MAPPED, 0, 0, VirtualAddress(displaced));
    }
    return {};
}

template <class G, class T>
Result Mapping<G, T>::check_upper_asid() const {
    if (where_.regime != TranslationRegime::El2And0 || where_.range != VaRange::Upper) {
        return {};
    }
    const uint16_t tagging = arch::el2_upper_range_asid();
    if (tagging != asid_) {
        return MapError::invalid_argument(argument_reason::UPPER_ASID, asid_, tagging);
    }
    return {};
}

template <class G, class T>
Result Mapping<G, T>::activate() {
    if (root_ == nullptr) {
        return Status::InvalidArgument;
    }
    if (owner_ != Owner::None) {
        return Status::AlreadyActive;
    }
    uint64_t previous = 0;
    if (Result r = check_upper_asid(); !r) {
        return r;
    }
    // Counted first: a change made meanwhile on another core already follows the rules.
    add_core();
    if (Result r = switch_to(ttbr(), false, previous); !r) {
        remove_core();
        return r;
    }
    saved_ttbr_ = previous;
    owner_ = Owner::Activated;
    return {};
}

template <class G, class T>
Result Mapping<G, T>::deactivate() {
    if (owner_ == Owner::None) {
        return Status::NotActive;
    }
    if (owner_ == Owner::MmuEnabled) {
        return MapError::invalid_argument(argument_reason::MMU_ENABLED);
    }
    uint64_t replaced = 0;
    if (Result r = switch_to(saved_ttbr_, true, replaced); !r) {
        return r;
    }
    return mark_inactive();
}

template <class G, class T>
Result Mapping<G, T>::activate_on_core(uint64_t& previous) {
    if (root_ == nullptr) {
        return Status::InvalidArgument;
    }
    if (Result r = check_upper_asid(); !r) {
        return r;
    }
    add_core();
    if (Result r = switch_to(ttbr(), false, previous); !r) {
        remove_core();
        return r;
    }
    return {};
}

template <class G, class T>
Result Mapping<G, T>::deactivate_on_core(uint64_t previous) {
    if (!is_active()) {
        return Status::NotActive;
    }
    // With no activate_on_core() left to undo, this undoes the owner's activation on this
    // core: refused where that was enable_mmu()'s.
    const bool owners = owner_ != Owner::None && active_cores() == 1;
    if (owners && owner_ == Owner::MmuEnabled) {
        return MapError::invalid_argument(argument_reason::MMU_ENABLED);
    }
    uint64_t replaced = 0;
    if (Result r = switch_to(previous, true, replaced); !r) {
        return r;
    }
    if (owners) {
        owner_ = Owner::None;
    }
    remove_core();
    return {};
}

template <class G, class T>
constexpr MapError Mapping<G, T>::range_error(const MemoryRegion& region) const {
    if (root_ == nullptr) {
        return MapError::of(Status::InvalidArgument);
    }
    const bool to_top = where_.range == VaRange::Upper && region.end().value() == 0;
    if (region.is_backwards() && !to_top) {
        return MapError::region_backwards(region);
    }
    const uint64_t end = region.end().value() - va_base_;
    if (end > size_ || (end & (G::page_size - 1)) != 0) {
        return MapError::address_range(region.end());
    }
    return MapError::address_range(region.start());  // below an upper range table
}

template <class G, class T>
constexpr Result Mapping<G, T>::check_map(const MemoryRegion& region, PhysicalAddress& pa, Attributes& flags,
                                Constraints constraints, uint64_t& va, uint64_t& end) const {
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    pa = PhysicalAddress(pa.value() - ((region.start().value() - va_base_) - va));
    if (widened_ != nullptr) {
        return MapError::sealed(region, bits_of(flags | Attributes::VALID));
    }
    if (intersects(flags, refused_flags_)) {
        return MapError::invalid_flags(bits_of(flags & refused_flags_));
    }
    flags = flags | res1_flags_;
    if (intersects(constraints, ~KNOWN_CONSTRAINTS)) {
        return MapError::invalid_flags(aarch64_paging::bits(constraints & ~KNOWN_CONSTRAINTS));
    }
    // The output range must fit the descriptor's output address bits; only a translation
    // other than the identity can make it not.
    const uint64_t oa_limit = G::output_address_mask + G::page_size;
    if ((pa.value() & (G::page_size - 1)) != 0 || pa.value() > oa_limit ||
        end - va > oa_limit - pa.value()) {
        return MapError::address_range(region.start());
    }
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::tables_needed(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                    Constraints constraints, size_t& pages) const {
    // Read first: the atomic load of the core count would leave a static analyser unsure of
    // every field after it.
    const bool active = is_active();
    uint64_t va = 0;
    uint64_t end = 0;
    if (Result r = check_map(region, pa, flags, constraints, va, end); !r) {
        return r;
    }
    // The plan writes nothing: only applying needs a mutable mapping.
    Mapping& self = *const_cast<Mapping*>(this);
    Change call = map_change(region, active, flags, constraints, va, pa.value());
    if constexpr (!FAST_PATHS) {
        if (!self.change_walk(PLAN, root_, Descriptor(), root_level_, va, end, call, nullptr)) {
            return call.error;
        }
    } else if (const Descriptor* leaf = leaf_table(va, end)) {
        if (call.active && pages_need_bbm(leaf, va, end, pa.value(), flags, call.changes)) {
            return MapError::break_before_make(region);
        }
    } else if (!self.map_walk(PLAN, root_, false, root_level_, va, end, pa.value(), call, nullptr)) {
        return MapError::break_before_make(region);
    }
    pages = call.pages;
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::map_range(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                Constraints constraints) {
    const bool active = is_active();  // first, as in tables_needed
    uint64_t va = 0;
    uint64_t end = 0;
    if (Result r = check_map(region, pa, flags, constraints, va, end); !r) {
        return r;
    }
    if (FAST_PATHS) {
        unsigned level = 0;
        Descriptor* table = descend(va, end, level);
        // Less than a level-2 entry below an empty entry: a chain of new tables down to the
        // leaf, built before it is linked, with no plan walk (no block can be used, nothing
        // live changes, so only the pages can be missing). Taken top-down, as the walk takes
        // them, so that both builds (tuning.hpp) lay the tables out alike.
        if (table != nullptr && level < LEAF_LEVEL && end - va < G::level_size(LEAF_LEVEL - 1) &&
            table[G::index(va, level)].bits() == 0) {
            PageReserve reserve(*this);
            if (!reserve.reserve(LEAF_LEVEL - level)) {
                return Status::OutOfMemory;
            }
            Descriptor* const top = new_table(reserve, Descriptor(), level + 1, false);
            Descriptor* above = top;
            for (unsigned l = level + 1; l < LEAF_LEVEL; ++l) {
                Descriptor* below = new_table(reserve, Descriptor(), l + 1, false);
                link_table(above[G::index(va, l)], below, false);
                above = below;
            }
            write_pages(above, va, end, pa.value(), flags);
            link_table(table[G::index(va, level)], top, active);
            regroup_range(va, end, !contains(constraints, Constraints::NO_CONTIGUOUS_HINT));
            if (active) {
                arch::tables_published();
            }
            return {};
        }
        // The common small change, inside one existing leaf table: no allocation, no
        // recursion.
        if (Descriptor* leaf = level == LEAF_LEVEL ? table : nullptr) {
            if (!active) {
                write_pages(leaf, va, end, pa.value(), flags);
                regroup_range(va, end, !contains(constraints, Constraints::NO_CONTIGUOUS_HINT));
                return {};
            }
            bool changes = false;
            if (pages_need_bbm(leaf, va, end, pa.value(), flags, changes)) {
                return MapError::break_before_make(region);
            }
            if (!changes) {
                arch::tables_published();  // as every live call ends, writes or not
                return {};                 // the live entries are as asked already
            }
            TlbBatch tlb;
            write_live_pages(leaf, va, end, pa.value(), flags, tlb);
            sync_tlb(tlb);
            return {};
        }
    }
    Change call = map_change(region, active, flags, constraints, va, pa.value());
    const bool hint = !contains(constraints, Constraints::NO_CONTIGUOUS_HINT);
    if constexpr (!FAST_PATHS) {
        return run_change(call, va, end, hint);
    } else {
        if (!map_walk(PLAN, root_, false, root_level_, va, end, pa.value(), call, nullptr)) {
            return MapError::break_before_make(region);
        }
        if (active && call.pages == 0 && !call.changes) {
            arch::tables_published();  // as after any live call
            return {};                 // no table to add, no live entry to change: nothing to write
        }
        PageReserve reserve(*this);
        if (!reserve.reserve(call.pages)) {
            return Status::OutOfMemory;
        }
        map_walk(APPLY, root_, false, root_level_, va, end, pa.value(), call, &reserve);
        reserve.release();  // nothing left: the plan counted what the walk takes
        regroup_range(va, end, hint);
        sync_tlb(call.tlb);
        return {};
    }
}

template <class G, class T>
constexpr Descriptor* Mapping<G, T>::descend(uint64_t va, uint64_t end, unsigned& level) const {
    if (va == end || ((va ^ (end - 1)) >> G::level_shift(LEAF_LEVEL - 1)) != 0) {
        return nullptr;
    }
    Descriptor* table = root_;
    for (level = root_level_; level < LEAF_LEVEL; ++level) {
        const Descriptor entry = table[G::index(va, level)];
        if (!entry.is_table(level)) {
            break;
        }
        table = subtable(entry);
    }
    return table;
}

template <class G, class T>
constexpr bool Mapping<G, T>::pages_need_bbm(const Descriptor* table, uint64_t va, uint64_t end, uint64_t pa,
                                             Attributes flags, bool& changes) {
    const uint64_t page = leaf_bits(flags, LEAF_LEVEL);
    for (unsigned i = G::index(va, LEAF_LEVEL); va < end; ++i, va += G::page_size, pa += G::page_size) {
        const Descriptor written((pa & G::output_address_mask) | page);
        if (needs_break_before_make(table[i], written)) {
            return true;
        }
        changes = changes || Contiguous<G>::kept_hint(table[i], written) != table[i];
    }
    return false;
}

template <class G, class T>
constexpr void Mapping<G, T>::write_pages(Descriptor* table, uint64_t va, uint64_t end, uint64_t pa,
                                Attributes flags) {
    write_run(table + G::index(va, LEAF_LEVEL), (end - va) >> G::page_shift, pa, leaf_bits(flags, LEAF_LEVEL),
              G::page_shift);
}

template <class G, class T>
constexpr void Mapping<G, T>::write_live_pages(Descriptor* table, uint64_t va, uint64_t end, uint64_t pa,
                                     Attributes flags, TlbBatch& tlb) {
    const uint64_t page = leaf_bits(flags, LEAF_LEVEL);
    for (unsigned i = G::index(va, LEAF_LEVEL); va < end; ++i, va += G::page_size, pa += G::page_size) {
        write_live(table[i], Descriptor((pa & G::output_address_mask) | page), va, tlb);
    }
}

template <class G, class T>
template <class Step>
constexpr void Mapping<G, T>::map_new_table(Step apply, Descriptor* table, unsigned level, uint64_t va,
                                            uint64_t end, uint64_t pa, Change& call, PageReserve* reserve) {
    const uint64_t entry_size = G::level_size(level);
    const uint64_t first_end = (va | (entry_size - 1)) + 1 < end ? (va | (entry_size - 1)) + 1 : end;
    uint64_t run_start = va;
    if (first_end - va != entry_size) {
        map_edge(apply, table, level, va, first_end, pa, call, reserve);
        run_start = first_end;
    }
    const uint64_t last_start = (end & ~(entry_size - 1)) > first_end ? end & ~(entry_size - 1) : first_end;
    if (apply && last_start > run_start) {
        write_run(table + G::index(run_start, level), (last_start - run_start) >> G::level_shift(level),
                  pa + (run_start - va), leaf_bits(call.flags, level), G::level_shift(level));
    }
    if (last_start < end) {
        map_edge(apply, table, level, last_start, end, pa + (last_start - va), call, reserve);
    }
}

template <class G, class T>
template <class Step>
constexpr void Mapping<G, T>::map_edge(Step apply, Descriptor* table, unsigned level, uint64_t va, uint64_t end,
                                       uint64_t pa, Change& call, PageReserve* reserve) {
    if (!apply) {
        ++call.pages;
        map_walk(PLAN, nullptr, true, level + 1, va, end, pa, call, nullptr);
        return;
    }
    Descriptor* sub = new_table(*reserve, Descriptor(), level + 1, false);
    map_walk(APPLY, sub, true, level + 1, va, end, pa, call, reserve);
    link_table(table[G::index(va, level)], sub, false);
}

template <class G, class T>
template <class Step>
constexpr bool Mapping<G, T>::map_walk(Step apply, Descriptor* table, bool fresh, unsigned level, uint64_t va,
                             uint64_t end, uint64_t pa, Change& call, PageReserve* reserve) {
    const bool live = call.active && !fresh;  // entries the MMU may be using
    if (level == LEAF_LEVEL) {
        if (!apply) {
            return !live || !pages_need_bbm(table, va, end, pa, call.flags, call.changes);
        }
        if (live) {
            write_live_pages(table, va, end, pa, call.flags, call.tlb);
        } else {
            write_pages(table, va, end, pa, call.flags);
        }
        return true;
    }
    const uint64_t entry_size = G::level_size(level);
    const bool blocks = blocks_allowed(level, va, pa, call.constraints);
    if (fresh && blocks) {
        map_new_table(apply, table, level, va, end, pa, call, reserve);
        return true;
    }
    // The entries one by one: the hot path of a change to existing tables, so a plain loop
    // (no for_each_entry) where a block or a table costs a few instructions.
    const uint64_t block = leaf_bits(call.flags, level);
    for (unsigned i = G::index(va, level); va < end; ++i) {
        const uint64_t next = (va | (entry_size - 1)) + 1;
        const uint64_t to = next < end ? next : end;
        const Descriptor entry = fresh ? Descriptor() : table[i];
        if (entry.is_table(level)) {
            if (!map_walk(apply, subtable(entry), false, level + 1, va, to, pa, call, reserve)) {
                return false;
            }
        } else if (blocks && to - va == entry_size) {
            if (!map_block(apply, table, i, entry, Descriptor((pa & G::output_address_mask) | block), live, va, call)) {
                return false;
            }
        } else if (!apply) {
            // A new table here: splitting a live block would need break-before-make.
            if (live && entry.is_valid()) {
                return false;
            }
            ++call.pages;
            map_walk(PLAN, nullptr, true, level + 1, va, to, pa, call, nullptr);
        } else {
            // A table every entry of which this call writes need not be filled first. Below an
            // empty entry, the new table's entries in [va, to) are empty too: fresh.
            const bool overwritten = to - va == entry_size;
            Descriptor* sub = new_table(*reserve, entry, level + 1, overwritten);
            map_walk(APPLY, sub, overwritten || entry.bits() == 0, level + 1, va, to, pa, call, reserve);
            link_table(table[i], sub, live);
        }
        pa += to - va;
        va = to;
    }
    return true;
}

template <class G, class T>
template <class F>
constexpr Result Mapping<G, T>::modify_range(const MemoryRegion& region, F&& fn) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    ModifyCall<F> call{{region, is_active(), widened_}, fn};
    if constexpr (SIZE_BUILD) {
        call.fn_ = &ModifyCall<F>::call;  // the speed build calls fn directly
    }
    call.res1 = res1_bits(where_.regime);
    call.fixed = bits_of(REFUSED_MAP_FLAGS) | (refused_bits(where_.regime) & ~call.res1);
    call.own = va_base_ + pa_offset_;
    if constexpr (FAST_PATHS) {
        return run_change(call, va, end, true);
    } else {
        return run_change(static_cast<Change&>(call), va, end, true);  // the walk map_range has too
    }
}

template <class G, class T>
template <class Call>
constexpr bool Mapping<G, T>::modified(Descriptor entry, unsigned level, uint64_t va, uint64_t end, Call& call,
                                       Descriptor& next) const {
    next = entry;
    if (!call_fn(call, region_at(va, end), next, level)) {
        call.error = MapError::pte_update_fault(entry.bits());
        return false;
    }
    // What map_range refuses, fn may not change either: TABLE_OR_PAGE, the output address
    // and RES0 bits 12-49, the contiguous bit, the bits the regime lacks; nor clear the
    // regime's RES1 bits on a valid entry. Nor may it make valid an entry that would then
    // be malformed (a block at level 0, a page without the page bit: reserved encodings)
    // or map another output address than the mapping's own for va (an empty entry's is 0).
    uint64_t refused = (next.bits() ^ entry.bits()) & call.fixed;
    if (next.is_valid()) {
        refused |= call.res1 & ~next.bits();
        if (!entry.is_valid()) {
            const bool well_formed = level == LEAF_LEVEL ? next.is_table_or_page() : G::block_allowed(level);
            const uint64_t own = (va + call.own) & G::output_address_mask;
            if (!well_formed || next.output_address().value() != own) {
                refused |= bits_of(Attributes::VALID);
            }
        }
    }
    if (refused != 0) {
        call.error = MapError::invalid_flags(refused);
        return false;
    }
    if (call.widened != nullptr) {
        // The size build through the pointer; the speed build inlines the rule, as a call
        // in this per-entry path would cost the loop around it its registers.
        uint64_t widened = 0;
        if constexpr (SIZE_BUILD) {
            widened = call.widened(entry, next, where_.regime);
        } else {
            widened = widened_bits(entry, next, where_.regime);
        }
        if (widened != 0) {
            call.error = MapError::sealed(call.region, widened);
            return false;
        }
    }
    if (call.active && needs_break_before_make(entry, next)) {
        call.error = MapError::break_before_make(call.region);
        return false;
    }
    return true;
}

template <class G, class T>
template <class Step, class F>
constexpr bool Mapping<G, T>::modify_pages(Step apply, Descriptor* table, Descriptor parent, uint64_t va, uint64_t end,
                                 ModifyCall<F>& call) {
    for (unsigned i = G::index(va, LEAF_LEVEL); va < end; ++i, va += G::page_size) {
        // Applying, table is never nullptr.
        const Descriptor entry = apply || table != nullptr ? table[i] : split_entry(parent, LEAF_LEVEL, i);
        Descriptor next;
        if (!modified(entry, LEAF_LEVEL, va, va + G::page_size, call, next)) {
            return false;
        }
        if (apply) {
            if (call.active) {
                call.tlb.note(va, entry, next);
            }
            store(table[i], next);
        }
    }
    return true;
}

template <class G, class T>
template <class Step, class Call>
constexpr bool Mapping<G, T>::change_walk(Step apply, Descriptor* table, Descriptor parent, unsigned level,
                                          uint64_t va, uint64_t end, Call& call, PageReserve* reserve) {
    // Only an active or sealed mapping checks each leaf in the plan, before any change is
    // made; an inactive one just counts pages.
    const bool check = apply || call.active || call.widened != nullptr;
    if constexpr (FAST_PATHS) {
        if (level == LEAF_LEVEL) {
            return !check || modify_pages(apply, table, parent, va, end, call);
        }
    }
    return for_each_entry(level, va, end, [&](unsigned i, uint64_t from, uint64_t to) {
        // Applying, table is never nullptr.
        const Descriptor entry = apply || table != nullptr ? table[i] : split_entry(parent, level, i);
        if (table != nullptr && entry.is_table(level)) {
            return change_walk(apply, subtable(entry), Descriptor(), level + 1, from, to, call, reserve);
        }
        if (walks(call)) {
            const auto fn = [&call](const MemoryRegion& region, Descriptor& leaf, unsigned at) {
                return call_fn(call, region, leaf, at);
            };
            return visit_leaf(entry, level, from, fn, call.error);
        }
        // A leaf of the change: an entry it covers whole, which for map_range must also be
        // one the level and constraints allow as a block, else pages go below.
        if (covers_entry(level, from, to) &&
            (!maps(call) || level == LEAF_LEVEL || blocks_allowed(level, from, from + call.to_pa, call.constraints))) {
            Descriptor next;
            if (check && !(maps(call) ? mapped(entry, level, from, call, next)
                                      : modified(entry, level, from, to, call, next))) {
                return false;
            }
            if (apply) {
                if (call.active) {
                    call.tlb.note(from, entry, next);
                }
                store(table[i], next);
            }
            return true;
        }
        if (!apply) {
            if (call.active && table != nullptr && entry.is_valid()) {
                call.error = MapError::break_before_make(call.region);
                return false;
            }
            ++call.pages;
            return change_walk(PLAN, nullptr, entry, level + 1, from, to, call, nullptr);
        }
        Descriptor* sub = new_table(*reserve, entry, level + 1, false);
        link_table(table[i], sub, call.active);
        return change_walk(APPLY, sub, Descriptor(), level + 1, from, to, call, reserve);
    });
}

template <class G, class T>
template <class F>
constexpr Result Mapping<G, T>::walk_range(const MemoryRegion& region, F&& fn) const {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    if constexpr (FAST_PATHS) {
        MapError error;
        if (!walk(root_, root_level_, va, end, fn, error)) {
            return error;
        }
    } else {
        // The walk of changes, planning: it writes nothing.
        ModifyCall<F> call{{region, false}, fn};
        call.fn_ = &ModifyCall<F>::call;
        call.walks = true;
        if (!const_cast<Mapping*>(this)->change_walk(PLAN, root_, Descriptor(), root_level_, va, end,
                                                     static_cast<Change&>(call), nullptr)) {
            return call.error;
        }
    }
    return {};
}

template <class G, class T>
template <class F>
constexpr bool Mapping<G, T>::walk(const Descriptor* table, unsigned level, uint64_t va, uint64_t end, F& fn,
                         MapError& error) const {
    if (level == LEAF_LEVEL) {
        // visit_leaf without its copy and rounding, which cost W6 a quarter more.
        for (unsigned i = G::index(va, level); va < end; ++i, va += G::page_size) {
            if (!fn(region_at(va, va + G::page_size), table[i], level)) {
                error = MapError::pte_update_fault(table[i].bits());
                return false;
            }
        }
        return true;
    }
    return for_each_entry(level, va, end, [&](unsigned i, uint64_t from, uint64_t to) {
        const Descriptor entry = table[i];
        if (entry.is_table(level)) {
            return walk(subtable(entry), level + 1, from, to, fn, error);
        }
        return visit_leaf(entry, level, from, fn, error);
    });
}

template <class G, class T>
constexpr Descriptor* Mapping<G, T>::new_table(PageReserve& reserve, Descriptor replaced, unsigned level,
                                     bool fully_overwritten) {
    Descriptor* table = reserve.take();
    if (fully_overwritten) {
        // Nothing to fill.
    } else if (replaced.bits() == 0) {
        // memset: libc's on the host, the library's own (src/memset.cpp) on a board.
        if (__builtin_is_constant_evaluated()) {
            for (unsigned i = 0; i < G::entries; ++i) {
                table[i] = Descriptor();
            }
        } else {
            __builtin_memset(static_cast<void*>(table), 0, G::page_size);
        }
    } else {
        // split_entry for every index, without its per-entry tests.
        const uint64_t first = split_entry(replaced, level, 0).bits();
        const uint64_t step = G::level_size(level);
        for (unsigned i = 0; i < G::entries; ++i) {
            table[i] = Descriptor(first + i * step);
        }
    }
    ++tables_;
    return table;
}

template <class G, class T>
constexpr void Mapping<G, T>::regroup(Descriptor* table, unsigned level, uint64_t va, uint64_t end, bool hint) {
    for_each_entry(level, va, end, [&](unsigned i, uint64_t from, uint64_t to) {
        if (table[i].is_table(level)) {
            regroup(subtable(table[i]), level + 1, from, to, hint);
        }
        return true;
    });
    Contiguous<G>::regroup_table(table, level, va, end, hint);
}

template <class G, class T>
constexpr void Mapping<G, T>::free_tables(Descriptor* table, unsigned level) {
    if (level < LEAF_LEVEL) {
        for (unsigned i = 0; i < G::entries; ++i) {
            if (table[i].is_table(level)) {
                free_tables(subtable(table[i]), level + 1);
            }
        }
    }
    free_page(table);
    --tables_;
}

template <class G, class T>
constexpr void Mapping<G, T>::retire_tables(Descriptor* table, unsigned level, uint64_t va, Retired& retired,
                                   TlbBatch& tlb) {
    // A walk cache may hold the entry that pointed here, for any address below it.
    tlb.add(va, false);
    for (unsigned i = 0; i < G::entries; ++i) {
        const uint64_t entry_va = va + i * G::level_size(level);
        if (table[i].is_table(level)) {
            retire_tables(subtable(table[i]), level + 1, entry_va, retired, tlb);
        } else if (table[i].is_valid()) {
            tlb.add(entry_va, true);
        }
    }
    chain(table, retired.head);
    retired.head = table;
    ++retired.count;
    --tables_;
}

template <class G, class T>
constexpr void Mapping<G, T>::free_retired(Retired& retired, const TlbBatch& tlb) {
    sync_tlb(tlb);
    for (; retired.count != 0; --retired.count) {
        Descriptor* page = retired.head;
        retired.head = retired.count > 1 ? chained(page) : nullptr;
        free_page(page);
    }
}

template <class G, class T>
constexpr bool Mapping<G, T>::is_empty(const Descriptor* table) {
    for (unsigned i = 0; i < G::entries; ++i) {
        if (table[i].bits() != 0) {
            return false;
        }
    }
    return true;
}

template <class G, class T>
constexpr Result Mapping<G, T>::unmap_range(const MemoryRegion& region) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    UnmapCall call{0, {}, {}};
    if (!unmap_walk(PLAN, root_, Descriptor(), root_level_, va, end, call, nullptr)) {
        return MapError::break_before_make(region);
    }
    PageReserve reserve(*this);
    if (!reserve.reserve(call.pages)) {
        return Status::OutOfMemory;
    }
    unmap_walk(APPLY, root_, Descriptor(), root_level_, va, end, call, &reserve);
    reserve.release();
    regroup_range(va, end, true);
    free_retired(call.retired, call.tlb);
    return {};
}

template <class G, class T>
template <class Step>
constexpr bool Mapping<G, T>::unmap_walk(Step apply, Descriptor* table, Descriptor parent, unsigned level, uint64_t va,
                               uint64_t end, UnmapCall& call, PageReserve* reserve) {
    return for_each_entry(level, va, end, [&](unsigned i, uint64_t from, uint64_t to) {
        const Descriptor entry = table != nullptr ? table[i] : split_entry(parent, level, i);
        const bool whole = level == LEAF_LEVEL || covers_entry(level, from, to);
        if (table != nullptr && entry.is_table(level)) {
            if (apply) {
                Descriptor* sub = subtable(entry);
                if (!whole) {
                    unmap_walk(APPLY, sub, Descriptor(), level + 1, from, to, call, reserve);
                }
                if (whole || is_empty(sub)) {
                    store(table[i], Descriptor());
                    retire_tables(sub, level + 1, from & ~(G::level_size(level) - 1), call.retired, call.tlb);
                }
                return true;
            }
            return whole || unmap_walk(PLAN, subtable(entry), Descriptor(), level + 1, from, to, call, nullptr);
        }
        if (entry.bits() == 0) {
            return true;  // nothing mapped here
        }
        if (whole) {
            if (apply) {
                call.tlb.note(from, entry, Descriptor());
                store(table[i], Descriptor());
            }
            // One entry of a live contiguous group cannot go alone.
            return apply || !is_active() || table == nullptr || !needs_break_before_make(entry, Descriptor());
        }
        // A block straddling an edge: split it, keeping the part outside the region.
        if (!apply) {
            if (is_active() && table != nullptr && entry.is_valid()) {
                return false;
            }
            ++call.pages;
            return unmap_walk(PLAN, nullptr, entry, level + 1, from, to, call, nullptr);
        }
        Descriptor* sub = new_table(*reserve, entry, level + 1, false);
        unmap_walk(APPLY, sub, Descriptor(), level + 1, from, to, call, reserve);
        link_table(table[i], sub, is_active());
        return true;
    });
}

template <class G, class T>
constexpr size_t Mapping<G, T>::compact_subtables() {
    Retired retired;
    TlbBatch tlb;
    if (root_ != nullptr) {
        compact(root_, root_level_, 0, retired, tlb);
    }
    const size_t freed = retired.count;
    free_retired(retired, tlb);
    return freed;
}

template <class G, class T>
constexpr size_t Mapping<G, T>::coalesce_subtables() {
    if (root_ == nullptr || is_active()) {
        return 0;
    }
    Retired retired;
    TlbBatch tlb;
    coalesce(root_, root_level_, 0, retired, tlb);
    const size_t freed = retired.count;
    free_retired(retired, tlb);
    return freed;
}

template <class G, class T>
constexpr void Mapping<G, T>::coalesce(Descriptor* table, unsigned level, uint64_t va, Retired& retired,
                                       TlbBatch& tlb) {
    for (unsigned i = 0; i < G::entries; ++i) {
        if (!table[i].is_table(level)) {
            continue;
        }
        const uint64_t entry_va = va + i * G::level_size(level);
        Descriptor* sub = subtable(table[i]);
        coalesce(sub, level + 1, entry_va, retired, tlb);
        Descriptor block;
        if (G::block_allowed(level) && uniform(sub, level + 1, block)) {
            table[i] = block;
            retire_tables(sub, level + 1, entry_va, retired, tlb);
        }
    }
}

template <class G, class T>
constexpr bool Mapping<G, T>::uniform(const Descriptor* table, unsigned level, Descriptor& block) {
    if (!Contiguous<G>::one_run(table, G::entries, level)) {
        return false;
    }
    // The block drops the page bit and the contiguous bit (a block group is regrouped
    // only by a later change).
    const uint64_t base = table[0].bits() & ~bits_of(Attributes::CONTIGUOUS);
    block = Descriptor(level == LEAF_LEVEL ? base & ~bits_of(Attributes::TABLE_OR_PAGE) : base);
    return true;
}

template <class G, class T>
constexpr bool Mapping<G, T>::compact(Descriptor* table, unsigned level, uint64_t va, Retired& retired,
                            TlbBatch& tlb) {
    bool empty = true;
    for (unsigned i = 0; i < G::entries; ++i) {
        const uint64_t entry_va = va + i * G::level_size(level);
        if (table[i].is_table(level) && compact(subtable(table[i]), level + 1, entry_va, retired, tlb)) {
            Descriptor* sub = subtable(table[i]);
            store(table[i], Descriptor());
            retire_tables(sub, level + 1, entry_va, retired, tlb);
        }
        empty = empty && table[i].bits() == 0;
    }
    return empty;
}

template <class G, class T>
template <class F>
constexpr void Mapping<G, T>::visit_tables(const Descriptor* table, unsigned level, F& fn) const {
    fn(static_cast<const void*>(table));
    if (level < LEAF_LEVEL) {
        for (unsigned i = 0; i < G::entries; ++i) {
            if (table[i].is_table(level)) {
                visit_tables(subtable(table[i]), level + 1, fn);
            }
        }
    }
}

template <class G, class T>
void Mapping<G, T>::dump(TextWriter& out) const {
    static constexpr const char* REGIME_NAMES[] = {"EL1&0", "EL2", "EL2&0", "EL3"};
    out.str(REGIME_NAMES[static_cast<unsigned>(where_.regime)]);
    out.str(where_.range == VaRange::Upper ? " TTBR1" : " TTBR0").str(", root level ").dec(root_level_);
    out.str(", ").hex(va_base_).chr('-').hex(va_base_ + size() - 1);
    out.str(", ASID ").dec(asid_).str(", ").dec(tables_).str(tables_ == 1 ? " table, " : " tables, ");
    out.str(is_active() ? "active" : "inactive").str(", root ").hex(root_address().value()).chr('\n');
    if (root_ != nullptr) {
        dump_table(out, root_, root_level_, va_base_);
    }
}

// Folds runs of entries that continue each other: empty entries, and leaves with the
// same attributes whose output addresses follow on.
template <class G, class T>
void Mapping<G, T>::dump_table(TextWriter& out, const Descriptor* table, unsigned level,
                               uint64_t base) const {
    const uint64_t entry_size = G::level_size(level);
    const unsigned count = root_level_ == level ? static_cast<unsigned>((this->size() - 1) >> G::level_shift(level)) + 1 : G::entries;
    for (unsigned i = 0; i < count;) {
        const Descriptor entry = table[i];
        unsigned last = i;
        if (!entry.is_table(level)) {
            const uint64_t step = entry.bits() == 0 ? 0 : entry_size;
            while (last + 1 < count && table[last + 1].bits() == entry.bits() + (last + 1 - i) * step) {
                ++last;
            }
        }
        const uint64_t va = base + i * entry_size;
        dump_entries(out, level, i, last, va, va + (last - i + 1) * entry_size - 1, entry);
        if (entry.is_table(level)) {
            dump_table(out, subtable(entry), level + 1, va);
        }
        i = last + 1;
    }
}

extern template class Mapping<Granule4K, IdTranslation>;

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
