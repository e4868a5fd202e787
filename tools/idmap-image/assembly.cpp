// assembly.cpp - writes a table image as assembly (assembly.hpp says what it defines).
#include "assembly.hpp"

#include <stdio.h>

#include "idmap.h"
#include "put.hpp"

namespace idmap_image {

namespace {


using ull = unsigned long long;

void global_object(std::string& out, const char* name) {
    put(out, "    .global %s\n    .type %s, %%object\n%s:\n", name, name, name);
}

// What differs between the regimes in the enable routine.
struct RegimeCode {
    const char* el;     // system register suffix
    unsigned ps_shift;  // TCR.IPS (two VA ranges) or TCR.PS
    bool as_bit;        // TCR.AS exists (regimes with ASIDs)
    const char* tlbi;   // invalidates the regime on this core
};

RegimeCode regime_code(Regime r) {
    switch (r) {
    case Regime::El2: return {"el2", 16, false, "alle2"};
    case Regime::El20: return {"el2", 32, true, "alle2"};
    case Regime::El3: return {"el3", 16, false, "alle3"};
    case Regime::El1: break;
    }
    return {"el1", 32, true, "vmalle1"};
}

void tables_section(std::string& out, const TableImage& image, bool relocatable) {
    put(out, "    .section %s\n    .balign 4096\n",
        relocatable ? ".data.idmap_image_tables, \"aw\"" : ".idmap_tables, \"a\"");
    global_object(out, "idmap_image_tables");
    for (size_t t = 0; t < image.tables.size(); ++t) {
        const TableInfo& info = image.tables[t];
        put(out, "// table %zu%s: level %u, from VA 0x%llx, at %s0x%llx\n", t, t == 0 ? " (root)" : "", info.level,
            static_cast<ull>(info.va), relocatable ? "base + " : "", static_cast<ull>(image.base + t * kPageSize));
        unsigned zeros = 0;
        for (unsigned i = 0; i <= kEntries; ++i) {
            const uint64_t d = i < kEntries ? image.descriptors[t * kEntries + i] : 1;
            if (d == 0) {
                ++zeros;
                continue;
            }
            if (zeros != 0) {
                put(out, "    .zero %u\n", zeros * 8);
                zeros = 0;
            }
            if (i < kEntries) {
                put(out, "    .quad 0x%016llx  // [%u] VA 0x%llx\n", static_cast<ull>(d), i,
                    static_cast<ull>(info.va + i * level_size(info.level)));
            }
        }
    }
    put(out, "    .size idmap_image_tables, . - idmap_image_tables\n\n");
}

void data_section(std::string& out, const MemoryMap& map, const TableImage& image, bool relocatable,
                  const Sha256Digest& digest) {
    put(out, "    .section .rodata.idmap_image, \"a\"\n    .balign 8\n");
    const struct {
        const char* name;
        uint64_t value;
    } values[] = {
        {"idmap_image_pages", image.pages()},
        {"idmap_image_mair", image.mair},
        {"idmap_image_tcr", image.tcr},
        {"idmap_image_ttbr", image.ttbr},
        {"idmap_image_sctlr_set", image.sctlr_set},
        {"idmap_image_sctlr_clear", image.sctlr_clear},
        {"idmap_image_regime", static_cast<uint64_t>(map.regime)},
        {"idmap_image_root_level", map.root_level},
        {"idmap_image_asid", map.asid},
        {"idmap_image_region_count", map.regions.size()},
    };
    for (const auto& v : values) {
        global_object(out, v.name);
        put(out, "    .quad 0x%llx\n    .size %s, 8\n", static_cast<ull>(v.value), v.name);
    }
    global_object(out, "idmap_image_regions");
    for (const Region& r : map.regions) {
        put(out, "    .quad 0x%llx, 0x%llx, 0x%llx, 0x%x  // line %u%s%s\n", static_cast<ull>(r.start),
            static_cast<ull>(r.end), static_cast<ull>(r.flags), r.constraints, r.line, r.name.empty() ? "" : ": ",
            r.name.c_str());
    }
    put(out, "    .size idmap_image_regions, . - idmap_image_regions\n");
    global_object(out, "idmap_image_sha256");
    for (size_t i = 0; i < digest.size(); ++i) {
        put(out, "%s0x%02x%s", i % 16 == 0 ? "    .byte " : "", digest[i], i % 16 == 15 ? "\n" : ", ");
    }
    put(out, "    .size idmap_image_sha256, 32\n");
    if (relocatable) {
        global_object(out, "idmap_image_reloc_count");
        put(out, "    .quad %zu\n    .size idmap_image_reloc_count, 8\n", image.relocs.size());
        put(out, "    .balign 4\n");
        global_object(out, "idmap_image_relocs");
        for (uint32_t offset : image.relocs) {
            put(out, "    .word 0x%x\n", offset);
        }
        put(out, "    .size idmap_image_relocs, . - idmap_image_relocs\n");
    } else {
        put(out, "    .global idmap_image_tables_pa\n    .set idmap_image_tables_pa, 0x%llx\n",
            static_cast<ull>(image.base));
    }
    put(out, "\n");
}

void function(std::string& out, const char* name) {
    put(out, "    .global %s\n    .type %s, %%function\n%s:\n", name, name, name);
}

// int enable(x0 = the tables' address): the MMU on from off, as the library's
// enable_mmu does, with the registers of the image.
void enable_routine(std::string& out, const MemoryMap& map, const TableImage& image) {
    const RegimeCode rc = regime_code(map.regime);
    put(out, ".Lidmap_image_enable:\n");
    put(out, "    mrs     x5, sctlr_%s\n", rc.el);
    put(out, "    tbnz    x5, #0, 9f                  // the MMU is on already: refuse\n");
    put(out, "    tst     x0, #0xfff\n    b.ne    9f                          // tables not 4 KiB aligned\n");
    put(out, "    ldr     x1, =0x%llx\n", static_cast<ull>(image.ttbr & ~kOutputAddressMask));
    put(out, "    orr     x1, x1, x0                  // TTBR0: table 0 is the root\n");
    put(out, "    ldr     x2, =0x%llx\n", static_cast<ull>(image.tcr));
    put(out,
        "    // The CPU's part of TCR, as idmap_mmu_config() takes it from ID_AA64MMFR0_EL1: the\n"
        "    // PA size (PARange, at most 48 bits) and, where there are ASIDs, their width.\n");
    put(out, "    mrs     x3, id_aa64mmfr0_el1\n    and     x4, x3, #0xf\n    cmp     x4, #5\n");
    put(out, "    mov     x6, #5\n    csel    x4, x4, x6, ls\n    orr     x2, x2, x4, lsl #%u\n", rc.ps_shift);
    if (rc.as_bit) {
        put(out, "    ubfx    x4, x3, #4, #4\n    cmp     x4, #2                      // 16-bit ASIDs\n");
        put(out, "    b.ne    1f\n    orr     x2, x2, #(1 << 36)          // TCR.AS\n1:\n");
    }
    put(out,
        "    // Written with the data cache off, the tables are in memory; clean and invalidate\n"
        "    // their lines to the point of coherency, so that the walker reads memory.\n");
    put(out, "    mrs     x6, ctr_el0\n    ubfx    x6, x6, #16, #4\n    mov     x7, #4\n");
    put(out, "    lsl     x7, x7, x6                  // the smallest data cache line\n");
    put(out, "    mov     x8, x0\n    ldr     x9, =0x%llx\n    add     x9, x0, x9\n",
        static_cast<ull>(image.pages() * kPageSize));
    put(out, "2:  dc      civac, x8\n    add     x8, x8, x7\n    cmp     x8, x9\n    b.lo    2b\n");
    put(out, "    dsb     sy\n");
    put(out, "    ldr     x6, =0x%llx\n    msr     mair_%s, x6\n", static_cast<ull>(image.mair), rc.el);
    put(out, "    msr     tcr_%s, x2\n    msr     ttbr0_%s, x1\n    isb\n", rc.el, rc.el);
    put(out, "    tlbi    %s\n    ic      iallu\n    dsb     nsh\n    isb\n", rc.tlbi);
    put(out, "    ldr     x6, =0x%llx\n    orr     x5, x5, x6\n", static_cast<ull>(image.sctlr_set));
    put(out, "    ldr     x6, =0x%llx\n    bic     x5, x5, x6\n", static_cast<ull>(image.sctlr_clear));
    put(out, "    msr     sctlr_%s, x5\n    isb\n    mov     w0, #0\n    ret\n", rc.el);
    put(out, "9:  mov     w0, #-1\n    ret\n");
}

void code_section(std::string& out, const MemoryMap& map, const TableImage& image, bool relocatable) {
    put(out, "    .section .text.idmap_image, \"ax\"\n    .balign 4\n");
    if (relocatable) {
        put(out, "// void idmap_image_relocate(uint64_t base): adds base to every table descriptor.\n");
        function(out, "idmap_image_relocate");
        put(out, "    adrp    x1, idmap_image_relocs\n    add     x1, x1, :lo12:idmap_image_relocs\n");
        put(out, "    ldr     x2, =%zu\n    cbz     x2, 2f\n", image.relocs.size());
        put(out, "1:  ldr     w3, [x1], #4                // where a table descriptor is\n");
        put(out, "    ldr     x4, [x0, x3]\n    add     x4, x4, x0\n    str     x4, [x0, x3]\n");
        put(out, "    subs    x2, x2, #1\n    b.ne    1b\n2:  ret\n");
        put(out, "    .size idmap_image_relocate, . - idmap_image_relocate\n\n");
        put(out, "// int idmap_image_enable_mmu_at(uint64_t base): the tables, relocated, at base.\n");
        function(out, "idmap_image_enable_mmu_at");
    } else {
        put(out, "// int idmap_image_enable_mmu(void): the tables at their linked address.\n");
        function(out, "idmap_image_enable_mmu");
        put(out, "    ldr     x0, =idmap_image_tables\n");
    }
    enable_routine(out, map, image);
    put(out, "    .ltorg\n    .size %s, . - %s\n", relocatable ? "idmap_image_enable_mmu_at" : "idmap_image_enable_mmu",
        relocatable ? "idmap_image_enable_mmu_at" : "idmap_image_enable_mmu");
}

}  // namespace

std::string assembly_source(const MemoryMap& map, const TableImage& image, bool relocatable,
                            const Sha256Digest& digest) {
    std::string out;
    put(out, "// Generated by idmap-image (libidmap %u.%u.%u): do not edit.\n", IDMAP_VERSION_MAJOR,
        IDMAP_VERSION_MINOR, IDMAP_VERSION_PATCH);
    put(out, "// The translation tables of %s: %s, root level %u, ASID %llu, %zu table page%s, %s.\n",
        map.board.empty() ? "a memory map" : map.board.c_str(), regime_name(map.regime), map.root_level,
        static_cast<ull>(map.asid), image.pages(), image.pages() == 1 ? "" : "s",
        relocatable ? "relocatable (idmap_image_relocate)" : "absolute");
    put(out, "// sha256 %s (the absolute image at 0x%llx)\n", to_hex(digest).c_str(),
        static_cast<ull>(map.tables_base));
    put(out, "// Symbols: tools/idmap-image/idmap_image.h.\n\n");
    tables_section(out, image, relocatable);
    data_section(out, map, image, relocatable, digest);
    code_section(out, map, image, relocatable);
    return out;
}

}  // namespace idmap_image
