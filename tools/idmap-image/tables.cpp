// tables.cpp - builds a memory map's tables with the library and lays them out at their
// final addresses (tables.hpp says how).
//
// Through the C ABI (idmap.h), the contract: the same calls a C bootloader would make
// for the same map, so that what runs here is what would run there.
#include "tables.hpp"

#include <stdlib.h>

#include "idmap.h"

namespace idmap_image {

namespace {

// The buffer the library's pages come from: enough for any map worth building. It is
// zeroed by calloc, which leaves pages never touched unbacked.
constexpr size_t kBufferPages = 16384;

// Hands out the buffer's pages in order and never reuses one (map_range frees no
// table), so page i is the i-th table the library took: table i of the image.
struct PageBuffer {
    void* raw = nullptr;
    uint8_t* pages = nullptr;
    size_t used = 0;

    PageBuffer() {
        raw = calloc(kBufferPages + 1, kPageSize);
        if (raw != nullptr) {
            pages = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw) + kPageSize - 1) & ~(kPageSize - 1));
        }
    }
    ~PageBuffer() { free(raw); }
    PageBuffer(const PageBuffer&) = delete;
    PageBuffer& operator=(const PageBuffer&) = delete;

    static void* alloc(void* ctx) {
        auto* b = static_cast<PageBuffer*>(ctx);
        return b->used < kBufferPages ? b->pages + kPageSize * b->used++ : nullptr;
    }
    static void release(void*, void*) {}
    // On the host the library's table addresses are pointers: which page is at pa.
    size_t index(uint64_t pa) const {
        return static_cast<size_t>((pa - reinterpret_cast<uintptr_t>(pages)) / kPageSize);
    }
    const uint64_t* table(uint64_t pa) const {
        return reinterpret_cast<const uint64_t*>(pages + kPageSize * index(pa));
    }
};

bool is_table(uint64_t descriptor, unsigned level) {
    return level < kLeafLevel && (descriptor & 3) == 3;
}

// Copies the tree below the table at pa (at level, translating from va) into the image,
// each table descriptor pointing where its table will be.
void serialise(const PageBuffer& buf, uint64_t pa, unsigned level, uint64_t va, uint64_t base, TableImage& image) {
    const size_t index = buf.index(pa);
    const uint64_t* table = buf.table(pa);
    image.tables[index] = TableInfo{level, va};
    for (unsigned i = 0; i < kEntries; ++i) {
        const uint64_t d = table[i];
        uint64_t& out = image.descriptors[index * kEntries + i];
        if (!is_table(d, level)) {
            out = d;
            continue;
        }
        const uint64_t sub = d & kOutputAddressMask;
        out = (d & ~kOutputAddressMask) | (base + buf.index(sub) * kPageSize);
        image.relocs.push_back(static_cast<uint32_t>((index * kEntries + i) * sizeof(uint64_t)));
        serialise(buf, sub, level + 1, va + i * level_size(level), base, image);
    }
}

// idmap_walk_range's callback: every valid leaf, runs of like ones folded (an identity
// map: each leaf maps itself).
int collect_leaf(const idmap_region_t* region, const idmap_descriptor_t* d, unsigned level, void* ctx) {
    auto& leaves = *static_cast<std::vector<LeafRun>*>(ctx);
    if ((d->bits & IDMAP_ATTR_VALID) == 0) {
        return 0;
    }
    const uint64_t flags = idmap_descriptor_flags(d);
    LeafRun* last = leaves.empty() ? nullptr : &leaves.back();
    if (last != nullptr && last->end == region->start && last->level == level && last->flags == flags) {
        last->end = region->end;
        ++last->count;
    } else {
        leaves.push_back(LeafRun{region->start, region->end, flags, level, 1});
    }
    return 0;
}

std::string why(const idmap_t* map) {
    char line[160];
    idmap_format_error(idmap_last_error(map), line, sizeof line);
    return line;
}

}  // namespace

std::vector<uint8_t> TableImage::bytes() const {
    std::vector<uint8_t> out(descriptors.size() * sizeof(uint64_t));
    for (size_t i = 0; i < descriptors.size(); ++i) {
        for (unsigned b = 0; b < 8; ++b) {
            out[i * 8 + b] = static_cast<uint8_t>(descriptors[i] >> (8 * b));
        }
    }
    return out;
}

bool build_tables(const MemoryMap& map, bool relocatable, TableImage& image, std::string& error) {
    image = TableImage{};
    PageBuffer buf;
    if (buf.pages == nullptr) {
        error = "out of host memory";
        return false;
    }
    const idmap_allocator_t allocator{&PageBuffer::alloc, &PageBuffer::release, &buf};
    const idmap_config_t config{
        static_cast<idmap_regime_t>(map.regime), IDMAP_VA_RANGE_LOWER, map.asid, map.root_level, 0, &allocator};
    idmap_t* m = idmap_new_with_config(&config);
    if (m == nullptr) {
        error = "the library refused the map's root_level, regime and asid";
        return false;
    }
    for (const Region& region : map.regions) {
        const idmap_region_t range = idmap_region(region.start, region.end);
        if (idmap_map_range_with_constraints(m, &range, region.flags, region.constraints) != IDMAP_OK) {
            error = "line " + std::to_string(region.line) + ": " + why(m);
            idmap_free(m);
            return false;
        }
    }
    if (buf.used != idmap_table_count(m) || buf.used > map.max_pages) {
        error = "the map needs " + std::to_string(buf.used) + " table pages; the tables line allows " +
                std::to_string(map.max_pages);
        idmap_free(m);
        return false;
    }

    image.base = relocatable ? 0 : map.tables_base;
    image.descriptors.assign(buf.used * kEntries, 0);
    image.tables.resize(buf.used);
    serialise(buf, idmap_root_address(m), map.root_level, 0, image.base, image);

    // The CPU's fields come from the enable routine: ask for none here (PARange 0) but
    // 16-bit ASIDs, so that any ASID passes, then drop AS again.
    idmap_mmu_config_t mmu{};
    if (idmap_mmu_config(m, uint64_t{2} << 4, &mmu) != IDMAP_OK) {
        error = "idmap_mmu_config refused the map";
        idmap_free(m);
        return false;
    }
    image.mair = mmu.mair;
    image.tcr = mmu.tcr & ~(uint64_t{1} << 36);
    image.ttbr = image.base | (map.asid << 48);
    image.sctlr_set = mmu.sctlr_set;
    image.sctlr_clear = mmu.sctlr_clear;

    const idmap_region_t all = idmap_region(0, idmap_size(m));
    (void)idmap_walk_range(m, &all, collect_leaf, &image.leaves);
    idmap_free(m);
    return true;
}

void relocate(std::vector<uint8_t>& bytes, const std::vector<uint32_t>& relocs, uint64_t base) {
    for (uint32_t offset : relocs) {
        uint64_t v = 0;
        for (unsigned b = 0; b < 8; ++b) {
            v |= uint64_t{bytes[offset + b]} << (8 * b);
        }
        v += base;
        for (unsigned b = 0; b < 8; ++b) {
            bytes[offset + b] = static_cast<uint8_t>(v >> (8 * b));
        }
    }
}

}  // namespace idmap_image
