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
    IDMAP_ERR_SEALED = 12                  /**< A change that would widen a sealed map (addition). */
} idmap_status_t;

/** A failure with its detail; which field holds it depends on the status. */
typedef struct {
    idmap_status_t status; /**< What went wrong; #IDMAP_OK before any failure. */
    uint64_t va;           /**< ADDRESS_RANGE, INVALID_VIRTUAL_ADDRESS: the offending address. */
    idmap_region_t region; /**< REGION_BACKWARDS, BREAK_BEFORE_MAKE: the offending region. */
    uint64_t value; /**< PTE_UPDATE_FAULT: the descriptor; INVALID_FLAGS: the rejected bits; SEALED: the bits whose change would widen access. */
} idmap_error_t;

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
/** Deactivates the map if it is active and returns every table page to where it came
 * from. Accepts NULL. Cannot fail. */
void idmap_free(idmap_t *map);

/* ---- Activation (TTBR0_EL1) */

/** Saves TTBR0_EL1, writes the root address with the ASID in bits 63:48, ISB.
 * On the host (and in host test builds) no system register is touched: only the state
 * changes, so that the break-before-make rules can be tested.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL;
 *   - #IDMAP_ERR_ALREADY_ACTIVE: the map is active. */
idmap_status_t idmap_activate(idmap_t *map);
/** Restores the saved TTBR0_EL1, then TLBI ASIDE1, DSB, ISB. Global entries stay in the
 * TLB: maps switched in and out should be mapped #IDMAP_ATTR_NON_GLOBAL.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL;
 *   - #IDMAP_ERR_NOT_ACTIVE: the map is not active. */
idmap_status_t idmap_deactivate(idmap_t *map);
/** Whether @p map is active (false for NULL). */
bool idmap_is_active(const idmap_t *map);

/* ---- Mapping */

/** Maps every address of @p range to itself with @p flags (#IDMAP_ATTR_ACCESSED added on
 * every block and page), using the largest blocks that fit: 1 GiB at level 1, 2 MiB at
 * level 2, pages at level 3, never a block at level 0. A table that already covers part of
 * the range is kept and filled. Entries are written whether or not flags has
 * #IDMAP_ATTR_VALID; without it they stay invalid. A change to an active map is followed
 * by DSB ISHST and no TLB invalidation.
 * @return #IDMAP_OK, or (the table exactly as it was before the call):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map or @p range is NULL;
 *   - #IDMAP_ERR_ADDRESS_RANGE: va = the rounded end, when past idmap_size() or not
 *     representable;
 *   - #IDMAP_ERR_REGION_BACKWARDS: region = the rounded region;
 *   - #IDMAP_ERR_INVALID_FLAGS: value = the refused bits: TABLE_OR_PAGE, bits 12-49,
 *     bit 52 (the contiguous bit, which the library manages), or unknown constraint bits
 *     (when both are refused, value holds the flags');
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: region = the rounded range: the map is active and the
 *     change would split a live block (even with unchanged attributes), change a live
 *     entry's output address, memory type or shareability, or clear its nG bit (making an
 *     entry invalid, or creating one where none was valid, is always allowed when it
 *     needs no split);
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
 *     forbidden change (nothing changed);
 *   - #IDMAP_ERR_OUT_OF_MEMORY: no page for a split (nothing changed);
 *   - #IDMAP_ERR_INVALID_FLAGS: fn flipped TABLE_OR_PAGE or changed output-address bits;
 *     value = those bits. As additions to the contract, the same for the other bits
 *     idmap_map_range() refuses (RES0 bits 48-49, the contiguous bit 52), and for VALID
 *     set on an invalid entry that would then be malformed (at level 0, where there are
 *     no blocks; at level 3 without the page bit, a reserved encoding) or would map
 *     another address than its own (an empty entry's output address is 0); value = the
 *     bits refused. fn may give an empty entry other attributes: it stays invalid;
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
 * is then invalidated (TLBI VMALLE1IS, DSB ISH, ISB) before any table is freed, so the
 * change takes effect at once.
 * @return IDMAP_OK, or (the table exactly as it was):
 *   IDMAP_ERR_INVALID_ARGUMENT (@p map or @p range NULL), IDMAP_ERR_ADDRESS_RANGE,
 *   IDMAP_ERR_REGION_BACKWARDS (as for idmap_map_range()),
 *   IDMAP_ERR_BREAK_BEFORE_MAKE (active map: a valid block straddles an edge of the range;
 *   region = the rounded range), IDMAP_ERR_OUT_OF_MEMORY (no page for a split).
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
 *         CPU with 8-bit ASIDs, or root level 3 (T0SZ 43) where ID_AA64MMFR2_EL1.ST says
 *         the CPU lacks FEAT_TTST, which idmap_enable_mmu() checks on target. */
idmap_status_t idmap_mmu_config(const idmap_t *map, uint64_t id_aa64mmfr0,
                                idmap_mmu_config_t *config);

/** Activates @p map and turns the stage-1 MMU and caches of its regime on (EL1&0 for
 * idmap_new()'s maps; _EL1 below is _EL2 or _EL3 in those regimes), from either state:
 *   - MMU off: cleans and invalidates the table pages to the point of coherency (they
 *     were written with the data cache off), invalidates the instruction cache;
 *   - then writes MAIR_EL1 and TCR_EL1, activates (TTBR0_EL1), TLBI VMALLE1 (ALLE2,
 *     ALLE3), DSB, ISB, and sets SCTLR_EL1 as the config says, ISB.
 *
 * The code running must be mapped executable, and its stack writable, by map, and run at
 * the regime's exception level (for EL2&0 with HCR_EL2.E2H set, for EL2 clear).
 * On the host it records the values in the fake registers and marks the map active.
 * @return #IDMAP_OK, or those of idmap_mmu_config() with the CPU's ID registers, or
 *         #IDMAP_ERR_ALREADY_ACTIVE, or #IDMAP_ERR_INVALID_ARGUMENT when the CPU is not at
 *         the regime's exception level (or E2H does not match). */
idmap_status_t idmap_enable_mmu(idmap_t *map);

/** Undoes idmap_enable_mmu(): restores SCTLR_EL1, TCR_EL1 and MAIR_EL1 as they were before
 * it, deactivates @p map (restoring TTBR0_EL1), then TLBI VMALLE1, DSB, ISB. Where that
 * turns the data cache off, the whole data cache is cleaned and invalidated by set/way
 * first, so that memory holds what the program wrote. Use it to switch between maps of
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
 * meanwhile is invalidated in the TLBs of all cores (TLBI ...IS).
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL). */
idmap_status_t idmap_activate_on_core(idmap_t *map, uint64_t *previous_ttbr);
/** Undoes idmap_activate_on_core() on the calling core: writes @p previous_ttbr back and
 * invalidates the map's TLB entries (the ASID's in EL1&0, the regime's elsewhere).
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL), or #IDMAP_ERR_NOT_ACTIVE when no
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
/** Every TLBI is followed by DSB ISH and issued again, as Linux's
 * ARM64_WORKAROUND_REPEAT_TLBI does for Cortex-A76 erratum 1286807, Cortex-A55 erratum
 * 2441007 and Cortex-A510 erratum 2441009 (a TLBI + DSB may not complete the
 * invalidation of an entry that a concurrent walk is refilling). */
#define IDMAP_ERRATUM_REPEAT_TLBI ((uint32_t)1 << 0)
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

#ifdef __cplusplus
}
#endif

#endif /* IDMAP_H */
