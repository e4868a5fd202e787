/*
 * static_pool.c - a C99 caller that gives the library its table pages from a static,
 * 4 KiB-aligned pool, as firmware without a heap would: maps RAM, a UART and a
 * read-only image, runs out of pages on purpose, and checks every page comes back.
 * Uses only idmap.h; links only libidmap.a. Returns 0 on success; on failure prints
 * what went wrong and returns 1.
 */
#include <idmap.h>

#include <stdio.h>
#include <string.h>

#include "check.h"

#define PAGE_SIZE 4096u
#define POOL_PAGES 16u

/* The pool: 16 pages, aligned to 4 KiB, in .bss; no heap. */
static unsigned char pool[POOL_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct pool_state {
    unsigned char used[POOL_PAGES];
    unsigned in_use;
    unsigned limit;     /* pages it may hand out at once */
    unsigned bad_frees; /* pages returned that were not handed out */
};

static void *pool_alloc(void *ctx)
{
    struct pool_state *s = (struct pool_state *)ctx;
    unsigned i;
    if (s->in_use >= s->limit) return NULL;
    for (i = 0; i < POOL_PAGES; ++i) {
        if (!s->used[i]) {
            s->used[i] = 1;
            s->in_use++;
            memset(pool[i], 0xa5, PAGE_SIZE); /* the library must clear what it gets */
            return pool[i];
        }
    }
    return NULL;
}

static void pool_free(void *ctx, void *page)
{
    struct pool_state *s = (struct pool_state *)ctx;
    unsigned char *p = (unsigned char *)page;
    unsigned i;
    for (i = 0; i < POOL_PAGES; ++i) {
        if (p == pool[i] && s->used[i]) {
            s->used[i] = 0;
            s->in_use--;
            return;
        }
    }
    s->bad_frees++;
}

struct walk_count {
    unsigned valid;
    unsigned invalid;
};

static int count(const idmap_region_t *r, const idmap_descriptor_t *d, unsigned level, void *ctx)
{
    struct walk_count *c = (struct walk_count *)ctx;
    (void)level;
    if (idmap_descriptor_is_valid(d)) {
        /* Identity: every valid leaf maps its own address. */
        if (idmap_descriptor_output_address(d) != r->start) return 1;
        c->valid++;
    } else {
        c->invalid++;
    }
    return 0;
}

/* A board's memory map, qemu-virt-like. */
#define RAM_BASE 0x40000000u
#define RAM_SIZE 0x08000000u /* 128 MiB: 64 blocks of 2 MiB */
#define UART_BASE 0x09000000u
#define IMAGE_BASE 0x40080000u
#define IMAGE_SIZE 0x00020000u /* 128 KiB: 32 pages */

int main(void)
{
    struct pool_state state;
    idmap_allocator_t alloc;
    idmap_t *map;
    idmap_region_t r;
    struct walk_count c;
    uint64_t root;
    size_t before;

    memset(&state, 0, sizeof state);
    state.limit = POOL_PAGES;
    alloc.alloc_page = pool_alloc;
    alloc.free_page = pool_free;
    alloc.ctx = &state;

    map = idmap_new_with_allocator(1, 1, &alloc);
    REQUIRE(map != NULL);
    REQUIRE(state.in_use == 1);
    root = idmap_root_address(map);
    REQUIRE(root == (uint64_t)(uintptr_t)pool[0]);
    REQUIRE((root & (PAGE_SIZE - 1)) == 0);

    /* RAM as 2 MiB blocks: a level-2 table under level-1 entry 1. */
    r = idmap_region(RAM_BASE, (uint64_t)RAM_BASE + RAM_SIZE);
    REQUIRE(idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL |
                                       IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID) == IDMAP_OK);
    REQUIRE(idmap_table_count(map) == 2);
    REQUIRE(state.in_use == 2);

    /* The UART: one device page, under level-1 entry 0: a level-2 and a level-3 table. */
    r = idmap_region(UART_BASE, UART_BASE + PAGE_SIZE);
    REQUIRE(idmap_map_range(map, &r, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_NON_GLOBAL |
                                       IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID) == IDMAP_OK);
    REQUIRE(idmap_table_count(map) == 4);
    REQUIRE(state.in_use == 4);

    /* The image read-only and executable, in pages: splits RAM's first 2 MiB block. */
    r = idmap_region(IMAGE_BASE, IMAGE_BASE + IMAGE_SIZE);
    REQUIRE(idmap_map_range_with_constraints(
              map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_READ_ONLY |
                           IDMAP_ATTR_VALID,
              IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    REQUIRE(idmap_table_count(map) == 5);
    REQUIRE(state.in_use == 5);

    /* Walk RAM: 63 blocks + 512 pages of the split block, all valid and identity. */
    c.valid = c.invalid = 0;
    r = idmap_region(RAM_BASE, (uint64_t)RAM_BASE + RAM_SIZE);
    REQUIRE(idmap_walk_range(map, &r, count, &c) == IDMAP_OK);
    REQUIRE(c.valid == 63 + 512);
    REQUIRE(c.invalid == 0);

    /* Out of pages on purpose: a page at 4 GiB would need two more tables, one is left. */
    state.limit = state.in_use + 1;
    before = idmap_table_count(map);
    r = idmap_region(0x100000000ull, 0x100000000ull + PAGE_SIZE);
    REQUIRE(idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) ==
          IDMAP_ERR_OUT_OF_MEMORY);
    REQUIRE(idmap_last_error(map)->status == IDMAP_ERR_OUT_OF_MEMORY);
    REQUIRE(idmap_table_count(map) == before);
    REQUIRE(state.in_use == before); /* the page taken for the failed call came back */
    c.valid = c.invalid = 0;
    REQUIRE(idmap_walk_range(map, &r, count, &c) == IDMAP_OK);
    REQUIRE(c.valid == 0);

    /* With room again it works. */
    state.limit = POOL_PAGES;
    REQUIRE(idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK);
    REQUIRE(idmap_table_count(map) == before + 2);

    REQUIRE(idmap_activate(map) == IDMAP_OK);
    idmap_free(map);
    REQUIRE(state.in_use == 0);
    REQUIRE(state.bad_frees == 0);

    /* A pool with no page at all: no map. */
    state.limit = 0;
    REQUIRE(idmap_new_with_allocator(1, 1, &alloc) == NULL);
    REQUIRE(state.in_use == 0);

    printf("static_pool: ok\n");
    return 0;
}
