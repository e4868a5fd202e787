// The export of the applied map (export.hpp): one walk of the leaves in address order,
// merged into regions as they come, each handed on to the array, the devicetree writer or
// the UEFI list; nothing is stored but the region being built.
#include "aarch64_paging/export.hpp"

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/granule.hpp"

namespace aarch64_paging {

namespace {

using G = Granule4K;

// What may change from leaf to leaf within a region: the output address, the page/block
// bit (a block followed by the pages of a split) and the contiguous bit.
constexpr uint64_t MAY_DIFFER = G::output_address_mask | uint64_t{1} << 1 | uint64_t{1} << 52;

// A stage-2 MemAttr[3:0] as HCR_EL2.FWB = 0 reads it (D8.5): 0b00xx Device; else Normal,
// the lesser of the outer (bits 3:2) and inner (1:0) cacheability, 0b01 Non-cacheable,
// 0b10 Write-Through, 0b11 Write-Back, the reserved inner 0b00 read as Non-cacheable (as
// memory_type() reads a MAIR byte).
MemoryType stage2_memory_type(unsigned mem_attr) {
    const unsigned outer = mem_attr >> 2;
    const unsigned inner = (mem_attr & 3) != 0 ? mem_attr & 3 : 1;
    return static_cast<MemoryType>(outer == 0 ? 0 : outer < inner ? outer : inner);
}

ExportRegion region_of(uint64_t bits, unsigned level, uint64_t va, uint64_t pa, const ExportOptions& o) {
    // What the bits would allow were the entry valid.
    const Access a = leaf_access(bits | 1, o.regime);
    uint32_t flags = 0;
    flags |= (bits & 1) != 0 ? export_flags::VALID : 0;
    flags |= a.write ? 0 : export_flags::READ_ONLY;
    flags |= a.execute ? 0 : export_flags::EXECUTE_NEVER;
    flags |= a.user_read ? export_flags::USER : 0;
    flags |= a.user_execute ? export_flags::USER_EXECUTE : 0;
    flags |= has_two_privilege_levels(o.regime) && (bits & uint64_t{1} << 11) != 0 ? export_flags::NON_GLOBAL : 0;
    flags |= (bits & uint64_t{1} << 10) != 0 ? export_flags::ACCESSED : 0;
    ExportRegion r;
    r.va_start = va;
    r.va_end = va + G::level_size(level);
    r.pa_start = pa;
    r.descriptor = bits;
    r.flags = flags;
    if (is_stage2(o.regime)) {
        const unsigned mem_attr = static_cast<unsigned>(bits >> 2) & 0xf;
        r.memory_type = stage2_memory_type(mem_attr);
        r.attr_index = static_cast<uint8_t>(mem_attr);
    } else {
        r.memory_type = descriptor_memory_type(bits, o.mair);
        r.attr_index = static_cast<uint8_t>(attr_index(bits));
    }
    r.shareability = static_cast<uint8_t>((bits >> 8) & 3);
    r.level = static_cast<uint8_t>(level);
    return r;
}

// Calls fn(const ExportRegion&) for every region of mapping, in address order.
template <class F>
void for_each_region(const Mapping<>& mapping, const ExportOptions& options, F&& fn) {
    // A stage-2 mapping's IPA regions too: the walk takes every table of its root.
    if (!mapping.is_initialised()) {
        return;
    }
    ExportRegion open;
    bool is_open = false;
    // Never fails: the region is the mapping's own (in the upper range its end is 0, 2^64)
    // and the callback always goes on.
    const MemoryRegion all(mapping.va_base(), mapping.va_base() + mapping.size());
    (void)mapping.walk_range(all, indirect([&](const MemoryRegion& leaf, Descriptor d, unsigned level) {
        const uint64_t bits = d.bits();
        const uint64_t va = leaf.start().value();
        // An invalid entry maps nothing: no output address to follow on from the last.
        const uint64_t pa = d.is_valid() ? d.output_address().value() & ~(G::level_size(level) - 1) : 0;
        if (is_open && (bits == 0 || va != open.va_end || pa != open.pa_start + (d.is_valid() ? va - open.va_start : 0) ||
                        ((bits ^ open.descriptor) & ~MAY_DIFFER) != 0)) {
            fn(static_cast<const ExportRegion&>(open));
            is_open = false;
        }
        if (bits == 0) {
            return true;
        }
        if (is_open) {
            open.va_end = leaf.end().value();
        } else {
            open = region_of(bits, level, va, pa, options);
            is_open = true;
        }
        return true;
    }));
    if (is_open) {
        fn(static_cast<const ExportRegion&>(open));
    }
}

// A devicetree node name: 1 to 31 of letters, digits and ",._+-" (Devicetree
// Specification, "Node Names").
bool valid_node_name(const char* name) {
    if (name == nullptr) {
        return false;
    }
    size_t n = 0;
    for (; name[n] != '\0'; ++n) {
        const char c = name[n];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ',' ||
                        c == '.' || c == '_' || c == '+' || c == '-';
        if (!ok || n >= 31) {
            return false;
        }
    }
    return n != 0;
}

// A 64-bit value as two devicetree cells, high first.
TextWriter& cells(TextWriter& out, uint64_t value) {
    return out.hex(value >> 32).chr(' ').hex(value & 0xffffffffu);
}

const char* regime_name(TranslationRegime regime) {
    switch (regime) {
        case TranslationRegime::El1And0: return "el1&0";
        case TranslationRegime::El2: return "el2";
        case TranslationRegime::El2And0: return "el2&0";
        case TranslationRegime::El3: return "el3";
        case TranslationRegime::Stage2: break;  // not exported (memory_types_exportable)
    }
    return "unknown";
}

void write_node(TextWriter& out, const ExportRegion& r) {
    static constexpr const char* memory_types[4] = {"device", "normal-nc", "normal-wt", "normal-wb"};
    static constexpr const char* shareability[4] = {"non", "reserved", "outer", "inner"};
    out.str("\n\tregion@");
    // The unit address: hex without "0x" or leading zeros.
    char digits[16];
    unsigned n = 0;
    uint64_t v = r.va_start;
    do {
        digits[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    while (n > 0) {
        out.chr(digits[--n]);
    }
    out.str(" {\n\t\treg = <");
    cells(out, r.va_start).chr(' ');
    cells(out, r.va_end - r.va_start).str(">;\n\t\toutput-address = <");
    cells(out, r.pa_start).str(">;\n\t\tdescriptor = <");
    cells(out, r.descriptor).str(">;\n\t\tlevel = <").hex(r.level).str(">;\n");
    out.str("\t\tmemory-type = \"").str(memory_types[static_cast<unsigned>(r.memory_type) & 3]).str("\";\n");
    out.str("\t\tattr-index = <").hex(r.attr_index).str(">;\n");
    out.str("\t\tshareability = \"").str(shareability[r.shareability & 3]).str("\";\n");
    struct Named {
        uint32_t flag;
        bool when_set;
        const char* line;
    };
    static constexpr Named booleans[] = {
        {export_flags::READ_ONLY, true, "\t\tread-only;\n"},
        {export_flags::EXECUTE_NEVER, true, "\t\texecute-never;\n"},
        {export_flags::USER, true, "\t\tuser;\n"},
        {export_flags::USER_EXECUTE, true, "\t\tuser-execute;\n"},
        {export_flags::NON_GLOBAL, true, "\t\tnon-global;\n"},
        {export_flags::ACCESSED, false, "\t\tno-access-flag;\n"},
        {export_flags::VALID, false, "\t\tinvalid;\n"},
    };
    for (const Named& b : booleans) {
        if (((r.flags & b.flag) != 0) == b.when_set) {
            out.str(b.line);
        }
    }
    out.str("\t};\n");
}

EfiMemoryDescriptor efi_of(const ExportRegion& r) {
    static constexpr uint64_t cacheability[4] = {efi::MEMORY_UC, efi::MEMORY_WC, efi::MEMORY_WT, efi::MEMORY_WB};
    EfiMemoryDescriptor e;
    const bool valid = (r.flags & export_flags::VALID) != 0;
    if (!valid) {
        e.type = efi::RESERVED_MEMORY_TYPE;
    } else if (r.memory_type == MemoryType::Device) {
        e.type = efi::MEMORY_MAPPED_IO;
    } else if ((r.flags & export_flags::EXECUTE_NEVER) == 0) {
        e.type = efi::RUNTIME_SERVICES_CODE;
    } else {
        e.type = efi::RUNTIME_SERVICES_DATA;
    }
    e.physical_start = r.pa_start;
    e.virtual_start = r.va_start;
    e.number_of_pages = (r.va_end - r.va_start) >> G::page_shift;
    e.attribute = cacheability[static_cast<unsigned>(r.memory_type) & 3];
    e.attribute |= (r.flags & export_flags::READ_ONLY) != 0 ? efi::MEMORY_RO : 0;
    e.attribute |= (r.flags & export_flags::EXECUTE_NEVER) != 0 ? efi::MEMORY_XP : 0;
    e.attribute |= valid ? 0 : efi::MEMORY_RP;
    return e;
}

// The array behind the array forms of the exports: what fits, in order.
template <class T>
struct ArrayOut {
    T* out;
    size_t max;
    static void put(void* ctx, size_t n, const T& element) {
        const auto* a = static_cast<const ArrayOut*>(ctx);
        if (n < a->max) {
            a->out[n] = element;
        }
    }
};

}  // namespace

size_t for_each_export_region(const Mapping<>& mapping, ExportRegionFn fn, void* ctx, const ExportOptions& options) {
    size_t count = 0;
    for_each_region(mapping, options, [&](const ExportRegion& r) {
        if (fn != nullptr) {
            fn(ctx, count, r);
        }
        ++count;
    });
    return count;
}

size_t export_regions(const Mapping<>& mapping, ExportRegion* out, size_t max, const ExportOptions& options) {
    ArrayOut<ExportRegion> array{out, out != nullptr ? max : 0};
    return for_each_export_region(mapping, &ArrayOut<ExportRegion>::put, &array, options);
}

Result memory_types_exportable(const Mapping<>& mapping, const ExportOptions& options) {
    if (is_stage2(mapping.regime().regime) || is_stage2(options.regime)) {
        return MapError::invalid_argument(argument_reason::NOT_STAGE1,
                                          static_cast<uint16_t>(TranslationRegime::Stage2));
    }
    return {};
}

Result export_devicetree(const Mapping<>& mapping, const char* node_name, TextWriter& out,
                         const ExportOptions& options) {
    if (Result r = memory_types_exportable(mapping, options); !r) {
        return r;
    }
    if (!mapping.is_initialised() || !valid_node_name(node_name) || !is_known(options.regime)) {
        return Status::InvalidArgument;
    }
    out.str("/* idmap: ").str(regime_name(options.regime)).str(" stage 1, 4 KiB granule */\n");
    out.str(node_name).str(" {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n");
    out.str("\tregime = \"").str(regime_name(options.regime)).str("\";\n");
    for_each_region(mapping, options, [&](const ExportRegion& r) { write_node(out, r); });
    out.str("};\n");
    out.flush();
    return {};
}

size_t for_each_efi_descriptor(const Mapping<>& mapping, EfiDescriptorFn fn, void* ctx, const ExportOptions& options) {
    size_t count = 0;
    if (!memory_types_exportable(mapping, options)) {
        return count;
    }
    EfiMemoryDescriptor open;
    bool is_open = false;
    auto emit = [&]() {
        if (fn != nullptr) {
            fn(ctx, count, open);
        }
        ++count;
    };
    for_each_region(mapping, options, [&](const ExportRegion& r) {
        const EfiMemoryDescriptor e = efi_of(r);
        const uint64_t bytes = open.number_of_pages << G::page_shift;
        if (is_open && e.type == open.type && e.attribute == open.attribute &&
            e.physical_start == open.physical_start + bytes && e.virtual_start == open.virtual_start + bytes) {
            open.number_of_pages += e.number_of_pages;
            return;
        }
        if (is_open) {
            emit();
        }
        open = e;
        is_open = true;
    });
    if (is_open) {
        emit();
    }
    return count;
}

size_t export_efi(const Mapping<>& mapping, EfiMemoryDescriptor* out, size_t max, const ExportOptions& options) {
    ArrayOut<EfiMemoryDescriptor> array{out, out != nullptr ? max : 0};
    return for_each_efi_descriptor(mapping, &ArrayOut<EfiMemoryDescriptor>::put, &array, options);
}

}  // namespace aarch64_paging
