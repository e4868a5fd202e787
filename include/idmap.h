/**
 * @file idmap.h
 * @brief VMSAv8-64 stage-1 translation tables for firmware: the C ABI.
 *
 * Identity and linear maps for the four stage-1 translation regimes - EL1&0, EL2, EL2&0
 * and EL3 (Arm ARM DDI 0487K.a, D8.1) - in either VA range of the regimes that have two,
 * with the 4 KiB granule and 48-bit addresses. idmap_new() makes an identity map of the
 * lower VA range of EL1&0 (TTBR0_EL1); idmap_new_with_config() makes any other.
 *
 * This header is version 1.1 of the C ABI contract and what was added to it since. Names,
 * values and meanings are only ever added to; CHANGELOG.md has the history.
 *
 * The topics, one group of the API reference each:
 *   - @ref idmap_lifetime : making and freeing maps, page allocators;
 *   - @ref idmap_mapping : mapping, changing, walking and unmapping ranges;
 *     break-before-make and the TLB maintenance of a live change;
 *   - @ref idmap_activation : putting a map in its TTBR, turning the MMU on and off;
 *   - @ref idmap_regimes : EL1&0, EL2, EL2&0, EL3, the lower and upper VA ranges, ASIDs;
 *   - @ref idmap_stage2 : stage 2 for hypervisors: IPA to PA maps, VMIDs, VTCR_EL2;
 *   - @ref idmap_inspection : descriptors, sizes, the dump, the export of the applied map;
 *   - @ref idmap_guard_rails : the pre-flight check, the linter, seal mode, table budgets;
 *   - @ref idmap_errors : what calls answer, and the detail of a failure;
 *   - @ref idmap_version : the version of this header and of the library.
 *
 * Every function that takes a pointer accepts NULL and answers
 * #IDMAP_ERR_INVALID_ARGUMENT (or NULL / 0 / false where it returns no status).
 * Every function that fails leaves the tables exactly as they were, except
 * where idmap_modify_range() says otherwise for a misbehaving callback.
 * The library holds no lock: calls on one map, and its activation, are the caller's to
 * serialise. No function prints: text goes to a caller's buffer or write callback.
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

/* ==== Version ========================================================================= */

/** @defgroup idmap_version Version
 * The version of this header, and of the library linked (semantic versioning). While the
 * major version is 0 a new minor version may change the C++ API; the C ABI only grows.
 * CHANGELOG.md says what each version changed.
 * @{ */
#define IDMAP_VERSION_MAJOR 0 /**< Incompatible API or ABI changes (while 0: any minor too). */
#define IDMAP_VERSION_MINOR 1 /**< New features that keep what exists. */
#define IDMAP_VERSION_PATCH 0 /**< Fixes. */
/** The version as one number, major << 16 | minor << 8 | patch, as idmap_version() answers. */
#define IDMAP_VERSION \
    (((uint32_t)IDMAP_VERSION_MAJOR << 16) | ((uint32_t)IDMAP_VERSION_MINOR << 8) | \
     (uint32_t)IDMAP_VERSION_PATCH)

/** The version of the library as it was built: #IDMAP_VERSION's encoding,
 * major << 16 | minor << 8 | patch (0.1.0 is 0x000100). A caller compares it with the
 * #IDMAP_VERSION of the header it was compiled against.
 * @return the library's version; this function cannot fail. */
uint32_t idmap_version(void);
/** @} */

/* ==== The types every topic uses ====================================================== */

/** A map: its tables, regime, VA range, ASID, active state and last error. Opaque.
 * @ingroup idmap_lifetime */
typedef struct idmap idmap_t;

/** A range of input addresses, [start, end). In the upper VA range an end of 0 stands for
 * 2^64, the top (@ref idmap_regimes).
 * @ingroup idmap_mapping */
typedef struct {
    uint64_t start; /**< The first address. */
    uint64_t end;   /**< The address after the last. */
} idmap_region_t;

/** The region [start rounded down to 4 KiB, end rounded up to 4 KiB). Every function that
 * takes an idmap_region_t applies the same rounding to what it is given.
 *
 * Where rounding @p end up would pass 2^64, end is kept as given, and every call given
 * such a region fails with #IDMAP_ERR_ADDRESS_RANGE, va = that end. An end of 0 stays 0.
 * @return the rounded region; this function cannot fail.
 * @ingroup idmap_mapping */
idmap_region_t idmap_region(uint64_t start, uint64_t end);

/** One translation table entry: a block, page or table descriptor, or an invalid entry
 * (Arm ARM DDI 0487K.a, D8.3 "Translation table descriptor formats").
 * @ingroup idmap_inspection */
typedef struct {
    uint64_t bits; /**< The 64-bit descriptor. */
} idmap_descriptor_t;

/* ==== Errors ========================================================================== */

/** @defgroup idmap_errors Errors
 * What a call answers, and the detail of a failure. A function that can fail answers an
 * idmap_status_t and records the failure, with its detail, as the last error of the map
 * it was given (idmap_last_error() says which do); idmap_format_error() writes that out
 * as one line.
 * @{ */
/** What a call answers: #IDMAP_OK, or what went wrong (idmap_last_error() has the detail). */
typedef enum {
    IDMAP_OK = 0,                          /**< Success. */
    /** An address outside what the map covers, or a range whose output addresses a linear
     * map cannot give (beyond 48 bits); va = the offending address (idmap_map_range()),
     * region = what the map covers (empty when the output address is at fault). */
    IDMAP_ERR_ADDRESS_RANGE = 1,
    /** An address the call cannot take; va = that address. No function of this header
     * answers it: the C++ LinearMap does, for an address its offset takes below 0 or past
     * 2^63 - 1 (the address read as signed), where this header's linear maps answer
     * #IDMAP_ERR_ADDRESS_RANGE. */
    IDMAP_ERR_INVALID_VIRTUAL_ADDRESS = 2,
    IDMAP_ERR_REGION_BACKWARDS = 3,        /**< End before start; region = the region. */
    /** A modify or walk callback answered non-zero; value = the entry before that call. */
    IDMAP_ERR_PTE_UPDATE_FAULT = 4,
    IDMAP_ERR_INVALID_FLAGS = 5,           /**< Bits the call refuses; value = them. */
    /** A change to an active map that would need break-before-make (@ref idmap_mapping);
     * region = the whole region of the live entry that would have to break. */
    IDMAP_ERR_BREAK_BEFORE_MAKE = 6,
    /** No page for a new table (nothing was changed), or a lint's scratch too small;
     * value = how many were needed and had (IDMAP_OOM_*). */
    IDMAP_ERR_OUT_OF_MEMORY = 7,
    /** A NULL pointer, a bad root level, regime or ASID, ...; or (value: an IDMAP_ARG_*
     * reason) a state of the map or of the CPU that forbids the call. */
    IDMAP_ERR_INVALID_ARGUMENT = 8,
    IDMAP_ERR_ALREADY_ACTIVE = 9,          /**< Activating a map that is active. */
    IDMAP_ERR_NOT_ACTIVE = 10,             /**< Deactivating a map that is not active. */
    /** The pre-flight check found an address the CPU is about to use mapped unfit for that
     * use (idmap_preflight()); the map did not go live. */
    IDMAP_ERR_PREFLIGHT = 11,
    IDMAP_ERR_SEALED = 12 /**< A change that would widen a sealed map (idmap_seal()). */
} idmap_status_t;

/** A failure with its detail; which field holds it depends on the status. */
typedef struct {
    idmap_status_t status; /**< What went wrong; #IDMAP_OK before any failure. */
    /** ADDRESS_RANGE, INVALID_VIRTUAL_ADDRESS: the offending address; PREFLIGHT: the first
     * address that failed; INVALID_ARGUMENT: the address or ASID its reason names;
     * OUT_OF_MEMORY: the page the allocator gave that cannot be a table (0: none). */
    uint64_t va;
    /** REGION_BACKWARDS: the region; BREAK_BEFORE_MAKE: the whole region of the live entry
     * that would have to break; SEALED: the call's range; PREFLIGHT: the range checked,
     * rounded to pages; ADDRESS_RANGE: what the map covers (an end of 0: 2^64). */
    idmap_region_t region;
    /** PTE_UPDATE_FAULT: the descriptor; INVALID_FLAGS: the rejected bits; SEALED: the bits
     * whose change would widen access; PREFLIGHT: what was wrong (IDMAP_PREFLIGHT_*
     * reasons) | the use (idmap_use_t) << 8; INVALID_ARGUMENT: why (an IDMAP_ARG_* reason
     * in bits 7:0, 0 for a plain bad argument) and the numbers it names in bits 31:16 and
     * 47:32 (idmap_format_error() writes them out); BREAK_BEFORE_MAKE: the rule
     * (IDMAP_BBM_*); OUT_OF_MEMORY: pages needed and had (IDMAP_OOM_*). */
    uint64_t value;
} idmap_error_t;

/** @name Reasons for IDMAP_ERR_INVALID_ARGUMENT
 * Bits 7:0 of idmap_error_t.value, where the argument is well-formed but the state of the
 * map or of the CPU forbids the call.
 * @{ */
/** idmap_deactivate() (or the last idmap_deactivate_on_core()) of a map that
 * idmap_enable_mmu() turned on: loading the TTBR of before would leave the MMU walking
 * what may no longer be a table. idmap_disable_mmu() undoes it. */
#define IDMAP_ARG_MMU_ENABLED 1
/** Activating an upper-range EL2&0 map whose ASID (bits 31:16) is not the one that tags
 * that range's non-global entries (bits 47:32): TTBR1_EL2's where TCR_EL2.A1 is set, else
 * TTBR0_EL2's. The map's TLB maintenance by its own ASID would miss them, and EL2 has no
 * TLBI by VA for every ASID. */
#define IDMAP_ARG_UPPER_ASID 2
/** A switch of tables that goes through the MMU off (idmap_activate() says when), from
 * code that the tables in use do not map to itself: va = that code's address. */
#define IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED 3
/** A root level that needs a TnSZ (bits 31:16) above 39 - root level 3, TnSZ 43 - which
 * needs FEAT_TTST (ID_AA64MMFR2_EL1.ST), and the CPU lacks it. */
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
/** A pa_offset (va) that is not a multiple of the page size (bits 31:16, in KiB): every
 * page would map to an unaligned output address. */
#define IDMAP_ARG_PA_OFFSET_ALIGNMENT 22
/** A call's output address (va = it) at another offset within its page (bits 31:16: the
 * page size, in KiB) than the range's start as rounded to whole pages (region: the range
 * so rounded; idmap_map_range_to()): a page maps whole to a page. */
#define IDMAP_ARG_PA_PAGE_OFFSET 23
/** Guarded code (idmap_set_guarded_code()) where there is no GP bit: a stage-2 map, or a
 * CPU without FEAT_BTI (ID_AA64PFR1_EL1.BT); bits 31:16: the map's regime. */
#define IDMAP_ARG_NO_BTI 24
/** Hardware updates (idmap_set_hardware_updates()) the CPU does not make: bits 31:16, the
 * ID_AA64MMFR1_EL1.HAFDBS they need (1: the Access flag, 2: the dirty state too); bits
 * 47:32, the CPU's. */
#define IDMAP_ARG_NO_HAFDBS 25
/** Common not private (idmap_set_common_not_private()) on a CPU without FEAT_TTCNP
 * (ID_AA64MMFR2_EL1.CnP), where TTBR bit 0 is RES0. */
#define IDMAP_ARG_NO_CNP 26
/** idmap_collect_dirty() with a NULL bitmap (bits 31:16: 1) or one of fewer 64-bit words
 * than the range needs (va: how many, a bit per page). */
#define IDMAP_ARG_DIRTY_BITMAP 27
/** The map's tables are read-only (idmap_protect_tables()): it takes no change until
 * idmap_unprotect_tables(); or idmap_protect_tables() of a map protected already. */
#define IDMAP_ARG_TABLES_READ_ONLY 28
/** A table page of the map (va) that the map given to idmap_protect_tables() does not map
 * with a valid page (4 KiB): a block's permissions cannot change for one page without a
 * split, whose new table the protection would miss. Map the tables with
 * #IDMAP_NO_BLOCK_MAPPINGS. */
#define IDMAP_ARG_TABLES_NOT_PAGES 29
/* Stage 2's reasons (@ref idmap_stage2) from 30 to 36. */
/** Stage 2: an IPA size (first) a root at the start level (second) cannot serve with 1 to
 * 16 concatenated tables. */
#define IDMAP_ARG_IPA_SIZE 30
/** Stage 2: the root is concatenated tables (first: how many) and the config gives no
 * alloc_root/free_root. */
#define IDMAP_ARG_CONTIGUOUS_ALLOCATOR 31
/** A stage-2 call on a map of a stage-1 regime (first). */
#define IDMAP_ARG_NOT_STAGE2 32
/** Stage 2: the IPA size (first), or a level-0 start (4 KiB granule, which needs 44 bits),
 * beyond the CPU's PA size (second, ID_AA64MMFR0_EL1.PARange, at most 48). */
#define IDMAP_ARG_IPA_BEYOND_PA 33
/** Stage 2: an output address (va) at or past the CPU's PA size (first, bits). */
#define IDMAP_ARG_OUTPUT_BEYOND_PA 34
/** Stage 2: a VMID (va) wider than the VMIDs there are (first: 16, or 8 when
 * ID_AA64MMFR1_EL1.VMIDBits says so). */
#define IDMAP_ARG_VMID_WIDTH 35
/** Stage 2: a map made with FEAT_XNX (idmap_stage2_config_t::xnx) on a CPU without it. */
#define IDMAP_ARG_NO_XNX 36
/** A stage-2 map (first: its regime, #IDMAP_REGIME_STAGE2) given to what describes stage-1
 * memory types and permissions: idmap_export_devicetree(), idmap_export_efi(). Its
 * regions export by IPA (idmap_export_regions()). */
#define IDMAP_ARG_NOT_STAGE1 37
/** Live block splits (idmap_set_live_splits()) on a CPU without FEAT_BBM
 * (ID_AA64MMFR2_EL1.BBM), where bit 16 of a block is RES0, not nT. */
#define IDMAP_ARG_NO_BBM 38
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

/** The last failure recorded for @p map, with status #IDMAP_OK before any; NULL for NULL.
 * Every function given a map records its failures there (the _split functions in their
 * lower map), idmap_walk_range() and the guard rails included, but for
 * idmap_export_devicetree() (which records only its refusal of a stage-2 map) and
 * idmap_lint_wx_aliases(); a call that succeeds leaves it as it was. */
const idmap_error_t *idmap_last_error(const idmap_t *map);
/** A short description of @p status: "address out of range", ...; never NULL (an unknown
 * value has one too). */
const char *idmap_status_str(idmap_status_t status);
/** Writes @p err as one line, no newline, like snprintf: at most @p len - 1 characters and
 * a NUL (nothing when len is 0 or @p buf is NULL); no printf is used. The line is the
 * status's text and its detail, and what to do where there is a way out, e.g. "address
 * out of range: the region ends at 0x8000001000, past the map's range [0x0,
 * 0x8000000000); a lower root level covers more (up to 256 TiB)". A buffer of 256
 * characters holds any line but one naming several refused bits.
 * @return the length of the whole line (0, and an empty string, for a NULL @p err). */
size_t idmap_format_error(const idmap_error_t *err, char *buf, size_t len);
/** @} */

/* ==== Regimes ========================================================================= */

/** @defgroup idmap_regimes Regimes
 * The stage-1 translation regimes and VA ranges a map is built for
 * (idmap_new_with_config(); Arm ARM DDI 0487K.a, D8.1 "Translation regimes"):
 *   - EL1&0: TTBR0_EL1 for the lower range, TTBR1_EL1 for the upper one; ASIDs; EL0 access;
 *   - EL2 (HCR_EL2.E2H = 0): TTBR0_EL2 only; no ASID; one privilege level;
 *   - EL2&0 (HCR_EL2.E2H = 1, FEAT_VHE): TTBR0_EL2 and TTBR1_EL2; ASIDs; EL0 access;
 *   - EL3: TTBR0_EL3 only; no ASID; one privilege level.
 *
 * A lower-range map covers [0, idmap_size()), an upper-range map
 * [2^64 - idmap_size(), 2^64); in the upper range a region's end of 0 stands for 2^64, in
 * what callers pass and in what callbacks receive. Where there are ASIDs, TTBR0's tags the
 * non-global TLB entries of both ranges (TCR_ELx.A1 = 0, as idmap_mmu_config() sets it):
 * an upper map is enabled with a lower map of the same ASID (idmap_mmu_config_split()),
 * and its changes are invalidated for every ASID in EL1&0, for its ASID in EL2&0.
 * @{ */
/** A stage-1 translation regime (Arm ARM DDI 0487K.a, D8.1). Regimes with one privilege
 * level (EL2 with HCR_EL2.E2H = 0, EL3) have no EL0 access, no ASID and one XN bit: their
 * maps refuse #IDMAP_ATTR_USER, #IDMAP_ATTR_NON_GLOBAL and #IDMAP_ATTR_PXN (so also
 * #IDMAP_ATTR_EXECUTE_NEVER) with #IDMAP_ERR_INVALID_FLAGS, and the library sets AP[1]
 * (bit 6, RES1 there) in every block and page they hold. Use #IDMAP_ATTR_XN there for
 * execute-never. */
typedef enum {
    IDMAP_REGIME_EL1_0 = 0, /**< EL1&0: TTBR0_EL1, TTBR1_EL1, ASIDs (idmap_new()'s) */
    IDMAP_REGIME_EL2 = 1,   /**< EL2, HCR_EL2.E2H = 0: TTBR0_EL2 only, no ASID */
    IDMAP_REGIME_EL2_0 = 2, /**< EL2&0, HCR_EL2.E2H = 1 (FEAT_VHE): TTBR0_EL2, TTBR1_EL2, ASIDs */
    IDMAP_REGIME_EL3 = 3,   /**< EL3: TTBR0_EL3 only, no ASID */
    /** Stage 2 of EL1&0, for a hypervisor: VTTBR_EL2, VMIDs (@ref idmap_stage2). Made by
     * idmap_new_stage2() only: idmap_new_with_config() refuses it. */
    IDMAP_REGIME_STAGE2 = 4
} idmap_regime_t;

/** Which of a regime's two input address ranges a map serves. */
typedef enum {
    IDMAP_VA_RANGE_LOWER = 0, /**< TTBR0: [0, idmap_size()) */
    IDMAP_VA_RANGE_UPPER = 1  /**< TTBR1: [2^64 - idmap_size(), 2^64); EL1&0 and EL2&0 only */
} idmap_va_range_t;

/** The regime @p map was built for (#IDMAP_REGIME_EL1_0 for NULL). */
idmap_regime_t idmap_regime(const idmap_t *map);
/** The VA range @p map was built for (#IDMAP_VA_RANGE_LOWER for NULL). */
idmap_va_range_t idmap_va_range(const idmap_t *map);
/** The first input address @p map covers: 0 in the lower range, 2^64 - idmap_size() in the
 * upper one (0 for NULL). */
uint64_t idmap_va_start(const idmap_t *map);
/** @} */

/* ==== Lifetime ======================================================================== */

/** @defgroup idmap_lifetime Lifetime
 * Making and freeing maps, and where their table pages come from. A map is made empty and
 * inactive, and owns its table pages until idmap_free(). The idmap_t itself never comes
 * from the page allocator: on a board it is one of a fixed number of handles that the
 * board's configuration sets (no heap anywhere), on the host it comes from the heap.
 * @{ */
/** Where table pages come from: table pages only; the idmap_t itself never comes from here.
 * A page is used at its physical address: the pointer alloc_page answers is what the
 * tables and the TTBR hold, and what the library writes through.
 *
 * A page the library cannot use is refused: the call answers #IDMAP_ERR_OUT_OF_MEMORY
 * (idmap_new_with_allocator() NULL) and changes nothing. Refused: NULL; a page that is not
 * 4 KiB-aligned or lies above 48 bits (given back with free_page); a page handed out twice
 * in one call (given back once); the map's root table; any other of its tables while the
 * map has at most 16 (these never given back). A non-root table of a map of more than 16
 * tables handed out again is not detected (the check would cost a walk of the tree). Where
 * data accesses at the current exception level bypass the cache (SCTLR_ELx.M or C clear),
 * each page is invalidated to the point of coherency when taken, so that no stale line is
 * later written back over the table. */
typedef struct {
    void *(*alloc_page)(void *ctx); /**< A 4 KiB-aligned 4 KiB page, or NULL. */
    void (*free_page)(void *ctx, void *page); /**< Takes back a page alloc_page gave. */
    void *ctx; /**< Passed to both. */
} idmap_allocator_t;

/** How to build a map: idmap_new_with_config()'s argument. A zeroed config (with a root
 * level) is idmap_new()'s map. */
typedef struct {
    idmap_regime_t regime;     /**< The translation regime. */
    idmap_va_range_t va_range; /**< The VA range: lower (TTBR0) or upper (TTBR1). */
    /** The ASID that tags the map's non-global TLB entries: at most 16 bits; 0 in EL2 and
     * EL3, which have none. */
    uint64_t asid;
    unsigned root_level;       /**< 0 to 3, as for idmap_new(). */
    /** Every input address va maps to the output address va + pa_offset (modulo 2^64): 0
     * for an identity map, PA - VA for a linear map (for 0xffffff8040000000 -> 0x40000000
     * it is 0x8000000000, as an int64). A multiple of 4 KiB, else idmap_new_with_config()
     * refuses it (#IDMAP_ARG_PA_OFFSET_ALIGNMENT); with every output address in [0, 2^48),
     * else idmap_map_range() answers #IDMAP_ERR_ADDRESS_RANGE, va = the range's start. */
    int64_t pa_offset;
    const idmap_allocator_t *allocator; /**< Table pages; NULL: idmap_new()'s source. */
} idmap_config_t;

/** A new, empty, inactive identity map of the lower VA range of EL1&0 (TTBR0_EL1), whose
 * root table is at @p root_level (0 to 3), covering 4 KiB << 9 * (4 - root_level) bytes
 * from address 0 (root level 1: 512 GiB, level 0: 256 TiB), with table pages from the
 * build's default source: a board's static pool (no heap anywhere), or the heap on the
 * host.
 * @param asid the ASID that tags the map's non-global TLB entries, at most 16 bits (8 on
 *        a CPU with 8-bit ASIDs: idmap_mmu_config() refuses more).
 * @param root_level the level of the root table, 0 to 3.
 * @return the map, or NULL for a bad root level, an ASID wider than 16 bits, no page for
 *         the root table, or (on a board) no free handle: the idmap_t itself is one of a
 *         fixed number set by the board config, never from the allocator.
 *         idmap_new_error() says which. */
idmap_t *idmap_new(size_t asid, unsigned root_level);
/** As idmap_new(), with table pages from @p alloc, which must outlive the map.
 * @return the map, or NULL as for idmap_new(), and for a NULL or incomplete allocator. */
idmap_t *idmap_new_with_allocator(size_t asid, unsigned root_level,
                                  const idmap_allocator_t *alloc);
/** A new, empty, inactive map as @p config says: for its regime and VA range, mapping
 * every input address va to va + pa_offset (an identity map for 0). Every function that
 * takes a map takes it, with output address = input address + pa_offset where an
 * identity map has the input address.
 * @return the map, or NULL: @p config NULL, a bad root level, regime or range, the upper
 *         range in a regime without one, an ASID over 16 bits (or not 0 in EL2 and EL3),
 *         an incomplete allocator, a pa_offset that is not a multiple of 4 KiB, no page
 *         for the root table, or (on a board) no free handle; idmap_new_error() says
 *         which. */
idmap_t *idmap_new_with_config(const idmap_config_t *config);
/** Why the most recent idmap_new(), idmap_new_with_allocator() or idmap_new_with_config()
 * that answered NULL did: #IDMAP_ERR_INVALID_ARGUMENT with an IDMAP_ARG_* reason, or
 * #IDMAP_ERR_OUT_OF_MEMORY (no page for the root table, or on the host no memory for the
 * handle); status #IDMAP_OK before any failure. One for the whole program, not per core:
 * read it right after the call, before another construction. Never NULL. */
const idmap_error_t *idmap_new_error(void);
/** Takes @p map out of use and gives every table page back to where it came from. First,
 * where idmap_activate() made it active, it is deactivated as idmap_deactivate() does;
 * where idmap_enable_mmu() turned the MMU on with it (or idmap_enable_mmu_split(), with it
 * as either map), the registers are loaded back as idmap_disable_mmu() does, so that the
 * MMU is not left walking the pages given back. Maps active on other cores
 * (idmap_activate_on_core()) must be deactivated there first. A map still live after
 * that deactivation (refused, #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED; or still active on
 * another core) keeps its table pages as they are, in use by the TTBR, never given back:
 * a leak, rather than an MMU walking pages that are no longer tables. The handle is freed
 * either way. To get the pages back, call idmap_deactivate() first and check what it
 * answers. Accepts NULL; answers nothing. */
void idmap_free(idmap_t *map);
/** @} */

/* ==== Mapping ========================================================================= */

/** @defgroup idmap_mapping Mapping
 * Mapping, changing, walking and unmapping ranges of a map, and tidying its tables. A
 * change is planned before it is applied: the plan counts the table pages it needs and, on
 * an active or sealed map, checks every entry it would change; the pages are then taken
 * from the allocator, or the call fails having changed nothing; only then is anything
 * written.
 *
 * Break-before-make (Arm ARM DDI 0487K.a, D8.16.1). Without FEAT_BBM an entry the MMU may
 * be using can go from one valid value to another only where the TLB may hold either. On
 * an active map (idmap_is_active()) the library refuses, with
 * #IDMAP_ERR_BREAK_BEFORE_MAKE, to split a live block (but under idmap_set_live_splits(),
 * FEAT_BBM), to change a live entry's output
 * address (NS included), memory type or shareability, to clear its nG bit, or to change
 * an entry of a contiguous group but for its contiguous bit (idmap_set_contiguous_hint());
 * the error's region is the whole region of the first live entry, in address order, that
 * would have to break. Making an entry invalid, creating one where none was valid, and
 * changing permissions (AP, PXN, UXN or XN), AF, DBM or the software bits need no break.
 * For the rest: deactivate, change, activate.
 *
 * TLB maintenance. A change to an active map takes effect when the call returns (make it
 * from the regime's exception level or a higher one, where these TLBIs exist): after its
 * writes, and before any table taken out is freed, DSB ISHST; for each entry made stale (up
 * to 16) a TLBI by VA, broadcast to the Inner Shareable domain - VALE1IS for a leaf or
 * VAE1IS for a table entry (the walk caches) with the map's ASID in the lower range of
 * EL1&0; VAALE1IS or VAAE1IS, for every ASID, in its upper range, whose entries TTBR0's
 * ASID tagged; VALE2IS or VAE2IS in EL2 and EL2&0 (with the ASID in EL2&0); VALE3IS or
 * VAE3IS in EL3 - or, past 16 entries, the whole regime (VMALLE1IS, ALLE2IS, ALLE3IS); then
 * DSB ISH, ISB. A change that leaves no valid entry stale ends with DSB ISHST, ISB, so that
 * the walker sees its new entries. A new table joins a live tree complete, behind a DSB
 * ISHST. Changes to an inactive map get none of this: activating it does what a switch of
 * trees needs (@ref idmap_activation).
 * @{ */

/** @name Attributes
 * Bits of a block or page descriptor, for idmap_map_range()'s flags (Arm ARM DDI 0487K.a,
 * D8.3 "Translation table descriptor formats"). With #IDMAP_ATTR_VALID, every block and
 * page map_range writes gets #IDMAP_ATTR_ACCESSED too, so that a mapping works on cores
 * without hardware management of the Access flag; without it, nothing is added.
 * @{ */
/** The entry maps something. */
#define IDMAP_ATTR_VALID ((uint64_t)1 << 0)
/** Table (levels 0-2) or page (level 3); never accepted from callers of map_range. */
#define IDMAP_ATTR_TABLE_OR_PAGE ((uint64_t)1 << 1)
/** AttrIndx 0: Device-nGnRE with #IDMAP_MAIR_DEFAULT. */
#define IDMAP_ATTR_DEVICE_NGNRE ((uint64_t)0)
/** AttrIndx 1 (Normal write-back) and SH = 0b11, inner shareable. */
#define IDMAP_ATTR_NORMAL (((uint64_t)1 << 2) | ((uint64_t)3 << 8))
/** AP[1]: EL0 access (EL1&0, EL2&0; refused in EL2 and EL3, where the library sets it). */
#define IDMAP_ATTR_USER ((uint64_t)1 << 6)
#define IDMAP_ATTR_READ_ONLY ((uint64_t)1 << 7) /**< AP[2]: read-only */
#define IDMAP_ATTR_ACCESSED ((uint64_t)1 << 10) /**< AF, the access flag */
/** nG: TLB entries tagged with the ASID (EL1&0, EL2&0; refused in EL2 and EL3). */
#define IDMAP_ATTR_NON_GLOBAL ((uint64_t)1 << 11)
#define IDMAP_ATTR_DBM ((uint64_t)1 << 51) /**< Dirty bit modifier */
/** PXN and UXN: executable at no level (EL1&0, EL2&0; in EL2 and EL3, where bit 53 is RES0,
 * use #IDMAP_ATTR_XN). */
#define IDMAP_ATTR_EXECUTE_NEVER ((uint64_t)3 << 53)
#define IDMAP_ATTR_SWFLAG_0 ((uint64_t)1 << 55) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_1 ((uint64_t)1 << 56) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_2 ((uint64_t)1 << 57) /**< Software bit, ignored by the hardware */
#define IDMAP_ATTR_SWFLAG_3 ((uint64_t)1 << 58) /**< Software bit, ignored by the hardware */
/** @} */

/** MAIR_ELx for the memory types above: Attr0 = 0x04 Device-nGnRE, Attr1 = 0xff Normal
 * inner/outer write-back non-transient, read- and write-allocate. idmap_mmu_config() loads
 * it; the export and the pre-flight check read AttrIndx through it. */
#define IDMAP_MAIR_DEFAULT ((uint64_t)0xff04)

/** @name Attribute bits of one regime or another
 * @{ */
#define IDMAP_ATTR_NS ((uint64_t)1 << 5)   /**< NS: Non-secure output address, from Secure state */
/** PXN: not executable at the privileged level, EL1 in EL1&0 and EL2 in EL2&0 (refused in
 * EL2 and EL3, where bit 53 is RES0). */
#define IDMAP_ATTR_PXN ((uint64_t)1 << 53)
#define IDMAP_ATTR_UXN ((uint64_t)1 << 54) /**< UXN: not executable at EL0 (EL1&0, EL2&0) */
#define IDMAP_ATTR_XN ((uint64_t)1 << 54)  /**< XN of the EL2 and EL3 regimes (UXN's bit) */
/** GP, a guarded page (FEAT_BTI; stage 1): with SCTLR_ELx.BT set, an indirect branch into
 * it must land on a BTI instruction, else a Branch Target exception. RES0 on a CPU without
 * FEAT_BTI, where idmap_map_range() still writes it as given (the contract refuses only
 * its listed bits): idmap_set_guarded_code() checks the CPU, and the lint reports the bit
 * without #IDMAP_LINT_FEATURE_BTI. Refused by stage-2 maps. */
#define IDMAP_ATTR_GP ((uint64_t)1 << 50)
/** nT, bit 16 of a block (FEAT_BBM, both stages): no attribute - idmap_map_range() refuses
 * it as one of bits 12-49, and a modify callback may not change it - but the bit a live
 * split writes into the block for a moment under idmap_set_live_splits(), which a walk of
 * the same map from another core may see. */
#define IDMAP_DESC_NT ((uint64_t)1 << 16)
/** @} */

/** @name Constraints
 * How idmap_map_range_with_constraints() may lay out a region.
 * @{ */
#define IDMAP_NO_BLOCK_MAPPINGS ((uint32_t)1 << 0)  /**< Pages only, no blocks */
/** Never set the contiguous bit: the groups the call changes lose it. */
#define IDMAP_NO_CONTIGUOUS_HINT ((uint32_t)1 << 1)
/** @} */

/** idmap_modify_range()'s callback: gets the region a leaf maps, the leaf, which it may
 * change, and its level (0-3). Answers 0 to go on; anything else stops the call with
 * #IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_modify_fn)(const idmap_region_t *region, idmap_descriptor_t *desc,
                               unsigned level, void *ctx);
/** idmap_walk_range()'s callback: gets the whole region a leaf maps, the leaf and its level
 * (0-3). Answers 0 to go on; anything else stops the call with
 * #IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_walk_fn)(const idmap_region_t *region, const idmap_descriptor_t *desc,
                             unsigned level, void *ctx);
/** idmap_walk_runs()'s callback: gets the whole region a run of leaves maps, the run's
 * first leaf (its output address and attributes) and the run's level (0-3). Answers 0 to
 * go on; anything else stops the call with #IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_run_fn)(const idmap_region_t *run, const idmap_descriptor_t *first, unsigned level,
                            void *ctx);

/** Maps every address va of @p range to its output address (va, or va + the offset of a
 * linear map) with @p flags, using the largest blocks that fit: 1 GiB at level 1, 2 MiB at
 * level 2, pages at level 3, never a block at level 0 (and a block only where va and its
 * output address are aligned alike). With #IDMAP_ATTR_VALID, a table that already covers
 * part of the range is kept and filled, never replaced by a block, and every block and
 * page also gets #IDMAP_ATTR_ACCESSED, and in EL2 and EL3 AP[1] (RES1 there).
 *
 * Without #IDMAP_ATTR_VALID the call is an unmap: every entry of the range gets @p flags
 * alone (no ACCESSED, no page bit, no output address; flags 0 leave all-zero entries), and
 * a table whose whole range the call covers is freed and its entry written with @p flags,
 * as idmap_unmap_range() frees tables.
 *
 * A live entry that the call would leave exactly as it is (same output address, same bits)
 * is no change: a range that covers part of a live block with that block's own attributes
 * needs no split, succeeds and writes nothing there. What an active map does change
 * follows the break-before-make rules and gets the TLB maintenance (@ref idmap_mapping).
 * @return #IDMAP_OK, or (the tables exactly as they were before the call):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map or @p range is NULL;
 *   - #IDMAP_ERR_REGION_BACKWARDS: region = the rounded region;
 *   - #IDMAP_ERR_ADDRESS_RANGE: va = the rounded end, when past the map's end or not
 *     representable; va = the start, when below an upper-range map's first address, or
 *     when a linear map's output addresses would leave [0, 2^48);
 *   - #IDMAP_ERR_SEALED: the map is sealed (idmap_seal()); region = the rounded region,
 *     value = @p flags | #IDMAP_ATTR_VALID;
 *   - #IDMAP_ERR_INVALID_FLAGS: value = the refused bits of @p flags: TABLE_OR_PAGE, bits
 *     12-49, bit 52 (the contiguous bit, which the library manages), and in EL2 and EL3
 *     bits 6, 11 and 53 (USER, NON_GLOBAL, PXN);
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: the map is active and the change would split a live
 *     block (one that maps its part of the range otherwise than asked, or in another
 *     layout: #IDMAP_NO_BLOCK_MAPPINGS over a live block), change a live entry's output
 *     address (NS included), memory type or shareability, clear its nG bit, or change an
 *     entry of a contiguous group (making an entry invalid, or creating one where none was
 *     valid, is always allowed when it needs no split and is not in a group); region = the
 *     whole region of the first live entry, in address order, that would have to break;
 *   - #IDMAP_ERR_OUT_OF_MEMORY: the allocator had no page for a new table. */
idmap_status_t idmap_map_range(idmap_t *map, const idmap_region_t *range, uint64_t flags);
/** As idmap_map_range(), laid out as @p constraints (#IDMAP_NO_BLOCK_MAPPINGS,
 * #IDMAP_NO_CONTIGUOUS_HINT) allow.
 * @return as idmap_map_range(); #IDMAP_ERR_INVALID_FLAGS also for unknown constraint
 *         bits (value = those bits; when flags are refused too, value holds the flags'). */
idmap_status_t idmap_map_range_with_constraints(idmap_t *map, const idmap_region_t *range,
                                                uint64_t flags, uint32_t constraints);
/** As idmap_map_range_with_constraints(), to the physical range that starts at @p pa rather
 * than to the map's own output addresses (the range's start, or start + pa_offset): a
 * device or a carve-out mapped at a virtual address of the caller's choosing, as TF-A's
 * MAP_REGION(pa, va, ...) does; for a stage-2 map, an IPA range to any PA. @p pa is the
 * output address of the range's first page - its start rounded down to 4 KiB, as
 * idmap_region() rounds it - so a multiple of 4 KiB. A block is written only where both
 * the input and the output address are aligned to its size (and the constraints allow
 * it); pages elsewhere. idmap_map_range_with_constraints() is this call with its map's own
 * output address of that first page. Walks, exports, the lint and the dump read the
 * output address of every leaf from the tables. On an active map, changing a live
 * entry's output address needs break-before-make (#IDMAP_BBM_OUTPUT_ADDRESS; or
 * idmap_s2_map_range_bbm_to()). idmap_modify_range()'s callback still may not make valid
 * an entry at another output address than the map's own: map it again with this call.
 * @return as idmap_map_range_with_constraints(), and:
 *   - #IDMAP_ERR_INVALID_ARGUMENT, value #IDMAP_ARG_PA_PAGE_OFFSET: @p pa is not a multiple
 *     of 4 KiB, so not at the offset in its page of the range's rounded start (va = @p pa,
 *     region = the range rounded to whole pages);
 *   - #IDMAP_ERR_ADDRESS_RANGE, va = the range's start: the output range would leave
 *     [0, 2^48). */
idmap_status_t idmap_map_range_to(idmap_t *map, const idmap_region_t *range, uint64_t pa,
                                  uint64_t flags, uint32_t constraints);

/** Splits entries so that every leaf it passes lies inside @p range, then calls @p fn once
 * per leaf (block, page or invalid) with the region it maps, the entry and its level
 * (0-3); the entry gets what fn leaves in it. On an active or a sealed map fn is first
 * called on copies of the entries, to check break-before-make or the seal before anything
 * changes, then on the entries themselves (fn must do the same both times).
 *
 * fn may change the other bits of a leaf - permissions, AF, DBM, nG, memory type,
 * shareability, software bits - as far as the regime has them (and on an active map as
 * break-before-make allows, on a sealed one as the seal does), give an invalid entry other
 * bits (it stays invalid), make a valid entry invalid, and always write the all-zero
 * descriptor (the entry becomes empty, as unmapping makes it, live or not). It may make an
 * invalid entry valid only as a well-formed block or page with the entry's own output
 * address: va, or va + a linear map's offset.
 * @return #IDMAP_OK, or:
 *   - those of idmap_map_range() for the range (NULL map, range or fn: INVALID_ARGUMENT);
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: active map: a live block would be split, or fn made a
 *     change that needs break-before-make; region = that live entry's whole region;
 *   - #IDMAP_ERR_SEALED: sealed map: fn's change to some entry widens access
 *     (idmap_seal()); region = the range, value = the bits;
 *   - #IDMAP_ERR_OUT_OF_MEMORY: no page for a split;
 *   - #IDMAP_ERR_INVALID_FLAGS: value = the bits refused: those fn changed among
 *     TABLE_OR_PAGE, the output address and RES0 bits 12-49 and the contiguous bit 52 (and
 *     in EL2 and EL3 bits 11 and 53), AP[1] cleared on a valid entry in EL2 and EL3, and
 *     VALID set on an invalid entry that would then be malformed (at level 0, where there
 *     are no blocks; at level 3 without the page bit, a reserved encoding) or map another
 *     address than its own (an empty entry's output address is 0);
 *   - #IDMAP_ERR_PTE_UPDATE_FAULT: fn answered non-zero; value = the entry as it was
 *     before that call.
 *
 * What a failed call leaves:
 *   - on an active or a sealed map, any error: nothing changed (fn ran on copies only);
 *   - on an inactive map that is not sealed, any error but INVALID_FLAGS and
 *     PTE_UPDATE_FAULT: nothing changed; OUT_OF_MEMORY comes before any call of fn: the
 *     pages for every split of the range are taken first;
 *   - INVALID_FLAGS or PTE_UPDATE_FAULT there: the call stops at the leaf for which fn
 *     failed, which keeps its old value whatever fn wrote. The leaves before it (in
 *     address order) keep fn's changes; fn is not called for those after it, which are
 *     unchanged. A block the range covers only in part is split when the walk reaches it,
 *     so the splits made before the failure stay (the blocks around the range's start,
 *     and those around its end only if the failing leaf lies in them); the pages taken for
 *     splits not made are given back, and idmap_table_count() counts the tables in the
 *     tree. Each split keeps every page's translation and attributes.
 * The tree is always well-formed and a leaf can never become a table. */
idmap_status_t idmap_modify_range(idmap_t *map, const idmap_region_t *range, idmap_modify_fn fn,
                                  void *ctx);

/** Calls @p fn for every leaf (block, page or invalid entry, empty ones included) that
 * intersects @p range, in address order, with the whole region the leaf maps. Splits
 * nothing, changes nothing.
 * @return #IDMAP_OK, or those of idmap_map_range() for the range (NULL map, range or fn:
 *         INVALID_ARGUMENT), or #IDMAP_ERR_PTE_UPDATE_FAULT when fn answers non-zero,
 *         value = that descriptor. */
idmap_status_t idmap_walk_range(const idmap_t *map, const idmap_region_t *range,
                                idmap_walk_fn fn, void *ctx);

/** Reports the pages of @p range that may have been written since they were mapped or last
 * collected, and makes them clean (dirty logging under #IDMAP_HW_DIRTY, at stage 1 or for
 * a guest at stage 2 without write-protect faults). @p bitmap: bit i of its 64-bit words
 * (bit i % 64 of word i / 64) is page i of the range, counted from its start rounded down
 * to a page; every other bit of the words the range needs is cleared. Reported: each page
 * of a valid leaf that is writable now - dirty with DBM, or writable without DBM, which
 * the hardware does not track (reported every time). Made clean (AP[2] set, S2AP[1]
 * cleared): each dirty leaf with DBM that the range holds whole; a block reaching past the
 * range is reported for its pages inside and left dirty, since making it clean would
 * forget writes outside. On an active map the TLB entries of the leaves made clean are
 * invalidated before the call returns (by VA or IPA, or the whole regime past 16 entries),
 * so that a write after it makes its page dirty again: a page written after the call
 * returns is reported by the next one, one written during it by this one or the next (copy
 * the pages reported after the call). Splits nothing, takes no table page.
 * @return #IDMAP_OK, or the error, before anything changes: those of idmap_walk_range()
 *         for @p range; #IDMAP_ERR_INVALID_ARGUMENT, value #IDMAP_ARG_DIRTY_BITMAP, for a
 *         NULL @p bitmap or fewer @p words than the range has pages in 64s (va: how many it
 *         needs); #IDMAP_ERR_SEALED where making a leaf clean would grant access on a sealed
 *         map (idmap_seal()). */
idmap_status_t idmap_collect_dirty(idmap_t *map, const idmap_region_t *range, uint64_t *bitmap,
                                   size_t words);

/** Changes every valid leaf (block or page) of @p range alike: its descriptor becomes
 * (descriptor & ~@p clear) | @p set, as an idmap_modify_range() callback writing that
 * would, with the same rules (break-before-make on an active map, the blocks the range
 * covers in part split), but without a call per entry. Invalid entries stay as they are:
 * idmap_map_range() maps. @p set and @p clear are checked whole first, so the call fails
 * changing nothing. @p set 0 with @p clear ~0 makes the leaves empty (all zero).
 * Example: idmap_change_attributes(map, &text, IDMAP_ATTR_READ_ONLY, 0) write-protects
 * what @p text maps (TF-A's xlat_change_mem_attributes).
 * @return #IDMAP_OK, or (nothing changed) those of idmap_modify_range() for the range,
 *         #IDMAP_ERR_INVALID_FLAGS (value = the bits) when @p set or @p clear holds
 *         #IDMAP_ATTR_VALID or a bit idmap_map_range() refuses (the page bit, output
 *         address and RES0 bits 12-49, the contiguous bit, the regime's refused and RES1
 *         bits) but for the all-zero change, #IDMAP_ERR_BREAK_BEFORE_MAKE,
 *         #IDMAP_ERR_OUT_OF_MEMORY (the splits' tables). */
idmap_status_t idmap_change_attributes(idmap_t *map, const idmap_region_t *range, uint64_t set,
                                       uint64_t clear);

/** Calls @p fn once per run of the leaves that intersect @p range, in address order: a run
 * is consecutive leaves of one level that are valid with the same attributes (the
 * contiguous bit aside, which the library manages) and consecutive output addresses, or
 * invalid with the same bits. @p fn gets the whole region the run maps, its first leaf and
 * the level. A call per run, not per entry: counting, dumping, exporting or checking a
 * range. Splits nothing, changes nothing.
 * @return #IDMAP_OK, or those of idmap_walk_range() for the range, or
 *         #IDMAP_ERR_PTE_UPDATE_FAULT when fn answers non-zero, value = the run's first
 *         descriptor. */
idmap_status_t idmap_walk_runs(const idmap_t *map, const idmap_region_t *range, idmap_run_fn fn,
                               void *ctx);

/** Removes every mapping of @p range: its entries become empty (zero); a block that
 * straddles an edge of the range is split so that what lies outside stays mapped; a table
 * the call leaves empty is freed and its entry zeroed. On an active map the TLB
 * maintenance (@ref idmap_mapping) follows before any table is freed, so that the change
 * takes effect at once. A sealed map is unmapped as any other.
 * @return #IDMAP_OK, or (the tables exactly as they were):
 *   - #IDMAP_ERR_INVALID_ARGUMENT (@p map or @p range NULL), #IDMAP_ERR_ADDRESS_RANGE,
 *     #IDMAP_ERR_REGION_BACKWARDS: as for idmap_map_range();
 *   - #IDMAP_ERR_BREAK_BEFORE_MAKE: active map: a valid block straddles an edge of the
 *     range, or an entry of the range is one of a contiguous group; region = that entry's;
 *   - #IDMAP_ERR_OUT_OF_MEMORY: no page for a split. */
idmap_status_t idmap_unmap_range(idmap_t *map, const idmap_region_t *range);

/** Frees every table below the root whose entries are all empty (zero), such as
 * idmap_modify_range() leaves where it splits empty entries, and zeroes its entry; the
 * tables that leaves empty in turn too. On an active map the TLB maintenance
 * (@ref idmap_mapping) comes first.
 * @return the number of table pages freed (0 for a NULL @p map). */
size_t idmap_compact_subtables(idmap_t *map);

/** Replaces every subtable of @p map whose entries map one aligned, contiguous output range
 * with one set of attributes by a block (1 GiB or 2 MiB, without the contiguous bit),
 * bottom-up, and frees it: what idmap_map_range() and idmap_modify_range() leave when
 * pages were made alike again, since they keep tables. Only on an inactive map: turning
 * a live table into a block needs break-before-make.
 * @return the table pages freed; 0 for NULL or an active map. */
size_t idmap_coalesce_subtables(idmap_t *map);

/** Turns the contiguous hint on or off for @p map (off in a new map). On: after every
 * change to an inactive map, each aligned group of 16 leaves in the range changed (64 KiB
 * of pages, 32 MiB or 16 GiB of blocks) that maps one aligned, contiguous output range
 * with identical attributes, without DBM, gets the contiguous bit (bit 52), unless the call
 * passed #IDMAP_NO_CONTIGUOUS_HINT (the hardware may update the dirty state of one entry
 * of a group for the group: #IDMAP_HW_DIRTY keeps each page's own); every other group
 * there loses it, whatever the policy, so
 * a group is always consistent (Arm ARM D8.6.1). On an active map no hint is added, and
 * a change to an entry of a hinted group is refused with #IDMAP_ERR_BREAK_BEFORE_MAKE,
 * unmapping one included: deactivate, change, activate. Off by default: a misprogrammed
 * group is a TLB conflict that QEMU does not model, and cores have errata around the
 * hint; turn it on where the core's errata notice allows (#IDMAP_ERRATUM_NO_CONTIGUOUS_HINT
 * turns it off for every map).
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL). */
idmap_status_t idmap_set_contiguous_hint(idmap_t *map, bool on);
/** Whether the contiguous hint is on for @p map (false for NULL). */
bool idmap_contiguous_hint(const idmap_t *map);

/** Turns guarded code (FEAT_BTI) on or off for @p map (off in a new map). On: every valid
 * block and page idmap_map_range() (and idmap_map_range_to()) writes from now on that is
 * executable at some level - not both PXN and UXN; in EL2 and EL3, not XN - gets
 * #IDMAP_ATTR_GP, so that an indirect branch into the map's code must land on a BTI
 * instruction (code built with -mbranch-protection=bti); and idmap_enable_mmu() sets
 * SCTLR_ELx.BT (#IDMAP_SCTLR_BT, with BT0 in EL1&0 and EL2&0), so that PACIASP and PACIBSP
 * are no landing pads for a BR, as Linux sets them. (SCTLR is the MMU bring-up's:
 * idmap_activate() leaves it alone.) Leaves already written, and those idmap_modify_range() or
 * idmap_change_attributes() make executable, keep the GP bit they have; idmap_lint() of a
 * map with guarded code reports each executable leaf without it
 * (#IDMAP_LINT_UNGUARDED_CODE).
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT: NULL, or value #IDMAP_ARG_NO_BTI for
 *         a stage-2 map or a CPU without FEAT_BTI (ID_AA64PFR1_EL1.BT), the policy
 *         unchanged. */
idmap_status_t idmap_set_guarded_code(idmap_t *map, bool on);
/** Whether guarded code is on for @p map (false for NULL). */
bool idmap_guarded_code(const idmap_t *map);

/** idmap_set_hardware_updates(): the hardware sets the Access flag (TCR_ELx.HA,
 * VTCR_EL2.HA; ID_AA64MMFR1_EL1.HAFDBS >= 1): the first access through a leaf without
 * #IDMAP_ATTR_ACCESSED sets it, rather than fault. */
#define IDMAP_HW_ACCESS_FLAG 1u
/** idmap_set_hardware_updates(): the hardware updates the dirty state as well (TCR_ELx.HD,
 * VTCR_EL2.HD; HAFDBS >= 2): a leaf with #IDMAP_ATTR_DBM (#IDMAP_S2_DBM) is writable for
 * the MMU, which makes it writable in the descriptor itself - AP[2] cleared, S2AP[1] set -
 * on the first write through it. */
#define IDMAP_HW_DIRTY 2u

/** Sets what the hardware updates in @p map's descriptors (FEAT_HAFDBS; Arm ARM DDI
 * 0487K.a, D8.4, "Hardware management of the Access flag" and "of the dirty state"):
 * #IDMAP_HW_ACCESS_FLAG, #IDMAP_HW_DIRTY (which implies the Access flag), or 0, the
 * default. idmap_enable_mmu() and idmap_mmu_config() set TCR_ELx.HA for either and HD for
 * #IDMAP_HW_DIRTY; idmap_s2_vtcr() (and idmap_s2_activate()) VTCR_EL2.HA and HD alike; a
 * map activated under a TCR of the caller's own needs them set there. Under
 * #IDMAP_HW_DIRTY every valid leaf idmap_map_range() (and idmap_map_range_to()) writes from
 * now on that would be writable - stage 1 without #IDMAP_ATTR_READ_ONLY, stage 2 with
 * #IDMAP_S2_WRITE - is written clean: with DBM, and read-only in its permission bit (AP[2]
 * set, S2AP[1] clear), so that the first write through it makes it dirty, and
 * idmap_collect_dirty() reports it. Leaves already written, and those idmap_modify_range()
 * or idmap_change_attributes() make writable, keep the DBM bit they have.
 *
 * The hardware updates a descriptor by an atomic read-modify-write, the library's changes
 * are plain stores: idmap_collect_dirty() is safe with them (it writes only dirty leaves,
 * of which the hardware updates nothing but a cleared Access flag, set again by the next
 * access); another change of a live leaf may undo an update made while it ran - the Access
 * flag, or the dirty state of a page written meanwhile. Collect a range's dirty pages
 * before changing it.
 * @return #IDMAP_OK, or, the setting unchanged: #IDMAP_ERR_INVALID_ARGUMENT: NULL, or value
 *         #IDMAP_ARG_NO_HAFDBS where the CPU's ID_AA64MMFR1_EL1.HAFDBS is too low;
 *         #IDMAP_ERR_INVALID_FLAGS (value: the bits) for bits other than IDMAP_HW_*. */
idmap_status_t idmap_set_hardware_updates(idmap_t *map, unsigned updates);
/** What the hardware updates in @p map's descriptors: IDMAP_HW_* (0 for NULL). */
unsigned idmap_hardware_updates(const idmap_t *map);

/** Makes @p map's table pages read-only in @p in (@p map itself if NULL), as TF-A's
 * xlat_make_tables_readonly() does: each table page, at the address the library writes it
 * through (the pointer the allocator gave), becomes #IDMAP_ATTR_READ_ONLY without
 * #IDMAP_ATTR_DBM in @p in, with TLB maintenance where @p in is active; a stray write to a
 * table then faults. From then on every call that would write @p map's tables -
 * idmap_map_range() and its variants, idmap_modify_range(), idmap_change_attributes(),
 * idmap_unmap_range(), idmap_collect_dirty() - fails with #IDMAP_ERR_INVALID_ARGUMENT,
 * value #IDMAP_ARG_TABLES_READ_ONLY, changing nothing; idmap_compact_subtables() and
 * idmap_coalesce_subtables() free nothing; idmap_free() leaves the tables in place (a page
 * given back would be written); until idmap_unprotect_tables(). idmap_tables_needed(), the
 * walks, exports and the lint work as before.
 *
 * The tables must be mapped in @p in by pages (map them with #IDMAP_NO_BLOCK_MAPPINGS): a
 * permission change inside a block would split it, and the new table would stay writable.
 * @p in must outlive the protection (undo it before freeing @p in), and its leaves over
 * the table pages are the protection: a later change of them there undoes it.
 * idmap_preflight()'s check_tables skips a protected map's table pages (they need no
 * writable mapping any more).
 * Protect a map in itself before it goes live (the writes go through its own tables,
 * which the MMU would refuse midway): finish the map, protect it, enable the MMU.
 * @return #IDMAP_OK, or the error, nothing changed, in this order:
 *         #IDMAP_ERR_INVALID_ARGUMENT for NULL @p map, or with value #IDMAP_ARG_NOT_STAGE1
 *         (@p in is a stage-2 map), #IDMAP_ARG_TABLES_READ_ONLY (protected already, or
 *         @p in's own tables are read-only: it takes no change);
 *         #IDMAP_ERR_ALREADY_ACTIVE where @p in is @p map and active; then for the first
 *         table page (root first, depth first) that fails: #IDMAP_ERR_INVALID_ARGUMENT,
 *         #IDMAP_ARG_TABLES_NOT_PAGES (va: the page), not mapped by a page;
 *         #IDMAP_ERR_BREAK_BEFORE_MAKE, in a live contiguous group of @p in;
 *         #IDMAP_ERR_SEALED (region: the page), where @p in is sealed and read-only would
 *         grant more (idmap_seal()). */
idmap_status_t idmap_protect_tables(idmap_t *map, idmap_t *in);
/** Undoes idmap_protect_tables(): the table pages writable again (#IDMAP_ATTR_READ_ONLY
 * cleared) in the map they were made read-only in, and @p map takes changes again.
 * #IDMAP_OK with nothing to do when they are not read-only.
 * @return #IDMAP_OK, or the error, nothing changed: #IDMAP_ERR_INVALID_ARGUMENT (NULL);
 *         those of idmap_protect_tables() (#IDMAP_ERR_ALREADY_ACTIVE: deactivate first);
 *         #IDMAP_ERR_SEALED where that map is sealed (writable is wider). */
idmap_status_t idmap_unprotect_tables(idmap_t *map);
/** Whether @p map's tables are read-only (idmap_protect_tables() without its undoing;
 * false for NULL). */
bool idmap_tables_protected(const idmap_t *map);

/** Turns common not private (FEAT_TTCNP) on or off for @p map (off in a new map). On: the
 * TTBR values the map hands to the hardware from now on carry CnP, bit 0 -
 * idmap_activate(), idmap_activate_on_core(), idmap_enable_mmu() and idmap_mmu_config()'s
 * ttbr and ttbr1, and at stage 2 idmap_s2_vttbr() and what idmap_s2_activate() writes to
 * VTTBR_EL2 - telling the hardware that every core of the Inner Shareable domain whose
 * TTBR has CnP set with the same ASID (VMID) walks these same tables, so that a TLB entry
 * one core walked may serve the others (Arm ARM DDI 0487K.a, "Common not private
 * translations"). It is for a map live on several cores at once (idmap_activate_on_core()
 * on each); two cores with CnP set and the same ASID (VMID) on different tables translate
 * CONSTRAINED UNPREDICTABLY, so give each such map an ASID (VMID) of its own. The
 * library's TLB maintenance is Inner Shareable broadcast (TLBI ...IS) already, so shared
 * entries are invalidated with the rest. A TTBR already written keeps the bit it has.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT: NULL, or value #IDMAP_ARG_NO_CNP for
 *         a CPU without FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP), the policy unchanged. */
idmap_status_t idmap_set_common_not_private(idmap_t *map, bool on);
/** Whether common not private is on for @p map (false for NULL). */
bool idmap_common_not_private(const idmap_t *map);

/** Turns live block splits (FEAT_BBM; Arm ARM DDI 0487K.a, D8.16.2 "Support levels for
 * changing block size") on or off for @p map (off in a new map). On: a change to an active
 * map that splits a live block into a table - idmap_map_range(), idmap_modify_range(),
 * idmap_unmap_range() over part of a block - is made rather than refused with
 * #IDMAP_ERR_BREAK_BEFORE_MAKE (#IDMAP_BBM_SPLIT), by the sequence of FEAT_BBM level 1: the
 * block written again with nT (bit 16, #IDMAP_DESC_NT) set, DSB ISHST, TLBI by VA (IPA) of
 * the block, DSB ISH, ISB; then the new table, built whole beforehand, linked in its place;
 * then, with the rest of the call's TLB maintenance, the block's TLB entries invalidated
 * once more, for a core that cached the nT entry meanwhile. An access through the block
 * before the link translates as the block did or, where the core makes nT fault
 * (IMPLEMENTATION DEFINED), takes a translation fault at the block's level: on such a core
 * the code running must not use what it splits, as with break-before-make; but no TLB
 * conflict abort and no loss of coherency can come of it. The new table's entries may
 * differ from the block only as a live entry may change without a break (permissions, AF,
 * DBM, nG set, the software bits); every other change is refused as before, and so is the
 * split of a block of a live contiguous group (#IDMAP_BBM_CONTIGUOUS). FEAT_BBM level 2's
 * size changes without nT, which may raise TLB conflict aborts on some cores, are not made.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT: NULL, or value #IDMAP_ARG_NO_BBM for a
 *         CPU without FEAT_BBM (ID_AA64MMFR2_EL1.BBM, bits 55:52, is 0), the policy
 *         unchanged. */
idmap_status_t idmap_set_live_splits(idmap_t *map, bool on);
/** Whether live block splits are on for @p map (false for NULL). */
bool idmap_live_splits(const idmap_t *map);
/** @} */

/* ==== Activation and the MMU ========================================================== */

/** @defgroup idmap_activation Activation and the MMU
 * Putting a map's root in the TTBR of its regime and VA range, on one core or on several,
 * and turning that regime's MMU on and off with it. The registers are the regime's:
 * TTBR0_EL1 or TTBR1_EL1 in EL1&0, TTBR0_EL2 in EL2, TTBR0_EL2 or TTBR1_EL2 in EL2&0,
 * TTBR0_EL3 in EL3, with MAIR_ELx, TCR_ELx and SCTLR_ELx of EL1, EL2 or EL3 (Arm ARM DDI
 * 0487K.a, D19), written from the regime's exception level or a higher one.
 *
 * A map is active from idmap_activate(), idmap_activate_on_core() or idmap_enable_mmu()
 * until its undoing: its changes then follow the break-before-make rules and get their
 * TLB maintenance (@ref idmap_mapping). Changes to a map and its activation are the
 * caller's to serialise: the library holds no lock, and a change looks once whether the
 * map is live, so an activation on another core during a change escapes that change's
 * checks.
 *
 * On the host (and in host test builds) the arch layer is a fake: it keeps the registers
 * in memory and records every barrier and TLBI, touching no system register, so that the
 * rules can be tested.
 * @{ */
/** Makes @p map live on the calling core: saves the TTBR of its regime and VA range and
 * writes there the map's root address with its ASID in bits 63:48 (0 in EL2 and EL3; CnP
 * in bit 0 under idmap_set_common_not_private()), after a DSB ISHST, so that a walk finds
 * the tables complete. How:
 *   - where this core runs in the map's regime with its MMU on (SCTLR_ELx.M) and nothing
 *     keeps the old and the new tree's TLB entries apart - EL2 and EL3, which have no
 *     ASIDs; the upper range, whose non-global entries TTBR0's ASID tags (TCR_ELx.A1 = 0);
 *     the same ASID in both TTBR values - through the MMU off, so that the TLB never holds
 *     entries of both (Arm ARM D8.16.1): interrupts masked, SCTLR_ELx.M cleared, ISB, the
 *     TTBR written, TLBI of the whole regime (VMALLE1IS, ALLE2IS, ALLE3IS), DSB ISH, M set
 *     again, ISB. The code doing that must be mapped to itself by the tables in use
 *     (checked with AT S1E1R, S1E2R or S1E3R first);
 *   - otherwise directly: the TTBR written, ISB; in EL2 and EL3 then TLBI ALLE2IS or
 *     ALLE3IS, DSB ISH, ISB, since nothing else would tell the old tree's entries from the
 *     new one's when the MMU comes on or the regime runs. In EL1&0 and EL2&0 the ASIDs
 *     do, for non-global entries: idmap_deactivate() invalidates a map's, and maps that
 *     are switched in and out should be mapped #IDMAP_ATTR_NON_GLOBAL.
 * A stage-2 map (@ref idmap_stage2) is made active by idmap_s2_activate(), which writes
 * VTCR_EL2 too; idmap_activate() of one switches VTTBR_EL2 alone (with its TLBI
 * VMALLS12E1IS), for a VTCR_EL2 the caller wrote.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL; or, value #IDMAP_ARG_UPPER_ASID, an
 *     upper-range EL2&0 map whose ASID is not the one that tags that range's entries (in
 *     EL1&0 the upper range is invalidated for every ASID instead); or, value
 *     #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED, a switch through the MMU off from code not
 *     mapped to itself (va = that code);
 *   - #IDMAP_ERR_ALREADY_ACTIVE: idmap_activate() or idmap_enable_mmu() made the map
 *     active and that was not undone (a map active through idmap_activate_on_core() alone
 *     is activated). */
idmap_status_t idmap_activate(idmap_t *map);
/** Undoes idmap_activate() on the calling core: writes back the TTBR value it saved,
 * switching as idmap_activate() does, and takes the map's entries out of the TLB. Where
 * the switch went through the MMU off, its TLBI of the whole regime did that; otherwise
 * TLBI ASIDE1IS of the map's ASID in the lower range of EL1&0, and of the whole regime
 * elsewhere (VMALLE1IS for the upper range of EL1&0, ALLE2IS, ALLE3IS), then DSB ISH, ISB.
 * TLBI ASIDE1IS leaves global entries in the TLB: maps switched in and out of the lower
 * range of EL1&0 should be mapped #IDMAP_ATTR_NON_GLOBAL.
 * @return #IDMAP_OK, or (the map unchanged, idmap_last_error() set):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map is NULL; or, value #IDMAP_ARG_MMU_ENABLED, the map
 *     was turned on by idmap_enable_mmu() (loading the TTBR of before would leave the MMU
 *     walking what may no longer be a table): idmap_disable_mmu() turns it off; or, value
 *     #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED, as idmap_activate();
 *   - #IDMAP_ERR_NOT_ACTIVE: idmap_activate() has not made the map active
 *     (idmap_deactivate_on_core() undoes idmap_activate_on_core()). */
idmap_status_t idmap_deactivate(idmap_t *map);
/** Whether @p map is active on any core: idmap_activate(), idmap_activate_on_core() or
 * idmap_enable_mmu() ran more often than their undoing (false for NULL). */
bool idmap_is_active(const idmap_t *map);

/** Makes @p map live on the calling core as idmap_activate() does, for a map that other
 * cores may use at the same time (call it with the MMU on: the count is an atomic, which
 * needs cacheable memory): the TTBR value it replaced goes to @p previous_ttbr, which the
 * same core hands to idmap_deactivate_on_core(). Each call counts one core; the
 * break-before-make rules hold while any core has the map active, and every change made
 * meanwhile is invalidated in the TLBs of all cores (the TLBI ...IS forms). idmap_free()
 * undoes idmap_activate() and idmap_enable_mmu() only: deactivate the map on every core
 * first, or they go on walking freed pages.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (a NULL @p map or @p previous_ttbr,
 *         and as idmap_activate()). */
idmap_status_t idmap_activate_on_core(idmap_t *map, uint64_t *previous_ttbr);
/** Undoes idmap_activate_on_core() on the calling core: writes @p previous_ttbr back,
 * switching as idmap_activate() does, and takes the map's entries out of the TLB as
 * idmap_deactivate() does. With no idmap_activate_on_core() left to undo, it undoes
 * idmap_activate() on this core instead.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL; value #IDMAP_ARG_MMU_ENABLED
 *         when the only activation left is idmap_enable_mmu()'s; value
 *         #IDMAP_ARG_CODE_NOT_IDENTITY_MAPPED as idmap_activate()), or
 *         #IDMAP_ERR_NOT_ACTIVE when no core has the map active. */
idmap_status_t idmap_deactivate_on_core(idmap_t *map, uint64_t previous_ttbr);
/** The cores @p map is active on: idmap_activate() and idmap_enable_mmu() count one, as
 * each idmap_activate_on_core() does (0 for NULL). */
unsigned idmap_active_cores(const idmap_t *map);

/** @name SCTLR_ELx bits
 * The bits idmap_mmu_config_t sets and clears (Arm ARM D19.2 "SCTLR_EL1"; the same bits
 * in SCTLR_EL2 and SCTLR_EL3, where E0E is RES0 but in EL2&0).
 * @{ */
#define IDMAP_SCTLR_M ((uint64_t)1 << 0)    /**< MMU enable */
#define IDMAP_SCTLR_A ((uint64_t)1 << 1)    /**< Alignment check */
#define IDMAP_SCTLR_C ((uint64_t)1 << 2)    /**< Data cacheability */
#define IDMAP_SCTLR_I ((uint64_t)1 << 12)   /**< Instruction cacheability */
#define IDMAP_SCTLR_WXN ((uint64_t)1 << 19) /**< Write implies execute-never */
#define IDMAP_SCTLR_E0E ((uint64_t)1 << 24) /**< EL0 big-endian */
/** Big-endian at the regime's exception level, translation table walks included. */
#define IDMAP_SCTLR_EE ((uint64_t)1 << 25)
/** BT (BT1 in SCTLR_EL1, FEAT_BTI): at the regime's privileged level, PACIASP and
 * PACIBSP are no landing pads for a BR into a guarded page (#IDMAP_ATTR_GP decides where
 * landing pads are needed at all); set for a map with guarded code
 * (idmap_set_guarded_code()), with #IDMAP_SCTLR_BT0 where the regime has EL0. */
#define IDMAP_SCTLR_BT ((uint64_t)1 << 36)
/** BT0 (FEAT_BTI; EL1&0, EL2&0): #IDMAP_SCTLR_BT for EL0. */
#define IDMAP_SCTLR_BT0 ((uint64_t)1 << 35)
/** @} */

/** What the MMU of a map's regime needs, as register values (_ELx: EL1, EL2 or EL3). */
typedef struct {
    uint64_t mair;        /**< MAIR_ELx: #IDMAP_MAIR_DEFAULT */
    uint64_t tcr;         /**< TCR_ELx, in the regime's format */
    uint64_t ttbr;        /**< TTBR0_ELx: root address | ASID << 48, | CnP (bit 0) under
                               idmap_set_common_not_private() */
    uint64_t sctlr_set;   /**< SCTLR_ELx bits to set: M, C, I */
    uint64_t sctlr_clear; /**< SCTLR_ELx bits to clear: A, WXN, E0E, EE */
    uint64_t ttbr1;       /**< TTBR1_ELx: the upper map's root | ASID << 48 (| CnP, as ttbr), or 0 */
} idmap_mmu_config_t;

/** The register values for the lower-range @p map, given the CPU's ID_AA64MMFR0_EL1
 * (PARange gives the output address size, capped at 48 bits; ASIDBits gives TCR.AS), in
 * the format of the regime's TCR:
 *   - EL1&0 and EL2&0 (TCR_EL1, TCR_EL2 with E2H = 1): T0SZ = 64 - log2(idmap_size()), so
 *     the walk starts at the map's root level; TG0 4 KiB; IRGN0 and ORGN0 write-back
 *     read/write-allocate, SH0 inner shareable; IPS; AS; TG1 4 KiB; EPD1 set, so no walk
 *     goes through TTBR1 (idmap_mmu_config_split() fills those fields); A1 clear;
 *   - EL2 and EL3 (TCR_EL2 with E2H = 0, TCR_EL3): T0SZ, TG0 and the walk attributes alike,
 *     PS, and RES1 bits 31 and 23.
 *
 * ttbr1 is 0; the SCTLR_ELx bits set the MMU and both caches on, and clear alignment
 * checks, write-implies-execute-never and big-endian accesses.
 * @param map the map the MMU is to use.
 * @param id_aa64mmfr0 the CPU's ID_AA64MMFR0_EL1.
 * @param config receives the values.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (@p config unchanged) for NULL, for an
 *         upper-range @p map, for a CPU without the 4 KiB granule (TGran4), or for an ASID
 *         above 255 on a CPU with 8-bit ASIDs. (Root level 3 has T0SZ 43, above 39:
 *         idmap_enable_mmu() also reads ID_AA64MMFR2_EL1.ST and refuses it without
 *         FEAT_TTST.) */
idmap_status_t idmap_mmu_config(const idmap_t *map, uint64_t id_aa64mmfr0,
                                idmap_mmu_config_t *config);

/** idmap_mmu_config() for two maps of EL1&0 or EL2&0 with two VA ranges: @p lower for TTBR0
 * and @p upper for TTBR1 (TCR's T1SZ, TG1, walk attributes; EPD1 clear; A1 clear, so
 * TTBR0's ASID is the one in use: the two maps must have the same ASID).
 * @return as idmap_mmu_config(); #IDMAP_ERR_INVALID_ARGUMENT also for a NULL @p upper, when
 *         @p lower is not a lower range map or @p upper not an upper range map of the same
 *         regime, or when their ASIDs differ. */
idmap_status_t idmap_mmu_config_split(const idmap_t *lower, const idmap_t *upper,
                                      uint64_t id_aa64mmfr0, idmap_mmu_config_t *config);

/** Activates @p map and turns the stage-1 MMU and caches of its regime on with it, from the
 * MMU off or on:
 *   - where the MMU or the data cache was off, the table pages are first cleaned and
 *     invalidated to the point of coherency (DC CIVAC, DSB SY): they were written past the
 *     cache (each page was invalidated when the library took it, so no stale line is
 *     written back over it);
 *   - then DSB ISH; interrupts masked; SCTLR_ELx.M cleared (C too, unless it stays set),
 *     ISB; MAIR_ELx, TCR_ELx and TTBR0_ELx written with idmap_mmu_config()'s values
 *     (TTBR1_ELx too in EL1&0 and EL2&0: 0, never walked), ISB; TLBI VMALLE1, ALLE2 or
 *     ALLE3 (this core's entries), IC IALLU, DSB NSH, ISB; SCTLR_ELx set as the config
 *     says, ISB; interrupts as they were.
 *
 * The CPU must run at the regime's exception level (at EL2 with HCR_EL2.E2H set for
 * EL2&0, clear for EL2), and the code running, its stack and its data must stay usable:
 * mapped by @p map at the addresses they have now (to themselves, where the MMU was off),
 * the code executable and the stack writable (idmap_enable_mmu_checked() checks that).
 * On the host the values go to the fake registers and the map is marked active.
 * Until idmap_disable_mmu() the map is the MMU's: idmap_deactivate() refuses it
 * (#IDMAP_ARG_MMU_ENABLED), and idmap_free() undoes this first, as idmap_disable_mmu()
 * does.
 * @return #IDMAP_OK, or (nothing changed) those of idmap_mmu_config() with the CPU's
 *         ID_AA64MMFR0_EL1, or #IDMAP_ERR_ALREADY_ACTIVE (the map is active, on any core),
 *         or #IDMAP_ERR_INVALID_ARGUMENT when the CPU is not at the regime's exception
 *         level (or E2H does not match), or, value #IDMAP_ARG_NEEDS_TTST, for a T0SZ above
 *         39 without FEAT_TTST (root level 3). */
idmap_status_t idmap_enable_mmu(idmap_t *map);
/** idmap_enable_mmu() with @p lower on TTBR0_ELx and @p upper on TTBR1_ELx of EL1&0 or
 * EL2&0, with idmap_mmu_config_split()'s values; idmap_disable_mmu(@p lower) undoes it for
 * both, and so does idmap_free() of either.
 * @return as idmap_enable_mmu() and idmap_mmu_config_split(); #IDMAP_ERR_INVALID_ARGUMENT
 *         also for an @p upper that is NULL or @p lower itself, and
 *         #IDMAP_ERR_ALREADY_ACTIVE where either map is active. */
idmap_status_t idmap_enable_mmu_split(idmap_t *lower, idmap_t *upper);

/** Undoes idmap_enable_mmu() (or idmap_enable_mmu_split(), given its lower map): loads
 * MAIR_ELx, TCR_ELx, TTBR0_ELx, TTBR1_ELx (EL1&0, EL2&0) and SCTLR_ELx back as they were
 * before it, with interrupts masked and the MMU off while they change, so the MMU ends as
 * it was then: off, or on with the tables of before. Where that takes data accesses past
 * the cache (SCTLR_ELx M and C both set now, not both after), the whole data cache is
 * first cleaned and invalidated by set/way (CCSIDR_EL1 read in the format
 * ID_AA64MMFR2_EL1.CCIDX gives), so that memory holds what the program wrote. Then TLBI
 * VMALLE1, ALLE2 or ALLE3 (this core's entries), IC IALLU, DSB NSH, ISB, SCTLR_ELx, ISB.
 * The map (and the upper one) is then inactive. Use it to switch between maps of
 * different root levels, or to hand over with the MMU as it was.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL, or a map active otherwise than
 *         by idmap_enable_mmu(), such as the upper map of idmap_enable_mmu_split()), or
 *         #IDMAP_ERR_NOT_ACTIVE (a map not active at all). */
idmap_status_t idmap_disable_mmu(idmap_t *map);

/** Cleans every data cache line that holds a byte of [@p start, @p end) to the point of
 * coherency: DC CVAC one line at a time (the line size from CTR_EL0.DminLine), then DSB SY,
 * as Linux's dcache_clean_poc. What was written through the cache is then in memory for
 * whoever reads it past the cache: a kernel image and initramfs that a bootloader placed
 * with the caches on, before it turns the MMU off (idmap_disable_mmu()) and enters the
 * kernel (Linux's Documentation/arch/arm64/booting.rst), or a buffer a device reads.
 * idmap_disable_mmu()'s set/way clean is no substitute: set/way maintenance reaches this
 * core's caches only, not a system cache before the point of coherency.
 *
 * Not tied to a map. Runs at any exception level, with the MMU off, or on with the range
 * mapped in the current regime (else the DC takes a translation fault). An empty or
 * backwards range cleans nothing. On the host the fake records the range.
 * @param start the first address, any alignment.
 * @param end the address after the last. */
void idmap_clean_to_poc(uint64_t start, uint64_t end);

/** @name Errata workarounds, for idmap_set_errata()
 * @{ */
/** Every TLBI broadcast to the Inner Shareable domain (the ...IS forms: the TLB
 * maintenance of a change, and that of the switches of idmap_activate() and
 * idmap_deactivate()) is followed by DSB ISH and issued again, as Linux's
 * ARM64_WORKAROUND_REPEAT_TLBI does for Cortex-A76 erratum 1286807, Cortex-A55 erratum
 * 2441007 and Cortex-A510 erratum 2441009 (a TLBI + DSB may not complete the
 * invalidation of an entry that a concurrent walk is refilling). Not the local TLBI of
 * idmap_enable_mmu() and idmap_disable_mmu(), which runs with the MMU off. */
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
/** @} */

/* ==== Inspection ====================================================================== */

/** @defgroup idmap_inspection Inspection
 * Reading a map without changing it: descriptors, the map's size and tables, a readable
 * dump, and the export of the applied map for what runs next (an array of regions, a
 * devicetree fragment, UEFI memory descriptors), decoded as the map's regime reads its
 * bits (Arm ARM DDI 0487K.a, D8.4 "Memory access control"). The export is at the map's
 * own addresses: [idmap_va_start(), idmap_va_start() + idmap_size()), in the upper VA range
 * up to 2^64, where a va_end of 0 stands for 2^64; a stage-2 map's regions are at its IPAs.
 *
 * A stage-2 map is exported as regions only: idmap_export_devicetree() and
 * idmap_export_efi() refuse it (#IDMAP_ARG_NOT_STAGE1). They describe memory types by
 * MAIR index and the permissions of the code that runs on the map; a stage-2 entry's
 * MemAttr is half of the guest's memory type (its stage 1 combines with it, the more
 * restrictive winning; with HCR_EL2.FWB, which the map does not record, it reads
 * otherwise: Arm ARM D8.5), and a VM's memory map is its own firmware's to give. Rather
 * than guess, they refuse; the regions carry each leaf's bits for a caller who knows.
 * @{ */
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

/** The physical address of the root table, as the TTBR holds it without the ASID (0 for
 * NULL). */
uint64_t idmap_root_address(const idmap_t *map);
/** Bytes of input address space the map covers, from idmap_va_start() (0 for NULL). */
uint64_t idmap_size(const idmap_t *map);
/** Table pages in use, the root included: 1 after idmap_new() (0 for NULL). */
size_t idmap_table_count(const idmap_t *map);

/** idmap_dump()'s and idmap_export_devicetree()'s output: @p len characters of @p text
 * (not NUL-terminated). */
typedef void (*idmap_write_fn)(void *ctx, const char *text, size_t len);
/** Writes the whole tree through @p write: a first line with the regime, VA range, root
 * level, addresses covered, ASID, table count, active state and root address, then one
 * line per entry, indented by level, runs of empty entries and of entries that continue
 * each other folded. Bits are named as EL1&0 names them (in EL2 and EL3, "EL0" is the RES1
 * AP[1] and "UXN" is XN). Nothing happens for a NULL map or write. */
void idmap_dump(const idmap_t *map, idmap_write_fn write, void *ctx);

/** @name Exported region flags
 * idmap_export_region_t's flags: what the entries allow in the map's regime. All but
 * #IDMAP_EXPORT_VALID describe the bits as they would act were the entries valid. At
 * stage 2 the privileged level is the guest's EL1: READ_ONLY is S2AP[1] clear,
 * EXECUTE_NEVER and USER_EXECUTE read XN[1:0], USER is S2AP[0] (reads, at EL1 and EL0
 * alike), NON_GLOBAL is never set.
 * @{ */
#define IDMAP_EXPORT_VALID ((uint32_t)1 << 0)         /**< Bit 0 set: the MMU translates it */
/** Not writable at the regime's privileged level (EL1, EL2 or EL3). */
#define IDMAP_EXPORT_READ_ONLY ((uint32_t)1 << 1)
/** Not executable at the regime's privileged level. */
#define IDMAP_EXPORT_EXECUTE_NEVER ((uint32_t)1 << 2)
/** Readable at EL0 (AP[1]; EL1&0, EL2&0). */
#define IDMAP_EXPORT_USER ((uint32_t)1 << 3)
/** Executable at EL0 (UXN clear; EL1&0, EL2&0). */
#define IDMAP_EXPORT_USER_EXECUTE ((uint32_t)1 << 4)
#define IDMAP_EXPORT_NON_GLOBAL ((uint32_t)1 << 5)    /**< nG (EL1&0, EL2&0) */
#define IDMAP_EXPORT_ACCESSED ((uint32_t)1 << 6)      /**< AF set: the first access does not fault */
/** @} */

/** @name Memory types
 * idmap_export_region_t's memory_type: what AttrIndx selects in #IDMAP_MAIR_DEFAULT. At
 * stage 2, MemAttr[3:0] as read with HCR_EL2.FWB = 0: Device where MemAttr[3:2] is 0b00,
 * else the lesser of the outer (MemAttr[3:2]) and inner (MemAttr[1:0]) cacheability.
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
    uint64_t va_start;    /**< The first virtual address (stage 2: IPA). */
    uint64_t va_end;      /**< The virtual address (IPA) after the last (0: 2^64). */
    uint64_t pa_start;    /**< The physical address of va_start (0 in an invalid region). */
    uint64_t leaf_bits;   /**< The first leaf's descriptor. */
    uint32_t flags;       /**< IDMAP_EXPORT_*. */
    uint8_t memory_type;  /**< IDMAP_MEMORY_*. */
    uint8_t attr_index;   /**< AttrIndx[2:0], the MAIR attribute; at stage 2 MemAttr[3:0]. */
    uint8_t shareability; /**< SH[1:0]: 0 non, 1 reserved, 2 outer, 3 inner shareable. */
    uint8_t level;        /**< The first leaf's level. */
} idmap_export_region_t;

/** Writes the regions of @p map, in address order, to @p out, at the map's own addresses
 * (an upper-range map's up to 2^64; a stage-2 map's IPAs, with their output addresses).
 * @param map the map.
 * @param out receives the first @p max regions (NULL with 0: only count).
 * @param max entries of @p out.
 * @return every region, also those past @p max (0 for a NULL map, and nothing written for
 *         a NULL @p out). */
size_t idmap_export_regions(const idmap_t *map, idmap_export_region_t *out, size_t max);

/** Writes the regions of @p map as a devicetree fragment through @p write: the node
 * @p node_name with \#address-cells = <2>, \#size-cells = <2> and regime = the map's
 * regime ("el1&0", "el2", "el2&0" or "el3"), holding per region a node like this one
 * (tabs, hex, 64-bit values as two cells, high first):
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
 * (the notes on the right are not written), after a first line that is a C comment saying
 * "idmap: el1&0 stage 1, 4 KiB granule", with the map's regime in place of el1&0. The unit
 * address is the virtual start in hex without "0x" or leading zeros.
 * aarch64_paging/export.hpp has the whole text. The regions are those of
 * idmap_export_regions().
 * @param map the map.
 * @param node_name the fragment's node name; NULL: "idmap".
 * @param write receives the text, in pieces.
 * @param ctx passed to @p write.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (nothing written, no last error
 *         recorded) for a NULL map or write, or a node name that is not 1 to 31 letters,
 *         digits or ",._+-"; or, recorded as the map's last error with
 *         #IDMAP_ARG_NOT_STAGE1, for a stage-2 map (see @ref idmap_inspection). */
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
 * idmap_export_efi() uses; "privileged level": EL1, EL2 or EL3, the map's regime's.
 * @{ */
#define IDMAP_EFI_RESERVED_MEMORY_TYPE 0   /**< EfiReservedMemoryType: invalid entries */
/** EfiRuntimeServicesCode: executable at the privileged level. */
#define IDMAP_EFI_RUNTIME_SERVICES_CODE 5
#define IDMAP_EFI_RUNTIME_SERVICES_DATA 6  /**< EfiRuntimeServicesData: other Normal memory */
#define IDMAP_EFI_MEMORY_MAPPED_IO 11      /**< EfiMemoryMappedIO: Device memory */
#define IDMAP_EFI_MEMORY_UC ((uint64_t)0x1)     /**< EFI_MEMORY_UC: Device memory */
#define IDMAP_EFI_MEMORY_WC ((uint64_t)0x2)     /**< EFI_MEMORY_WC: Normal Non-cacheable */
#define IDMAP_EFI_MEMORY_WT ((uint64_t)0x4)     /**< EFI_MEMORY_WT: Normal Write-Through */
#define IDMAP_EFI_MEMORY_WB ((uint64_t)0x8)     /**< EFI_MEMORY_WB: Normal Write-Back */
#define IDMAP_EFI_MEMORY_RP ((uint64_t)0x2000)  /**< EFI_MEMORY_RP: invalid entries */
/** EFI_MEMORY_XP: not executable at the privileged level. */
#define IDMAP_EFI_MEMORY_XP ((uint64_t)0x4000)
/** EFI_MEMORY_RO: not writable at the privileged level. */
#define IDMAP_EFI_MEMORY_RO ((uint64_t)0x20000)
/** @} */

/** Writes the map as UEFI memory descriptors, in address order: one per run of regions
 * (idmap_export_region_t) with the same type and attribute whose addresses follow on.
 * Type: #IDMAP_EFI_MEMORY_MAPPED_IO for Device memory, else
 * #IDMAP_EFI_RUNTIME_SERVICES_CODE where executable at the regime's privileged level, else
 * #IDMAP_EFI_RUNTIME_SERVICES_DATA; #IDMAP_EFI_RESERVED_MEMORY_TYPE for invalid entries.
 * Attribute: the cacheability (UC, WC, WT, WB), RO, XP, and RP for invalid entries.
 * EFI_MEMORY_RUNTIME is the caller's to add.
 * @param map the map.
 * @param out receives the first @p max descriptors (NULL with 0: only count).
 * @param max entries of @p out.
 * @return every descriptor, also those past @p max (0 for a NULL map, and nothing written
 *         for a NULL @p out); 0 for a stage-2 map, with #IDMAP_ERR_INVALID_ARGUMENT and
 *         #IDMAP_ARG_NOT_STAGE1 as its last error (see @ref idmap_inspection). */
size_t idmap_export_efi(const idmap_t *map, idmap_efi_memory_descriptor_t *out, size_t max);
/** @} */

/* ==== Guard rails ===================================================================== */

/** @defgroup idmap_guard_rails Guard rails
 * Checks that catch a wrong map before it hurts: the pre-flight check of the addresses the
 * CPU is about to use, before a map goes live; the linter, for what the MMU would reject
 * or what is unlikely to be meant; seal mode, after which a map accepts only changes that
 * tighten access; and table budgets, to size a static page pool. The pre-flight check,
 * the linter and the seal judge access as the MMU of the map's regime would (Arm ARM DDI
 * 0487K.a, D8.4).
 * @{ */

/** How the CPU will use an address, and so what the map must allow there. "Executable"
 * and "writable" are at the regime's privileged level (EL1, EL2 or EL3); in EL1&0 and
 * EL2&0 a page writable at EL0 is never executable there. */
typedef enum {
    /** Instructions: valid, Access flag set, executable, Normal memory. */
    IDMAP_USE_CODE = 1,
    /** A stack: valid, Access flag set, writable, Normal memory. */
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
/** Code or vectors not executable at the regime's privileged level. */
#define IDMAP_PREFLIGHT_NOT_EXECUTABLE ((uint64_t)1 << 2)
/** A stack or table not writable at the regime's privileged level. */
#define IDMAP_PREFLIGHT_NOT_WRITABLE ((uint64_t)1 << 3)
#define IDMAP_PREFLIGHT_DEVICE ((uint64_t)1 << 4)         /**< Device memory where Normal is needed */
/** @} */

/** What to check before a map goes live: the addresses the CPU is about to use, which the
 * caller reads from the CPU (idmap_preflight_read_cpu(), on a board) or makes up (in a
 * test). A zero-initialised one fails rather than passing unchecked: pc = 0 is below an
 * upper-range map, and the stack below sp = 0 at the top of the address space, beyond a
 * lower-range one. */
typedef struct {
    uint64_t pc;   /**< The code running: the 4 bytes at pc (#IDMAP_USE_CODE). */
    uint64_t sp;   /**< The stack pointer (full descending): the 16 bytes below sp (#IDMAP_USE_STACK). */
    /** VBAR_ELx of the exception level that takes the exceptions (the regime's): the 2 KiB
     * vector table at vbar (#IDMAP_USE_VECTORS). */
    uint64_t vbar;
    /** Also every table page of the map, at its physical address, where the library writes
     * it (#IDMAP_USE_TABLE). An upper-range map does not cover those addresses: check its
     * table pages as extra ranges of the lower map instead. Not those of a map whose tables
     * are read-only (idmap_protect_tables()), which the library writes no more. */
    bool check_tables;
    uint32_t skip;     /**< IDMAP_PREFLIGHT_SKIP_* bits. */
    const idmap_critical_t *extra; /**< More ranges, checked after vbar; may be NULL. */
    size_t extra_count;            /**< Entries of extra. */
} idmap_preflight_t;

/** Checks, in this order, pc, sp, vbar, the extra ranges, then (with check_tables) the
 * map's table pages, and stops at the first address the map does not allow its use at.
 * Reads the map only, as the MMU of its regime would, with #IDMAP_MAIR_DEFAULT. The
 * addresses are the map's own: one outside [idmap_va_start(), idmap_va_start() +
 * idmap_size()) is not mapped by it (a lower-range address checked against an upper-range
 * map, and the other way round: check each map for the addresses in its range). A range
 * that ends at 2^64, such as the stack below sp = 0 (an upper-range stack's top), has
 * region.end 0.
 * @param map the map.
 * @param preflight what to check.
 * @return #IDMAP_OK, or (idmap_last_error() set, but for a NULL map):
 *   - #IDMAP_ERR_INVALID_ARGUMENT: @p map or @p preflight NULL, extra NULL with a count,
 *     or an extra range wrapping past 2^64 or with a use that is not an idmap_use_t;
 *   - #IDMAP_ERR_PREFLIGHT: va = the first address that failed, region = the range
 *     checked (rounded to pages), value = the IDMAP_PREFLIGHT_* reasons | the use << 8;
 *     idmap_format_error() writes e.g. "pre-flight check failed: stack at 0x80ff0: not
 *     writable". */
idmap_status_t idmap_preflight(const idmap_t *map, const idmap_preflight_t *preflight);

/** Fills pc, sp and vbar of @p preflight from the CPU: pc = the caller's return address
 * (code the caller will go on running), sp = the stack pointer (as this function sees it:
 * a few dozen bytes below the caller's), vbar = VBAR_ELx of the current exception level
 * (VBAR_EL1, VBAR_EL2 or VBAR_EL3); the other fields are left as they are. On the host,
 * the values of the arch layer's fake.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT for a NULL @p preflight. */
idmap_status_t idmap_preflight_read_cpu(idmap_preflight_t *preflight);

/** idmap_preflight(), then idmap_enable_mmu() if it passed: the MMU goes on only with a
 * map under which the code, stack and vectors the CPU uses stay usable. With skip =
 * #IDMAP_PREFLIGHT_SKIP_ALL, idmap_enable_mmu() alone.
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

/** What a finding of the linter is about (aarch64_paging::LintKind). The linter reads
 * stage-1 trees of any regime and stage-2 trees (#IDMAP_REGIME_STAGE2, IPAs in, a root of
 * 1 to 16 concatenated tables), 4 KiB granule, 48-bit output addresses. "Leaf": a valid
 * block (level 1 or 2) or page (level 3) descriptor. At stage 2, va and other_va are IPAs. */
typedef enum {
    /** RES0 bits set in a valid descriptor; bits = them. Leaves: 49:48, 50 (GP, unless
     * #IDMAP_LINT_FEATURE_BTI), and in the EL2 and EL3 regimes 11 (nG) and 53 (PXN).
     * Table descriptors: 51:48, and in the EL2 and EL3 regimes 59 (PXNTable) and 61
     * (APTable[0]). Stage 2 (Arm ARM D8.3, its block, page and table descriptors): leaves
     * 49:48, 50 (with or without FEAT_BTI), 11, and 53 (XN[0]) unless
     * #IDMAP_LINT_FEATURE_XNX; table descriptors 51:48 and 63:59, stage 2 having no
     * hierarchical attributes. */
    IDMAP_LINT_RES0_BITS = 1,
    /** RES1 bits clear in a leaf; bits = them: AP[1] (bit 6) in the EL2 and EL3 regimes.
     * Never at stage 2. */
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
     * at EL0, in EL1&0 and EL2&0; XN clear in EL2 and EL3) or at EL0 (UXN clear). At
     * stage 2 (two IPAs of one VM, or of two VMs): writable is S2AP[1] (bit 7) set,
     * executable XN[1:0] (bits 54:53) other than 0b10 (at the guest's EL1 or EL0). */
    IDMAP_LINT_WX_ALIAS = 9,
    /** A valid leaf executable at some level (as for #IDMAP_LINT_WX_ALIAS, table limits
     * included) without GP (bit 50), under #IDMAP_LINT_CHECK_GUARDED: an indirect branch
     * may land anywhere in it (BTI enforces landing pads in guarded pages only). Stage 1
     * only. */
    IDMAP_LINT_UNGUARDED_CODE = 10,
    /** A table page of a map protected by idmap_protect_tables() that the map it was
     * protected in lets be written: no valid leaf maps it there, or one with AP[2] clear or
     * DBM set (idmap_lint() of the protected map only; a later change to that map can undo
     * the protection). level, index, va, descriptor: the table entry that links the page
     * (a root table: the root level, index 0, descriptor 0); pa: the page; bits: the leaf
     * mapping it there, 0 for none. */
    IDMAP_LINT_TABLE_WRITABLE = 11
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
 * through translate if it is set, else from the pools. The tree is read as covering
 * addresses from 0: for a tree of an upper VA range, the va and other_va of its findings
 * are offsets from its first address. */
typedef struct {
    uint64_t root;                     /**< Physical address of the root table, page-aligned. */
    unsigned root_level;               /**< Level of the root table, 0 to 3; all 512 entries are read. */
    /** The regime the tree is for: which bits are RES0 and RES1, and what W and X mean;
     * #IDMAP_REGIME_STAGE2 for a VM's stage-2 tree. */
    idmap_regime_t regime;
    const idmap_lint_pool_t *pools;    /**< The pages its tables may use (without translate). */
    size_t pool_count;                 /**< Entries of pools. */
    idmap_lint_translate_fn translate; /**< Or: the pages, through this callback. */
    void *ctx;                         /**< Passed to translate. */
    /** The tables the root is: 0 or 1; or, at stage 2, 2, 4, 8 or 16 concatenated tables
     * (Arm ARM D8.2; idmap_s2_root_tables() of a stage-2 map), which follow root in
     * physical memory, the whole aligned to its size, each read through the pools or
     * translate; walked as one root table of 512 * root_tables entries. The last field,
     * added after the others: a tree set field by field or from {0} has one table. */
    unsigned root_tables;
} idmap_lint_tree_t;

/** @name Linter checks and features
 * idmap_lint_options_t's checks (which to run; 0 = all) and features (architecture
 * features the trees may use, whose bits are then not reported).
 * @{ */
#define IDMAP_LINT_CHECK_STRUCTURE ((uint32_t)1 << 0)  /**< All but W^X: bits, levels, groups, tables */
#define IDMAP_LINT_CHECK_WX_ALIASES ((uint32_t)1 << 1) /**< W^X aliases */
#define IDMAP_LINT_CHECK_ALL (IDMAP_LINT_CHECK_STRUCTURE | IDMAP_LINT_CHECK_WX_ALIASES) /**< Both */
/** Executable leaves without GP (#IDMAP_LINT_UNGUARDED_CODE), for code that is to be
 * guarded; not in #IDMAP_LINT_CHECK_ALL. idmap_lint() adds it (and
 * #IDMAP_LINT_FEATURE_BTI) for a map with guarded code (idmap_set_guarded_code()). */
#define IDMAP_LINT_CHECK_GUARDED ((uint32_t)1 << 2)
#define IDMAP_LINT_FEATURE_BTI ((uint32_t)1 << 0) /**< FEAT_BTI: bit 50 of leaves is GP */
#define IDMAP_LINT_FEATURE_BBM ((uint32_t)1 << 1) /**< FEAT_BBM: bit 16 of blocks is nT */
/** FEAT_XNX: bit 53 of stage-2 leaves is XN[0] (idmap_lint() adds it for a stage-2 map
 * made with idmap_stage2_config_t's xnx) */
#define IDMAP_LINT_FEATURE_XNX ((uint32_t)1 << 2)
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

/** Lints @p map in its regime and VA range: what the MMU would reject or that is unlikely
 * to be meant (idmap_lint_kind_t), and W^X aliases within the map. The map's table pages
 * are trusted: a corrupt table address is followed; to lint a map you distrust, pass its
 * root to idmap_lint_raw() with the pages it may use. A stage-2 map is linted by IPA,
 * every table of its root walked, with #IDMAP_LINT_FEATURE_XNX where it was made with
 * FEAT_XNX.
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
 *         use; root_tables other than 0, 1, 2, 4, 8 or 16, more than 1 in a stage-1
 *         regime or where they would resolve more than 48 bits (from level 0), a
 *         concatenated root not aligned to its size, or one of its tables not a page the
 *         tree may use. */
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

/** Seals @p map: from now on it accepts only changes that tighten access.
 *   - idmap_map_range(), idmap_map_range_with_constraints() and idmap_tables_needed()
 *     answer #IDMAP_ERR_SEALED (region = the range, value = flags | VALID), with or
 *     without VALID in the flags: they make entries valid or rewrite them whole; tighten
 *     with idmap_modify_range(), unmap with idmap_unmap_range();
 *   - idmap_modify_range() answers #IDMAP_ERR_SEALED, region = the range, value = the bits,
 *     before anything changes, when fn's change to any entry widens access. Tightening:
 *     the entry becomes invalid, or stays valid and only sets #IDMAP_ATTR_READ_ONLY,
 *     #IDMAP_ATTR_PXN, #IDMAP_ATTR_UXN (#IDMAP_ATTR_XN), or clears #IDMAP_ATTR_USER or
 *     #IDMAP_ATTR_DBM, granting no access it did not in the map's regime (in EL1&0 and
 *     EL2&0 a page writable at EL0 is never executable at the privileged level, so
 *     clearing USER or setting READ_ONLY on one with PXN clear widens);
 *     #IDMAP_ATTR_SWFLAG_0 to _3 may change freely. Making an entry valid, or changing its
 *     output address, memory type, shareability, AF or nG, widens. fn runs once on a copy
 *     of every entry to check, then again to apply, as on an active map;
 *   - idmap_unmap_range(), idmap_compact_subtables() and idmap_coalesce_subtables() work
 *     as before.
 *
 * There is no unseal: a later boot stage handed a sealed map cannot widen it.
 * @return #IDMAP_OK, or #IDMAP_ERR_INVALID_ARGUMENT (NULL). */
idmap_status_t idmap_seal(idmap_t *map);
/** Whether idmap_seal() ran on @p map (false for NULL). */
bool idmap_is_sealed(const idmap_t *map);

/** The table pages idmap_map_range_with_constraints(@p map, @p range, @p flags,
 * @p constraints) would take from the allocator now (0: it needs none), found by the
 * call's own plan step: nothing is allocated or changed. Exact: the call would take
 * this many pages, and succeed or fail as this answers.
 * @return #IDMAP_OK with *@p pages set, or the errors of
 *         idmap_map_range_with_constraints() but #IDMAP_ERR_OUT_OF_MEMORY (*@p pages
 *         unchanged); #IDMAP_ERR_INVALID_ARGUMENT also for a NULL @p pages. */
idmap_status_t idmap_tables_needed(const idmap_t *map, const idmap_region_t *range, uint64_t flags,
                                   uint32_t constraints, size_t *pages);
/** idmap_tables_needed() for idmap_map_range_to(@p map, @p range, @p pa, @p flags,
 * @p constraints): the output address decides where blocks may go. */
idmap_status_t idmap_tables_needed_to(const idmap_t *map, const idmap_region_t *range, uint64_t pa,
                                      uint64_t flags, uint32_t constraints, size_t *pages);
/** An upper bound on the table pages, the root included, that mapping all @p count
 * regions into one new map with its root at @p root_level takes, whatever the flags,
 * constraints and output addresses: one table below every entry a region touches above
 * the leaf level (a table shared by two regions counts twice). Size a static pool with
 * it when the regions are known at build time; idmap_tables_needed() is exact for one
 * call. Empty and backwards regions count nothing, but an end of 0 after a start that is
 * not stands for 2^64, the top of an upper range, as in idmap_map_range().
 * @return the bound; 0 for NULL @p regions with @p count != 0 or a root level above 3. */
size_t idmap_worst_case_tables(const idmap_region_t *regions, size_t count, unsigned root_level);
/** @} */

/* ==== Stage 2 ========================================================================= */

/** @defgroup idmap_stage2 Stage 2 (hypervisors)
 * The second stage of the EL1&0 regime, which a hypervisor at EL2 gives each VM (Arm ARM
 * DDI 0487K.a, D8.1 "Translation regimes"; the stage-2 descriptors of D8.3; VTCR_EL2 and
 * VTTBR_EL2 in D19): a map of intermediate physical addresses (IPAs, what the guest
 * takes for physical) to physical addresses, tagged in the TLB by a VMID.
 *
 * A stage-2 map is made by idmap_new_stage2() with an IPA size and a start level; where
 * the IPA size is more than one table at that level resolves, the root is 2 to 16
 * concatenated tables, contiguous and aligned to their size (a 40-bit IPA from level 1: 2
 * tables, 8 KiB, 8 KiB-aligned), which the config's alloc_root gives. Every other call
 * takes it as it takes a stage-1 map, with IPAs where a stage-1 map has VAs:
 * idmap_map_range() (IPA range to IPA + pa_offset, with the IDMAP_S2_* flags below, not
 * the IDMAP_ATTR_* ones), idmap_modify_range(), idmap_walk_range(), idmap_unmap_range(),
 * idmap_tables_needed(), idmap_dump(), idmap_free(); idmap_descriptor_*() read its
 * entries. The linter (@ref idmap_guard_rails) reads a stage-2 map by IPA: idmap_lint()
 * and idmap_lint_wx_aliases() take it (across VMs too), idmap_lint_raw() a tree of
 * #IDMAP_REGIME_STAGE2 with its root_tables; the stage-2 RES0 bits, and S2AP and XN[1:0]
 * for W^X. The export (@ref idmap_inspection) lists a stage-2 map's regions by IPA
 * (idmap_export_regions(), with output addresses and bits); the devicetree and UEFI
 * exports, which describe stage-1 memory types, refuse it (#IDMAP_ARG_NOT_STAGE1).
 *
 * Flags. map_range refuses (#IDMAP_ERR_INVALID_FLAGS, value = the bits) bit 11 (nG at
 * stage 1: RES0, there are no ASIDs), bit 50 (GP: stage 1's), bit 53 (XN[0]: RES0 without
 * FEAT_XNX; PXN at stage 1, so #IDMAP_ATTR_EXECUTE_NEVER is refused there) and what it
 * refuses at stage 1 (the page bit, address bits, the contiguous bit). Bits 5 and 6 are
 * MemAttr[3] and S2AP[0] at stage 2: a stage-1 constant passed here means something else
 * (#IDMAP_ATTR_NORMAL would be Device-nGnRE, #IDMAP_ATTR_READ_ONLY write-only), which C
 * cannot tell; the C++ API's Stage2Attributes type refuses stage-1 Attributes there.
 * #IDMAP_ATTR_ACCESSED is added as at stage 1.
 *
 * Break-before-make: as at stage 1 (@ref idmap_mapping) but that bits 5:2 are the memory
 * type and there is no nG. idmap_s2_map_range_bbm() does the break for the caller.
 *
 * TLB maintenance of a change to an active stage-2 map (the TLBIs act on the VMID in
 * VTTBR_EL2: where another is there, VTTBR_EL2 is switched to the map's, ISB, and back
 * after): DSB ISHST; TLBI IPAS2LE1IS (a leaf) or IPAS2E1IS (a table entry) per IPA, up to
 * 16; DSB ISH; TLBI VMALLE1IS, since an invalidation by IPA leaves the guest's entries that
 * combine both stages; DSB ISH; ISB. Past 16 entries TLBI VMALLS12E1IS, DSB ISH, ISB.
 * @{ */

/** @name Stage-2 attributes
 * Bits of a stage-2 block or page descriptor, for idmap_map_range() on a stage-2 map.
 * @{ */
#define IDMAP_S2_VALID ((uint64_t)1 << 0) /**< The entry maps something. */
/* MemAttr[3:0], bits 5:2, with HCR_EL2.FWB = 0: 0b00dd Device of type dd; else Normal with
 * MemAttr[3:2] the outer, MemAttr[1:0] the inner cacheability (01 NC, 10 WT, 11 WB). The
 * access gets the more restrictive of stage 1's and stage 2's types. */
#define IDMAP_S2_DEVICE_NGNRNE ((uint64_t)0x0 << 2) /**< MemAttr 0b0000: Device-nGnRnE */
#define IDMAP_S2_DEVICE_NGNRE ((uint64_t)0x1 << 2)  /**< MemAttr 0b0001: Device-nGnRE */
#define IDMAP_S2_DEVICE_NGRE ((uint64_t)0x2 << 2)   /**< MemAttr 0b0010: Device-nGRE */
#define IDMAP_S2_DEVICE_GRE ((uint64_t)0x3 << 2)    /**< MemAttr 0b0011: Device-GRE */
#define IDMAP_S2_NORMAL_NC ((uint64_t)0x5 << 2)     /**< MemAttr 0b0101: Normal Non-cacheable */
#define IDMAP_S2_NORMAL_WT ((uint64_t)0xa << 2)     /**< MemAttr 0b1010: Normal Write-Through */
#define IDMAP_S2_NORMAL_WB ((uint64_t)0xf << 2)     /**< MemAttr 0b1111: Normal Write-Back */
/* MemAttr with HCR_EL2.FWB = 1 (FEAT_S2FWB): 0b00dd Device as above; these three: */
#define IDMAP_S2_FWB_NORMAL_NC ((uint64_t)0x5 << 2) /**< FWB 0b0101: Normal Non-cacheable */
#define IDMAP_S2_FWB_NORMAL_WB ((uint64_t)0x6 << 2) /**< FWB 0b0110: Normal Write-Back, forced */
#define IDMAP_S2_FWB_STAGE1 ((uint64_t)0x7 << 2)    /**< FWB 0b0111: stage 1's type and cacheability */
/* S2AP[1:0], bits 7:6: 00 no access, 01 read-only, 10 write-only, 11 read/write. */
#define IDMAP_S2_READ ((uint64_t)1 << 6)       /**< S2AP[0]: reads allowed */
#define IDMAP_S2_WRITE ((uint64_t)1 << 7)      /**< S2AP[1]: writes allowed */
#define IDMAP_S2_READ_WRITE ((uint64_t)3 << 6) /**< S2AP = 0b11 */
#define IDMAP_S2_OUTER_SHAREABLE ((uint64_t)2 << 8) /**< SH = 0b10 */
#define IDMAP_S2_INNER_SHAREABLE ((uint64_t)3 << 8) /**< SH = 0b11 */
#define IDMAP_S2_ACCESSED ((uint64_t)1 << 10)  /**< AF (map_range adds it) */
#define IDMAP_S2_DBM ((uint64_t)1 << 51)       /**< Dirty bit modifier */
/** XN[1:0] = 0b10: executable at neither EL1 nor EL0. */
#define IDMAP_S2_XN ((uint64_t)2 << 53)
/** XN[1:0] = 0b01 (FEAT_XNX): not executable at EL1, executable at EL0. */
#define IDMAP_S2_XN_EL1 ((uint64_t)1 << 53)
/** XN[1:0] = 0b11 (FEAT_XNX): executable at EL1, not at EL0. */
#define IDMAP_S2_XN_EL0 ((uint64_t)3 << 53)
/** Guest RAM as KVM maps it: Normal Write-Back, inner shareable (FWB = 0). */
#define IDMAP_S2_NORMAL (IDMAP_S2_NORMAL_WB | IDMAP_S2_INNER_SHAREABLE)
/** @} */

/** How to build a stage-2 map: idmap_new_stage2()'s argument. */
typedef struct {
    /** The IPA size in bits (VTCR_EL2.T0SZ = 64 - ipa_bits). With the 4 KiB granule: 40 to
     * 48 from level 0, 31 (25: T0SZ at most 39 without FEAT_TTST) to 43 from level 1, 25 to
     * 34 from level 2; more than 39 (from level 1) or 30 (from level 2) bits concatenate
     * 2 to 16 root tables. */
    unsigned ipa_bits;
    /** The start level (VTCR_EL2.SL0): 0 to 2. */
    unsigned start_level;
    /** The VMID, in VTTBR_EL2 bits 63:48: at most 16 bits (8 on a CPU with 8-bit VMIDs:
     * idmap_s2_vtcr() refuses more). */
    uint32_t vmid;
    /** The CPU has FEAT_XNX: XN[0] (#IDMAP_S2_XN_EL1, #IDMAP_S2_XN_EL0) accepted. */
    bool xnx;
    /** Every IPA maps to IPA + pa_offset (modulo 2^64), as idmap_config_t's: 0 for a VM
     * whose RAM sits at the same address in both spaces. */
    int64_t pa_offset;
    /** Table pages; NULL: idmap_new()'s source (with its contiguous requests, and
     * alloc_root and free_root unused). */
    const idmap_allocator_t *allocator;
    /** With @p allocator: a root of concatenated tables, @p pages (2 to 16) contiguous 4 KiB
     * pages aligned to pages * 4 KiB, or NULL; called with allocator->ctx. Only where the
     * root is concatenated; else may be NULL. */
    void *(*alloc_root)(void *ctx, size_t pages);
    /** Takes back, whole, what alloc_root gave. */
    void (*free_root)(void *ctx, void *root, size_t pages);
} idmap_stage2_config_t;

/** A new, empty, inactive stage-2 map (regime #IDMAP_REGIME_STAGE2) as @p config says,
 * covering IPAs [0, 2^ipa_bits).
 * @return the map, or NULL (idmap_new_error() says why): @p config NULL; a start level
 *         above 2 (#IDMAP_ARG_ROOT_LEVEL); an IPA size the start level cannot serve
 *         (#IDMAP_ARG_IPA_SIZE); a VMID over 16 bits (#IDMAP_ARG_VMID_WIDTH); an
 *         incomplete allocator, or no alloc_root/free_root where the root is
 *         concatenated (#IDMAP_ARG_CONTIGUOUS_ALLOCATOR); no memory for the root
 *         (#IDMAP_ERR_OUT_OF_MEMORY, also for a root not aligned to its size); no handle. */
idmap_t *idmap_new_stage2(const idmap_stage2_config_t *config);
/** The tables the root of @p map is: 1, or 2 to 16 concatenated (0 for NULL). */
unsigned idmap_s2_root_tables(const idmap_t *map);
/** VTCR_EL2 for @p map on a CPU with @p id_aa64mmfr0 (ID_AA64MMFR0_EL1) and @p id_aa64mmfr1
 * (ID_AA64MMFR1_EL1): T0SZ = 64 - the IPA size; SL0 for the start level; IRGN0 = ORGN0 =
 * write-back read/write-allocate; SH0 inner shareable; TG0 4 KiB; PS = PARange (at most 48
 * bits), which the IPA size and every output address the map holds must fit; VS where the
 * CPU has 16-bit VMIDs; RES1 bit 31. A 40-bit IPA from level 1 with 40 PA bits and 8-bit
 * VMIDs: 0x80023558.
 * @return #IDMAP_OK with *@p vtcr set, or #IDMAP_ERR_INVALID_ARGUMENT (*@p vtcr unchanged):
 *         NULL; #IDMAP_ARG_NOT_STAGE2; #IDMAP_ARG_GRANULE (ID_AA64MMFR0_EL1.TGran4_2);
 *         #IDMAP_ARG_IPA_BEYOND_PA; #IDMAP_ARG_OUTPUT_BEYOND_PA; #IDMAP_ARG_VMID_WIDTH;
 *         #IDMAP_ARG_NO_XNX. */
idmap_status_t idmap_s2_vtcr(const idmap_t *map, uint64_t id_aa64mmfr0, uint64_t id_aa64mmfr1, uint64_t *vtcr);
/** VTTBR_EL2 for @p map: the root's address | VMID << 48, | CnP (bit 0) under
 * idmap_set_common_not_private() (0 for NULL). */
uint64_t idmap_s2_vttbr(const idmap_t *map);
/** Makes @p map this core's stage 2, at EL2: where SCTLR_EL2.M or C is clear, the tables
 * are cleaned and invalidated to the point of coherency first; then VTCR_EL2 (from
 * idmap_s2_vtcr() with this CPU's ID registers) and VTTBR_EL2 written, ISB, TLBI
 * VMALLS12E1IS, DSB ISH, ISB. The caller sets HCR_EL2.VM. idmap_deactivate() undoes it:
 * TLBI VMALLS12E1IS (the map's VMID), DSB ISH, the VTTBR_EL2 value it replaced written,
 * ISB, TLBI VMALLS12E1IS, DSB ISH, ISB. On the host no register is touched.
 * @return #IDMAP_OK, or (nothing changed) the errors of idmap_s2_vtcr(),
 *         #IDMAP_ERR_ALREADY_ACTIVE. */
idmap_status_t idmap_s2_activate(idmap_t *map);
/** idmap_s2_activate() on one more core, for a VM with several vCPUs: VTCR_EL2 (from
 * idmap_s2_vtcr() with this CPU's ID registers) and VTTBR_EL2 of this core, the tables
 * cleaned first as idmap_s2_activate() does, then ISB, TLBI VMALLS12E1IS, DSB ISH, ISB; the
 * map counts one more active core (idmap_active_cores()) and *@p previous gets the
 * VTTBR_EL2 value replaced, for idmap_deactivate_on_core(). The map may be active on other
 * cores already. The caller sets this core's HCR_EL2.VM.
 * @return #IDMAP_OK, or (nothing changed) the errors of idmap_s2_vtcr(), or
 *         #IDMAP_ERR_INVALID_ARGUMENT for a NULL @p previous. */
idmap_status_t idmap_s2_activate_on_core(idmap_t *map, uint64_t *previous);
/** idmap_map_range_with_constraints() that does break-before-make where a change to a live
 * entry of an active map needs it, rather than refuse it. The call is planned and its
 * pages reserved first, and fails changing nothing as map_range does; then, for each live
 * entry whose change needs a break: the entry is written invalid, DSB ISHST, its TLB
 * entries invalidated (TLBI IPAS2LE1IS for the VMID, DSB ISH, TLBI VMALLE1IS, DSB ISH,
 * ISB), then the new entry written - or, where a live block is split, the new table, built
 * whole beforehand, linked in its place (under idmap_set_live_splits() the block is written
 * with nT rather than invalid there, and invalidated again after the link: no fault). A guest vCPU that touches such an IPA meanwhile
 * takes a stage-2 translation fault (an abort from a lower EL to EL2: ESR_EL2 DFSC/IFSC
 * "translation fault", HPFAR_EL2 the IPA); the hypervisor's handler finds the entry
 * valid again once this call returns and resumes the guest to retry the access, as KVM
 * does. Still refused: a change to one entry of a live contiguous group
 * (#IDMAP_BBM_CONTIGUOUS). On an inactive map, idmap_map_range_with_constraints(). Works
 * on stage-1 maps too, where the code running must not use what it breaks.
 * @return as idmap_map_range_with_constraints(), without #IDMAP_ERR_BREAK_BEFORE_MAKE but
 *         for contiguous groups. */
idmap_status_t idmap_s2_map_range_bbm(idmap_t *map, const idmap_region_t *range, uint64_t flags,
                                      uint32_t constraints);
/** idmap_s2_map_range_bbm() to the physical range that starts at @p pa
 * (idmap_map_range_to()): a live entry that maps another output address breaks, then
 * maps this one - a guest page moved to another frame.
 * @return as idmap_s2_map_range_bbm(), and the errors idmap_map_range_to() adds. */
idmap_status_t idmap_s2_map_range_bbm_to(idmap_t *map, const idmap_region_t *range, uint64_t pa,
                                         uint64_t flags, uint32_t constraints);
/** idmap_worst_case_tables() for a stage-2 map of @p ipa_bits from @p start_level: the
 * root counts its concatenated tables.
 * @return the bound; 0 for NULL @p regions with @p count != 0, or a start level and IPA
 *         size idmap_new_stage2() refuses. */
size_t idmap_s2_worst_case_tables(const idmap_region_t *regions, size_t count, unsigned start_level,
                                  unsigned ipa_bits);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* IDMAP_H */
