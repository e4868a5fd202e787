/* host_main.c - the host program the outside-project checks (check_idmap_mk.sh,
 * check_cmake.sh) build against the library and run. */
#include <idmap.h>

int main(void)
{
    idmap_region_t r = idmap_region(0x80200000u, 0x80400000u);
    idmap_t *map = idmap_new(1, 1);
    if (map == NULL || idmap_version() != IDMAP_VERSION)
        return 1;
    if (idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) != IDMAP_OK)
        return 2;
    if (idmap_table_count(map) < 2)
        return 3;
    idmap_free(map);
    return 0;
}
