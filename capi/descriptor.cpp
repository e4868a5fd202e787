// The C ABI's descriptor accessors, over aarch64_paging::Descriptor.
#include "aarch64_paging/descriptor.hpp"
#include "idmap.h"

using aarch64_paging::Attributes;
using aarch64_paging::Descriptor;

extern "C" {

uint64_t idmap_descriptor_flags(const idmap_descriptor_t* d) {
    return d != nullptr ? bits(Descriptor(d->bits).flags()) : 0;
}

uint64_t idmap_descriptor_output_address(const idmap_descriptor_t* d) {
    return d != nullptr ? Descriptor(d->bits).output_address().value() : 0;
}

bool idmap_descriptor_is_valid(const idmap_descriptor_t* d) {
    return d != nullptr && Descriptor(d->bits).is_valid();
}

bool idmap_descriptor_is_table_or_page(const idmap_descriptor_t* d) {
    return d != nullptr && Descriptor(d->bits).is_table_or_page();
}

idmap_status_t idmap_descriptor_modify_flags(idmap_descriptor_t* d, uint64_t set, uint64_t clear) {
    if (d == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    Descriptor entry(d->bits);
    const aarch64_paging::Result result = entry.modify_flags(Attributes(set), Attributes(clear));
    d->bits = entry.bits();
    return static_cast<idmap_status_t>(result.status());
}

}  // extern "C"
