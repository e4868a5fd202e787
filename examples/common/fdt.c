/*
 * fdt.c - a property of one of the root's children in a flattened devicetree (fdt.h).
 */
#include "fdt.h"

#include <stddef.h>

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4

uint32_t fdt_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t fdt_be64(const uint8_t *p) { return (uint64_t)fdt_be32(p) << 32 | fdt_be32(p + 4); }

void fdt_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int fdt_starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

/* Whether a node named @name is @node: "memory@40000000" is "memory". */
static int node_is(const char *name, const char *node)
{
    size_t n = str_len(node);
    return fdt_starts_with(name, node) && (name[n] == '\0' || name[n] == '@');
}

uint8_t *fdt_property(uint8_t *fdt, const char *node, const char *prop, uint32_t *len)
{
    uint8_t *p = fdt + fdt_be32(fdt + 8);                        /* off_dt_struct */
    const char *strings = (const char *)fdt + fdt_be32(fdt + 12); /* off_dt_strings */
    unsigned depth = 0;
    int inside = 0;
    for (;;) {
        uint32_t token = fdt_be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            if (++depth == 2)
                inside = node_is(name, node);
            p += (str_len(name) + 4) & ~(size_t)3;
        } else if (token == FDT_END_NODE) {
            depth--;
        } else if (token == FDT_PROP) {
            uint32_t size = fdt_be32(p);
            const char *name = strings + fdt_be32(p + 4);
            if (inside && depth == 2 && fdt_starts_with(name, prop) && name[str_len(prop)] == '\0') {
                *len = size;
                return p + 8;
            }
            p += 8 + ((size + 3) & ~(uint32_t)3);
        } else if (token != FDT_NOP) {
            return NULL; /* FDT_END */
        }
    }
}
