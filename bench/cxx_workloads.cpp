// W5 and W6 through the C++ API: the same core and tables as the C rows (the map is
// the bench's idmap_t, whose core a C++ kernel would hold as an IdMap), with the
// callback a lambda the compiler inlines, as a C++ caller writes it and as the Rust
// crate's closures are. The C rows pay an indirect call per entry; these do not.
#include "aarch64_paging/mapping.hpp"
#include "handle.hpp"

using aarch64_paging::Attributes;
using aarch64_paging::Descriptor;
using aarch64_paging::MemoryRegion;

namespace {
constexpr uint64_t kGiB = uint64_t{1} << 30;
}  // namespace

extern "C" int bench_cxx_w5(idmap_t* map, uint64_t* calls) {
    uint64_t n = 0;
    const aarch64_paging::Result r =
        map->mapping.modify_range(MemoryRegion(kGiB, 2 * kGiB), [&n](const MemoryRegion&, Descriptor& d, unsigned) {
            ++n;
            d = Descriptor(d.bits() | bits(Attributes::SWFLAG_0));
            return true;
        });
    *calls = n;
    return static_cast<int>(r.status());
}

extern "C" int bench_cxx_w6(const idmap_t* map, uint64_t* calls, uint64_t* valid) {
    uint64_t n = 0;
    uint64_t v = 0;
    const aarch64_paging::Result r =
        map->mapping.walk_range(MemoryRegion(kGiB, 2 * kGiB), [&](const MemoryRegion&, Descriptor d, unsigned) {
            ++n;
            v += d.bits() & 1;
            return true;
        });
    *calls = n;
    *valid = v;
    return static_cast<int>(r.status());
}
