/*
 * fdt.h - the little of a flattened devicetree the Linux examples read and write
 * (Devicetree Specification v0.4, 5 "Flattened Devicetree (DTB) Format"), without libfdt:
 * a property of one of the root's children, found by a walk of the structure block.
 *
 * The blob is big-endian and read a byte at a time: its 64-bit cells are only 4-byte
 * aligned, and code that runs with the MMU off may not make unaligned accesses.
 */
#ifndef FDT_H
#define FDT_H

#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedU

uint32_t fdt_be32(const uint8_t *p);
uint64_t fdt_be64(const uint8_t *p);
void fdt_put_be64(uint8_t *p, uint64_t v);

/* The blob's totalsize (its header's second word). */
static inline uint32_t fdt_size(const uint8_t *fdt) { return fdt_be32(fdt + 4); }

/* The value of property @prop of the root's child @node ("memory" matches
 * "memory@40000000"), its length in *len; NULL where there is none. The value may be
 * rewritten in place (same length). */
uint8_t *fdt_property(uint8_t *fdt, const char *node, const char *prop, uint32_t *len);

/* String helpers the walk needs, shared with the bootargs parser. */
int fdt_starts_with(const char *s, const char *prefix);

#endif
