/*
 * idmap.h - identity-mapped VMSAv8-64 translation tables, the C ABI.
 *
 * Version 1 of the contract in shared/spec/c-abi.md, plus the additions marked
 * "Addition" below. Stage 1 of the EL1&0 regime (TTBR0_EL1), 4 KiB granule.
 *
 * Every function that takes a pointer accepts NULL and answers
 * IDMAP_ERR_INVALID_ARGUMENT (or NULL / 0 / false where it returns no status).
 * Every function that fails leaves the tables exactly as they were, except
 * where modify_range says otherwise for a misbehaving callback.
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

/* ---- Attributes: descriptor bits (Arm ARM DDI 0487, D8.3 "Translation table descriptor formats") */

#define IDMAP_ATTR_VALID ((uint64_t)1 << 0)
/* Table (levels 0-2) or page (level 3); never accepted from callers of map_range. */
#define IDMAP_ATTR_TABLE_OR_PAGE ((uint64_t)1 << 1)
/* AttrIndx 0: Device-nGnRE with IDMAP_MAIR_DEFAULT. */
#define IDMAP_ATTR_DEVICE_NGNRE ((uint64_t)0)
/* AttrIndx 1 (Normal write-back) and SH = 0b11, inner shareable. */
#define IDMAP_ATTR_NORMAL (((uint64_t)1 << 2) | ((uint64_t)3 << 8))
#define IDMAP_ATTR_USER ((uint64_t)1 << 6)      /* AP[1]: EL0 access */
#define IDMAP_ATTR_READ_ONLY ((uint64_t)1 << 7) /* AP[2] */
#define IDMAP_ATTR_ACCESSED ((uint64_t)1 << 10) /* AF */
#define IDMAP_ATTR_NON_GLOBAL ((uint64_t)1 << 11) /* nG */
#define IDMAP_ATTR_DBM ((uint64_t)1 << 51)
#define IDMAP_ATTR_EXECUTE_NEVER ((uint64_t)3 << 53) /* PXN and UXN */
#define IDMAP_ATTR_SWFLAG_0 ((uint64_t)1 << 55)
#define IDMAP_ATTR_SWFLAG_1 ((uint64_t)1 << 56)
#define IDMAP_ATTR_SWFLAG_2 ((uint64_t)1 << 57)
#define IDMAP_ATTR_SWFLAG_3 ((uint64_t)1 << 58)

/* MAIR_ELx for the memory types above: Attr0 = 0x04 Device-nGnRE, Attr1 = 0xff Normal
 * inner/outer write-back non-transient, read- and write-allocate. */
#define IDMAP_MAIR_DEFAULT ((uint64_t)0xff04)

/* ---- Constraints on how map_range may lay out a region */

#define IDMAP_NO_BLOCK_MAPPINGS ((uint32_t)1 << 0)  /* pages only */
#define IDMAP_NO_CONTIGUOUS_HINT ((uint32_t)1 << 1) /* never set the contiguous bit */

/* ---- Types */

typedef struct idmap idmap_t; /* opaque */

/* [start, end) */
typedef struct {
    uint64_t start, end;
} idmap_region_t;

/* One translation table entry. */
typedef struct {
    uint64_t bits;
} idmap_descriptor_t;

typedef enum {
    IDMAP_OK = 0,
    IDMAP_ERR_ADDRESS_RANGE = 1, /* address outside what the table covers */
    IDMAP_ERR_INVALID_VIRTUAL_ADDRESS = 2,
    IDMAP_ERR_REGION_BACKWARDS = 3,  /* end before start */
    IDMAP_ERR_PTE_UPDATE_FAULT = 4,  /* a modify/walk callback returned non-zero */
    IDMAP_ERR_INVALID_FLAGS = 5,     /* flags the call does not accept */
    IDMAP_ERR_BREAK_BEFORE_MAKE = 6, /* change to a live table would break BBM rules */
    IDMAP_ERR_OUT_OF_MEMORY = 7,     /* no page for a new table; nothing was changed */
    IDMAP_ERR_INVALID_ARGUMENT = 8,  /* NULL pointer, bad root level, ... */
    IDMAP_ERR_ALREADY_ACTIVE = 9,    /* activate on an active table */
    IDMAP_ERR_NOT_ACTIVE = 10        /* deactivate on an inactive table */
} idmap_status_t;

typedef struct {
    idmap_status_t status;
    uint64_t va;           /* ADDRESS_RANGE, INVALID_VIRTUAL_ADDRESS: the offending address */
    idmap_region_t region; /* REGION_BACKWARDS, BREAK_BEFORE_MAKE: the offending region */
    uint64_t value; /* PTE_UPDATE_FAULT: the descriptor; INVALID_FLAGS: the rejected bits */
} idmap_error_t;

/* Table pages only; the idmap_t itself never comes from here. */
typedef struct {
    void *(*alloc_page)(void *ctx); /* a 4 KiB-aligned 4 KiB page, or NULL */
    void (*free_page)(void *ctx, void *page);
    void *ctx;
} idmap_allocator_t;

/* Callbacks answer 0 to go on; anything else stops the call with
 * IDMAP_ERR_PTE_UPDATE_FAULT. */
typedef int (*idmap_modify_fn)(const idmap_region_t *region, idmap_descriptor_t *desc,
                               unsigned level, void *ctx);
typedef int (*idmap_walk_fn)(const idmap_region_t *region, const idmap_descriptor_t *desc,
                             unsigned level, void *ctx);
typedef void (*idmap_write_fn)(void *ctx, const char *text, size_t len);

/* ---- Regions */

/* [start rounded down to 4 KiB, end rounded up to 4 KiB). Where rounding end up would pass
 * 2^64, end is kept as given, and every call given such a region fails with
 * IDMAP_ERR_ADDRESS_RANGE, va = that end. */
idmap_region_t idmap_region(uint64_t start, uint64_t end);

/* ---- Lifetime */

/* A new, empty, inactive identity map whose root table is at root_level (0 to 3), covering
 * 4 KiB << 9 * (4 - root_level) bytes from address 0.
 * idmap_new takes table pages from the build's default source: a board's static pool, or
 * the heap on the host.
 * Returns NULL for a bad root level, an ASID wider than 16 bits, a NULL or incomplete
 * allocator, no page for the root table, or (on a board) no free handle. */
idmap_t *idmap_new(size_t asid, unsigned root_level);
idmap_t *idmap_new_with_allocator(size_t asid, unsigned root_level,
                                  const idmap_allocator_t *alloc);
/* Deactivates the map if it is active and returns every table page. Accepts NULL. */
void idmap_free(idmap_t *map);

/* ---- Activation (TTBR0_EL1) */

/* Saves TTBR0_EL1, writes the root address with the ASID in bits 63:48, ISB.
 * Errors: INVALID_ARGUMENT (NULL), ALREADY_ACTIVE. On the host only the state changes. */
idmap_status_t idmap_activate(idmap_t *map);
/* Restores the saved TTBR0_EL1, then TLBI ASIDE1, DSB, ISB.
 * Errors: INVALID_ARGUMENT (NULL), NOT_ACTIVE. */
idmap_status_t idmap_deactivate(idmap_t *map);
bool idmap_is_active(const idmap_t *map);

/* ---- Mapping */

/* Maps every address of range to itself with flags (ACCESSED added on every block and
 * page), using the largest blocks that fit: 1 GiB at level 1, 2 MiB at level 2, pages at
 * level 3, never a block at level 0. A table that already covers part of the range is kept
 * and filled. Entries are written whether or not flags has VALID.
 * Errors (the table is exactly as it was before the call):
 *   INVALID_ARGUMENT   map or range NULL;
 *   ADDRESS_RANGE      va = the rounded end, when past idmap_size() or not representable;
 *   REGION_BACKWARDS   region = the rounded region;
 *   INVALID_FLAGS      value = the refused bits: TABLE_OR_PAGE, bits 12-49, bit 52 (the
 *                      contiguous bit), or unknown constraint bits (flags' bits win);
 *   BREAK_BEFORE_MAKE  region = the rounded range: the map is active and the change would
 *                      split a live block, change a live entry's output address, memory
 *                      type or shareability, or clear its nG bit;
 *   OUT_OF_MEMORY      the allocator had no page for a new table. */
idmap_status_t idmap_map_range(idmap_t *map, const idmap_region_t *range, uint64_t flags);
idmap_status_t idmap_map_range_with_constraints(idmap_t *map, const idmap_region_t *range,
                                                uint64_t flags, uint32_t constraints);

/* Splits entries so that every leaf it passes lies inside range, then calls fn once per
 * leaf (block, page or invalid) with the region it maps, the entry and its level (0-3).
 * On an active map fn is first called on copies to check break-before-make, then on the
 * entries themselves.
 * Errors: those of map_range for the range, and
 *   BREAK_BEFORE_MAKE  active map: a live block would be split, or fn made a forbidden
 *                      change (nothing changed);
 *   OUT_OF_MEMORY      no page for a split (nothing changed);
 *   INVALID_FLAGS      fn flipped TABLE_OR_PAGE or changed output-address bits; value =
 *                      those bits;
 *   PTE_UPDATE_FAULT   fn answered non-zero; value = the entry as it was before that call.
 * The entry for which fn failed keeps its old value. On an inactive map the call stops
 * there; entries changed before keep their changes and splits already made stay. */
idmap_status_t idmap_modify_range(idmap_t *map, const idmap_region_t *range, idmap_modify_fn fn,
                                  void *ctx);

/* Calls fn for every leaf (block, page or invalid) that intersects range, with the whole
 * region the leaf maps. Splits nothing.
 * Errors: those of map_range for the range; PTE_UPDATE_FAULT when fn answers non-zero,
 * value = that descriptor. */
idmap_status_t idmap_walk_range(const idmap_t *map, const idmap_region_t *range,
                                idmap_walk_fn fn, void *ctx);

/* ---- Descriptors */

uint64_t idmap_descriptor_flags(const idmap_descriptor_t *d);          /* all bits but the address */
uint64_t idmap_descriptor_output_address(const idmap_descriptor_t *d); /* bits 47:12 */
bool idmap_descriptor_is_valid(const idmap_descriptor_t *d);
bool idmap_descriptor_is_table_or_page(const idmap_descriptor_t *d); /* VALID and TABLE_OR_PAGE */
/* Sets, then clears bits. INVALID_FLAGS, d unchanged, when that would flip TABLE_OR_PAGE. */
idmap_status_t idmap_descriptor_modify_flags(idmap_descriptor_t *d, uint64_t set, uint64_t clear);

/* ---- Inspection */

uint64_t idmap_root_address(const idmap_t *map); /* physical address of the root table */
uint64_t idmap_size(const idmap_t *map);         /* bytes of address space the table covers */
size_t idmap_table_count(const idmap_t *map);    /* table pages in use, the root included */
/* The most recent failed call on map (walk_range included); status IDMAP_OK before any. */
const idmap_error_t *idmap_last_error(const idmap_t *map);
const char *idmap_status_str(idmap_status_t status); /* "address out of range", ... */
/* One line, no newline, like snprintf: at most len - 1 characters and a NUL (nothing when
 * len is 0); returns the length of the whole line. */
size_t idmap_format_error(const idmap_error_t *err, char *buf, size_t len);
/* The whole tree, one entry a line, runs of empty entries folded. */
void idmap_dump(const idmap_t *map, idmap_write_fn write, void *ctx);

/* ---- Addition: turning the MMU on (EL1, stage 1, 4 KiB granule) */

/* SCTLR_EL1 bits (Arm ARM D19.2 "SCTLR_EL1"). */
#define IDMAP_SCTLR_M ((uint64_t)1 << 0)    /* MMU enable */
#define IDMAP_SCTLR_A ((uint64_t)1 << 1)    /* alignment check */
#define IDMAP_SCTLR_C ((uint64_t)1 << 2)    /* data cacheability */
#define IDMAP_SCTLR_I ((uint64_t)1 << 12)   /* instruction cacheability */
#define IDMAP_SCTLR_WXN ((uint64_t)1 << 19) /* write implies execute-never */
#define IDMAP_SCTLR_E0E ((uint64_t)1 << 24) /* EL0 big-endian */
#define IDMAP_SCTLR_EE ((uint64_t)1 << 25)  /* EL1 big-endian */

/* What the MMU needs for a map, as register values. */
typedef struct {
    uint64_t mair;        /* MAIR_EL1: IDMAP_MAIR_DEFAULT */
    uint64_t tcr;         /* TCR_EL1 */
    uint64_t ttbr;        /* TTBR0_EL1: root address | ASID << 48 */
    uint64_t sctlr_set;   /* SCTLR_EL1 bits to set: M, C, I */
    uint64_t sctlr_clear; /* SCTLR_EL1 bits to clear: A, WXN, E0E, EE */
} idmap_mmu_config_t;

/* The register values for map, given the CPU's ID_AA64MMFR0_EL1 (PARange gives TCR.IPS,
 * capped at 48 bits; ASIDBits gives TCR.AS). TCR: T0SZ = 64 - log2(idmap_size()), so the
 * walk starts at the map's root level; TG0 4 KiB; inner and outer write-back
 * read/write-allocate walks, inner shareable; TTBR1 walks disabled (EPD1).
 * Errors: INVALID_ARGUMENT for NULL, or for an ASID above 255 on a CPU with 8-bit ASIDs,
 * or root level 3 (T0SZ 43) where ID_AA64MMFR2_EL1.ST says the CPU lacks FEAT_TTST,
 * which idmap_enable_mmu checks on target. */
idmap_status_t idmap_mmu_config(const idmap_t *map, uint64_t id_aa64mmfr0,
                                idmap_mmu_config_t *config);

/* Activates map and turns the EL1&0 stage-1 MMU and caches on, from either state:
 *   MMU off: cleans and invalidates the table pages to the point of coherency (they were
 *   written with the data cache off), invalidates the instruction cache;
 *   then writes MAIR_EL1 and TCR_EL1, activates (TTBR0_EL1), TLBI VMALLE1, DSB, ISB, and
 *   sets SCTLR_EL1 as the config says, ISB.
 * The code running must be mapped executable, and its stack writable, by map.
 * Errors: those of idmap_mmu_config with the CPU's ID registers, ALREADY_ACTIVE.
 * On the host it records the values and only marks the map active. */
idmap_status_t idmap_enable_mmu(idmap_t *map);

/* Undoes idmap_enable_mmu: restores SCTLR_EL1, TCR_EL1 and MAIR_EL1 as they were before it,
 * deactivates map (restoring TTBR0_EL1), then TLBI VMALLE1, DSB, ISB. Where that turns the
 * data cache off, the whole data cache is cleaned and invalidated by set/way first, so that
 * memory holds what the program wrote. Use it to switch between maps of different root
 * levels, or to hand over with the MMU off.
 * Errors: INVALID_ARGUMENT (NULL, or map not enabled by idmap_enable_mmu), NOT_ACTIVE. */
idmap_status_t idmap_disable_mmu(idmap_t *map);

#ifdef __cplusplus
}
#endif

#endif /* IDMAP_H */
