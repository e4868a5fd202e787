/* board_main.c - the board program the outside-project checks (check_idmap_mk.sh,
 * check_cmake.sh) build against the library. Freestanding: no libc, no C runtime, linked
 * with -nostdlib. Not run there (make test-target boots real programs); the link proves the
 * library is self-contained. */
#include <idmap.h>

void _start(void);
volatile uint32_t result;

void _start(void)
{
    idmap_region_t r = idmap_region(0x40000000u, 0x40400000u);
    idmap_t *map = idmap_new(1, 1);
    uint32_t status = 1;
    if (map != NULL && idmap_version() == IDMAP_VERSION &&
        idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK)
        status = idmap_enable_mmu(map) == IDMAP_OK ? 0 : 2;
    result = status;
    for (;;) {
    }
}
