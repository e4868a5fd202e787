/*
 * idmap_image.h - what the object idmap-image generates defines: translation tables built
 * on the host from a board's memory map (boards/<name>/memmap.txt), and the few
 * instructions that put them to use. Nothing is built at run time; the program links no
 * libidmap for it.
 *
 * Absolute variant (idmap-image -o tables.S memmap.txt): the tables sit in section
 * .idmap_tables, which the linker script places at idmap_image_tables_pa, the memory
 * map's `tables` address:
 *
 *     .idmap_tables idmap_tables_address : { KEEP(*(.idmap_tables)) }
 *     ASSERT(idmap_image_tables == idmap_image_tables_pa, "tables not where the map says")
 *
 *     if (idmap_image_enable_mmu() != 0) ...   // the MMU was on already
 *
 * Relocatable variant (idmap-image --relocatable -o tables.S memmap.txt): the tables sit
 * in .data.idmap_image_tables, 4 KiB aligned, wherever the image is loaded; each table
 * descriptor holds the offset of its table from the first one until relocated:
 *
 *     uint64_t base = (uintptr_t)idmap_image_tables;  // or a copy, 4 KiB aligned
 *     idmap_image_relocate(base);                      // once
 *     idmap_image_enable_mmu_at(base);
 *
 * Both enable routines run at the memory map's regime's EL with the MMU off: they clean
 * and invalidate the tables to the point of coherency, write MAIR, TCR (with the PA size
 * and ASID width read from ID_AA64MMFR0_EL1, as idmap_mmu_config() takes them), TTBR0,
 * invalidate the TLB and the instruction cache, and set SCTLR's M, C and I (clearing A,
 * WXN, E0E, EE): the sequence of idmap_enable_mmu(). They answer 0, or -1 (nothing
 * changed) when the MMU is on already or the base is not 4 KiB aligned. The code
 * running must be mapped executable by the map, its stack writable.
 */
#ifndef IDMAP_IMAGE_H
#define IDMAP_IMAGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One map line of the memory map: the arguments of idmap_map_range_with_constraints(). */
typedef struct {
    uint64_t start;       /* [start, end), 4 KiB aligned */
    uint64_t end;
    uint64_t flags;       /* IDMAP_ATTR_* */
    uint64_t constraints; /* IDMAP_NO_BLOCK_MAPPINGS */
} idmap_image_region_t;

/* The tables: idmap_image_pages pages of 4 KiB, table 0 the root. */
extern uint64_t idmap_image_tables[];
extern const uint64_t idmap_image_pages;
/* The register values (TCR without the CPU's IPS/PS and AS fields, which the enable
 * routine adds; TTBR with the root of the absolute image, or 0 in the relocatable one,
 * | ASID << 48; SCTLR bits to set and to clear). */
extern const uint64_t idmap_image_mair, idmap_image_tcr, idmap_image_ttbr;
extern const uint64_t idmap_image_sctlr_set, idmap_image_sctlr_clear;
/* The memory map's regime (idmap_regime_t's values), root level and ASID: with the
 * lines below, the arguments the runtime library would be given for the same map. */
extern const uint64_t idmap_image_regime, idmap_image_root_level, idmap_image_asid;
/* The memory map's lines, in file order. */
extern const uint64_t idmap_image_region_count;
extern const idmap_image_region_t idmap_image_regions[];
/* SHA-256 of the absolute image (the tables at the memory map's address), for measured
 * boot: what idmap-image printed. */
extern const uint8_t idmap_image_sha256[32];

/* Absolute variant only. */
extern const char idmap_image_tables_pa[]; /* an absolute symbol: its address is the PA */
int idmap_image_enable_mmu(void);

/* Relocatable variant only: the offsets (bytes) of the table descriptors in the tables. */
extern const uint64_t idmap_image_reloc_count;
extern const uint32_t idmap_image_relocs[];
void idmap_image_relocate(uint64_t base);
int idmap_image_enable_mmu_at(uint64_t base);

#ifdef __cplusplus
}
#endif

#endif
