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
/// One walk (walk.hpp) serves every operation, in both builds: recursion per table
/// (depth at most four), never per entry, and the leaf level a plain loop. The speed
/// build gives each operation and step its own inlined copy of it, the size build (-Os)
/// one copy for all; tuning.hpp lists the differences.
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
#include "aarch64_paging/dirty.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/indirect.hpp"
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
                  uint64_t va_start, uint64_t va_end, Descriptor first_entry, bool stage2 = false);

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
    /// an incomplete allocator, a @p pa_offset that is not a multiple of G::page_size
    /// (PA_OFFSET_ALIGNMENT) or a mapping already initialised; OutOfMemory without a root
    /// page.
    /// @p pa_offset: the output address of every input address va is va + pa_offset
    /// (modulo 2^64; an identity map's is 0). modify_range refuses to make valid an entry
    /// that maps anything else. A stage-2 mapping is made by init_stage2(): init() refuses
    /// TranslationRegime::Stage2 (REGIME).
    [[nodiscard]] constexpr Result init(uint64_t asid, unsigned root_level, const PageAllocator& allocator,
                              uint64_t pa_offset = 0, Regime where = {});
    /// init() for stage 2 (TranslationRegime::Stage2): @p vmid is the VMID (VTTBR_EL2 bits
    /// 63:48, at most 16 bits), the input addresses are IPAs, [0, 2^ipa_bits) with
    /// @p options' ipa_bits, and the root level is G::stage2_min_root_level to
    /// G::stage2_max_root_level. Where ipa_bits is more than one table at the root level
    /// resolves, the root is 2 to 16 concatenated tables (G::stage2_root_tables), taken
    /// from the allocator's alloc_pages in one contiguous, size-aligned request; the
    /// other tables are pages as at stage 1. Its own function, so that a program that
    /// makes no stage-2 mapping links none of this.
    /// Errors: InvalidArgument with INITIALISED, ROOT_LEVEL, IPA_SIZE (ipa_bits outside
    /// G::stage2_min_ipa_bits to G::stage2_max_ipa_bits of the root level), VMID_WIDTH,
    /// ALLOCATOR, CONTIGUOUS_ALLOCATOR (a concatenated root and no alloc_pages/free_pages);
    /// OutOfMemory (value: the root's pages) when the allocator answers nullptr, or for
    /// the concatenated root a run that is not aligned to its size.
    [[nodiscard]] constexpr Result init_stage2(uint64_t vmid, unsigned root_level, const PageAllocator& allocator,
                                     uint64_t pa_offset, Stage2Options options);
    /// Deactivates the mapping if activate() made it active and returns every table page,
    /// unless the table is still live on a core: the MMU runs on it (enable_mmu(), mmu.hpp,
    /// without disable_mmu()), that deactivation was refused (CODE_NOT_IDENTITY_MAPPED), or
    /// activate_on_core() was not undone. Then its tables stay as they are and are never
    /// given back (a leak, where freeing them, or loading the TTBR it replaced, would leave
    /// the MMU walking what is no longer a table). Either way the mapping is then as before
    /// init(). To get the pages back, call disable_mmu(), deactivate() or
    /// deactivate_on_core() first, and check what they answer.
    constexpr void release();
    /// init() succeeded and release() has not run since: the mapping has a root table.
    constexpr bool is_initialised() const { return root_ != nullptr; }

    /// Maps region to the physical range starting at pa with flags (ACCESSED added, the
    /// regime's RES1 bits, and TABLE_OR_PAGE on pages), with the largest blocks
    /// constraints allow. In the upper VA range a region's end of 0 stands for 2^64.
    /// Without VALID an unmap (contract 1.1): the entries get flags alone, and the tables
    /// the region covers whole are taken out. A live entry left exactly as it is, is no
    /// change: no split of a live block that maps its part as asked already.
    /// On an active mapping, every live entry the call changes is invalidated in the TLB
    /// (by VA, or the whole regime past TlbBatch::MAX entries), DSB ISH, ISB.
    /// Errors: AddressRange, RegionBackwards, InvalidFlags (REFUSED_MAP_FLAGS, the bits
    /// the regime lacks, unknown constraints), BreakBeforeMakeViolation (active only;
    /// region: the first live entry that would have to break, whole), OutOfMemory. On
    /// any error the tables are as they were.
    [[nodiscard]] AARCH64_PAGING_INLINE constexpr Result map_range(const MemoryRegion& region, PhysicalAddress pa,
                                                         Attributes flags,
                                                         Constraints constraints = Constraints::NONE) {
        return map_flags(region, pa, flags, constraints, foreign(flags), nullptr);
    }
    /// map_range() of a stage-2 mapping, with stage-2 attributes (IPA region to PA). A
    /// stage-2 mapping refuses the stage-1 Attributes that stage 2 reads otherwise
    /// (STAGE1_ONLY, InvalidFlags), and a stage-1 mapping every Stage2Attributes bit. The
    /// refused bits at stage 2 (refused_bits()): bit 11 (RES0), bit 50, and XN[0] (bit 53)
    /// without Stage2Options::xnx. The TLB maintenance of an active stage-2 mapping is
    /// TlbBatch::sync's: by IPA for the VMID, then its stage-1 entries, or the whole VMID.
    [[nodiscard]] AARCH64_PAGING_INLINE constexpr Result map_range(const MemoryRegion& region, PhysicalAddress pa,
                                                         Stage2Attributes flags,
                                                         Constraints constraints = Constraints::NONE) {
        return map_flags(region, pa, Attributes(bits(flags)), constraints, foreign(flags), nullptr);
    }
    /// map_range() with flags as descriptor bits of the mapping's own stage, as the C ABI
    /// gives them (IDMAP_ATTR_* at stage 1, IDMAP_S2_* at stage 2): none refused for being
    /// the other stage's, which raw bits cannot tell. One call for both stages, so that a
    /// caller's one call site keeps the walk inlined into it.
    [[nodiscard]] AARCH64_PAGING_INLINE constexpr Result map_range_bits(const MemoryRegion& region,
                                                              PhysicalAddress pa, uint64_t flags,
                                                              Constraints constraints) {
        return map_flags(region, pa, Attributes(flags), constraints, Attributes::EMPTY, nullptr);
    }
    /// map_range(), doing break-before-make where a change to a live entry needs it
    /// (for hypervisors changing an active stage-2 map; it works at stage 1 too, where the
    /// code must not run from what it breaks). The call is planned and its pages reserved
    /// first, as every change is: it fails, changing nothing, as map_range does - but a
    /// live entry whose change needs a break is no error: on an active mapping each one
    /// is written invalid (0), then DSB ISHST, its TLB entries invalidated as
    /// TlbBatch::sync does (at stage 2: TLBI IPAS2E1IS for the VMID, DSB ISH, TLBI
    /// VMALLE1IS, DSB ISH, ISB), then the new entry written - or, for a live block that the
    /// change splits, the new table (built whole first) linked in its place (under
    /// set_live_splits(true) through nT instead of invalid, as a live split is made). A guest
    /// that touches such an address in between takes a stage-2 translation fault, at
    /// the level of the invalid entry, which the hypervisor sees as an abort from a lower
    /// EL (ESR_EL2 DFSC/IFSC 0b0001LL, HPFAR_EL2 the IPA) and resolves by retrying the
    /// access once the call has returned (as KVM does for a fault on an entry another CPU
    /// is changing). Still refused (BreakBeforeMakeViolation, Contiguous): a change to
    /// one entry of a live contiguous group, which no single break makes safe. On an
    /// inactive mapping the same as map_range.
    [[nodiscard]] constexpr Result map_range_break_before_make(const MemoryRegion& region, PhysicalAddress pa,
                                                     Stage2Attributes flags,
                                                     Constraints constraints = Constraints::NONE) {
        return map_flags(region, pa, Attributes(bits(flags)), constraints, foreign(flags), &break_entry_of);
    }
    /// map_range_break_before_make() with stage-1 Attributes.
    [[nodiscard]] constexpr Result map_range_break_before_make(const MemoryRegion& region, PhysicalAddress pa,
                                                     Attributes flags,
                                                     Constraints constraints = Constraints::NONE) {
        return map_flags(region, pa, flags, constraints, foreign(flags), &break_entry_of);
    }
    /// map_range_break_before_make() with flags as map_range_bits() takes them.
    [[nodiscard]] constexpr Result map_range_bits_break_before_make(const MemoryRegion& region,
                                                                    PhysicalAddress pa, uint64_t flags,
                                                                    Constraints constraints) {
        return map_flags(region, pa, Attributes(flags), constraints, Attributes::EMPTY, &break_entry_of);
    }

    /// The table pages map_range(region, pa, flags, constraints) would take from the
    /// allocator now, found by its plan step alone: nothing is allocated or written. Exact:
    /// the call would take this many pages and succeed, or fail as this does.
    /// Errors: those of map_range, but OutOfMemory.
    [[nodiscard]] constexpr Result tables_needed(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                       Constraints constraints, size_t& pages) const {
        return plan_map(region, pa, flags, constraints, foreign(flags), pages);
    }
    /// tables_needed() for a stage-2 mapping's map_range().
    [[nodiscard]] constexpr Result tables_needed(const MemoryRegion& region, PhysicalAddress pa,
                                       Stage2Attributes flags, Constraints constraints, size_t& pages) const {
        return plan_map(region, pa, Attributes(bits(flags)), constraints, foreign(flags), pages);
    }
    /// tables_needed() for map_range_bits().
    [[nodiscard]] constexpr Result tables_needed_bits(const MemoryRegion& region, PhysicalAddress pa,
                                                      uint64_t flags, Constraints constraints,
                                                      size_t& pages) const {
        return plan_map(region, pa, Attributes(flags), constraints, Attributes::EMPTY, pages);
    }

    /// Splits entries so every leaf passed lies inside region, then calls
    /// fn(const MemoryRegion& leaf_region, Descriptor& entry, unsigned level) -> bool, once
    /// per leaf; false stops with PteUpdateFault. On an active mapping fn first runs on
    /// copies, to check break-before-make before anything changes.
    /// Errors: those of map_range for region; InvalidFlags when fn changes a bit map_range
    /// refuses (TABLE_OR_PAGE, output address and RES0 bits 12-49, the contiguous bit), or
    /// sets VALID on an entry that is empty, at level 0, or a page without the page bit
    /// (value = those bits); PteUpdateFault (value = the entry
    /// before the call); BreakBeforeMakeViolation and OutOfMemory before any change.
    /// The entry for which fn failed keeps its old value. In the size build, fn gets a leaf
    /// loop of its own, where it is inlined, unless wrapped in indirect() (indirect.hpp).
    template <class F>
    [[nodiscard]] constexpr Result modify_range(const MemoryRegion& region, F&& fn);

    /// Calls fn(const MemoryRegion& leaf_region, Descriptor entry, unsigned level) -> bool
    /// for every leaf (block, page or invalid) intersecting region, with the whole region
    /// the leaf maps. Splits nothing. Errors: those of map_range for region; PteUpdateFault
    /// (value = the descriptor) when fn answers false. In the size build, fn gets a leaf
    /// loop of its own, where it is inlined, unless wrapped in indirect() (indirect.hpp).
    template <class F>
    [[nodiscard]] constexpr Result walk_range(const MemoryRegion& region, F&& fn) const;

    /// Changes every valid leaf (block or page) of region alike, as a modify_range()
    /// callback writing entry = (entry & ~clear) | set would, splitting the blocks region
    /// covers in part; invalid entries stay as they are (map_range maps). set and clear are
    /// checked whole first, so that the call fails changing nothing. With set
    /// Attributes::EMPTY and clear all 64 bits the leaves become empty (zero). No callback:
    /// the change costs what the walk costs (TF-A's xlat_change_mem_attributes; the crate
    /// has no such call).
    /// Errors: those of modify_range for region; InvalidFlags (value: the bits) when set or
    /// clear holds VALID or a bit map_range refuses (TABLE_OR_PAGE, the output address and
    /// RES0 bits 12-49, the contiguous bit, the regime's refused and RES1 bits), but for
    /// the all-zero change; BreakBeforeMakeViolation and OutOfMemory, before any change.
    [[nodiscard]] constexpr Result change_attributes(const MemoryRegion& region, Attributes set, Attributes clear);

    /// Calls fn(const MemoryRegion& run, Descriptor first, unsigned level) -> bool once per
    /// run of the leaves intersecting region, in address order: consecutive leaves of one
    /// level that are valid with the same attributes (the contiguous bit aside, which the
    /// library manages) and consecutive output addresses, or invalid with the same bits.
    /// run: the whole region its leaves map; first: its first leaf (the run's output
    /// address and attributes). For counting, dumping, exporting or checking a range at
    /// one call per run rather than per entry. Splits nothing, changes nothing.
    /// Errors: those of walk_range for region; PteUpdateFault (value = first's bits) when
    /// fn answers false.
    template <class F>
    [[nodiscard]] constexpr Result walk_runs(const MemoryRegion& region, F&& fn) const;

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
    /// and no DBM (Contiguous::regroup_table) gets the contiguous bit, unless the call has
    /// Constraints::NO_CONTIGUOUS_HINT; every
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

    /// Guarded code (FEAT_BTI), off after init(). On: every valid leaf map_range writes
    /// from now on that is executable at some level (not PXN and UXN both; in EL2 and EL3,
    /// not XN) gets Attributes::GP, so that an indirect branch into it must land on a BTI
    /// instruction (Arm ARM D8.4, "Guarded pages"); and enable_mmu() sets SCTLR_ELx.BT (BT1
    /// and BT0 in SCTLR_EL1 and EL2&0's SCTLR_EL2, sctlr::BT), so that PACIASP and PACIBSP
    /// are no landing pads for a BR, as Linux sets them (an SCTLR bit: the MMU bring-up's,
    /// not activate()'s). Entries already written, and those modify_range or
    /// change_attributes make executable, keep the GP bit they have: lint_checks::GUARDED
    /// finds executable leaves without it.
    /// @return Ok, or InvalidArgument (NO_BTI, first: the regime) at stage 2, which has no
    ///         GP bit, or on a CPU without FEAT_BTI (ID_AA64PFR1_EL1.BT), where bit 50 is
    ///         RES0; the policy is then as it was.
    constexpr Result set_guarded_code(bool on) {
        if (on && (is_stage2(where_.regime) ||
                   (!__builtin_is_constant_evaluated() && (arch::read_id_aa64pfr1_el1() & 0xf) == 0))) {
            return MapError::invalid_argument(argument_reason::NO_BTI, static_cast<uint16_t>(where_.regime));
        }
        guard_ = on ? Attributes::GP : Attributes::EMPTY;
        return {};
    }
    /// The guarded code policy.
    constexpr bool guarded_code() const { return guard_ != Attributes::EMPTY; }

    /// What the hardware updates in this mapping's descriptors (FEAT_HAFDBS;
    /// hardware_updates::ACCESS_FLAG, DIRTY), none after init(). enable_mmu() (mmu_config())
    /// sets TCR_ELx.HA for either and HD for DIRTY, stage2_vtcr() VTCR_EL2.HA and HD alike;
    /// a mapping activated with a TCR of the caller's own needs them set there. Under DIRTY
    /// every valid leaf map_range writes from now on that would be writable is written
    /// clean (dirty.hpp: DBM, and the write permission bit as for read-only), so that the
    /// first write through it makes it dirty, and collect_dirty() finds it. Entries already
    /// written, and those modify_range() or change_attributes() make writable, keep the DBM
    /// bit they have.
    ///
    /// The hardware updates a descriptor with an atomic read-modify-write; this library's
    /// changes are plain stores. collect_dirty() is safe with them: it writes only dirty
    /// entries, of which the hardware updates nothing but a cleared Access flag (undone at
    /// worst: set again by the next access). A change of a live entry by another call may
    /// undo an update made while it ran: the Access flag, or the dirty state of a page
    /// written meanwhile. Collect the dirty pages of a range before changing it.
    /// @return Ok, or the error, the policy as it was: InvalidFlags (value: the bits) for
    ///         bits hardware_updates::ALL lacks; InvalidArgument (NO_HAFDBS; first: the
    ///         ID_AA64MMFR1_EL1.HAFDBS needed, second: the CPU's) where the CPU lacks them.
    constexpr Result set_hardware_updates(unsigned updates) {
        if ((updates & ~hardware_updates::ALL) != 0) {
            return MapError::invalid_flags(updates & ~hardware_updates::ALL);
        }
        // Not a const initialiser: that would be constant-evaluated, and answer 2.
        uint64_t id_aa64mmfr1 = 2;
        if (!__builtin_is_constant_evaluated()) {
            id_aa64mmfr1 = arch::read_id_aa64mmfr1_el1();
        }
        if (Result r = hardware_updates::supported(updates, id_aa64mmfr1); !r) {
            return r;
        }
        hardware_updates_ = static_cast<uint8_t>(updates);
        tracking_ = (updates & hardware_updates::DIRTY) != 0 ? tracking(is_stage2(where_.regime)) : 0;
        return {};
    }
    /// What the hardware updates (set_hardware_updates()).
    constexpr unsigned hardware_updates() const { return hardware_updates_; }

    /// Reports, in @p bitmap, the pages of @p region that may have been written since they
    /// were mapped or last collected, and makes them clean (dirty.hpp): bit i of the
    /// bitmap's 64-bit words (bit i % 64 of word i / 64) is page i of the region, counted
    /// in the granule's pages from its start rounded down; every other bit of the words the
    /// region needs is cleared. Reported: each page of a valid leaf that is writable now -
    /// dirty under DBM, or writable without DBM (untracked: reported every time). Made
    /// clean: each dirty DBM leaf the region holds whole; a block that reaches past the
    /// region is reported for its pages inside and left dirty, since making it clean would
    /// forget writes outside. On an active mapping the TLB entries of the leaves made clean
    /// are then invalidated (by VA or IPA, or the whole regime past TlbBatch::MAX), so that
    /// a write after the call makes its page dirty again: a page written after the call
    /// returns is reported by the next one; one written during it, by this one or the next.
    /// Splits nothing, takes no page. For stage-2 dirty logging (a migration's rounds: copy
    /// what was reported after the call) without write-protect faults.
    /// Errors, before anything changes: those of walk_range for region; InvalidArgument
    /// (DIRTY_BITMAP) for fewer than (pages + 63) / 64 words, or a NULL bitmap; Sealed
    /// where making a leaf clean would grant access (seal.hpp).
    [[nodiscard]] constexpr Result collect_dirty(const MemoryRegion& region, uint64_t* bitmap, size_t words);

    /// Makes this mapping's table pages read-only in @p in (this mapping if nullptr), as
    /// TF-A's xlat_make_tables_readonly() does for its context: each page, at the address
    /// the library writes it through, becomes READ_ONLY without DBM in @p in (TLB
    /// maintenance where @p in is active). From then on every call that would write this
    /// mapping's tables - map_range, modify_range, change_attributes, unmap_range,
    /// collect_dirty - answers InvalidArgument (TABLES_READ_ONLY) before anything changes,
    /// compact_subtables() and coalesce_subtables() free nothing, and release() leaves the
    /// tables in place, not given back (a page freed would be written); until
    /// unprotect_tables(). Planning calls (tables_needed, walks) work as before.
    ///
    /// Do it before the mapping goes live when @p in is this mapping: the writes that make
    /// the pages read-only go through @p in's own tables, which a live MMU may then refuse
    /// midway. A bootloader finishes its map, protects it, then enables the MMU.
    /// @return Ok, or the error, nothing changed: InvalidArgument NOT_INITIALISED; NOT_STAGE1
    ///         (@p in is a stage-2 mapping: the CPU writes tables through its stage 1);
    ///         TABLES_READ_ONLY (protected already, or @p in's own tables are read-only: it
    ///         takes no change); AlreadyActive where @p in is this mapping and active: its
    ///         own tables would be written through themselves; TABLES_NOT_PAGES (va: the
    ///         first table page, root first, depth first, that @p in does not map with a
    ///         page); BreakBeforeMakeViolation (Contiguous) for one in a live contiguous group
    ///         of @p in; Sealed (region: the page) where @p in is sealed and the change
    ///         would widen access (seal.hpp).
    [[nodiscard]] constexpr Result protect_tables(Mapping* in = nullptr) {
        return set_tables_read_only(in != nullptr ? *in : *this, true);
    }
    /// Undoes protect_tables(): the table pages writable again in the mapping they were made
    /// read-only in (READ_ONLY cleared; DBM stays clear), and changes accepted again. Ok
    /// with nothing to do when they are not read-only.
    /// @return Ok, or the error, nothing changed, as protect_tables() says; Sealed where
    ///         that mapping is sealed (writable is wider).
    [[nodiscard]] constexpr Result unprotect_tables() {
        return tables_read_only_in_ != nullptr ? set_tables_read_only(*tables_read_only_in_, false) : Result{};
    }
    /// Whether protect_tables() ran without its undoing.
    constexpr bool tables_protected() const { return tables_read_only_in_ != nullptr; }
    /// The mapping protect_tables() made the table pages read-only in, or nullptr.
    constexpr const Mapping* tables_read_only_in() const { return tables_read_only_in_; }

    /// Common not Private (FEAT_TTCNP), off after init(). On: ttbr() carries CnP (bit 0,
    /// TTBR_CNP), and with it every TTBR value the mapping loads from now on - activate(),
    /// activate_on_core(), enable_mmu(), and VTTBR_EL2 at stage 2 - telling the hardware
    /// that the cores with the same ASID (VMID) and CnP set share these tables, so that a
    /// TLB entry one core walked may serve the others (Arm ARM DDI 0487K.a, "Common not
    /// private translations"). For a mapping live on several cores at once
    /// (activate_on_core()): where two cores with CnP set and the same ASID (VMID) walk
    /// different tables, translation is CONSTRAINED UNPREDICTABLE, so each ASID must
    /// name one mapping across the cores that set CnP. The library's TLB maintenance is
    /// Inner Shareable broadcast (TLBI *IS) already, so shared entries go with the rest.
    /// A TTBR written already keeps the bit it was written with.
    /// @return Ok, or InvalidArgument (NO_CNP) on a CPU without FEAT_TTCNP
    ///         (ID_AA64MMFR2_EL1.CnP), where TTBR bit 0 is RES0; the policy is then as it was.
    constexpr Result set_common_not_private(bool on) {
        if (on && !__builtin_is_constant_evaluated() && (arch::read_id_aa64mmfr2_el1() & 0xf) == 0) {
            return MapError::invalid_argument(argument_reason::NO_CNP);
        }
        cnp_ = on ? TTBR_CNP : 0;
        return {};
    }
    /// The common not private policy.
    constexpr bool common_not_private() const { return cnp_ != 0; }

    /// Live block splits (FEAT_BBM; Arm ARM DDI 0487K.a, D8.16.2 "Support levels for
    /// changing block size"), off after init(). On: a change to an active mapping that
    /// splits a live block into a table - map_range, modify_range or unmap_range over part
    /// of it - is made by the sequence FEAT_BBM's level 1 gives, rather than refused
    /// (BreakBeforeMakeViolation, Split): the block is written again with nT set (BLOCK_NT,
    /// break_before_make.hpp), DSB ISHST, its TLB entries invalidated (TLBI by VA or IPA,
    /// DSB ISH, ISB), then the new table, built whole beforehand, linked in its place; the
    /// block's TLB entries are invalidated once more with the rest of the call's
    /// maintenance, for a core that cached the nT entry meanwhile. An access through the
    /// block before the link translates as the block did or, where the core makes nT fault
    /// (IMPLEMENTATION DEFINED), takes a translation fault at the block's level: on such
    /// a core the code running must not use what it splits, as with break-before-make; but
    /// no TLB conflict and no loss of coherency can come of it. The new table's entries may
    /// differ from the block only as a live entry may change without a break (permissions,
    /// AF, DBM, nG set, the software bits): any other change is refused as before, and so is
    /// the split of a block of a live contiguous group. FEAT_BBM level 2's splits without
    /// nT, which may raise TLB conflict aborts on some cores, are not made.
    /// @return Ok, or InvalidArgument (NO_BBM) on a CPU without FEAT_BBM
    ///         (ID_AA64MMFR2_EL1.BBM, bits 55:52, is 0), where bit 16 of a block is RES0;
    ///         the policy is then as it was.
    constexpr Result set_live_splits(bool on) {
        if (on && !__builtin_is_constant_evaluated() && ((arch::read_id_aa64mmfr2_el1() >> BBM_SHIFT) & 0xf) == 0) {
            return MapError::invalid_argument(argument_reason::NO_BBM);
        }
        splitter_ = on ? &split_with_nt_of : nullptr;
        live_splits_ = on;
        return {};
    }
    /// The live block splits policy.
    constexpr bool live_splits() const { return live_splits_; }

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
    AARCH64_PAGING_INLINE constexpr uint32_t active_cores() const {
        return __builtin_is_constant_evaluated() ? active_cores_ : __atomic_load_n(&active_cores_, __ATOMIC_ACQUIRE);
    }
    /// Root table address | ASID << 48, | CnP under set_common_not_private(true): the
    /// TTBR value activate() writes; at stage 2 the VTTBR_EL2 value, root | VMID << 48.
    constexpr uint64_t ttbr() const {
        return root_address().value() | (uint64_t{asid_} << TTBR_ASID_SHIFT) | cnp_;
    }
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
    /// The ASID, tagging the TLB entries of non-global entries; at stage 2 the VMID.
    constexpr uint16_t asid() const { return asid_; }
    /// The tables the root is: 1, or at stage 2 2 to 16 concatenated ones (init()).
    constexpr unsigned root_tables() const { return 1u << root_tables_log2_; }
    /// Stage 2 made with FEAT_XNX (Stage2Options::xnx).
    constexpr bool has_xnx() const { return xnx_; }

    /// Calls fn(const void* table) for every table page, the root included.
    template <class F>
    constexpr void for_each_table(F&& fn) const {
        if (root_ != nullptr) {
            // Each table of a concatenated root on its own: fn sees pages. The walk ends at
            // the last table (table_count() counts them): a root alone is not read.
            size_t left = tables_;
            for (unsigned p = 0; p < root_tables(); ++p) {
                left = visit_tables(root_ + p * G::entries, root_level_, fn, left);
            }
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
            if (stage2_ != nullptr) {
                stage2_->sync(batch, ttbr(), va_base_, G::page_shift);
            } else {
                batch.sync(where_, uint64_t{asid_} << TTBR_ASID_SHIFT, va_base_, G::page_shift);  // the tag alone
            }
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
        store(entry, table_descriptor(sub));
    }
    // The table entry that links sub.
    constexpr Descriptor table_descriptor(const Descriptor* sub) const {
        return Descriptor(translation_.physical(sub), Attributes::VALID | Attributes::TABLE_OR_PAGE);
    }
    AARCH64_PAGING_INLINE static constexpr bool covers_entry(unsigned level, uint64_t va, uint64_t end) {
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
    constexpr bool for_each_entry(unsigned level, uint64_t va, uint64_t end, Body&& body) const {
        const uint64_t entry_size = G::level_size(level);
        // Counted on from the first, not taken from each va: from a root table of a stage-2
        // root (root_table()) the index goes on into the next one.
        for (unsigned i = G::index(va, level); va < end; ++i) {
            const uint64_t next = (va & ~(entry_size - 1)) + entry_size;
            const uint64_t chunk_end = next < end ? next : end;
            if (!body(i, va, chunk_end)) {
                return false;
            }
            va = chunk_end;
        }
        return true;
    }


    // The table of the root that holds offset va: the root, or one of the 2 to 16
    // concatenated tables of a stage-2 root. Its entries go on into the next table, which
    // follows it in memory, so that a walk from it over a range that crosses into the next
    // counts its index on from G::index(va) (walk_table, for_each_entry), as the MMU
    // indexes a concatenated root; no walk needs to know of them but where it starts.
    AARCH64_PAGING_INLINE constexpr Descriptor* root_table(uint64_t va) const {
        return root_ + ((va >> G::level_shift(root_level_)) & ~uint64_t{G::entries - 1});
    }
    // The entries of a table at level: the root's tables' (concatenated at stage 2).
    constexpr unsigned entries_at(unsigned level) const {
        return level == root_level_ ? G::entries << root_tables_log2_ : G::entries;
    }

    // The callbacks' view of [va, end): real addresses, not offsets into the table (the
    // walk's va and end are page-aligned).
    constexpr MemoryRegion region_at(uint64_t va, uint64_t end) const {
        return MemoryRegion::aligned(va + va_base_, end + va_base_);
    }
    // The whole region of the entry at level that holds offset va, for errors and
    // callbacks: a block's or a page's, wherever in it va lies.
    AARCH64_PAGING_INLINE constexpr MemoryRegion entry_region(uint64_t va, unsigned level) const {
        const uint64_t start = va & ~(G::level_size(level) - 1);
        return region_at(start, start + G::level_size(level));
    }

    // map_range's checks, and region as offsets into va and end; flags gain the RES1 bits,
    // pa moves down with va where the granule's pages are larger than the region's.
    AARCH64_PAGING_INLINE constexpr Result check_map(const MemoryRegion& region, PhysicalAddress& pa, Attributes& flags,
                     Constraints constraints, Attributes refused_extra, uint64_t& va, uint64_t& end) const;
    // Op::breaker's type: a way of making live changes that break-before-make would refuse,
    // which makes them where it answers true. Each makes splits of live blocks;
    // map_range_break_before_make's (break_entry_of) the leaves' changes too
    // (Op::breaks_leaves), but in a contiguous group.
    using Breaker = bool (*)(const Mapping&, Descriptor&, uint64_t, Descriptor, bool);
    // The bits a call's flags may not have for being another stage's: of stage-1
    // Attributes, STAGE1_ONLY at stage 2; of Stage2Attributes, every bit at stage 1.
    constexpr Attributes foreign(Attributes) const {
        return is_stage2(where_.regime) ? STAGE1_ONLY : Attributes::EMPTY;
    }
    constexpr Attributes foreign(Stage2Attributes) const {
        return is_stage2(where_.regime) ? Attributes::EMPTY : ~Attributes::EMPTY;
    }
    // map_range and map_range_break_before_make: flags checked against foreign too; bbm:
    // a live change that needs break-before-make does it.
    AARCH64_PAGING_PER_CALL constexpr Result map_flags(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                               Constraints constraints, Attributes refused_extra, Breaker breaker);
    // walk_runs' run so far: from start, leaves of level alike; expect is the leaf that
    // would go on with it (step further on: the next output address of a valid one). The
    // walk meets the leaves one after the other, so a run ends where the next begins.
    struct Runs {
        uint64_t start = 0;
        unsigned level = LEAF_LEVEL + 1;  // no run yet
        Descriptor first;
        uint64_t expect = 0;
        uint64_t step = 0;
        // Whether entry, a leaf at level, goes on with the run, and if so takes it in: of
        // the same level, with the expected bits but for the contiguous bit, which the
        // library manages.
        AARCH64_PAGING_INLINE constexpr bool extend(Descriptor entry, unsigned at) {
            if (at != level || !Contiguous<G>::same_but_hint(entry, Descriptor(expect))) {
                return false;
            }
            expect += step;
            return true;
        }
        // How many of the count pages from entry on go on with the run, taken in (a loop
        // of their own, for a leaf table).
        AARCH64_PAGING_INLINE constexpr uint64_t take_pages(const Descriptor* entry, uint64_t count) {
            if (level != LEAF_LEVEL) {
                return 0;
            }
            const uint64_t taken = Contiguous<G>::same_run(entry, count, Descriptor(expect), step);
            expect += taken * step;
            return taken;
        }
        constexpr void begin(uint64_t va, Descriptor entry, unsigned at) {
            start = va;
            level = at;
            first = entry;
            step = entry.is_valid() ? G::level_size(at) : 0;
            expect = entry.bits() + step;
        }
    };
    // modify_range, change_attributes (R) with its masks (fn changes a leaf as changed()
    // does), and collect_dirty (in_place: no split, Op::in_place; plan_only: its seal's
    // check, nothing written).
    template <bool R, class F>
    constexpr Result modify_with(const MemoryRegion& region, F& fn, uint64_t set, uint64_t clear,
                                 bool in_place = false, bool plan_only = false);
    // walk_range, and walk_runs (R) with its run.
    template <bool R, class F>
    constexpr Result visit_with(const MemoryRegion& region, F& fn, Runs* runs) const;
    // protect_tables (on) and unprotect_tables in in.
    constexpr Result set_tables_read_only(Mapping& in, bool on);
    // Whether the tables take writes: InvalidArgument (TABLES_READ_ONLY) after
    // protect_tables().
    constexpr Result tables_writable() const {
        return tables_read_only_in_ == nullptr ? Result{} : MapError::invalid_argument(argument_reason::TABLES_READ_ONLY);
    }
    // tables_needed.
    constexpr Result plan_map(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                              Constraints constraints, Attributes refused_extra, size_t& pages) const;
    // init()'s concatenated stage-2 root: count pages from the allocator's alloc_pages,
    // checked (aligned to their size, within the output address bits), invalidated where
    // the cache is bypassed, zeroed.
    constexpr Result alloc_root(unsigned count, Descriptor*& root);
    // The break of the live leaf slot (at offset va: a block or page) and the make: slot
    // written to between (invalid: a break; the block with nT: a live split's first step)
    // and its TLB entries invalidated at once, then next written - a new table behind a
    // DSB ISHST that publishes it, or a leaf. After nT, the block's TLB entries are
    // invalidated once more: a core may have cached the nT entry before the link.
    constexpr void break_and_make(Descriptor& slot, uint64_t va, Descriptor between, Descriptor next,
                                  bool table) const;
    // Op::breaker of map_range_break_before_make: where writing next over the live leaf slot needs
    // break-before-make, or for a block split (next: the new table), break_and_make - a
    // split through nT instead under set_live_splits(true), with no invalid window; answers
    // whether it broke (and made). Reached through a pointer that only
    // map_range_break_before_make takes, so that no other program links it (nor a second
    // break_before_make_rule). next by value: its address taken would keep the per-entry
    // walk's next in memory. Hidden, as regroup_tree.
    [[gnu::visibility("hidden")]] static constexpr bool break_entry_of(const Mapping& m, Descriptor& slot,
                                                                      uint64_t va, Descriptor next, bool split) {
        if (!split && !needs_break_before_make(slot, next, m.where_.regime)) {
            return false;
        }
        const bool nt = split && m.live_splits_;
        m.break_and_make(slot, va, nt ? Descriptor(slot.bits() | BLOCK_NT) : Descriptor(), next, split);
        return true;
    }
    // Op::breaker under set_live_splits(true): a live block split goes through the block
    // with nT (FEAT_BBM level 1); a leaf's change is left to the walk, as without a
    // breaker. Reached through splitter_, which only set_live_splits sets.
    [[gnu::visibility("hidden")]] static constexpr bool split_with_nt_of(const Mapping& m, Descriptor& slot,
                                                                        uint64_t va, Descriptor next, bool split) {
        if (split) {
            m.break_and_make(slot, va, Descriptor(slot.bits() | BLOCK_NT), next, true);
        }
        return split;
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
            mapping.regroup(mapping.root_table(va), mapping.root_level_, va, end,
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

    // ---- The walk (walk.hpp): one skeleton serves every operation.

    // The operations over the walk: walk_range visits, modify_range modifies, map_range
    // and tables_needed map, unmap_range unmaps.
    enum class OpKind : uint8_t { Visit, Modify, Map, Unmap };
    // What one operation asks, passed down its walk: every kind's fields, so that the
    // size build's one walk takes any.
    struct Op {
        // A constructor, not an aggregate: GCC clears an aggregate whole (TlbBatch's slots
        // too) where this stores each member. Forced inline: GCC's -Os made it a call, whose
        // stores the caller's own then overwrite.
        AARCH64_PAGING_INLINE constexpr Op(Mapping* changed, bool active) : owner(changed), live(active) {}
        Mapping* owner;        // what the walk may change: nullptr for a visit
        bool live;             // is_active() when the call began
        MemoryRegion region{};  // modify_range's region, for its errors
        size_t pages = 0;      // plan: the tables the operation needs
        bool changes = false;  // plan: it writes something on a live mapping
        // Modify: a leaf the range holds in part goes to fn whole, with the part in range,
        // rather than be split (collect_dirty).
        bool in_place = false;
        // map_range_break_before_make: live changes that need it break and make (this);
        // under set_live_splits(true), splits of live blocks go through nT (this). Reached
        // through pointers, so that a program that uses neither links neither.
        Breaker breaker = nullptr;
        bool breaks_leaves = false;  // breaker is map_range_break_before_make's (run())
        MapError error;        // why a walk stopped (set member by member: not cleared whole first)
        Retired retired{};     // apply: tables taken out, freed after the TLB maintenance
        PageReserve* reserve = nullptr;  // apply: the pages the plan counted
        // Visit and Modify: fn, reached through fn_ in the size build (FnOp).
        bool (*fn_)(Op&, const MemoryRegion&, Descriptor&, unsigned) = nullptr;
        // Modify: the seal's rule (widened_bits) on a sealed mapping, else nullptr; the
        // bits fn may not change (REFUSED_MAP_FLAGS, those the regime lacks); the bits a
        // valid entry keeps set (the regime's RES1 bits); va + own is va's output address.
        uint64_t (*widened)(Descriptor, Descriptor, TranslationRegime) = nullptr;
        uint64_t fixed = 0;
        uint64_t res1 = 0;
        uint64_t own = 0;
        // An operation that takes a leaf table's pages in a loop of its own rather than a
        // leaf() each: how many of count pages from entry on it took, where it may (apply,
        // derived: the walk's). change_attributes changes them by its masks
        // (change_pages), walk_runs takes those that go on with its run (run_pages). A
        // pointer only those calls set, so that no other program links the loops; and
        // only their operations' types ask (TAKES: any in the size build's one walk).
        uint64_t (*take_pages)(const Op& op, Descriptor* entry, uint64_t count, bool apply, bool derived) = nullptr;
        static constexpr bool TAKES = true;
        // The size build's walk of a leaf table for modify_range and walk_range
        // (FnOp::leaves_of): walk_leaves with their fn called directly, not through fn_ an
        // entry; nullptr for the others, and in the speed build, whose walk calls fn itself.
        using Leaves = bool (*)(const Mapping& mapping, bool apply, OpKind kind, Descriptor* table,
                                Descriptor parent, bool fresh, unsigned level, uint64_t va, uint64_t end, Op& op);
        Leaves leaves = nullptr;
        uint64_t set = 0;      // change_attributes: a valid leaf becomes (leaf & ~clear) | set
        uint64_t clear = 0;
        Runs* runs = nullptr;  // walk_runs' run so far
        // Map: leaves map va to va + to_pa with bits (VALID: ACCESSED added, the page bit on
        // pages; else bits alone, no address), as large as constraints allow.
        uint64_t bits = 0;
        uint64_t to_pa = 0;
        Constraints constraints = Constraints::NONE;
        TlbBatch tlb{live};  // apply: live entries changed (last: its slots are not cleared)
    };
    // An operation with its fn, which the speed build's walk calls directly; R: it may
    // take pages (Op::take_pages), so that no other operation's loop asks.
    template <class F, bool R = false>
    struct FnOp : Op {
        static constexpr bool TAKES = R;
        F& fn;
        // Op::fn_ for this F.
        static constexpr bool call(Op& op, const MemoryRegion& region, Descriptor& entry, unsigned level) {
            return static_cast<FnOp&>(op).fn(region, entry, level);
        }
        // Op::leaves of the operation K (kind) for this F, with walk()'s arguments: a leaf
        // table's loop of its own, where fn is inlined; what else its entries need (a live
        // change's checks) goes to the one walk's leaf() (shared()).
        template <OpKind K>
        static constexpr bool leaves_of(const Mapping& mapping, bool apply, OpKind, Descriptor* table,
                                        Descriptor parent, bool fresh, unsigned, uint64_t va, uint64_t end, Op& op) {
            // A visit splits nothing: the entries it walks are read, none derived.
            const auto derived = [&] {
                if constexpr (K == OpKind::Visit) {
                    return Fixed<false>{};
                } else {
                    return table == nullptr || fresh;
                }
            }();
            return mapping.walk_leaves(apply, Fixed<K>{}, table, parent, derived, va, end, static_cast<FnOp&>(op));
        }
        // Op::leaves for the operation K: leaves_of in the size build, but for an operation
        // that takes pages (R) or a callable wrapped in indirect(); else nullptr.
        template <OpKind K>
        static constexpr typename Op::Leaves own_leaves() {
            if constexpr (SIZE_BUILD && !R && own_leaf_loop(static_cast<F*>(nullptr))) {
                return &leaves_of<K>;
            } else {
                return nullptr;
            }
        }
    };
    // Left to the compiler: forced inline, GCC's -Os takes visit_leaf out of the size
    // build's walk_leaves instead (W6 63.3 -> 84.3 instructions an entry).
    static constexpr bool call_fn(Op& op, const MemoryRegion& region, Descriptor& entry, unsigned level) {
        return op.fn_(op, region, entry, level);
    }
    template <class F, bool R>
    AARCH64_PAGING_INLINE static constexpr bool call_fn(FnOp<F, R>& op, const MemoryRegion& region, Descriptor& entry,
                                                      unsigned level) {
        return op.fn(region, entry, level);
    }
    // The operation and its kind as leaf() takes them: in the size build the one walk's
    // Op and OpKind (from a callable's own loop, Op::leaves, too), so that leaf() has one
    // instantiation; in the speed build as they are.
    template <class Call>
    AARCH64_PAGING_INLINE static constexpr auto& shared(Call& op) {
        if constexpr (SIZE_BUILD) {
            return static_cast<Op&>(op);
        } else {
            return op;
        }
    }
    template <class Kind>
    AARCH64_PAGING_INLINE static constexpr auto shared_kind(Kind kind) {
        if constexpr (SIZE_BUILD) {
            return OpKind(kind);
        } else {
            return kind;
        }
    }

    // The skeleton: each entry of a table at level that [va, end) touches, with the part of
    // the range inside it. Table entries are walked below (or, taken whole by an unmap,
    // retired); every other entry is the operation's leaf, or is split into a table of
    // its own that is walked below. Planning (no reserve) counts the tables the operation
    // needs in op.pages and checks each change on a live (or sealed) mapping, writing
    // nothing: table is nullptr below a split or a new table, whose entries derive from
    // parent. Applying (with the reserve) writes; fresh: table is new, its entries those
    // parent derives. False, with op.error, where it stops. The leaf level is a plain
    // loop (walk_leaves), inlined where the build asks for speed, into the levels above
    // (walk_table) and into a call that starts at a leaf table.
    template <class Step, class Kind, class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool walk(Step apply, Kind kind, Descriptor* table, Descriptor parent,
                                                 bool fresh, unsigned level, uint64_t va, uint64_t end,
                                                 Call& op) const;
    // walk at the leaf level; derived: the entries are what parent derives (fixed(): the
    // speed build's loop reads or derives without a test per entry).
    template <class Step, class Kind, class Derived, class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool walk_leaves(Step apply, Kind kind, Descriptor* table, Descriptor parent,
                                                        Derived derived, uint64_t va, uint64_t end,
                                                        Call& op) const;
    // walk above the leaf level.
    template <class Step, class Kind, class Call>
    constexpr bool walk_table(Step apply, Kind kind, Descriptor* table, Descriptor parent, bool derived,
                              unsigned level, uint64_t va, uint64_t end, Call& op) const;
    // walk_table's entry slot, a table in the tree, of which [va, end) is the part in
    // range: walked below, or taken out (an unmap's, whole or left empty).
    // (descend and split are walk_table's, each called there once: inlined in every build.)
    template <class Step, class Kind, class Call>
    AARCH64_PAGING_INLINE constexpr bool descend(Step apply, Kind kind, Descriptor& slot, unsigned level, uint64_t va,
                                                 uint64_t end, Call& op) const;
    // walk_table's entry (of the tree if in_tree) that needs a table below it: a split of
    // what it maps, or a new table. Planning counts it (and checks a live one); applying
    // builds it, walks it and links it in slot (nullptr in a plan).
    template <class Step, class Kind, class Call>
    AARCH64_PAGING_INLINE constexpr bool split(Step apply, Kind kind, Descriptor* slot, Descriptor entry,
                                               bool in_tree, unsigned level, uint64_t va, uint64_t end,
                                               Call& op) const;
    // The operation's leaf: entry, at level, of which [va, end) is the part in range.
    // Planning checks it (fn on a copy, break-before-make); applying writes slot (nullptr
    // for a visit, or a plan); in_tree: slot is in a table the MMU may walk (not in one
    // still being built below a split). AARCH64_PAGING_PER_ENTRY: it runs once per leaf.
    template <class Step, class Kind, class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool leaf(Step apply, Kind kind, Descriptor* slot, Descriptor entry,
                                                 bool in_tree, unsigned level, uint64_t va, uint64_t end,
                                                 Call& op) const;
    // A visit's leaf. walk_leaves calls it itself: in the size build, a call per entry with
    // the few arguments a visit needs.
    template <class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool visit_leaf(Descriptor entry, unsigned level, uint64_t va,
                                                       Call& op) const;
    // Whether the operation makes entry (at level, [va, end) of it in range) a leaf of its
    // own (true), or needs a table below it (false). Entries it leaves alone are leaves
    // that write nothing. blocks: whether a whole entry may be one here (walk_table).
    template <class Kind>
    static constexpr bool is_leaf(Kind kind, const Op& op, Descriptor entry, unsigned level, uint64_t va, uint64_t end,
                                  bool blocks);
    // Whether the plan looks at the leaves: the visit itself, or a change to a live
    // mapping (break-before-make; which entries change) or a sealed one (widened_bits). An
    // inactive mapping's change has only tables to count.
    template <class Kind>
    AARCH64_PAGING_INLINE static constexpr bool plans_leaves(Kind kind, const Op& op);
    // What a map writes in the entry at level that holds va: va's output address (va +
    // to_pa, the entry's start's) with bits, and the page bit on pages; without VALID the
    // bits alone (contract 1.1).
    AARCH64_PAGING_INLINE static constexpr Descriptor mapped(const Op& op, uint64_t va, unsigned level);
    // The step between the output addresses of a map's leaves at level: their size, or 0
    // without VALID.
    AARCH64_PAGING_INLINE static constexpr uint64_t stride(const Op& op, unsigned level);
    // A map's run of leaves in a tree no walker uses: count entries from entry on, first
    // and then each step above the last (stride()). Aligned to 32 bytes: its loop of five
    // instructions is all W1 and W2 do an entry, and -Os places functions anywhere; across
    // a 64-byte line it ran the size build's W1 at half speed (AMD EPYC host: 0.59 ns an
    // entry, not 0.32).
    [[gnu::aligned(32)]] static constexpr void write_run(Descriptor* entry, uint64_t count, Descriptor first,
                                                         uint64_t step);
    // How many of count entries of a table above the leaf level, from entry on, come before
    // the first table among them.
    static constexpr uint64_t before_table(const Descriptor* entry, uint64_t count);
    // A map's pages in a live tree: how many of count from entry (at offset va) on map as
    // asked already, the contiguous bit aside: those leaf() would leave as they are.
    static constexpr uint64_t same_pages(const Op& op, const Descriptor* entry, uint64_t va, uint64_t count);
    // change_attributes' change of a leaf: a valid one takes the masks, an invalid one
    // stays as it is.
    AARCH64_PAGING_INLINE static constexpr Descriptor changed(Descriptor entry, uint64_t set, uint64_t clear) {
        return entry.is_valid() ? Descriptor((entry.bits() & ~clear) | set) : entry;
    }
    // Op::take_pages of change_attributes: every page, in a tree no walker uses and where
    // no seal binds; else none, for leaf() to check each. Hidden, as regroup_tree (and
    // run_pages).
    [[gnu::visibility("hidden")]] static constexpr uint64_t change_pages(const Op& op, Descriptor* entry,
                                                                         uint64_t count, bool apply, bool derived);
    // Op::take_pages of walk_runs: those that go on with the run.
    [[gnu::visibility("hidden")]] static constexpr uint64_t run_pages(const Op& op, Descriptor* entry, uint64_t count,
                                                                      bool apply, bool derived);
    // The tables an operation needs below a new, empty table at level for [va, end), the
    // table itself not counted, in closed form, level by level.
    template <class Kind>
    static constexpr size_t tables_below(Kind kind, const Op& op, unsigned level, uint64_t va, uint64_t end);
    // Runs fn on next, a copy of the entry, and checks what it did: the rules every modify
    // obeys. False, with op.error, when refused. (next in and out: one argument fewer,
    // which the size build's call per entry passes in registers on x86-64 too.)
    template <class Call>
    AARCH64_PAGING_PER_ENTRY constexpr bool modified(Descriptor& next, unsigned level, uint64_t va, uint64_t end,
                                                     Call& op) const;
    // The operation: plan from the deepest table that holds all of [va, end) (unmap, which
    // frees tables left empty, from the root); a visit or tables_needed (no owner) ends
    // there, and so does a live change that would change nothing. Then reserve, apply,
    // the contiguous hint's regroup (hint: the call may add hints), the TLB maintenance
    // and the tables taken out freed. A plan that fails, or pages the allocator cannot
    // give, change nothing. Const: what it changes, it changes through op.owner.
    template <class Kind, class Call>
    constexpr Result run(Kind kind, Call& op, uint64_t va, uint64_t end, bool hint) const;
    // run for every operation of the size build: not a template, so the library's
    // explicit instantiation of Mapping (src/mapping.cpp) is its one copy.
    constexpr Result run_erased(OpKind kind, Op& op, uint64_t va, uint64_t end, bool hint) const {
        return run(kind, op, va, end, hint);
    }
    // run of the operation K: run_erased in the size build; in the speed build run with K
    // and the caller's own Call, which the walk inlines.
    template <OpKind K, class Call>
    constexpr Result run_as(Call& op, uint64_t va, uint64_t end, bool hint) const;
    // The deepest table of the tree one of whose entries holds [va, end) but not whole,
    // and its level. Inlined in every build: run() alone calls it, and level would go
    // through memory.
    AARCH64_PAGING_INLINE constexpr Descriptor* deepest(uint64_t va, uint64_t end, unsigned& level) const;
    // map_range's and tables_needed's operation.
    constexpr Op map_op(Attributes flags, Constraints constraints, uint64_t va, uint64_t pa) const;

    // coalesce_subtables below table, which covers from va.
    constexpr void coalesce(Descriptor* table, unsigned level, uint64_t va, Retired& retired, TlbBatch& tlb);
    // Whether the table at level maps one aligned contiguous range with one set of
    // attributes, and the block at level - 1 that maps the same.
    static constexpr bool uniform(const Descriptor* table, unsigned level, Descriptor& block);
    // compact_subtables below table, which covers from va; answers whether table is now
    // empty.
    constexpr bool compact(Descriptor* table, unsigned level, uint64_t va, Retired& retired, TlbBatch& tlb);
    // for_each_table from table, at level, on, of the left tables not yet visited: those
    // left after.
    template <class F>
    constexpr size_t visit_tables(const Descriptor* table, unsigned level, F& fn, size_t left) const;
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
    // init()'s checks of its arguments.
    constexpr Result check_init(uint64_t asid, unsigned root_level, const PageAllocator& allocator,
                                uint64_t pa_offset, Regime where) const;
    // init_stage2()'s checks of its arguments.
    constexpr Result check_init_stage2(uint64_t vmid, unsigned root_level, const PageAllocator& allocator,
                                       uint64_t pa_offset, Stage2Options options) const;
    // What init() and init_stage2() record once the root is there. Inlined: a program
    // that makes no stage-2 mapping calls it once.
    AARCH64_PAGING_INLINE constexpr void adopt(Descriptor* root, uint64_t asid, unsigned root_level,
                                               uint64_t pa_offset, Regime where, unsigned input_bits);
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
    Attributes guard_ = Attributes::EMPTY;          // GP under set_guarded_code(true)
    uint8_t hardware_updates_ = 0;                  // set_hardware_updates()
    uint64_t tracking_ = 0;  // under hardware_updates::DIRTY, the regime's tracking() (dirty.hpp)
    Mapping* tables_read_only_in_ = nullptr;  // protect_tables()' mapping, until unprotect_tables()
    Breaker splitter_ = nullptr;              // split_with_nt_of under set_live_splits(true)
    uint32_t active_cores_ = 0;
    uint16_t asid_ = 0;
    uint8_t root_level_ = 0;
    uint8_t root_tables_log2_ = 0;  // root_tables() = 1 << it (0: zero-initialised, in .bss)
    uint8_t cnp_ = 0;               // TTBR_CNP under set_common_not_private(true): ORed into ttbr()
    bool live_splits_ = false;      // set_live_splits()
    bool xnx_ = false;              // has_xnx()
    // What only a stage-2 mapping does, reached through this table, which init_stage2()
    // sets, so that a program that makes no stage-2 mapping links none of it.
    struct Stage2Calls {
        void (*sync)(const TlbBatch&, uint64_t vttbr, uint64_t va_base, unsigned page_shift);  // after a live change
        void (*switch_vttbr)(uint64_t vttbr, bool leaving, uint64_t& previous);  // (de)activation
        void (*free_root)(Mapping&);  // release() of a concatenated root
    };
    static void free_root_of(Mapping& m);
    static constexpr Stage2Calls STAGE2_CALLS{&TlbBatch::sync_stage2, &arch::switch_vttbr, &free_root_of};
    const Stage2Calls* stage2_ = nullptr;
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
    if (Result r = check_init(asid, root_level, allocator, pa_offset, where); !r) {
        return r;
    }
    allocator_ = allocator;
    PageReserve reserve(*this);
    if (Result r = reserve.reserve(1); !r) {
        return r;
    }
    adopt(new_table(reserve, Descriptor(), root_level, false), asid, root_level, pa_offset, where,
          G::va_bits(root_level));
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::init_stage2(uint64_t vmid, unsigned root_level, const PageAllocator& allocator,
                                            uint64_t pa_offset, Stage2Options options) {
    if (Result r = check_init_stage2(vmid, root_level, allocator, pa_offset, options); !r) {
        return r;
    }
    allocator_ = allocator;
    const unsigned roots = G::stage2_root_tables(root_level, options.ipa_bits);
    Descriptor* root = nullptr;
    if (roots > 1) {
        if (Result r = alloc_root(roots, root); !r) {
            return r;
        }
    } else {
        PageReserve reserve(*this);
        if (Result r = reserve.reserve(1); !r) {
            return r;
        }
        root = new_table(reserve, Descriptor(), root_level, false);
    }
    adopt(root, vmid, root_level, pa_offset, Regime{TranslationRegime::Stage2}, options.ipa_bits);
    root_tables_log2_ = static_cast<uint8_t>(__builtin_ctz(roots));
    xnx_ = options.xnx;
    if (xnx_) {
        refused_flags_ = refused_flags_ & ~Attributes(STAGE2_XN0);
    }
    stage2_ = &STAGE2_CALLS;
    return {};
}

template <class G, class T>
constexpr void Mapping<G, T>::adopt(Descriptor* root, uint64_t asid, unsigned root_level, uint64_t pa_offset,
                                    Regime where, unsigned input_bits) {
    asid_ = static_cast<uint16_t>(asid);
    root_level_ = static_cast<uint8_t>(root_level);
    pa_offset_ = pa_offset;
    where_ = where;
    size_ = uint64_t{1} << input_bits;
    va_base_ = where.range == VaRange::Upper ? 0 - size_ : 0;
    start_limit_ = where.range == VaRange::Upper ? size_ - 1 : size_;
    refused_flags_ = REFUSED_MAP_FLAGS | Attributes(refused_bits(where.regime));
    res1_flags_ = Attributes(res1_bits(where.regime));
    root_ = root;
}

template <class G, class T>
constexpr Result Mapping<G, T>::alloc_root(unsigned count, Descriptor*& root) {
    if constexpr (!T::allocates_pages) {  // else check_init refused the concatenated root
        const uint64_t bytes = uint64_t{count} * G::page_size;
        void* pages = allocator_.alloc_pages(allocator_.ctx, count);
        if (pages == nullptr) {
            return MapError::out_of_memory(count, 0);
        }
        const uint64_t address = translation_.physical(pages).value();
        if ((address & (bytes - 1)) != 0 || (address & ~G::output_address_mask) != 0) {
            allocator_.free_pages(allocator_.ctx, pages, count);
            return MapError::out_of_memory(count, 0, address);
        }
        arch::prepare_table_page(pages, bytes);
        __builtin_memset(pages, 0, bytes);
        tables_ += count;
        root = static_cast<Descriptor*>(pages);
    }
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::check_init(uint64_t asid, unsigned root_level, const PageAllocator& allocator,
                                           uint64_t pa_offset, Regime where) const {
    namespace why = argument_reason;
    // The reason and its numbers, built into one error at the end: an error per check
    // would be a 40-byte constant each.
    uint8_t reason = 0;
    unsigned first = static_cast<unsigned>(where.regime);
    unsigned second = 0;
    const bool two_levels = has_two_privilege_levels(where.regime);
    if (root_ != nullptr) {
        reason = why::INITIALISED;
    } else if (root_level < G::min_root_level || root_level > LEAF_LEVEL) {
        reason = why::ROOT_LEVEL;
        first = root_level < 0xffff ? root_level : 0xffff;
        second = G::min_root_level;
    } else if (!is_known(where.regime)) {  // stage 2 too: init_stage2()
        reason = why::REGIME;
    } else if (static_cast<unsigned>(where.range) > static_cast<unsigned>(VaRange::Upper)) {
        reason = why::VA_RANGE;
        first = static_cast<unsigned>(where.range);
    } else if (asid > MAX_ASID) {
        reason = why::ASID_WIDTH;
        first = 16;
    } else if (asid != 0 && !two_levels) {
        reason = why::ASID_IN_REGIME;
    } else if (where.range == VaRange::Upper && !two_levels) {
        reason = why::NO_UPPER_RANGE;
    } else if (!T::allocates_pages && !allocator.is_complete()) {
        reason = why::ALLOCATOR;
    } else if ((pa_offset & (G::page_size - 1)) != 0) {
        reason = why::PA_OFFSET_ALIGNMENT;
        first = static_cast<unsigned>(G::page_size >> 10);
    }
    if (reason == 0) {
        return {};
    }
    const bool names_asid = reason == why::ASID_WIDTH || reason == why::ASID_IN_REGIME;
    // va: the ASID or the offset, where the reason is about it.
    const uint64_t named = names_asid ? asid : reason == why::PA_OFFSET_ALIGNMENT ? pa_offset : 0;
    return MapError::invalid_argument(reason, static_cast<uint16_t>(first), static_cast<uint16_t>(second),
                                      VirtualAddress(named));
}

template <class G, class T>
constexpr Result Mapping<G, T>::check_init_stage2(uint64_t vmid, unsigned root_level, const PageAllocator& allocator,
                                                  uint64_t pa_offset, Stage2Options options) const {
    namespace why = argument_reason;
    uint8_t reason = 0;
    unsigned first = 0;
    unsigned second = 0;
    const bool level_ok = root_level >= G::stage2_min_root_level && root_level <= G::stage2_max_root_level;
    const bool concatenated = level_ok && G::stage2_root_tables(root_level, options.ipa_bits) > 1;
    if (root_ != nullptr) {
        reason = why::INITIALISED;
    } else if (!level_ok) {
        reason = why::ROOT_LEVEL;
        first = root_level < 0xffff ? root_level : 0xffff;
        // The error text's range: the lowest level, the highest in bits 15:8.
        second = G::stage2_min_root_level | (G::stage2_max_root_level << 8);
    } else if (options.ipa_bits < G::stage2_min_ipa_bits(root_level) ||
               options.ipa_bits > G::stage2_max_ipa_bits(root_level)) {
        reason = why::IPA_SIZE;
        first = options.ipa_bits;
        second = root_level;
    } else if (vmid > MAX_VMID) {
        reason = why::VMID_WIDTH;
        first = 16;
    } else if (T::allocates_pages || !allocator.is_complete()) {
        reason = why::ALLOCATOR;
    } else if (concatenated && !allocator.gives_contiguous()) {
        reason = why::CONTIGUOUS_ALLOCATOR;
        first = G::stage2_root_tables(root_level, options.ipa_bits);
    } else if ((pa_offset & (G::page_size - 1)) != 0) {
        reason = why::PA_OFFSET_ALIGNMENT;
        first = static_cast<unsigned>(G::page_size >> 10);
    }
    if (reason == 0) {
        return {};
    }
    // va: the VMID or the offset, where the reason is about it.
    const uint64_t named = reason == why::VMID_WIDTH ? vmid : reason == why::PA_OFFSET_ALIGNMENT ? pa_offset : 0;
    return MapError::invalid_argument(reason, static_cast<uint16_t>(first), static_cast<uint16_t>(second),
                                      VirtualAddress(named));
}

template <class G, class T>
constexpr void Mapping<G, T>::release() {
    if (root_ == nullptr) {
        return;
    }
    if (owner_ == Owner::Activated) {
        (void)deactivate();
    }
    // A table still live on a core (the MMU's, a refused deactivation, activate_on_core()
    // not undone) stays allocated: the TTBR holds it, and freed pages would be walked. So
    // do read-only ones (protect_tables()): a page given back would be written.
    if (!is_active() && tables_read_only_in_ == nullptr) {
        if (root_tables_log2_ != 0) {
            stage2_->free_root(*this);
        } else {
            free_tables(root_, root_level_);
        }
    }
    active_cores_ = 0;
    tables_ = 0;
    owner_ = Owner::None;
    root_ = nullptr;
    root_tables_log2_ = 0;
    xnx_ = false;
    stage2_ = nullptr;
    size_ = 0;
    widened_ = nullptr;
    guard_ = Attributes::EMPTY;
    hardware_updates_ = 0;
    tracking_ = 0;
    tables_read_only_in_ = nullptr;
    cnp_ = 0;
    splitter_ = nullptr;
    live_splits_ = false;
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
    if (stage2_ != nullptr) {
        stage2_->switch_vttbr(ttbr, leaving, displaced);
    } else if (!arch::switch_ttbr(where_, ttbr, leaving, displaced)) {
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
        return MapError::invalid_argument(argument_reason::NOT_INITIALISED);
    }
    const bool to_top = where_.range == VaRange::Upper && region.end().value() == 0;
    if (region.is_backwards() && !to_top) {
        return MapError::region_backwards(region);
    }
    const uint64_t end = region.end().value() - va_base_;
    const MemoryRegion bounds(va_base_, va_base_ + size_);
    if (region.start().value() < va_base_) {
        return MapError::address_range(region.start(), bounds);  // below an upper range
    }
    if (end > size_ || (end & (G::page_size - 1)) != 0) {
        return MapError::address_range(region.end(), bounds);
    }
    return MapError::address_range(region.start(), bounds);
}

template <class G, class T>
constexpr Result Mapping<G, T>::check_map(const MemoryRegion& region, PhysicalAddress& pa, Attributes& flags,
                                Constraints constraints, Attributes refused_extra, uint64_t& va,
                                uint64_t& end) const {
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    const uint64_t given = pa.value();
    pa = PhysicalAddress(given - ((region.start().value() - va_base_) - va));
    if (widened_ != nullptr) {
        return MapError::sealed(region, bits_of(flags | Attributes::VALID));
    }
    if (const Attributes refused = refused_flags_ | refused_extra; intersects(flags, refused)) {
        return MapError::invalid_flags(bits_of(flags & refused));
    }
    // The regime's RES1 bits on what maps, and GP on what is executable under guarded
    // code; without VALID the flags alone (contract 1.1). The execute-never bits the
    // regime has: PXN and UXN, or XN alone.
    if (contains(flags, Attributes::VALID)) {
        const Attributes never = Attributes::EXECUTE_NEVER & ~refused_flags_;
        flags = flags | res1_flags_ | ((flags & never) != never ? guard_ : Attributes::EMPTY);
        flags = Attributes(tracked(bits_of(flags), tracking_));
    }
    if (intersects(constraints, ~KNOWN_CONSTRAINTS)) {
        return MapError::invalid_flags(aarch64_paging::bits(constraints & ~KNOWN_CONSTRAINTS));
    }
    // A page maps whole to a page: pa lies as far into its page as the region's start
    // (which the error names).
    if ((pa.value() & (G::page_size - 1)) != 0) {
        MapError e = MapError::invalid_argument(argument_reason::PA_PAGE_OFFSET, G::page_size >> 10, 0,
                                                VirtualAddress(given));
        e.region = region;
        return e;
    }
    // The output range must fit the descriptor's output address bits.
    const uint64_t oa_limit = G::output_address_mask + G::page_size;
    if (pa.value() > oa_limit || end - va > oa_limit - pa.value()) {
        // No bounds: what is out of range is the output address.
        return MapError::address_range(region.start(), MemoryRegion());
    }
    return {};
}

template <class G, class T>
constexpr typename Mapping<G, T>::Op Mapping<G, T>::map_op(Attributes flags, Constraints constraints, uint64_t va,
                                                           uint64_t pa) const {
    Op op{nullptr, is_active()};
    // Without VALID an unmap: the entries get flags alone (contract 1.1).
    op.bits = contains(flags, Attributes::VALID) ? bits_of(flags | Attributes::ACCESSED) : bits_of(flags);
    op.to_pa = pa - va;
    op.constraints = constraints;
    return op;
}

template <class G, class T>
constexpr Result Mapping<G, T>::plan_map(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                         Constraints constraints, Attributes refused_extra, size_t& pages) const {
    uint64_t va = 0;
    uint64_t end = 0;
    if (Result r = check_map(region, pa, flags, constraints, refused_extra, va, end); !r) {
        return r;
    }
    // map_range's plan: it reads the tables, and writes nothing (no owner).
    Op op = map_op(flags, constraints, va, pa.value());
    if (Result r = run_as<OpKind::Map>(op, va, end, false); !r) {
        return r;
    }
    pages = op.pages;
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::map_flags(const MemoryRegion& region, PhysicalAddress pa, Attributes flags,
                                          Constraints constraints, Attributes refused_extra,
                                          Breaker breaker) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (Result r = check_map(region, pa, flags, constraints, refused_extra, va, end); !r) {
        return r;
    }
    Op op = map_op(flags, constraints, va, pa.value());
    op.owner = this;
    op.breaker = breaker;
    return run_as<OpKind::Map>(op, va, end, !contains(constraints, Constraints::NO_CONTIGUOUS_HINT));
}

template <class G, class T>
template <class F>
constexpr Result Mapping<G, T>::modify_range(const MemoryRegion& region, F&& fn) {
    return modify_with<false>(region, fn, 0, 0);
}

template <class G, class T>
template <bool R, class F>
constexpr Result Mapping<G, T>::modify_with(const MemoryRegion& region, F& fn, uint64_t set, uint64_t clear,
                                            bool in_place, bool plan_only) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    FnOp<F, R> op{{plan_only ? nullptr : this, is_active()}, fn};
    op.fn_ = &FnOp<F, R>::call;
    op.leaves = FnOp<F, R>::template own_leaves<OpKind::Modify>();
    op.widened = widened_;
    op.res1 = res1_bits(where_.regime);
    op.fixed = bits_of(refused_flags_) & ~op.res1;
    op.own = va_base_ + pa_offset_;
    op.region = region;
    op.in_place = in_place;
    if constexpr (R) {
        op.take_pages = &change_pages;
        op.set = set;
        op.clear = clear;
    }
    return run_as<OpKind::Modify>(op, va, end, true);
}

template <class G, class T>
template <class F>
constexpr Result Mapping<G, T>::walk_range(const MemoryRegion& region, F&& fn) const {
    return visit_with<false>(region, fn, nullptr);
}

template <class G, class T>
template <bool R, class F>
constexpr Result Mapping<G, T>::visit_with(const MemoryRegion& region, F& fn, Runs* runs) const {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    FnOp<F, R> op{{nullptr, false}, fn};
    op.fn_ = &FnOp<F, R>::call;
    op.leaves = FnOp<F, R>::template own_leaves<OpKind::Visit>();
    if constexpr (R) {
        op.take_pages = &run_pages;
        op.runs = runs;
    }
    return run_as<OpKind::Visit>(op, va, end, false);
}

template <class G, class T>
constexpr Result Mapping<G, T>::change_attributes(const MemoryRegion& region, Attributes set, Attributes clear) {
    const uint64_t to_set = bits_of(set);
    const uint64_t to_clear = bits_of(clear);
    const bool to_zero = to_set == 0 && to_clear == ~uint64_t{0};
    if (const uint64_t refused = (to_set | to_clear) & bits_of(refused_flags_ | Attributes::VALID);
        refused != 0 && !to_zero) {
        return MapError::invalid_flags(refused);
    }
    auto fn = [to_set, to_clear](const MemoryRegion&, Descriptor& entry, unsigned) {
        entry = changed(entry, to_set, to_clear);
        return true;
    };
    return modify_with<true>(region, fn, to_set, to_clear);
}

template <class G, class T>
constexpr Result Mapping<G, T>::collect_dirty(const MemoryRegion& region, uint64_t* bitmap, size_t words) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    const uint64_t needed = (((end - va) >> G::page_shift) + 63) / 64;
    if (bitmap == nullptr || words < needed) {
        return MapError::invalid_argument(argument_reason::DIRTY_BITMAP, bitmap == nullptr ? 1 : 0, 0,
                                          VirtualAddress(needed));
    }
    if (Result r = tables_writable(); !r) {
        return r;  // before the bitmap is written
    }
    const bool stage2 = is_stage2(where_.regime);
    // Makes a whole dirty DBM leaf clean; answers whether the pages of entry may be dirty.
    const auto make_clean = [stage2](const MemoryRegion& part, Descriptor& entry, unsigned level) {
        if (!may_be_dirty(entry.bits(), stage2)) {
            return false;
        }
        if (contains(entry.flags(), Attributes::DBM) && part.len() == G::level_size(level)) {
            entry = Descriptor(tracked(entry.bits(), tracking(stage2)));
        }
        return true;
    };
    if (widened_ != nullptr) {
        // A seal may refuse to make a leaf clean (read-only at EL0 lets EL1 execute): asked
        // first, by the plan alone, so that a refusal leaves the bitmap as it was.
        auto check = indirect([&make_clean](const MemoryRegion& part, Descriptor& entry, unsigned level) {
            (void)make_clean(part, entry, level);
            return true;
        });
        if (Result r = modify_with<false>(region, check, 0, 0, true, true); !r) {
            return r;
        }
    }
    __builtin_memset(bitmap, 0, needed * sizeof(uint64_t));
    const uint64_t first = va_base_ + va;
    auto fn = indirect([bitmap, first, &make_clean](const MemoryRegion& part, Descriptor& entry, unsigned level) {
        if (!make_clean(part, entry, level)) {
            return true;
        }
        // Its pages' bits, a word at a time (a 1 GiB block has 2^18 of 4 KiB).
        const uint64_t last = (part.end().value() - 1 - first) >> G::page_shift;
        for (uint64_t page = (part.start().value() - first) >> G::page_shift; page <= last;) {
            const uint64_t bit = page % 64;
            const uint64_t count = last - page + 1 < 64 - bit ? last - page + 1 : 64 - bit;
            bitmap[page / 64] |= (count == 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1) << bit;
            page += count;
        }
        return true;
    });
    return modify_with<false>(region, fn, 0, 0, true);
}

template <class G, class T>
constexpr Result Mapping<G, T>::set_tables_read_only(Mapping& in, bool on) {
    namespace why = argument_reason;
    if (!is_initialised() || !in.is_initialised()) {
        return MapError::invalid_argument(why::NOT_INITIALISED);
    }
    if (is_stage2(in.where_.regime)) {
        return MapError::invalid_argument(why::NOT_STAGE1, static_cast<uint16_t>(in.where_.regime));
    }
    // Protected already; or in takes no change, its own tables read-only.
    if ((on && tables_read_only_in_ != nullptr) || (&in != this && in.tables_read_only_in_ != nullptr)) {
        return MapError::invalid_argument(why::TABLES_READ_ONLY);
    }
    if (in.is_active() && &in == this) {
        return Status::AlreadyActive;
    }
    // Each page a page of in, whose permissions change in place: no split, no page taken,
    // nothing a seal or a live contiguous group refuses, so that the changes below cannot
    // fail.
    const uint64_t set = on ? bits(Attributes::READ_ONLY) : 0;
    const uint64_t clear = on ? bits(Attributes::DBM) : bits(Attributes::READ_ONLY);
    Result checked;
    for_each_table([&](const void* table) {
        if (!checked) {
            return;
        }
        const uint64_t va = reinterpret_cast<uintptr_t>(table);
        const MemoryRegion page(va, va + G::page_size);
        Descriptor leaf;
        unsigned at = 0;
        const Result walked = in.walk_range(page, indirect([&](const MemoryRegion&, Descriptor entry, unsigned level) {
            leaf = entry;
            at = level;
            return true;
        }));
        const Descriptor next = changed(leaf, set, clear);
        // A permission change breaks no rule on a live map but Contiguous, in a live group.
        if (!walked || !leaf.is_valid() || at != LEAF_LEVEL) {
            checked = MapError::invalid_argument(why::TABLES_NOT_PAGES, 0, 0, VirtualAddress(va));
        } else if (const BreakRule rule =
                       in.is_active() ? break_before_make_rule(leaf, next, in.where_.regime) : BreakRule::None;
                   rule != BreakRule::None) {
            checked = MapError::break_before_make(page, rule);
        } else if (const uint64_t widened = in.widened_ != nullptr ? in.widened_(leaf, next, in.where_.regime) : 0;
                   widened != 0) {
            checked = MapError::sealed(page, widened);
        }
    });
    if (!checked) {
        return checked;
    }
    // Cleared first: in may be this mapping, which takes changes again.
    tables_read_only_in_ = nullptr;
    for_each_table([&](const void* table) {
        const uint64_t va = reinterpret_cast<uintptr_t>(table);
        (void)in.change_attributes(MemoryRegion(va, va + G::page_size), Attributes(set), Attributes(clear));
    });
    tables_read_only_in_ = on ? &in : nullptr;
    return {};
}

template <class G, class T>
template <class F>
constexpr Result Mapping<G, T>::walk_runs(const MemoryRegion& region, F&& fn) const {
    Runs run;
    bool stopped = false;
    auto leaf = [&](const MemoryRegion& leaf_region, Descriptor entry, unsigned level) {
        if (run.extend(entry, level)) {
            return true;
        }
        const uint64_t here = leaf_region.start().value();
        if (run.level <= LEAF_LEVEL && !fn(MemoryRegion(run.start, here), run.first, run.level)) {
            stopped = true;
            return false;
        }
        run.begin(here, entry, level);
        return true;
    };
    const Result r = visit_with<true>(region, leaf, &run);
    if (stopped) {
        return MapError::pte_update_fault(run.first.bits());
    }
    if (!r || run.level > LEAF_LEVEL) {
        return r;
    }
    // The last run ends with the leaf that holds the region's last address (2^64: 0).
    const uint64_t last_size = G::level_size(run.level);
    const uint64_t end = ((region.end().value() - 1) | (last_size - 1)) + 1;
    if (!fn(MemoryRegion(run.start, end), run.first, run.level)) {
        return MapError::pte_update_fault(run.first.bits());
    }
    return {};
}

template <class G, class T>
constexpr Result Mapping<G, T>::unmap_range(const MemoryRegion& region) {
    uint64_t va = 0;
    uint64_t end = 0;
    if (!in_range(region, va, end)) {
        return range_error(region);
    }
    Op op{this, is_active()};
    return run_as<OpKind::Unmap>(op, va, end, true);
}

template <class G, class T>
constexpr Descriptor* Mapping<G, T>::deepest(uint64_t va, uint64_t end, unsigned& level) const {
    // An empty range (which may lie at the very end, one past the root's last entry)
    // reads nothing.
    Descriptor* table = root_table(va);
    for (level = root_level_; level < LEAF_LEVEL && va < end; ++level) {
        const Descriptor entry = table[G::index(va, level)];
        // Only into a table that holds the whole range (va and end - 1 in one entry) but
        // less than its entry's whole (an unmap takes a table covered whole out).
        if (!entry.is_table(level) || (((va ^ (end - 1)) | (end - va)) >> G::level_shift(level)) != 0) {
            break;
        }
        table = subtable(entry);
    }
    return table;
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
    // A concatenated root is regrouped table by table: each its own groups. (Below the
    // root, [va, end) lies in one table.)
    const uint64_t span = uint64_t{G::entries} << G::level_shift(level);
    for (uint64_t from = va; from < end;) {
        const uint64_t next = (from | (span - 1)) + 1;
        const uint64_t to = next < end ? next : end;
        Contiguous<G>::regroup_table(table + (from / span - va / span) * G::entries, level, from, to, hint);
        from = to;
    }
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
void Mapping<G, T>::free_root_of(Mapping& m) {
    const unsigned level = m.root_level_;
    for (unsigned i = 0; i < m.entries_at(level); ++i) {
        if (level < LEAF_LEVEL && m.root_[i].is_table(level)) {
            m.free_tables(m.subtable(m.root_[i]), level + 1);
        }
    }
    if constexpr (!T::allocates_pages) {
        m.allocator_.free_pages(m.allocator_.ctx, m.root_, m.root_tables());  // as alloc_pages gave it
    }
    m.tables_ -= m.root_tables();
}

template <class G, class T>
constexpr void Mapping<G, T>::retire_tables(Descriptor* table, unsigned level, uint64_t va, Retired& retired,
                                   TlbBatch& tlb) {
    // A walk cache may hold the entry that pointed here, for any address below it.
    tlb.add(va, false);
    // A leaf table holds no table, and of a tree no walker uses no TLB holds its pages.
    const unsigned entries = level != LEAF_LEVEL || tlb.live ? G::entries : 0;
    for (unsigned i = 0; i < entries; ++i) {
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
    // Counted in a local: the allocator's free_page is a call the analysers cannot see into.
    Descriptor* page = retired.head;
    for (size_t left = retired.count; left != 0; --left) {
        Descriptor* const next = left > 1 ? chained(page) : nullptr;
        free_page(page);
        page = next;
    }
    retired = Retired{};
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
constexpr size_t Mapping<G, T>::compact_subtables() {
    if (tables_read_only_in_ != nullptr) {
        return 0;
    }
    Retired retired;
    TlbBatch tlb(is_active());
    if (root_ != nullptr) {
        compact(root_, root_level_, 0, retired, tlb);
    }
    const size_t freed = retired.count;
    free_retired(retired, tlb);
    return freed;
}

template <class G, class T>
constexpr size_t Mapping<G, T>::coalesce_subtables() {
    if (root_ == nullptr || is_active() || tables_read_only_in_ != nullptr) {
        return 0;
    }
    Retired retired;
    TlbBatch tlb(false);  // inactive
    coalesce(root_, root_level_, 0, retired, tlb);
    const size_t freed = retired.count;
    free_retired(retired, tlb);
    return freed;
}

template <class G, class T>
constexpr void Mapping<G, T>::coalesce(Descriptor* table, unsigned level, uint64_t va, Retired& retired,
                                       TlbBatch& tlb) {
    for (unsigned i = 0; i < entries_at(level); ++i) {
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
    for (unsigned i = 0; i < entries_at(level); ++i) {
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
constexpr size_t Mapping<G, T>::visit_tables(const Descriptor* table, unsigned level, F& fn, size_t left) const {
    fn(static_cast<const void*>(table));
    --left;
    for (unsigned i = 0; i < G::entries && left != 0 && level < LEAF_LEVEL; ++i) {
        if (table[i].is_table(level)) {
            left = visit_tables(subtable(table[i]), level + 1, fn, left);
        }
    }
    return left;
}

template <class G, class T>
void Mapping<G, T>::dump(TextWriter& out) const {
    static constexpr const char* REGIME_NAMES[] = {"EL1&0", "EL2", "EL2&0", "EL3", "stage 2"};
    const bool s2 = is_stage2(where_.regime);
    out.str(REGIME_NAMES[static_cast<unsigned>(where_.regime)]);
    out.str(s2 ? " VTTBR" : where_.range == VaRange::Upper ? " TTBR1" : " TTBR0").str(", root level ").dec(root_level_);
    if (root_tables_log2_ != 0) {
        out.str(" (").dec(root_tables()).str(" concatenated)");
    }
    out.str(", ").hex(va_base_).chr('-').hex(va_base_ + size() - 1);
    out.str(s2 ? ", VMID " : ", ASID ").dec(asid_).str(", ").dec(tables_).str(tables_ == 1 ? " table, " : " tables, ");
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
        dump_entries(out, level, i, last, va, va + (last - i + 1) * entry_size - 1, entry,
                     is_stage2(where_.regime));
        if (entry.is_table(level)) {
            dump_table(out, subtable(entry), level + 1, va);
        }
        i = last + 1;
    }
}

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#include "aarch64_paging/walk.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN
extern template class Mapping<Granule4K, IdTranslation>;
AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
