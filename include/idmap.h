/**
 * @file idmap.h
 * @brief Identity-mapped VMSAv8-64 translation tables: the C ABI.
 *
 * Version 1 of the contract in shared/spec/c-abi.md, plus the additions marked
 * "Addition" below. Stage 1 of the EL1&0 regime (TTBR0_EL1), 4 KiB granule.
 *
 * Every function that takes a pointer accepts NULL and answers
 * #IDMAP_ERR_INVALID_ARGUMENT (or NULL / 0 / false where it returns no status).
 * Every function that fails leaves the tables exactly as they were, except
 * where idmap_modify_range() says otherwise for a misbehaving callback.
 *
 * Compiles as C99 and as C++; needs only <stdint.h>, <stddef.h>, <stdbool.h>.
 */
#ifndef IDMAP_H
#define IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Addition: the version (semantic versioning; CHANGELOG.md) */

/** @name Version
 * The version of this header; idmap_version() gives the library's.
 * @{ */
#define IDMAP_VERSION_MAJOR 0 /**< Incompatible API or ABI changes (while 0: any minor too). */
#define IDMAP_VERSION_MINOR 1 /**< Additions that keep what exists. */
#define IDMAP_VERSION_PATCH 0 /**< Fixes. */
/** The version as one number, major << 16 | minor << 8 | patch, as idmap_version() answers. */
#define IDMAP_VERSION \
    (((uint32_t)IDMAP_VERSION_MAJOR << 16) | ((uint32_t)IDMAP_VERSION_MINOR << 8) | \
     (uint32_t)IDMAP_VERSION_PATCH)
/** @} */

/* ---- Attributes: descriptor bits (Arm ARM DDI 0487, D8.3 "Translation table descriptor formats") */

/** @name Attributes
 * Bits of a block or page descriptor, for idmap_map_range()'s flags (Arm ARM DDI 0487,
 * D8.3 "Translation table descriptor formats"). Block and page entries that map_range
 * writes always get #IDMAP_ATTR_ACCESSED too.
 * @{ */
/** The entry maps something. */
#define IDMAP_ATTR_VALID ((uint64_t)1 << 0)
/** Table (levels 0-2) or page (level 3); never accepted from callers of map_range. */
#define IDMAP_ATTR_TABLE_OR_PAGE ((uint64_t)1 << 1)
/** AttrIndx 0: Device-nGnRE with #IDMAP_MAIR_DEFAULT. */
#define IDMAP_ATTR_DEVICE_NGNRE ((uint64_t)0)
/** AttrIndx 1 (Normal write-back) and SH = 0b11, inner shareable. */
#define IDMAP_ATTR_NORMAL (((uint64_t)1 << 2) | ((uint64_t)3 << 8))
#define IDMAP_ATTR_USER ((uint64_t)1 << 6)      /**< AP[1]: EL0 access */
#define IDMAP_ATTR_READ_ONLY ((uint64_t)1 << 7) /**< AP[2]: read-only */
#define IDMAP_ATTR_ACCESSED ((uint64_t)1 << 10) /**< AF, the access flag */
#define IDMAP_ATTR_NON_GLOBAL ((uint64_t)1 << 11) /**< nG: TLB entries tagged with the ASID */
#define IDMAP_ATTR_DBM ((uint64_t)1 << 51) /**< Dirty bit modifier */
#define IDMAP_ATTR_EXECUTE_NEVER ((uint64_t)3 << 53) /**< PXN and UXN */
#define IDMAP_ATTR_SWFLAG_0 ((uint64_t)1 << 55) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_1 ((uint64_t)1 << 56) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_2 ((uint64_t)1 << 57) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_3 ((uint64_t)1 << 58) /**< Software bit, ignored by the hardware */
/** @} */

/** MAIR_ELx for the memory types above: Attr0 = 0x04 Device-nGnRE, Attr1 = 0xff Normal
 * inner/outer write-back non-transient, read- and write-allocate. */
#define IDMAP_MAIR_DEFAULT ((uint64_t)0xff04)

/* ---- Constraints on how map_range may lay out a region */

/** @name Constraints
 * How idmap_map_range_with_constraints() may lay out a region.
 * @{ */
#define IDMAP_NO_BLOCK_MAPPINGS ((uint32_t)1 << 0)  /**< Pages only, no blocks */
#define IDMAP_NO_CONTIGUOUS_HINT ((uint32_t)1 << 1) /**< Never set the contiguous bit */
/** @} */

/* ---- Types */

/** An identity map: its tables, ASID, active state and last error. Opaque. */
typedef struct idmap idmap_t;

/** A range of addresses, [start, end). */
typedef struct {
    uint64_t start; /**< The first address. */
    uint64_t end;   /**< The address after the last. */
} idmap_region_t;

/** One translation table entry. */
typedef struct {
    uint64_t bits; /**< The 64-bit descriptor. */
} idmap_descriptor_t;

/** What a call answers: #IDMAP_OK, or what went wrong (idmap_last_error() has the detail). */
typedef enum {
    IDMAP_OK = 0,                          /**< Success. */
    IDMAP_ERR_ADDRESS_RANGE = 1,           /**< Address outside what the table covers. */
    IDMAP_ERR_INVALID_VIRTUAL_ADDRESS = 2, /**< An address the call cannot take. */
    IDMAP_ERR_REGION_BACKWARDS = 3,        /**< End before start. */
    IDMAP_ERR_PTE_UPDATE_FAULT = 4,        /**< A modify/walk callback returned non-zero. */
    IDMAP_ERR_INVALID_FLAGS = 5,           /**< Flags the call does not accept. */
    IDMAP_ERR_BREAK_BEFORE_MAKE = 6,       /**< Change to a live table would break BBM rules. */
    IDMAP_ERR_OUT_OF_MEMORY = 7,           /**< No page for a new table; nothing was changed. */
    IDMAP_ERR_INVALID_ARGUMENT = 8,        /**< NULL pointer, bad root level, ... */
    IDMAP_ERR_ALREADY_ACTIVE = 9,          /**< Activate on an active table. */
    IDMAP_ERR_NOT_ACTIVE = 10,             /**< Deactivate on an inactive table. */
    /** Addition: the pre-flight check found an address the CPU needs mapped wrongly
     * (idmap_preflight()); the map was not activated. */
    IDMAP_ERR_PREFLIGHT = 11,
    IDMAP_ERR_SEALED = 12 /**< Addition: a change that would widen a sealed map. */
} idmap_status_t;

/** A failure with its detail; which field holds it depends on the status. */
typedef struct {
    idmap_status_t status; /**< What went wrong; #IDMAP_OK before any failure. */
    /** ADDRESS_RANGE, INVALID_VIRTUAL_ADDRESS: the offending address; PREFLIGHT: the first
     * address that failed. */
    uint64_t va;
    /** REGION_BACKWARDS, BREAK_BEFORE_MAKE, SEALED: the offending region; PREFLIGHT: the
     * range checked, rounded to pages. */
    idmap_region_t region;
    /** PTE_UPDATE_FAULT: the descriptor; INVALID_FLAGS: the rejected bits; SEALED: the bits
     * whose change would widen access; PREFLIGHT: what was wrong (IDMAP_PREFLIGHT_*
     * reasons) | the use (idmap_use_t) << 8; INVALID_ARGUMENT: why (an IDMAP_ARG_* reason
     * in bits 7:0, 0 for a plain bad argument) and the numbers it names in bits 31:16 and
     * 47:32 (idmap_format_error() writes them out). */
    uint64_t value;
} idmap_error_t;

/** @name Reasons for IDMAP_ERR_INVALID_ARGUMENT
 * Bits 7:0 of idmap_error_t.value, where the argument is well-formed but the state of the
 * map or of the CPU forbids the call.
 * @{ */
/** idmap_deactivate() of a map that idmap_enable_mmu() turned on: use idmap_disable_mmu(). */
#define IDMAP_ARG_MMU_ENABLED 1
/** An upper-range map activated with an ASID (bits 31:16) other than TTBR0's (bits 47:32),
 * which tags its non-global entries (TCR.A1 = 0). */
#define IDMAP_ARG_UPPER_ASID 2
/** Switching tables with the MMU on in EL2 or EL3 (no ASIDs) goes through the MMU off: the
 * calling code (va) must be mapped to itself. */
#define IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED 3
/** The root level needs a T0SZ (bits 31:16) above 39: the CPU lacks FEAT_TTST. */
#define IDMAP_ARG_NEEDS_TTST 4
/** A root level (bits 31:16) the granule lacks (its lowest: bits 47:32; the highest is 3). */
#define IDMAP_ARG_ROOT_LEVEL 5
/** An ASID (va) wider than the bits (31:16) there are for it: 16, or 8 when the CPU's
 * ID_AA64MMFR0_EL1.ASIDBits says so. */
#define IDMAP_ARG_ASID_WIDTH 6
/** An ASID (va) other than 0 for a regime (bits 31:16) without ASIDs: EL2, EL3. */
#define IDMAP_ARG_ASID_IN_REGIME 7
/** A regime (bits 31:16) that is no idmap_regime_t. */
#define IDMAP_ARG_REGIME 8
/** A VA range (bits 31:16) that is no idmap_va_range_t. */
#define IDMAP_ARG_VA_RANGE 9
/** The upper VA range in a regime (bits 31:16) that has none: EL2, EL3. */
#define IDMAP_ARG_NO_UPPER_RANGE 10
/** An allocator without alloc_page or free_page. */
#define IDMAP_ARG_ALLOCATOR 11
/** A NULL pointer where the call needs one. */
#define IDMAP_ARG_NULL_POINTER 12
/** (C++ only) init() of a mapping already initialised. */
#define IDMAP_ARG_INITIALISED 13
/** (C++ only) a mapping whose init() failed, or that was released. */
#define IDMAP_ARG_NOT_INITIALISED 14
/** Every idmap_t handle is in use: there are IDMAP_MAX_MAPS (bits 31:16) on a board. */
#define IDMAP_ARG_NO_HANDLE 15
/** The map is for a regime (bits 31:16) the CPU does not run in (bits 47:32): CurrentEL,
 * and HCR_EL2.E2H at EL2. */
#define IDMAP_ARG_NOT_CURRENT_REGIME 16
/** The CPU lacks the granule (bits 31:16: its size in KiB), ID_AA64MMFR0_EL1.TGran. */
#define IDMAP_ARG_GRANULE 17
/** The lower map (VA range in bits 31:16) and upper map (bits 47:32) of one MMU are not
 * of the lower and upper VA ranges. */
#define IDMAP_ARG_RANGES 18
/** The lower and upper maps of one MMU are for different regimes (bits 31:16, 47:32). */
#define IDMAP_ARG_REGIMES_DIFFER 19
/** The lower and upper maps of one MMU have different ASIDs (bits 31:16, 47:32): with
 * TCR_ELx.A1 = 0, TTBR0's ASID tags both ranges' non-global entries. */
#define IDMAP_ARG_ASIDS_DIFFER 20
/** The same map given as the lower and the upper one. */
#define IDMAP_ARG_SAME_MAPPING 21
/** @} */

/** @name Break-before-make rules
 * idmap_error_t.value of #IDMAP_ERR_BREAK_BEFORE_MAKE: which rule the change to the live
 * entry in region would break (Arm ARM D8.16.1).
 * @{ */
#define IDMAP_BBM_SPLIT 1          /**< the live block would be split into a table */
#define IDMAP_BBM_OUTPUT_ADDRESS 2 /**< its output address, or its NS bit, would change */
#define IDMAP_BBM_MEMORY_TYPE 3    /**< its memory type or shareability would change */
#define IDMAP_BBM_GLOBAL 4         /**< it is non-global (nG) and would become global */
#define IDMAP_BBM_CONTIGUOUS 5     /**< one of a live contiguous group would change alone */
/** @} */

/** @name What ran out
 * Bits 63:56 of idmap_error_t.value of #IDMAP_ERR_OUT_OF_MEMORY.
 * @{ */
/** Table pages: bits 31:0 how many the call needed, bits 55:32 how many the allocator gave
 * before it failed; va the page it gave that cannot be a table (not page-aligned, beyond
 * the output address size, or one it had given already), 0 when it answered NULL. */
#define IDMAP_OOM_TABLE_PAGES 0
/** The lint's scratch array: bits 31:0 the words it needed, bits 55:32 the words it had. */
#define IDMAP_OOM_LINT_SCRATCH 1
/** @} */

/** Where table pages come from: table pages only; the idmap_t itself never comes from here.
 *
 * A page the library cannot use is refused: the call answers #IDMAP_ERR_OUT_OF_MEMORY
 * (idmap_new_with_allocator() NULL) and changes nothing. Refused: NULL; a page that is not
 * 4 KiB-aligned or lies above 48 bits (given back with free_page); a page handed out twice
 * in one call (given back once); the map's root table; any other of its tables while the
 * map has at most 16 (these never given back). A non-root table of a map of more than 16
 * tables handed out again is not detected (the check would cost a walk of the tree). */
typedef struct {
    void *(*alloc_page)(void *ctx); /**< A 4 KiB-aligned 4 KiB page, or NULL. */
    void (*free_page)(void *ctx, void *page); /**< Takes back a page alloc_page gave. */
    void *ctx; /**< Passed to both. */
} idmap_allocator_t;

/** idmap_modify_range()'s callback: may change @p desc. Answers 0 to go on; anything else
 * stops the call with #IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_modify_fn)(const idmap_region_t *region, idmap_descriptor_t *desc,
                               unsigned level, void *ctx);
/** idmap_walk_range()'s callback. Answers 0 to go on; anything else stops the call with
 * #IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_walk_fn)(const idmap_region_t *region, const idmap_descriptor_t *desc,
                             unsigned level, void *ctx);
/** idmap_dump()'s output: @p len characters of @p text (not NUL-terminated). */
typedef void (*idmap_write_fn)(void *ctx, const char *text, size_t len);

/* ---- Regions */

/** The region [start rounded down to 4 KiB, end rounded up to 4 KiB). Every function that
 * takes an idmap_region_t applies the same rounding to what it is given.
 *
 * Where rounding @p end up would pass 2^64, end is kept as given, and every call given
 * such a region fails with #IDMAP_ERR_ADDRESS_RANGE, va = that end.
 * @return the rounded region; this function cannot fail. */
idmap_region_t idmap_region(uint64_t start, uint64_t end);

/* ---- Lifetime */

/** A new, empty, inactive identity map whose root table is at @p root_level (0 to 3),
 * covering 4 KiB << 9 * (4 - root_level) bytes from address 0 (root level 1: 512 GiB,
 * level 0: 256 TiB), with table pages from the build's default source: a board's static
 * pool (no heap anywhere), or the heap on the host.
 * @param asid the ASID the map's TLB entries are tagged with, at most 16 bits.
 * @param root_level the level of the root table, 0 to 3.
 * @return the map, or NULL for a bad root level, an ASID wider than 16 bits, no page for
 *         the root table, or (on a board) no free handle: the idmap_t itself is one of a
 *         fixed number set by the board config, never from the allocator. */
idmap_t *idmap_new(size_t asid, unsigned root_level);
/** As idmap_new(), with table pages from @p alloc, which must outlive the map.
 * @return the map, or NULL as for idmap_new(), and for a NULL or incomplete allocator. */
idmap_t *idmap_new_with_allocator(size_t asid, unsigned root_level,
                                  const idmap_allocator_t *alloc);
/** Takes the map out of use and returns every table page to where it came from: where
 * idmap_activate() made it active, deactivates it; where idmap_enable_mmu() turned the MMU
 * on with it (or idmap_enable_mmu_split(), with it as either map), turns the MMU off as
 * idmap_disable_mmu() does, never leaving the MMU on a TTBR of before. Maps active on
 * other cores (idmap_activate_on_core()) must be deactivated there first. Accepts NULL.
 * Cannot fail. */
void idmap_free(idmap_t *map);

/* ---- Activation (the TTBR of the map's regime and range: TTBR0_EL1 for idmap_new()'s) */

/** Saves the TTBR of the map's regime and VA range (TTBR0_EL1, TTBR1_EL1, TTBR0_EL2,
 * TTBR1_EL2 or TTBR0_EL3), writes the root address with the ASID in bits 63:48, ISB. With
 * the MMU of that regime on, where nothing keeps the old and the new tree's TLB entries
 * apart - EL2 and EL3, which have no ASIDs; the upper range, whose entries TTBR0's ASID
 * tags; the same ASID in both - the switch goes through the MMU off (interrupts masked,
 * SCTLR_ELx.M clear, the TTBR written, TLBI of the whole regime, DSB ISH, M set again), so
 * that the TLB never holds entries of both (Arm ARM D8.16.1): the calling code must then
 * be mapped to itself, as for idmap_enable_mmu(). In EL2 and EL3 with the MMU off, and
 * from a higher EL, the whole regime is invalidated after the write.
 * Changes to a map and its activation are the caller's to serialise: the library holds no
 * lock, and a change checks once whether the map is live.
 * On the host (and in host test builds) no system register is touched: only the state
 * changes, so that the break-before-make rules can be tested.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL; or, value #IDMAP_ARG_UPPER_ASID, an
 *     upper-range EL2&0 map whose ASID is not TTBR0_EL2's (that ASID tags its entries, and
 *     EL2 has no TLBI by VA for every ASID; in EL1&0 the upper range is invalidated for
 *     every ASID instead); or, value #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED, a switch through
 *     the MMU off from code not mapped to itself (va = that code);
 *   - #IDMAP_ERR_ALREADY_ACTIVE: the map is active. */
idmap_status_t idmap_activate(idmap_t *map);
/** Restores the saved TTBR, switching as idmap_activate() does, and invalidates the map's
 * TLB entries: TLBI ASIDE1IS of its ASID in the lower range of EL1&0, the whole regime
 * elsewhere (VMALLE1IS, ALLE2IS, ALLE3IS); DSB ISH, ISB. Global entries of the lower range
 * of EL1&0 stay in the TLB: maps switched in and out should be mapped
 * #IDMAP_ATTR_NON_GLOBAL.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL; or, value #IDMAP_ARG_MMU_ENABLED, the map
 *     was turned on by idmap_enable_mmu() (loading the TTBR of before would leave the MMU
 *     walking what is no table): idmap_disable_mmu() turns it off; or, value
 *     #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED, as idmap_activate();
 *   - #IDMAP_ERR_NOT_ACTIVE: the map is not active. */
idmap_status_t idmap_deactivate(idmap_t *map);
/** Whether @p map is active (false for NULL). */
bool idmap_is_active(const idmap_t *map);

/* ---- Mapping */

/** Maps every address of @p range to itself with @p flags (#IDMAP_ATTR_ACCESSED added on
 * every block and page), using the largest blocks that fit: 1 GiB at level 1, 2 MiB at
 * level 2, pages at level 3, never a block at level 0. A table that already covers part of
 * the range is kept and filled. Without #IDMAP_ATTR_VALID the call is an unmap (1.1, as
 * the crate's): every entry of the range gets @p flags alone (no ACCESSED, no page bit,
 * no address; flags 0 leave all-zero entries), and a table whose whole range the call
 * covers is freed, its entry written with @p flags, after the TLB maintenance on an
 * active map. A live entry the call would leave exactly as it is is no change: a range
 * that covers part of a live block with the block's own attributes needs no split and
 * writes nothing there (1.1). On an active map every live entry the
 * call changes is invalidated in the TLB (TLBI by VA, or the whole regime past 16
 * entries), DSB ISH, ISB; a call that makes no valid entry stale ends with DSB ISHST, ISB.
 * @return #IDMAP_OK, or (the table exactly as it was before the call):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map or @p range is NULL;
 *   - #IDMAP_ERR_ADDRESS_RANGE: va = the rounded end, when past idmap_size() or not
 *     representable;
 *   - #IDMAP_ERR_REGION_BACKWARDS: region = the rounded region;
 *   - #IDMAP_ERR_INVALID_FLAGS: value = the refused bits: TABLE_OR_PAGE, bits 12-49,
 *     bit 52 (the contiguous bit, which the library manages), or unknown constraint bits
 *     (when both are refused, value holds the flags');
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: the map is active and the change would split a live
 *     block (one that maps its part of the range otherwise than asked, or in another
 *     layout: #IDMAP_NO_BLOCK_MAPPINGS over a live block), change a live entry's output
 *     address (NS included), memory type or shareability, or clear its nG bit (making an
 *     entry invalid, or creating one where none was valid, is always allowed when it
 *     needs no split); region = the whole region of the first live entry, in address
 *     order, that would have to break (1.1);
 *   - #IDMAP_ERR_OUT_OF_MEMORY: the allocator had no page for a new table. */
idmap_status_t idmap_map_range(idmap_t *map, const idmap_region_t *range, uint64_t flags);
/** As idmap_map_range(), laid out as @p constraints (#IDMAP_NO_BLOCK_MAPPINGS,
 * #IDMAP_NO_CONTIGUOUS_HINT) allow.
 * @return as idmap_map_range(); #IDMAP_ERR_INVALID_FLAGS also for unknown constraint
 *         bits. */
idmap_status_t idmap_map_range_with_constraints(idmap_t *map, const idmap_region_t *range,
                                                uint64_t flags, uint32_t constraints);

/** Splits entries so that every leaf it passes lies inside @p range, then calls @p fn once
 * per leaf (block, page or invalid) with the region it maps, the entry and its level
 * (0-3). On an active map fn is first called on copies to check break-before-make, then
 * on the entries themselves.
 * @return #IDMAP_OK, or:
 *   - those of idmap_map_range() for the range (NULL map, range or fn: INVALID_ARGUMENT);
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: active map: a live block would be split, or fn made a
 *     forbidden change (nothing changed); region = that live entry's whole region (1.1);
 *   - #IDMAP_ERR_OUT_OF_MEMORY: no page for a split (nothing changed);
 *   - #IDMAP_ERR_INVALID_FLAGS: fn flipped TABLE_OR_PAGE or changed output-address bits;
 *     value = those bits. As additions to the contract, the same for the other bits
 *     idmap_map_range() refuses (RES0 bits 48-49, the contiguous bit 52), and for VALID
 *     set on an invalid entry that would then be malformed (at level 0, where there are
 *     no blocks; at level 3 without the page bit, a reserved encoding) or would map
 *     another address than its own (an empty entry's output address is 0); value = the
 *     bits refused. fn may give an empty entry other attributes: it stays invalid. fn
 *     may always write the all-zero descriptor: the entry becomes empty, live or not
 *     (1.1);
 *   - #IDMAP_ERR_PTE_UPDATE_FAULT: fn answered non-zero; value = the entry as it was
 *     before that call.
 *
 * What a failed call leaves:
 *   - every error but INVALID_FLAGS and PTE_UPDATE_FAULT on an inactive map: nothing
 *     changed (on an active map fn ran on copies only). On an inactive map
 *     OUT_OF_MEMORY comes before any call of fn: the pages for every split of the range
 *     are taken first.
 *   - INVALID_FLAGS or PTE_UPDATE_FAULT on an inactive map: the call stops at the leaf
 *     for which fn failed, which keeps its old value whatever fn wrote. The leaves before
 *     it (in address order) keep fn's changes; fn is not called for those after it, which
 *     are unchanged. A block the range covers only in part is split when the walk reaches
 *     it, so the splits made before the failure stay (the blocks around the range's
 *     start, and those around its end only if the failing leaf lies in them); the pages
 *     taken for splits not made are given back, and idmap_table_count() counts the tables
 *     in the tree. Each split keeps every page's translation and attributes.
 * The tree is always well-formed and a leaf can never become a table. */
idmap_status_t idmap_modify_range(idmap_t *map, const idmap_region_t *range, idmap_modify_fn fn,
                                  void *ctx);

/** Calls @p fn for every leaf (block, page or invalid) that intersects @p range, with the
 * whole region the leaf maps. Splits nothing.
 * @return #IDMAP_OK, or those of idmap_map_range() for the range (NULL map, range or fn:
 *         INVALID_ARGUMENT), or #IDMAP_ERR_PTE_UPDATE_FAULT when fn answers non-zero,
 *         value = that descriptor. */
idmap_status_t idmap_walk_range(const idmap_t *map, const idmap_region_t *range,
                                idmap_walk_fn fn, void *ctx);

/**
 * Addition: removes every mapping of @p range. Its entries become empty (zero); a block
 * that straddles an edge of the range is split so that what lies outside stays mapped;
 * a table the call leaves empty is freed and its entry zeroed. On an active map the TLB
 * is then invalidated before any table is freed, so the change takes effect at once: TLBI
 * by VA for each entry removed (VAE*IS for tables, for the walk caches; VALE*IS for
 * leaves), or the whole regime past 16 (VMALLE1IS, ALLE2IS, ALLE3IS); DSB ISH, ISB.
 * @return IDMAP_OK, or (the table exactly as it was):
 *   IDMAP_ERR_INVALID_ARGUMENT (@p map or @p range NULL), IDMAP_ERR_ADDRESS_RANGE,
 *   IDMAP_ERR_REGION_BACKWARDS (as for idmap_map_range()),
 *   IDMAP_ERR_BREAK_BEFORE_MAKE (active map: a valid block straddles an edge of the range;
 *   region = that block's), IDMAP_ERR_OUT_OF_MEMORY (no page for a split).
 */
idmap_status_t idmap_unmap_range(idmap_t *map, const idmap_region_t *range);

/**
 * Addition: frees every table below the root whose entries are all empty (zero), such
 * as idmap_modify_range() leaves where it splits empty entries, and zeroes its entry; on
 * an active map the TLB is invalidated first, as for idmap_unmap_range().
 * @return the number of table pages freed (0 for a NULL @p map).
 */
size_t idmap_compact_subtables(idmap_t *map);

/* ---- Descriptors */

/** All bits of @p d but the output address (0 for NULL). */
uint64_t idmap_descriptor_flags(const idmap_descriptor_t *d);
/** Bits 47:12 of @p d: the output address of a block or page, or the next table (0 for
 * NULL). */
uint64_t idmap_descriptor_output_address(const idmap_descriptor_t *d);
/** Whether @p d has #IDMAP_ATTR_VALID (false for NULL). */
bool idmap_descriptor_is_valid(const idmap_descriptor_t *d);
/** Whether @p d has both #IDMAP_ATTR_VALID and #IDMAP_ATTR_TABLE_OR_PAGE (false for NULL). */
bool idmap_descriptor_is_table_or_page(const idmap_descriptor_t *d);
/** Sets the bits of @p set, then clears those of @p clear.
 * @return #IDMAP_OK, or, with @p d unchanged: #IDMAP_ERR_INVALID_FLAGS when the result
 *         would flip #IDMAP_ATTR_TABLE_OR_PAGE; #IDMAP_ERR_INVALID_ARGUMENT for NULL. */
idmap_status_t idmap_descriptor_modify_flags(idmap_descriptor_t *d, uint64_t set, uint64_t clear);

/* ---- Inspection */

/** The physical address of the root table (0 for NULL). */
uint64_t idmap_root_address(const idmap_t *map);
/** Bytes of address space the table covers, from 0 (0 for NULL). */
uint64_t idmap_size(const idmap_t *map);
/** Table pages in use, the root included: 1 after idmap_new() (0 for NULL). */
size_t idmap_table_count(const idmap_t *map);
/** The most recent call on @p map that failed (walk_range included), with status #IDMAP_OK
 * before any failure; NULL for NULL. */
const idmap_error_t *idmap_last_error(const idmap_t *map);
/** A short description of @p status: "address out of range", ...; never NULL (an unknown
 * value has one too). */
const char *idmap_status_str(idmap_status_t status);
/** Writes @p err as one line, no newline, like snprintf: at most @p len - 1 characters and
 * a NUL (nothing when len is 0); no printf is used.
 * @return the length of the whole line (0, and an empty string, for a NULL @p err). */
size_t idmap_format_error(const idmap_error_t *err, char *buf, size_t len);
/** Writes the whole tree through @p write, one entry a line, runs of empty entries and of
 * entries that continue each other folded. Nothing happens for a NULL map or write. */
void idmap_dump(const idmap_t *map, idmap_write_fn write, void *ctx);

/* ---- Addition: turning the MMU on (EL1, stage 1, 4 KiB granule) */

/** @name SCTLR_EL1 bits
 * The bits idmap_mmu_config_t sets and clears (Arm ARM D19.2 "SCTLR_EL1").
 * @{ */
#define IDMAP_SCTLR_M ((uint64_t)1 << 0)    /**< MMU enable */
#define IDMAP_SCTLR_A ((uint64_t)1 << 1)    /**< Alignment check */
#define IDMAP_SCTLR_C ((uint64_t)1 << 2)    /**< Data cacheability */
#define IDMAP_SCTLR_I ((uint64_t)1 << 12)   /**< Instruction cacheability */
#define IDMAP_SCTLR_WXN ((uint64_t)1 << 19) /**< Write implies execute-never */
#define IDMAP_SCTLR_E0E ((uint64_t)1 << 24) /**< EL0 big-endian */
#define IDMAP_SCTLR_EE ((uint64_t)1 << 25)  /**< EL1 big-endian */
/** @} */

/** What the MMU needs for a map, as register values. */
typedef struct {
    uint64_t mair;        /**< MAIR_EL1: #IDMAP_MAIR_DEFAULT */
    uint64_t tcr;         /**< TCR_EL1 */
    uint64_t ttbr;        /**< TTBR0_EL1: root address | ASID << 48 */
    uint64_t sctlr_set;   /**< SCTLR_EL1 bits to set: M, C, I */
    uint64_t sctlr_clear; /**< SCTLR_EL1 bits to clear: A, WXN, E0E, EE */
    uint64_t ttbr1;       /**< TTBR1_ELx: the upper map's root | ASID << 48, or 0 */
} idmap_mmu_config_t;

/** The register values for @p map, given the CPU's ID_AA64MMFR0_EL1 (PARange gives
 * TCR.IPS, capped at 48 bits; ASIDBits gives TCR.AS). TCR: T0SZ = 64 - log2(idmap_size()),
 * so the walk starts at the map's root level; TG0 4 KiB; inner and outer write-back
 * read/write-allocate walks, inner shareable; TTBR1 walks disabled (EPD1).
 * @param map the map the MMU is to use.
 * @param id_aa64mmfr0 the CPU's ID_AA64MMFR0_EL1.
 * @param config receives the values.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT for NULL, or for an ASID above 255 on a
 *         CPU with 8-bit ASIDs. (Root level 3 has T0SZ 43, above 39: idmap_enable_mmu()
 *         also reads ID_AA64MMFR2_EL1.ST and refuses it without FEAT_TTST.) */
idmap_status_t idmap_mmu_config(const idmap_t *map, uint64_t id_aa64mmfr0,
                                idmap_mmu_config_t *config);

/** Activates @p map and turns the stage-1 MMU and caches of its regime on (EL1&0 for
 * idmap_new()'s maps; _EL1 below is _EL2 or _EL3 in those regimes), from either state:
 *   - MMU or data cache off: cleans and invalidates the table pages to the point of
 *     coherency (they were written past the cache; each page was invalidated when the
 *     library took it, so no stale line is written back over it), invalidates the
 *     instruction cache;
 *   - then writes MAIR_EL1 and TCR_EL1, activates (TTBR0_EL1), TLBI VMALLE1 (ALLE2,
 *     ALLE3), DSB, ISB, and sets SCTLR_EL1 as the config says, ISB.
 *
 * The code running must be mapped executable, and its stack writable, by map, and run at
 * the regime's exception level (for EL2&0 with HCR_EL2.E2H set, for EL2 clear).
 * On the host it records the values in the fake registers and marks the map active.
 * Until idmap_disable_mmu() the map is the MMU's: idmap_deactivate() refuses it
 * (#IDMAP_ARG_MMU_ENABLED), and idmap_free() turns the MMU off first.
 * @return #IDMAP_OK, or those of idmap_mmu_config() with the CPU's ID registers, or
 *         #IDMAP_ERR_ALREADY_ACTIVE, or #IDMAP_ERR_INVALID_ARGUMENT when the CPU is not at
 *         the regime's exception level (or E2H does not match), or, value
 *         #IDMAP_ARG_NEEDS_TTST, for a T0SZ above 39 without FEAT_TTST (4 KiB pages from
 *         root level 3). */
idmap_status_t idmap_enable_mmu(idmap_t *map);

/** Undoes idmap_enable_mmu(): restores SCTLR_EL1, TCR_EL1 and MAIR_EL1 as they were before
 * it, deactivates @p map (restoring TTBR0_EL1), then TLBI VMALLE1, DSB, ISB, with the MMU
 * off meanwhile and interrupts masked. Where data accesses then bypass the cache (SCTLR M
 * and C both set before, not both after: the MMU or the data cache goes off), the whole
 * data cache is cleaned and invalidated by set/way first (CCSIDR_EL1 read in the format
 * ID_AA64MMFR2_EL1.CCIDX gives), so that memory holds what the program wrote. Use it to
 * switch between maps of
 * different root levels, or to hand over with the MMU off.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL, or map not enabled by
 *         idmap_enable_mmu()), or #IDMAP_ERR_NOT_ACTIVE. */
idmap_status_t idmap_disable_mmu(idmap_t *map);

/* ---- Addition: translation regimes, the upper VA range, linear maps, several cores */

/** A stage-1 translation regime (Arm ARM DDI 0487K.a, D8.1). Regimes with one privilege
 * level (EL2 with HCR_EL2.E2H = 0, EL3) have no EL0 access, no ASID and one XN bit: their
 * maps refuse #IDMAP_ATTR_USER, #IDMAP_ATTR_NON_GLOBAL and #IDMAP_ATTR_PXN with
 * #IDMAP_ERR_INVALID_FLAGS, and the library sets AP[1] (bit 6, RES1 there) in every block
 * and page they hold. Use #IDMAP_ATTR_XN there for execute-never. */
typedef enum {
    IDMAP_REGIME_EL1_0 = 0, /**< EL1&0: TTBR0_EL1, TTBR1_EL1, ASIDs (idmap_new()'s) */
    IDMAP_REGIME_EL2 = 1,   /**< EL2, HCR_EL2.E2H = 0: TTBR0_EL2 only, no ASID */
    IDMAP_REGIME_EL2_0 = 2, /**< EL2&0, HCR_EL2.E2H = 1 (FEAT_VHE): TTBR0_EL2, TTBR1_EL2, ASIDs */
    IDMAP_REGIME_EL3 = 3    /**< EL3: TTBR0_EL3 only, no ASID */
} idmap_regime_t;

/** Which of a regime's two input address ranges a map serves. */
typedef enum {
    IDMAP_VA_RANGE_LOWER = 0, /**< TTBR0: [0, idmap_size()) */
    IDMAP_VA_RANGE_UPPER = 1  /**< TTBR1: [2^64 - idmap_size(), 2^64); EL1&0 and EL2&0 only */
} idmap_va_range_t;

/** @name Attribute bits of one regime or another
 * @{ */
#define IDMAP_ATTR_NS ((uint64_t)1 << 5)   /**< NS: Non-secure output address, from Secure state */
#define IDMAP_ATTR_PXN ((uint64_t)1 << 53) /**< PXN: not executable at EL1 (EL2 in EL2&0) */
#define IDMAP_ATTR_UXN ((uint64_t)1 << 54) /**< UXN: not executable at EL0 */
#define IDMAP_ATTR_XN ((uint64_t)1 << 54)  /**< XN of the EL2 and EL3 regimes (UXN's bit) */
/** @} */

/** How to build a map: idmap_new_with_config()'s argument. A zeroed config (with a root
 * level) is idmap_new()'s map. */
typedef struct {
    idmap_regime_t regime;     /**< the translation regime */
    idmap_va_range_t va_range; /**< the VA range (TTBR0 or TTBR1) */
    uint64_t asid;             /**< the ASID: 16 bits; 0 in regimes without ASIDs */
    unsigned root_level;       /**< 0 to 3, as for idmap_new() */
    /** Every input address va maps to the output address va + pa_offset (modulo 2^64): 0
     * for an identity map, the kernel's offset for a linear map (PA - VA: for
     * 0xffffff8040000000 -> 0x40000000 it is 0x8000000000, as an int64). */
    int64_t pa_offset;
    const idmap_allocator_t *allocator; /**< table pages; NULL: idmap_new()'s page source */
} idmap_config_t;

/** A new, empty, inactive map as @p config says: a linear map (VA = PA + pa_offset) of
 * the regime's lower or upper VA range; every idmap_ function applies to it, with output
 * address = input address + pa_offset where the identity map has the input address. In
 * the upper range, a region's end of 0 stands for 2^64 (the top), in what callers pass
 * and in what callbacks receive.
 * @return the map, or NULL: @p config NULL, a bad root level, regime or range, the upper
 *         range in a regime without one, an ASID over 16 bits (or not 0 in EL2 and EL3),
 *         an incomplete allocator, or no memory. */
idmap_t *idmap_new_with_config(const idmap_config_t *config);
/** Why the most recent idmap_new(), idmap_new_with_allocator() or idmap_new_with_config()
 * that answered NULL did: #IDMAP_ERR_INVALID_ARGUMENT with an IDMAP_ARG_* reason, or
 * #IDMAP_ERR_OUT_OF_MEMORY (no page for the root table, or on the host no memory for the
 * handle); status #IDMAP_OK before any failure. One for the whole program, not per core:
 * read it right after the call, before another construction. Never NULL. */
const idmap_error_t *idmap_new_error(void);
/** The regime @p map was built for (#IDMAP_REGIME_EL1_0 for NULL). */
idmap_regime_t idmap_regime(const idmap_t *map);
/** The VA range @p map was built for (#IDMAP_VA_RANGE_LOWER for NULL). */
idmap_va_range_t idmap_va_range(const idmap_t *map);
/** The first input address @p map covers: 0 in the lower range, 2^64 - idmap_size() in the
 * upper one (0 for NULL). */
uint64_t idmap_va_start(const idmap_t *map);

/** Installs @p map on the calling core, as idmap_activate() does, for a map that other
 * cores may use at the same time (call it with the MMU on: the count is an atomic, which
 * needs cacheable memory): the TTBR value it replaced goes to @p previous_ttbr,
 * which the same core hands to idmap_deactivate_on_core(). Each call counts one core; the
 * break-before-make rules hold while any core has the map active, and every change made
 * meanwhile is invalidated in the TLBs of all cores (TLBI ...IS). idmap_free() undoes
 * idmap_activate() and idmap_enable_mmu() only: deactivate the map on every core first,
 * or they go on walking freed pages.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL, and as idmap_activate()). */
idmap_status_t idmap_activate_on_core(idmap_t *map, uint64_t *previous_ttbr);
/** Undoes idmap_activate_on_core() on the calling core: writes @p previous_ttbr back and
 * invalidates the map's TLB entries, as idmap_deactivate() does.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL; as idmap_deactivate() when the
 *         only activation left is idmap_enable_mmu()'s), or #IDMAP_ERR_NOT_ACTIVE when no
 *         core has the map active. */
idmap_status_t idmap_deactivate_on_core(idmap_t *map, uint64_t previous_ttbr);
/** The cores @p map is active on: idmap_activate() and idmap_enable_mmu() count one, as
 * each idmap_activate_on_core() does (0 for NULL). */
unsigned idmap_active_cores(const idmap_t *map);

/** idmap_mmu_config() for two maps of one regime with two VA ranges: @p lower for TTBR0
 * and @p upper for TTBR1 (TCR's T1SZ, TG1, walk attributes; EPD1 clear; A1 clear, so
 * TTBR0's ASID is the one in use: the two maps must have the same ASID).
 * @return as idmap_mmu_config(); #IDMAP_ERR_INVALID_ARGUMENT also when @p lower is not a
 *         lower range map or @p upper not an upper range map of the same regime, or their
 *         ASIDs differ. */
idmap_status_t idmap_mmu_config_split(const idmap_t *lower, const idmap_t *upper,
                                      uint64_t id_aa64mmfr0, idmap_mmu_config_t *config);
/** idmap_enable_mmu() with @p lower on TTBR0 and @p upper on TTBR1; idmap_disable_mmu(@p
 * lower) undoes it for both.
 * @return as idmap_enable_mmu() and idmap_mmu_config_split(). */
idmap_status_t idmap_enable_mmu_split(idmap_t *lower, idmap_t *upper);

/* ---- Addition: exact budgets for static page pools */

/** The table pages idmap_map_range_with_constraints(@p map, @p range, @p flags,
 * @p constraints) would take from the allocator now (0: it needs none), found by the
 * call's own plan step: nothing is allocated or changed. Exact: the call would take
 * this many pages, and succeed or fail as this answers.
 * @return #IDMAP_OK with *@p pages set, or the errors of
 *         idmap_map_range_with_constraints() but #IDMAP_ERR_OUT_OF_MEMORY (*@p pages
 *         unchanged); #IDMAP_ERR_INVALID_ARGUMENT also for a NULL @p pages. */
idmap_status_t idmap_tables_needed(const idmap_t *map, const idmap_region_t *range, uint64_t flags,
                                   uint32_t constraints, size_t *pages);
/** An upper bound on the table pages, the root included, that mapping all @p count
 * regions into one new map with its root at @p root_level takes, whatever the flags,
 * constraints and output addresses: one table below every entry a region touches above
 * the leaf level (a table shared by two regions counts twice). Size a static pool with
 * it when the regions are known at build time; idmap_tables_needed() is exact for one
 * call. Empty regions count nothing.
 * @return the bound; 0 for NULL @p regions with @p count != 0 or a root level above 3. */
size_t idmap_worst_case_tables(const idmap_region_t *regions, size_t count, unsigned root_level);

/* ---- Addition: re-coalescing */

/** Replaces every subtable of @p map whose entries map one aligned, contiguous output range
 * with one set of attributes by a block (1 GiB or 2 MiB), bottom-up, and frees it: what
 * idmap_map_range() and idmap_modify_range() leave when pages were made alike again,
 * since they keep tables (as the contract says). Only on an inactive map: turning a live
 * table into a block needs break-before-make.
 * @return the table pages freed; 0 for NULL or an active map. */
size_t idmap_coalesce_subtables(idmap_t *map);

/* ---- Addition: the contiguous hint */

/** Turns the contiguous hint on or off for @p map (off in a new map). On: after every
 * change to an inactive map, each aligned group of 16 leaves in the range changed (64 KiB
 * of pages, 32 MiB or 16 GiB of blocks) that maps one aligned, contiguous output range
 * with identical attributes gets the contiguous bit (bit 52), unless the call passed
 * #IDMAP_NO_CONTIGUOUS_HINT; every other group there loses it, whatever the policy, so
 * a group is always consistent (Arm ARM D8.6.1). On an active map no hint is added, and
 * a change to an entry of a hinted group is refused with #IDMAP_ERR_BREAK_BEFORE_MAKE,
 * unmapping one included: deactivate, change, activate. Off by default: a misprogrammed
 * group is a TLB conflict that QEMU does not model, and cores have errata around the
 * hint; turn it on where the core's errata notice allows.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL). */
idmap_status_t idmap_set_contiguous_hint(idmap_t *map, bool on);
/** Whether the contiguous hint is on for @p map (false for NULL). */
bool idmap_contiguous_hint(const idmap_t *map);

/* ---- Addition: seal mode */

/** Seals @p map: from now on it accepts only changes that tighten access.
 *   - idmap_map_range() and idmap_map_range_with_constraints() answer #IDMAP_ERR_SEALED
 *     (region = the range, value = flags | VALID): they make entries valid or rewrite them
 *     whole; tighten with idmap_modify_range() instead;
 *   - idmap_modify_range() answers #IDMAP_ERR_SEALED, region = the range, value = the bits,
 *     before anything changes, when fn's change to any entry widens access. Tightening:
 *     the entry becomes invalid, or stays valid and only sets #IDMAP_ATTR_READ_ONLY,
 *     #IDMAP_ATTR_PXN, #IDMAP_ATTR_UXN (#IDMAP_ATTR_XN), or clears #IDMAP_ATTR_USER or
 *     #IDMAP_ATTR_DBM; #IDMAP_ATTR_SWFLAG_0 to _3 may change freely. Making an entry
 *     valid, or changing its output address, memory type, shareability, AF or nG, widens.
 *     fn runs once on a copy of every entry to check, then again to apply, as on an
 *     active map;
 *   - idmap_unmap_range() and idmap_compact_subtables() work as before.
 *
 * There is no unseal: a later boot stage handed a sealed map cannot widen it.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL). */
idmap_status_t idmap_seal(idmap_t *map);
/** Whether idmap_seal() ran on @p map (false for NULL). */
bool idmap_is_sealed(const idmap_t *map);

/* ---- Addition: CPU errata policy */

/** @name Errata workarounds, for idmap_set_errata()
 * @{ */
/** Every TLBI that invalidates a change to a map (and deactivate's) is followed by DSB ISH
 * and issued again - not the local TLBI of the MMU enable sequence, which runs with the
 * MMU off - as Linux's
 * ARM64_WORKAROUND_REPEAT_TLBI does for Cortex-A76 erratum 1286807, Cortex-A55 erratum
 * 2441007 and Cortex-A510 erratum 2441009 (a TLBI + DSB may not complete the
 * invalidation of an entry that a concurrent walk is refilling). */
#define IDMAP_ERRATUM_REPEAT_TLBI ((uint32_t)1 << 0)
/** No contiguous bit is set on any map, whatever idmap_set_contiguous_hint() says (a change
 * still clears the groups it touches): for cores whose errata notice restricts the
 * contiguous hint, so that one binary can turn it on per map and off per SoC. */
#define IDMAP_ERRATUM_NO_CONTIGUOUS_HINT ((uint32_t)1 << 1)
/** @} */

/** Sets the errata workarounds every map of this library applies from now on, so that one
 * binary serves several SoCs: the caller reads MIDR_EL1 and decides. Not tied to a map;
 * set it before the maps are used on several cores.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_FLAGS for bits this version does not know (the
 *         policy unchanged). */
idmap_status_t idmap_set_errata(uint32_t errata);
/** The errata workarounds in force (0 by default). */
uint32_t idmap_errata(void);

/* ---- Addition: the version of the library linked */

/** The version of the library as it was built: #IDMAP_VERSION's encoding,
 * major << 16 | minor << 8 | patch (0.1.0 is 0x000100). A caller compares it with the
 * #IDMAP_VERSION of the header it was compiled against.
 * @return the library's version; this function cannot fail. */
uint32_t idmap_version(void);

/* ---- Addition: the linter (stage-1 trees, 4 KiB granule, 48-bit output addresses) */

/** What a finding of the linter is about (aarch64_paging::LintKind). "Leaf": a valid block
 * (level 1 or 2) or page (level 3) descriptor. */
typedef enum {
    /** RES0 bits set in a valid descriptor; bits = them. Leaves: 49:48, 50 (GP, unless
     * #IDMAP_LINT_FEATURE_BTI), and in the EL2 and EL3 regimes 11 (nG) and 53 (PXN).
     * Table descriptors: 51:48, and in the EL2 and EL3 regimes 59 (PXNTable) and 61
     * (APTable[0]). */
    IDMAP_LINT_RES0_BITS = 1,
    /** RES1 bits clear in a leaf; bits = them: AP[1] (bit 6) in the EL2 and EL3 regimes. */
    IDMAP_LINT_RES1_CLEAR = 2,
    /** A valid entry with bit 1 clear at level 0 (no blocks with 4 KiB pages) or level 3
     * (0b01 is reserved there): the MMU faults. */
    IDMAP_LINT_BLOCK_NOT_ALLOWED = 3,
    /** A block whose output address has bits below the block size (bits 29:12 at level 1,
     * 20:12 at level 2; bit 16, nT, left out with #IDMAP_LINT_FEATURE_BBM); bits = them. */
    IDMAP_LINT_MISALIGNED_OUTPUT = 4,
    /** An aligned group of 16 entries where some leaf has the contiguous bit (52) but the
     * group is not 16 leaves with it, identical attributes (the Access flag and, with DBM,
     * AP[2] aside) and one contiguous output range aligned to 16 entries. At the first
     * entry that does not fit the group's first entry with the bit (entry 0 when only the
     * alignment is wrong); other_va = the group's first address. */
    IDMAP_LINT_CONTIGUOUS = 5,
    /** A table descriptor whose next-level table is not a page the tree may use; pa = it. */
    IDMAP_LINT_TABLE_OUTSIDE_POOL = 6,
    /** A table descriptor pointing at a table on its own path from the root; pa = that
     * table, other_va = where the walk first reached it. Not followed. */
    IDMAP_LINT_TABLE_LOOP = 7,
    /** A table descriptor pointing at a table reached before (the walk goes in address
     * order); pa = that table, other_va = the earlier reference. Not followed again. */
    IDMAP_LINT_TABLE_SHARED = 8,
    /** A physical range writable through one leaf and executable through another, in one
     * tree or across the trees linted together. va, level, index, descriptor: the
     * writable leaf at the start of the overlap; other_va (in other_tree): the executable
     * address of the same byte; pa and size: the overlap. Writable: AP[2] clear (and no
     * APTable[1] above). Executable: at the privileged level (PXN clear, and not writable
     * at EL0, in EL1&0 and EL2&0; XN clear in EL2 and EL3) or at EL0 (UXN clear). */
    IDMAP_LINT_WX_ALIAS = 9
} idmap_lint_kind_t;

/** One finding: which entry, and the detail its kind gives. */
typedef struct {
    idmap_lint_kind_t kind; /**< What is wrong. */
    unsigned level;         /**< The level of the table holding the entry. */
    unsigned index;         /**< The entry's index in its table. */
    uint32_t tree;          /**< Which of the trees or maps linted (0 for one). */
    uint32_t other_tree;    /**< #IDMAP_LINT_WX_ALIAS: the tree of other_va. */
    uint64_t va;            /**< The first address the entry maps (the overlap's, for an alias). */
    uint64_t descriptor;    /**< The entry's 64 bits. */
    uint64_t bits;          /**< RES0_BITS, RES1_CLEAR, MISALIGNED_OUTPUT: the bits. */
    uint64_t other_va;      /**< CONTIGUOUS, TABLE_LOOP, TABLE_SHARED, WX_ALIAS: see the kind. */
    uint64_t pa;            /**< TABLE_OUTSIDE_POOL, TABLE_LOOP, TABLE_SHARED, WX_ALIAS. */
    uint64_t size;          /**< #IDMAP_LINT_WX_ALIAS: bytes of the overlap. */
} idmap_lint_finding_t;

/** Physical pages a tree may use for its tables, and where the caller reads them. */
typedef struct {
    uint64_t base;    /**< The physical address of the first byte, page-aligned. */
    uint64_t size;    /**< Bytes; only whole pages inside count. */
    const void *data; /**< Where byte base is readable (8-byte aligned); NULL: at base itself. */
} idmap_lint_pool_t;

/** Turns the physical address of a table page into a pointer to its 512 descriptors
 * (8-byte aligned), or NULL for a page the tree may not use. */
typedef const void *(*idmap_lint_translate_fn)(void *ctx, uint64_t pa);

/** A translation table tree built anywhere, for idmap_lint_raw(). Its tables are read
 * through translate if it is set, else from the pools. */
typedef struct {
    uint64_t root;                     /**< Physical address of the root table, page-aligned. */
    unsigned root_level;               /**< Level of the root table, 0 to 3; all 512 entries are read. */
    idmap_regime_t regime;             /**< The regime the tree is for. */
    const idmap_lint_pool_t *pools;    /**< The pages its tables may use (without translate). */
    size_t pool_count;                 /**< Entries of pools. */
    idmap_lint_translate_fn translate; /**< Or: the pages, through this callback. */
    void *ctx;                         /**< Passed to translate. */
} idmap_lint_tree_t;

/** @name Linter checks and features
 * idmap_lint_options_t's checks (which to run; 0 = all) and features (architecture
 * features the trees may use, whose bits are then not reported).
 * @{ */
#define IDMAP_LINT_CHECK_STRUCTURE ((uint32_t)1 << 0)  /**< All but W^X: bits, levels, groups, tables */
#define IDMAP_LINT_CHECK_WX_ALIASES ((uint32_t)1 << 1) /**< W^X aliases */
#define IDMAP_LINT_CHECK_ALL (IDMAP_LINT_CHECK_STRUCTURE | IDMAP_LINT_CHECK_WX_ALIASES) /**< Both */
#define IDMAP_LINT_FEATURE_BTI ((uint32_t)1 << 0) /**< FEAT_BTI: bit 50 of leaves is GP */
#define IDMAP_LINT_FEATURE_BBM ((uint32_t)1 << 1) /**< FEAT_BBM: bit 16 of blocks is nT */
/** @} */

/** Scratch words (uint64_t) a lint needs: 2 per table page of the largest tree, 4 per run
 * of writable or executable leaves (of one level, with equal attributes, whose input and
 * output addresses follow on) over all trees. */
#define IDMAP_LINT_SCRATCH_WORDS(tables, runs) (2 * (size_t)(tables) + 4 * (size_t)(runs))

/** How to lint: the checks, and the working storage of the walk (the linter uses no heap). */
typedef struct {
    uint32_t checks;      /**< IDMAP_LINT_CHECK_*; 0 means all. */
    uint32_t features;    /**< IDMAP_LINT_FEATURE_*. */
    uint64_t *scratch;    /**< Working storage: the tables reached, the runs for W^X. */
    size_t scratch_words; /**< Words of scratch (#IDMAP_LINT_SCRATCH_WORDS). */
} idmap_lint_options_t;

/** What a lint found and needed. */
typedef struct {
    size_t findings;      /**< Every finding, also those past the caller's array. */
    size_t tables;        /**< Table pages reached, over all trees. */
    size_t runs;          /**< Runs of writable or executable leaves the W^X check met. */
    size_t scratch_words; /**< The scratch the lint needed: a lower bound when the tables did not fit. */
} idmap_lint_report_t;

/** Lints @p map (EL1&0): what the MMU would reject or that is unlikely to be meant
 * (idmap_lint_kind_t), and W^X aliases within the map. The map's table pages are trusted:
 * a corrupt table address is followed; to lint a map you distrust, pass its root to
 * idmap_lint_raw() with the pages it may use.
 * @param map the map.
 * @param options the checks and the scratch; NULL: all checks, no scratch.
 * @param out receives the first @p max findings: each tree's in address order (a
 *        contiguous group's after its entries'), then the aliases by physical address.
 * @param max entries of @p out (NULL with 0: only count).
 * @param report receives the counts, the findings included; may be NULL.
 * @return #IDMAP_OK (with findings or none), or (idmap_last_error() set, but for a NULL
 *         map):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map NULL, or @p out NULL with @p max not 0;
 *   - #IDMAP_ERR_OUT_OF_MEMORY: the scratch was too small; report->scratch_words says how
 *     much is needed (exact when the tables fitted, else a lower bound: grow and retry).
 *     What was walked is still reported; the W^X check ran only if its runs fitted. */
idmap_status_t idmap_lint(const idmap_t *map, const idmap_lint_options_t *options,
                          idmap_lint_finding_t *out, size_t max, idmap_lint_report_t *report);

/** As idmap_lint(), for @p count trees built anywhere, each read from its root through
 * its pools or translate callback (a table outside them is reported, never read), and
 * checked for W^X aliases together.
 * @param trees the trees (tree i's findings have tree = i).
 * @param count entries of @p trees, at most 4096.
 * @param options as idmap_lint().
 * @param out as idmap_lint().
 * @param max as idmap_lint().
 * @param report as idmap_lint().
 * @return as idmap_lint() (no last error is recorded), and #IDMAP_ERR_INVALID_ARGUMENT,
 *         before any finding, for @p trees NULL with @p count not 0, more than 4096 trees,
 *         a root level above 3, an unknown regime, neither pools nor translate, a pool
 *         not page-aligned, or a root that is not page-aligned or not a page the tree may
 *         use. */
idmap_status_t idmap_lint_raw(const idmap_lint_tree_t *trees, size_t count,
                              const idmap_lint_options_t *options, idmap_lint_finding_t *out,
                              size_t max, idmap_lint_report_t *report);

/** W^X aliases across @p count maps (and within each): a physical page writable through
 * one and executable through another, the same address in two maps included (an
 * identity map's aliases are in other maps). Only #IDMAP_LINT_CHECK_WX_ALIASES runs,
 * whatever options->checks says.
 * @param maps the maps (map i's findings have tree = i).
 * @param count entries of @p maps, at most 4096.
 * @param options as idmap_lint().
 * @param out as idmap_lint().
 * @param max as idmap_lint().
 * @param report as idmap_lint().
 * @return as idmap_lint() (no last error is recorded), and #IDMAP_ERR_INVALID_ARGUMENT for
 *         @p maps NULL with @p count not 0, a NULL map, or more than 4096 maps. */
idmap_status_t idmap_lint_wx_aliases(const idmap_t *const *maps, size_t count,
                                     const idmap_lint_options_t *options,
                                     idmap_lint_finding_t *out, size_t max,
                                     idmap_lint_report_t *report);

/** A short name for @p kind: "RES0 bits set", ...; never NULL (an unknown value has one). */
const char *idmap_lint_kind_str(idmap_lint_kind_t kind);

/** Writes @p finding as one line, no newline, like snprintf (at most @p len - 1 characters
 * and a NUL; nothing when len is 0): the kind's name, the entry and the detail, e.g.
 * "RES0 bits set: L3[5] va 0x80005000, descriptor 0x1000080005743, bits 0x1000000000000".
 * @return the length of the whole line (0, and an empty string, for a NULL finding). */
size_t idmap_lint_finding_text(const idmap_lint_finding_t *finding, char *buf, size_t len);

/* ---- Addition: exporting the applied map */

/** @name Exported region flags
 * idmap_export_region_t's flags. All but #IDMAP_EXPORT_VALID describe the bits as they
 * would act were the entries valid.
 * @{ */
#define IDMAP_EXPORT_VALID ((uint32_t)1 << 0)         /**< Bit 0 set: the MMU translates it */
#define IDMAP_EXPORT_READ_ONLY ((uint32_t)1 << 1)     /**< Not writable at EL1 */
#define IDMAP_EXPORT_EXECUTE_NEVER ((uint32_t)1 << 2) /**< Not executable at EL1 */
#define IDMAP_EXPORT_USER ((uint32_t)1 << 3)          /**< Readable at EL0 (AP[1]) */
#define IDMAP_EXPORT_USER_EXECUTE ((uint32_t)1 << 4)  /**< Executable at EL0 (UXN clear) */
#define IDMAP_EXPORT_NON_GLOBAL ((uint32_t)1 << 5)    /**< nG */
#define IDMAP_EXPORT_ACCESSED ((uint32_t)1 << 6)      /**< AF set: the first access does not fault */
/** @} */

/** @name Memory types
 * idmap_export_region_t's memory_type: what AttrIndx selects in #IDMAP_MAIR_DEFAULT.
 * @{ */
#define IDMAP_MEMORY_DEVICE 0    /**< Device memory (any of nGnRnE, nGnRE, nGRE, GRE) */
#define IDMAP_MEMORY_NORMAL_NC 1 /**< Normal, Non-cacheable */
#define IDMAP_MEMORY_NORMAL_WT 2 /**< Normal, Write-Through */
#define IDMAP_MEMORY_NORMAL_WB 3 /**< Normal, Write-Back */
/** @} */

/** One region of the applied map: a run of leaf entries (blocks, pages, and invalid
 * entries that are not all zero, such as map_range writes without #IDMAP_ATTR_VALID), in
 * address order, each starting where the last ends, whose output addresses follow on and
 * whose bits are the same but for the output address, bit 1 (page/block) and bit 52 (the
 * contiguous bit). All-zero entries end a region and are not exported. */
typedef struct {
    uint64_t va_start;    /**< The first virtual address. */
    uint64_t va_end;      /**< The virtual address after the last. */
    uint64_t pa_start;    /**< The physical address of va_start (0 in an invalid region). */
    uint64_t leaf_bits;   /**< The first leaf's descriptor. */
    uint32_t flags;       /**< IDMAP_EXPORT_*. */
    uint8_t memory_type;  /**< IDMAP_MEMORY_*. */
    uint8_t attr_index;   /**< AttrIndx[2:0], the MAIR attribute. */
    uint8_t shareability; /**< SH[1:0]: 0 non, 1 reserved, 2 outer, 3 inner shareable. */
    uint8_t level;        /**< The first leaf's level. */
} idmap_export_region_t;

/** Writes the regions of @p map, in address order, to @p out.
 * @param map the map.
 * @param out receives the first @p max regions (NULL with 0: only count).
 * @param max entries of @p out.
 * @return every region, also those past @p max (0 for a NULL map, and nothing written for
 *         a NULL @p out). */
size_t idmap_export_regions(const idmap_t *map, idmap_export_region_t *out, size_t max);

/** Writes the regions of @p map as a devicetree fragment through @p write: the node
 * @p node_name with \#address-cells = <2>, \#size-cells = <2> and regime = "el1&0", holding
 * per region a node like this one (tabs, hex, 64-bit values as two cells, high first):
 * @code
 * region@80000000 {
 *     reg = <0x0 0x80000000 0x0 0x200000>;    virtual start and size
 *     output-address = <0x0 0x80000000>;      physical start
 *     descriptor = <0x0 0x80000785>;          the first leaf's bits
 *     level = <0x2>;                          the first leaf's level
 *     memory-type = "normal-wb";              device, normal-nc, normal-wt, normal-wb
 *     attr-index = <0x1>;
 *     shareability = "inner";                 non, reserved, outer, inner
 *     read-only;                              each of these only where it holds:
 *     execute-never;                          (the IDMAP_EXPORT_* flags)
 *     user;
 *     user-execute;
 *     non-global;
 *     no-access-flag;                         AF clear
 *     invalid;                                bit 0 clear
 * };
 * @endcode
 * (the notes on the right are not written), after a first line that is a C comment
 * saying "idmap: el1&0 stage 1, 4 KiB granule". The unit address is the virtual start in
 * hex without "0x" or leading zeros. aarch64_paging/export.hpp has the whole text.
 * @param map the map.
 * @param node_name the fragment's node name; NULL: "idmap".
 * @param write receives the text, in pieces.
 * @param ctx passed to @p write.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (nothing written) for a NULL map or
 *         write, or a node name that is not 1 to 31 letters, digits or ",._+-". */
idmap_status_t idmap_export_devicetree(const idmap_t *map, const char *node_name,
                                       idmap_write_fn write, void *ctx);

/** UEFI's EFI_MEMORY_DESCRIPTOR, as EFI_MEMORY_ATTRIBUTES_TABLE lists them: 40 bytes, in
 * UEFI's layout, packed back to back (the table's DescriptorSize is its sizeof). */
typedef struct {
    uint32_t type;            /**< Type: an IDMAP_EFI_* memory type. */
    uint32_t pad;             /**< 0: UEFI's alignment of the next field. */
    uint64_t physical_start;  /**< PhysicalStart. */
    uint64_t virtual_start;   /**< VirtualStart. */
    uint64_t number_of_pages; /**< NumberOfPages, of 4 KiB. */
    uint64_t attribute;       /**< Attribute: IDMAP_EFI_MEMORY_* bits. */
} idmap_efi_memory_descriptor_t;

/** @name UEFI memory types and attributes
 * The values of the UEFI specification (EFI_MEMORY_TYPE, EFI_MEMORY_*) that
 * idmap_export_efi() uses.
 * @{ */
#define IDMAP_EFI_RESERVED_MEMORY_TYPE 0   /**< EfiReservedMemoryType: invalid entries */
#define IDMAP_EFI_RUNTIME_SERVICES_CODE 5  /**< EfiRuntimeServicesCode: executable at EL1 */
#define IDMAP_EFI_RUNTIME_SERVICES_DATA 6  /**< EfiRuntimeServicesData: other Normal memory */
#define IDMAP_EFI_MEMORY_MAPPED_IO 11      /**< EfiMemoryMappedIO: Device memory */
#define IDMAP_EFI_MEMORY_UC ((uint64_t)0x1)     /**< EFI_MEMORY_UC: Device memory */
#define IDMAP_EFI_MEMORY_WC ((uint64_t)0x2)     /**< EFI_MEMORY_WC: Normal Non-cacheable */
#define IDMAP_EFI_MEMORY_WT ((uint64_t)0x4)     /**< EFI_MEMORY_WT: Normal Write-Through */
#define IDMAP_EFI_MEMORY_WB ((uint64_t)0x8)     /**< EFI_MEMORY_WB: Normal Write-Back */
#define IDMAP_EFI_MEMORY_RP ((uint64_t)0x2000)  /**< EFI_MEMORY_RP: invalid entries */
#define IDMAP_EFI_MEMORY_XP ((uint64_t)0x4000)  /**< EFI_MEMORY_XP: not executable at EL1 */
#define IDMAP_EFI_MEMORY_RO ((uint64_t)0x20000) /**< EFI_MEMORY_RO: not writable at EL1 */
/** @} */

/** Writes the map as UEFI memory descriptors, in address order: one per run of regions
 * (idmap_export_region_t) with the same type and attribute whose addresses follow on.
 * Type: #IDMAP_EFI_MEMORY_MAPPED_IO for Device memory, else
 * #IDMAP_EFI_RUNTIME_SERVICES_CODE where executable at EL1, else
 * #IDMAP_EFI_RUNTIME_SERVICES_DATA; #IDMAP_EFI_RESERVED_MEMORY_TYPE for invalid entries.
 * Attribute: the cacheability (UC, WC, WT, WB), RO, XP, and RP for invalid entries.
 * EFI_MEMORY_RUNTIME is the caller's to add.
 * @param map the map.
 * @param out receives the first @p max descriptors (NULL with 0: only count).
 * @param max entries of @p out.
 * @return every descriptor, also those past @p max (0 for a NULL map, and nothing written
 *         for a NULL @p out). */
size_t idmap_export_efi(const idmap_t *map, idmap_efi_memory_descriptor_t *out, size_t max);

/* ---- Addition: the pre-flight check */

/** How the CPU will use an address, and so what the map must allow there. */
typedef enum {
    /** Instructions: valid, Access flag set, executable at EL1, Normal memory. */
    IDMAP_USE_CODE = 1,
    /** A stack: valid, Access flag set, writable at EL1, Normal memory. */
    IDMAP_USE_STACK = 2,
    /** The exception vectors: as #IDMAP_USE_CODE. */
    IDMAP_USE_VECTORS = 3,
    /** A translation table page the code will write: valid, Access flag set, writable. */
    IDMAP_USE_TABLE = 4
} idmap_use_t;

/** A range of addresses the CPU will use, and how. */
typedef struct {
    uint64_t start;  /**< The first address. */
    uint64_t size;   /**< Bytes; 0 checks the one byte at start. */
    idmap_use_t use; /**< What the map must allow there. */
} idmap_critical_t;

/** @name Pre-flight check
 * idmap_preflight_t's skip bits, and the reasons in bits 7:0 of the value of an
 * #IDMAP_ERR_PREFLIGHT error (bits 15:8 hold the idmap_use_t).
 * @{ */
#define IDMAP_PREFLIGHT_SKIP_PC ((uint32_t)1 << 0)   /**< Do not check pc */
#define IDMAP_PREFLIGHT_SKIP_SP ((uint32_t)1 << 1)   /**< Do not check sp */
#define IDMAP_PREFLIGHT_SKIP_VBAR ((uint32_t)1 << 2) /**< Do not check vbar (no vectors yet) */
/** Check nothing: idmap_activate_checked() activates as idmap_activate() does, for a
 * caller that knows better and says so. */
#define IDMAP_PREFLIGHT_SKIP_ALL ((uint32_t)0xffffffff)
#define IDMAP_PREFLIGHT_NOT_MAPPED ((uint64_t)1 << 0)     /**< No valid entry, or beyond the map */
#define IDMAP_PREFLIGHT_NO_ACCESS_FLAG ((uint64_t)1 << 1) /**< AF clear: the first access faults */
#define IDMAP_PREFLIGHT_NOT_EXECUTABLE ((uint64_t)1 << 2) /**< Code or vectors not executable at EL1 */
#define IDMAP_PREFLIGHT_NOT_WRITABLE ((uint64_t)1 << 3)   /**< A stack or table not writable at EL1 */
#define IDMAP_PREFLIGHT_DEVICE ((uint64_t)1 << 4)         /**< Device memory where Normal is needed */
/** @} */

/** What to check before a map goes live: the addresses the CPU is about to use, which the
 * caller reads from the CPU (on a board) or makes up (in a test). A zero-initialised one
 * fails rather than passing unchecked: the stack below sp = 0 is beyond any map. */
typedef struct {
    uint64_t pc;   /**< The code running: the 4 bytes at pc (#IDMAP_USE_CODE). */
    uint64_t sp;   /**< The stack pointer (full descending): the 16 bytes below sp (#IDMAP_USE_STACK). */
    uint64_t vbar; /**< VBAR_EL1: the 2 KiB vector table at vbar (#IDMAP_USE_VECTORS). */
    bool check_tables; /**< Also every table page of the map (#IDMAP_USE_TABLE). */
    uint32_t skip;     /**< IDMAP_PREFLIGHT_SKIP_* bits. */
    const idmap_critical_t *extra; /**< More ranges, checked after vbar; may be NULL. */
    size_t extra_count;            /**< Entries of extra. */
} idmap_preflight_t;

/** Checks, in this order, pc, sp, vbar, the extra ranges, then (with check_tables) the
 * map's table pages, and stops at the first address the map does not allow its use at.
 * Reads the map only, in its regime, with #IDMAP_MAIR_DEFAULT.
 * @param map the map.
 * @param preflight what to check.
 * @return #IDMAP_OK, or (idmap_last_error() set, but for a NULL map):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map or @p preflight NULL, extra NULL with a count,
 *     or an extra range wrapping past 2^64;
 *   - #IDMAP_ERR_PREFLIGHT: va = the first address that failed, region = the range
 *     checked (rounded to pages), value = the IDMAP_PREFLIGHT_* reasons | the use << 8;
 *     idmap_format_error() writes e.g. "pre-flight check failed: stack at 0x80ff0: not
 *     writable". */
idmap_status_t idmap_preflight(const idmap_t *map, const idmap_preflight_t *preflight);

/** Fills pc, sp and vbar of @p preflight from the CPU: pc = the caller's return address
 * (code the caller will go on running), sp = the stack pointer (as this function sees it:
 * a few dozen bytes below the caller's), vbar = VBAR_ELx of the
 * current exception level; the other fields are left as they are. On the host, the
 * values of the arch layer's fake.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT for a NULL @p preflight. */
idmap_status_t idmap_preflight_read_cpu(idmap_preflight_t *preflight);

/** idmap_preflight(), then idmap_enable_mmu() if it passed: the MMU goes on only with a
 * map under which the code, stack and vectors the CPU uses stay usable.
 * @return #IDMAP_OK, or those of idmap_preflight() (nothing changed), or those of
 *         idmap_enable_mmu(). */
idmap_status_t idmap_enable_mmu_checked(idmap_t *map, const idmap_preflight_t *preflight);

/** idmap_preflight(), then idmap_activate() if it passed; with skip =
 * #IDMAP_PREFLIGHT_SKIP_ALL, idmap_activate() alone.
 * @param map the map.
 * @param preflight what to check.
 * @return #IDMAP_OK, or those of idmap_preflight() (the map not activated), or those of
 *         idmap_activate(). */
idmap_status_t idmap_activate_checked(idmap_t *map, const idmap_preflight_t *preflight);

#ifdef __cplusplus
}
#endif

#endif /* IDMAP_H */
