// IdMap: an identity map (every virtual address maps to the same physical address) over
// the generic core, owning its tables for its lifetime. The crate's IdMap, in C++.
//
//   aarch64_paging::IdMap map(1, 1);           // ASID 1, root level 1: 512 GiB
//   if (!map.is_valid()) ...                    // no page for the root table
//   Result r = map.map_range(MemoryRegion(0x80200000, 0x80400000),
//                            Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::VALID);
#ifndef AARCH64_PAGING_IDMAP_HPP
#define AARCH64_PAGING_IDMAP_HPP

#include <stdint.h>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/region.hpp"
#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

class IdMap {
public:
    // An empty map with its root table at root_level (0 to 3), ASID asid (16 bits), table
    // pages from allocator. is_valid() is false, and every call answers InvalidArgument,
    // when the arguments are bad or there was no page for the root; init_result() says why.
    IdMap(uint64_t asid, unsigned root_level, const PageAllocator& allocator = default_page_allocator())
        : init_result_(mapping_.init(asid, root_level, allocator)) {}
    // Deactivates the map if it is active and returns every table page.
    ~IdMap() { mapping_.release(); }
    IdMap(const IdMap&) = delete;
    IdMap& operator=(const IdMap&) = delete;

    bool is_valid() const { return mapping_.is_initialised(); }
    const Result& init_result() const { return init_result_; }

    // Errors: see Mapping::map_range.
    [[nodiscard]] Result map_range(const MemoryRegion& range, Attributes flags) {
        return map_range_with_constraints(range, flags, Constraints::NONE);
    }
    [[nodiscard]] Result map_range_with_constraints(const MemoryRegion& range, Attributes flags,
                                                    Constraints constraints) {
        return mapping_.map_range(range, PhysicalAddress(range.start().value()), flags, constraints);
    }
    // fn(const MemoryRegion&, Descriptor&, unsigned level) -> bool. Errors: see
    // Mapping::modify_range.
    template <class F>
    [[nodiscard]] Result modify_range(const MemoryRegion& range, F&& fn) {
        return mapping_.modify_range(range, fn);
    }
    // fn(const MemoryRegion&, Descriptor, unsigned level) -> bool. Errors: see
    // Mapping::walk_range.
    template <class F>
    [[nodiscard]] Result walk_range(const MemoryRegion& range, F&& fn) const {
        return mapping_.walk_range(range, fn);
    }

    // Errors: AlreadyActive.
    [[nodiscard]] Result activate() { return mapping_.activate(); }
    // Errors: NotActive.
    [[nodiscard]] Result deactivate() { return mapping_.deactivate(); }
    bool is_active() const { return mapping_.is_active(); }

    PhysicalAddress root_address() const { return mapping_.root_address(); }
    uint64_t size() const { return mapping_.size(); }
    size_t table_count() const { return mapping_.table_count(); }
    void dump(TextWriter& out) const { mapping_.dump(out); }

    // The core, for what IdMap does not wrap (enable_mmu, for_each_table, ...).
    Mapping<>& mapping() { return mapping_; }
    const Mapping<>& mapping() const { return mapping_; }

private:
    Mapping<> mapping_;
    Result init_result_;
};

}  // namespace aarch64_paging

#endif
