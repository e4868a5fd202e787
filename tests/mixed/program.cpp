// A C++ program of its own build (speed or size, AARCH64_PAGING_SIZE_BUILD) over a library
// of either build: the core's templates it instantiates, those the library holds and the
// library's functions must make one program (tools/check_mixed_build.sh). Exits 0 when
// the map it builds reads back as built.
#include <stdio.h>

#include "aarch64_paging/idmap.hpp"

using namespace aarch64_paging;

int main() {
    IdMap map(1, 1);
    const MemoryRegion region(0x4000'0000, 0x4040'1000);  // two 2 MiB blocks, a table with a page
    Result r = map.map_range(region, Attributes::NORMAL | Attributes::VALID);
    // modify_range and walk_range are templates over the callback: instantiated here.
    r = r.is_ok() ? map.mapping().modify_range(region,
                                               [](const MemoryRegion&, Descriptor& d, unsigned) {
                                                   return d.modify_flags(Attributes::READ_ONLY, Attributes::EMPTY).is_ok();
                                               })
                  : r;
    unsigned leaves = 0;
    unsigned read_only = 0;
    r = r.is_ok() ? map.mapping().walk_range(region,
                                             [&](const MemoryRegion&, Descriptor d, unsigned) {
                                                 ++leaves;
                                                 read_only += contains(d.flags(), Attributes::READ_ONLY) ? 1 : 0;
                                                 return true;
                                             })
                  : r;
    char text[128];
    r.error().format(text, sizeof text);  // a function of the library
    printf("%s build program: %s, %u leaves (%u read-only), %zu tables\n",
           SIZE_BUILD ? "size" : "speed", text, leaves, read_only, map.table_count());
    return r.is_ok() && leaves == 3 && read_only == 3 && map.table_count() == 3 ? 0 : 1;
}
