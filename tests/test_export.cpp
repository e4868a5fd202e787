// The export of the applied map (export.hpp, idmap_export_*): regions merged exactly where
// nothing but the address changes, the devicetree fragment word for word, the UEFI list,
// other memory types and regimes through the C++ options, the bounds of the arrays, an
// upper-range map at its own addresses, and a stage-2 map's regions by IPA (its devicetree
// and UEFI list refused, with the reason).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/export.hpp"
#include "aarch64_paging/linear_map.hpp"
#include "aarch64_paging/mapping.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

using namespace capi_test;

namespace {

constexpr uint64_t kRO = IDMAP_ATTR_READ_ONLY;
constexpr uint64_t kXN = IDMAP_ATTR_EXECUTE_NEVER;
constexpr uint64_t kDev = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID;

struct Region {
    uint64_t va_start, va_end, pa_start, bits;
    uint32_t flags;
    unsigned memory_type, level;
    bool operator==(const Region& o) const {
        return va_start == o.va_start && va_end == o.va_end && pa_start == o.pa_start && bits == o.bits &&
               flags == o.flags && memory_type == o.memory_type && level == o.level;
    }
};
std::ostream& operator<<(std::ostream& os, const Region& r) {
    return os << std::hex << "{0x" << r.va_start << "..0x" << r.va_end << " pa 0x" << r.pa_start << " bits 0x"
              << r.bits << " flags 0x" << r.flags << std::dec << " type " << r.memory_type << " L" << r.level
              << "}";
}

std::vector<Region> regions(const idmap_t* m) {
    const size_t n = idmap_export_regions(m, nullptr, 0);
    std::vector<idmap_export_region_t> raw(n);
    REQUIRE(idmap_export_regions(m, raw.data(), raw.size()) == n);
    std::vector<Region> out;
    for (const idmap_export_region_t& r : raw) {
        CHECK(r.attr_index == ((r.leaf_bits >> 2) & 7));
        CHECK(r.shareability == ((r.leaf_bits >> 8) & 3));
        out.push_back({r.va_start, r.va_end, r.pa_start, r.leaf_bits, r.flags, r.memory_type, r.level});
    }
    return out;
}

void append(void* ctx, const char* text, size_t len) { static_cast<std::string*>(ctx)->append(text, len); }

std::string devicetree(const idmap_t* m, const char* name = nullptr) {
    std::string out;
    REQUIRE(idmap_export_devicetree(m, name, append, &out) == IDMAP_OK);
    return out;
}

struct Efi {
    uint32_t type;
    uint64_t pa, va, pages, attr;
    bool operator==(const Efi& o) const {
        return type == o.type && pa == o.pa && va == o.va && pages == o.pages && attr == o.attr;
    }
};
std::ostream& operator<<(std::ostream& os, const Efi& e) {
    return os << std::hex << "{type " << std::dec << e.type << std::hex << " pa 0x" << e.pa << " va 0x" << e.va
              << " pages 0x" << e.pages << " attr 0x" << e.attr << std::dec << "}";
}

std::vector<Efi> efi(const idmap_t* m) {
    const size_t n = idmap_export_efi(m, nullptr, 0);
    std::vector<idmap_efi_memory_descriptor_t> raw(n);
    REQUIRE(idmap_export_efi(m, raw.data(), raw.size()) == n);
    std::vector<Efi> out;
    for (const idmap_efi_memory_descriptor_t& e : raw) {
        CHECK(e.pad == 0);
        out.push_back({e.type, e.physical_start, e.virtual_start, e.number_of_pages, e.attribute});
    }
    return out;
}

// The leaf bits map_range writes for flags at level.
uint64_t leaf(uint64_t pa, uint64_t flags, unsigned level) { return pa | leaf_flags(flags, level); }

constexpr uint32_t V = IDMAP_EXPORT_VALID;
constexpr uint32_t RO = IDMAP_EXPORT_READ_ONLY;
constexpr uint32_t XN = IDMAP_EXPORT_EXECUTE_NEVER;
constexpr uint32_t AF = IDMAP_EXPORT_ACCESSED;
constexpr uint32_t NG = IDMAP_EXPORT_NON_GLOBAL;
constexpr uint32_t UX = IDMAP_EXPORT_USER_EXECUTE;

}  // namespace

TEST_CASE("export: the UEFI descriptor has UEFI's layout", "[export]") {
    CHECK(sizeof(idmap_efi_memory_descriptor_t) == 40);
    CHECK(offsetof(idmap_efi_memory_descriptor_t, physical_start) == 8);
    CHECK(offsetof(idmap_efi_memory_descriptor_t, virtual_start) == 16);
    CHECK(offsetof(idmap_efi_memory_descriptor_t, number_of_pages) == 24);
    CHECK(offsetof(idmap_efi_memory_descriptor_t, attribute) == 32);
}

TEST_CASE("export: an empty map has no region", "[export]") {
    Map m = new_map(1, 1);
    CHECK(regions(m.get()).empty());
    CHECK(efi(m.get()).empty());
    CHECK(devicetree(m.get()) ==
          "/* idmap: el1&0 stage 1, 4 KiB granule */\n"
          "idmap {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tregime = \"el1&0\";\n};\n");
    CHECK(idmap_export_regions(nullptr, nullptr, 0) == 0);
    CHECK(idmap_export_efi(nullptr, nullptr, 0) == 0);
}

TEST_CASE("export: leaves merge where only the address changes", "[export]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0x09000000, 0x09002000, kDev | kXN);                 // two device pages
    require_map(m.get(), 0x40000000, 0x40200000, kRW | kRO);                  // code: a 2 MiB block
    require_map(m.get(), 0x40200000, 0x40205000, kRW | kXN);                  // data: 5 pages
    require_map(m.get(), 0x40205000, 0x40206000, kRW | kXN | kNG);            // nG: another region
    require_map(m.get(), 0x80000000, 0x80400000, kRW | kXN);                  // two blocks...
    require_map(m.get(), 0x80400000, 0x80401000, kRW | kXN);                  // ...and a page: one region
    require_map(m.get(), 0x80402000, 0x80403000, kRW | kXN);                  // after a hole: another
    const std::vector<Region> want = {
        {0x09000000, 0x09002000, 0x09000000, leaf(0x09000000, kDev | kXN, 3), V | XN | AF, IDMAP_MEMORY_DEVICE, 3},
        // UXN clear: executable at EL0 too (execute-only there, without AP[1]).
        {0x40000000, 0x40200000, 0x40000000, leaf(0x40000000, kRW | kRO, 2), V | RO | AF | UX, IDMAP_MEMORY_NORMAL_WB,
         2},
        {0x40200000, 0x40205000, 0x40200000, leaf(0x40200000, kRW | kXN, 3), V | XN | AF, IDMAP_MEMORY_NORMAL_WB, 3},
        {0x40205000, 0x40206000, 0x40205000, leaf(0x40205000, kRW | kXN | kNG, 3), V | XN | AF | NG,
         IDMAP_MEMORY_NORMAL_WB, 3},
        {0x80000000, 0x80401000, 0x80000000, leaf(0x80000000, kRW | kXN, 2), V | XN | AF, IDMAP_MEMORY_NORMAL_WB, 2},
        {0x80402000, 0x80403000, 0x80402000, leaf(0x80402000, kRW | kXN, 3), V | XN | AF, IDMAP_MEMORY_NORMAL_WB, 3},
    };
    CHECK(regions(m.get()) == want);

    SECTION("a short array gets the first regions, the count is of all") {
        idmap_export_region_t out[3];
        std::memset(out, 0xab, sizeof out);
        CHECK(idmap_export_regions(m.get(), out, 2) == want.size());
        CHECK(out[0].va_start == want[0].va_start);
        CHECK(out[1].va_start == want[1].va_start);
        CHECK(out[2].va_start == 0xababababababababULL);
        CHECK(idmap_export_regions(m.get(), nullptr, 5) == want.size());
    }
    SECTION("UEFI: regions of the same type and attributes merge, nG aside") {
        const uint64_t wb = IDMAP_EFI_MEMORY_WB;
        const std::vector<Efi> want_efi = {
            {IDMAP_EFI_MEMORY_MAPPED_IO, 0x09000000, 0x09000000, 2, IDMAP_EFI_MEMORY_UC | IDMAP_EFI_MEMORY_XP},
            {IDMAP_EFI_RUNTIME_SERVICES_CODE, 0x40000000, 0x40000000, 512, wb | IDMAP_EFI_MEMORY_RO},
            {IDMAP_EFI_RUNTIME_SERVICES_DATA, 0x40200000, 0x40200000, 6, wb | IDMAP_EFI_MEMORY_XP},
            {IDMAP_EFI_RUNTIME_SERVICES_DATA, 0x80000000, 0x80000000, 1025, wb | IDMAP_EFI_MEMORY_XP},
            {IDMAP_EFI_RUNTIME_SERVICES_DATA, 0x80402000, 0x80402000, 1, wb | IDMAP_EFI_MEMORY_XP},
        };
        CHECK(efi(m.get()) == want_efi);
        idmap_efi_memory_descriptor_t one[1];
        CHECK(idmap_export_efi(m.get(), one, 1) == want_efi.size());
        CHECK(one[0].physical_start == 0x09000000);
    }
}

TEST_CASE("export: invalid entries that are not empty are regions too, read-protected in UEFI", "[export]") {
    Map m = new_map(1, 1);
    // map_range without VALID writes the entries, invalid: a reserved range, or a guard.
    require_map(m.get(), 0x40000000, 0x40001000, kRW | kXN);
    require_map(m.get(), 0x40001000, 0x40002000, IDMAP_ATTR_NORMAL | kXN);
    require_map(m.get(), 0x40002000, 0x40003000, kRW | kXN);
    const std::vector<Region> r = regions(m.get());
    REQUIRE(r.size() == 3);
    CHECK(r[1].flags == XN);  // no VALID, and no ACCESSED: the flags alone (contract 1.1)
    CHECK(r[1].va_start == 0x40001000);
    const std::vector<Efi> e = efi(m.get());
    REQUIRE(e.size() == 3);
    CHECK(e[1].type == IDMAP_EFI_RESERVED_MEMORY_TYPE);
    CHECK(e[1].attr == (IDMAP_EFI_MEMORY_WB | IDMAP_EFI_MEMORY_XP | IDMAP_EFI_MEMORY_RP));
    CHECK(devicetree(m.get()).find("\tregion@40001000 {\n") != std::string::npos);
    CHECK(devicetree(m.get()).find("\t\tinvalid;\n\t};\n\n\tregion@40002000") != std::string::npos);
}

TEST_CASE("export: the devicetree fragment, word for word", "[export][text]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0x9000000, 0x9001000, kDev | kXN);
    require_map(m.get(), 0x80000000, 0x80200000, kRW | kRO);
    require_map(m.get(), 0x80200000, 0x80203000, kRW | kXN | kNG | IDMAP_ATTR_USER);
    const std::string want =
        "/* idmap: el1&0 stage 1, 4 KiB granule */\n"
        "firmware-map {\n"
        "\t#address-cells = <2>;\n"
        "\t#size-cells = <2>;\n"
        "\tregime = \"el1&0\";\n"
        "\n"
        "\tregion@9000000 {\n"
        "\t\treg = <0x0 0x9000000 0x0 0x1000>;\n"
        "\t\toutput-address = <0x0 0x9000000>;\n"
        "\t\tdescriptor = <0x600000 0x9000403>;\n"
        "\t\tlevel = <0x3>;\n"
        "\t\tmemory-type = \"device\";\n"
        "\t\tattr-index = <0x0>;\n"
        "\t\tshareability = \"non\";\n"
        "\t\texecute-never;\n"
        "\t};\n"
        "\n"
        "\tregion@80000000 {\n"
        "\t\treg = <0x0 0x80000000 0x0 0x200000>;\n"
        "\t\toutput-address = <0x0 0x80000000>;\n"
        "\t\tdescriptor = <0x0 0x80000785>;\n"
        "\t\tlevel = <0x2>;\n"
        "\t\tmemory-type = \"normal-wb\";\n"
        "\t\tattr-index = <0x1>;\n"
        "\t\tshareability = \"inner\";\n"
        "\t\tread-only;\n"
        "\t\tuser-execute;\n"
        "\t};\n"
        "\n"
        "\tregion@80200000 {\n"
        "\t\treg = <0x0 0x80200000 0x0 0x3000>;\n"
        "\t\toutput-address = <0x0 0x80200000>;\n"
        "\t\tdescriptor = <0x600000 0x80200f47>;\n"
        "\t\tlevel = <0x3>;\n"
        "\t\tmemory-type = \"normal-wb\";\n"
        "\t\tattr-index = <0x1>;\n"
        "\t\tshareability = \"inner\";\n"
        "\t\texecute-never;\n"
        "\t\tuser;\n"
        "\t\tnon-global;\n"
        "\t};\n"
        "};\n";
    CHECK(devicetree(m.get(), "firmware-map") == want);
    // The default name.
    CHECK(devicetree(m.get()).find("\nidmap {\n") != std::string::npos);
    // Names a devicetree cannot have are refused, and nothing is written.
    for (const char* bad : {"", "a b", "node{", "x/y", "0123456789012345678901234567890123"}) {
        CAPTURE(bad);
        std::string out;
        CHECK(idmap_export_devicetree(m.get(), bad, append, &out) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(out.empty());
    }
    std::string out;
    CHECK(idmap_export_devicetree(nullptr, "x", append, &out) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_export_devicetree(m.get(), "x", nullptr, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(out.empty());
    // 31 characters are allowed.
    CHECK(idmap_export_devicetree(m.get(), "a123456789012345678901234567890", append, &out) == IDMAP_OK);
}

TEST_CASE("export: output addresses that do not follow on split a region (C++, a linear map)", "[export][cpp]") {
    using namespace aarch64_paging;
    Mapping<> map;
    REQUIRE(map.init(1, 1, default_page_allocator()).is_ok());
    const Attributes rw = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
    REQUIRE(map.map_range(MemoryRegion(0x1000, 0x2000), PhysicalAddress(0x5000), rw).is_ok());
    REQUIRE(map.map_range(MemoryRegion(0x2000, 0x3000), PhysicalAddress(0x9000), rw).is_ok());
    REQUIRE(map.map_range(MemoryRegion(0x3000, 0x5000), PhysicalAddress(0xa000), rw).is_ok());
    ExportRegion out[4];
    REQUIRE(export_regions(map, out, 4) == 2);
    CHECK(out[0].va_start == 0x1000);
    CHECK(out[0].va_end == 0x2000);
    CHECK(out[0].pa_start == 0x5000);
    CHECK(out[1].va_start == 0x2000);
    CHECK(out[1].va_end == 0x5000);
    CHECK(out[1].pa_start == 0x9000);
    EfiMemoryDescriptor e[4];
    REQUIRE(export_efi(map, e, 4) == 2);
    CHECK(e[1].physical_start == 0x9000);
    CHECK(e[1].virtual_start == 0x2000);
    CHECK(e[1].number_of_pages == 3);
    map.release();
    CHECK(export_regions(map, nullptr, 0) == 0);  // not initialised
}

TEST_CASE("export: an invalid region maps nothing: pa 0, whatever addresses its entries hold (C++)",
          "[export][cpp]") {
    using namespace aarch64_paging;
    Mapping<> map;
    REQUIRE(map.init(1, 1, default_page_allocator()).is_ok());
    const Attributes rw = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
    REQUIRE(map.map_range(MemoryRegion(0x1000, 0x3000), PhysicalAddress(0x1000), rw).is_ok());
    // [0x1000, 0x2000) made invalid by modify keeps its address and page bit; [0x2000,
    // 0x3000) mapped without VALID holds the flags alone (contract 1.1): one region.
    REQUIRE(map.modify_range(MemoryRegion(0x1000, 0x2000), [](const MemoryRegion&, Descriptor& d, unsigned) {
                   d = Descriptor(d.bits() & ~bits(Attributes::VALID));
                   return true;
               }).is_ok());
    REQUIRE(map.map_range(MemoryRegion(0x2000, 0x3000), PhysicalAddress(0x2000),
                          (rw & ~Attributes::VALID) | Attributes::ACCESSED).is_ok());
    ExportRegion out[2];
    REQUIRE(export_regions(map, out, 2) == 1);
    CHECK(out[0].va_start == 0x1000);
    CHECK(out[0].va_end == 0x3000);
    CHECK(out[0].pa_start == 0);
    CHECK((out[0].flags & export_flags::VALID) == 0);
    map.release();
}

TEST_CASE("export: memory types through another MAIR, and other regimes (C++)", "[export][cpp]") {
    using namespace aarch64_paging;
    Mapping<> map;
    REQUIRE(map.init(1, 1, default_page_allocator()).is_ok());
    const Attributes v = Attributes::VALID;
    // AttrIndx 0, 1, 2, 3 in four pages; EL2-style bits: AP[1] set, XN in bit 54.
    for (uint64_t i = 0; i < 4; ++i) {
        const Attributes attr = Attributes(i << 2) | v | Attributes::USER | (i % 2 ? Attributes::XN : Attributes::EMPTY);
        REQUIRE(map.map_range(MemoryRegion(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), PhysicalAddress(i * PAGE_SIZE), attr)
                    .is_ok());
    }
    ExportOptions options;
    options.mair = 0xbb44ff00;  // Device-nGnRnE, Normal WB, Normal NC, Normal WT
    options.regime = TranslationRegime::El2;
    ExportRegion r[4];
    REQUIRE(export_regions(map, r, 4, options) == 4);
    CHECK(r[0].memory_type == MemoryType::Device);
    CHECK(r[1].memory_type == MemoryType::NormalWriteBack);
    CHECK(r[2].memory_type == MemoryType::NormalNonCacheable);
    CHECK(r[3].memory_type == MemoryType::NormalWriteThrough);
    // EL2: no EL0, so no USER; XN is bit 54.
    CHECK(r[0].flags == (export_flags::VALID | export_flags::ACCESSED));
    CHECK(r[1].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::EXECUTE_NEVER));
    EfiMemoryDescriptor e[4];
    REQUIRE(export_efi(map, e, 4, options) == 4);
    CHECK(e[0].type == efi::MEMORY_MAPPED_IO);
    CHECK(e[0].attribute == efi::MEMORY_UC);
    CHECK(e[1].attribute == (efi::MEMORY_WB | efi::MEMORY_XP));
    CHECK(e[1].type == efi::RUNTIME_SERVICES_DATA);
    CHECK(e[2].attribute == efi::MEMORY_WC);
    CHECK(e[2].type == efi::RUNTIME_SERVICES_CODE);
    CHECK(e[3].attribute == (efi::MEMORY_WT | efi::MEMORY_XP));
    // The same bits in EL1&0: EL0 read-write, so never executable at EL1 (implicit PXN),
    // and executable at EL0 where UXN is clear.
    options.regime = TranslationRegime::El1And0;
    REQUIRE(export_regions(map, r, 4, options) == 4);
    CHECK(r[0].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::USER |
                         export_flags::EXECUTE_NEVER | export_flags::USER_EXECUTE));
    CHECK(r[1].flags ==
          (export_flags::VALID | export_flags::ACCESSED | export_flags::USER | export_flags::EXECUTE_NEVER));
    // The devicetree names the regime.
    std::string text;
    TextWriter out(append, &text);
    options.regime = TranslationRegime::El3;
    REQUIRE(export_devicetree(map, "el3-map", out, options).is_ok());
    CHECK(text.rfind("/* idmap: el3 stage 1, 4 KiB granule */\nel3-map {\n", 0) == 0);
    CHECK(text.find("\tregime = \"el3\";\n") != std::string::npos);
    CHECK(text.find("memory-type = \"normal-wt\"") != std::string::npos);
    map.release();
}

TEST_CASE("export: an upper-range map's regions lie at its own addresses, up to 2^64", "[export][regime]") {
    // EL1&0 TTBR1, root level 2: [2^64 - 1 GiB, 2^64) maps [0, 1 GiB).
    Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 2, static_cast<int64_t>(k1G)));
    const uint64_t start = 0 - k1G;
    require_map(m.get(), start, start + 2 * kPage, kRW | kXN);
    const idmap_region_t top{0 - k2M, 0};  // an end of 0: 2^64
    REQUIRE(idmap_map_range(m.get(), &top, kRW | kRO) == IDMAP_OK);
    const std::vector<Region> want = {
        {start, start + 2 * kPage, 0, leaf(0, kRW | kXN, 3), V | XN | AF, IDMAP_MEMORY_NORMAL_WB, 3},
        {0 - k2M, 0, k1G - k2M, leaf(k1G - k2M, kRW | kRO, 2), V | RO | AF | UX, IDMAP_MEMORY_NORMAL_WB, 2},
    };
    CHECK(regions(m.get()) == want);
    const uint64_t wb = IDMAP_EFI_MEMORY_WB;
    CHECK(efi(m.get()) == std::vector<Efi>{
                              {IDMAP_EFI_RUNTIME_SERVICES_DATA, 0, start, 2, wb | IDMAP_EFI_MEMORY_XP},
                              {IDMAP_EFI_RUNTIME_SERVICES_CODE, k1G - k2M, 0 - k2M, 512, wb | IDMAP_EFI_MEMORY_RO},
                          });
    const std::string dt = devicetree(m.get());
    CHECK(dt.find("\tregion@ffffffffc0000000 {\n\t\treg = <0xffffffff 0xc0000000 0x0 0x2000>;\n"
                  "\t\toutput-address = <0x0 0x0>;\n") != std::string::npos);
    CHECK(dt.find("\tregion@ffffffffffe00000 {\n\t\treg = <0xffffffff 0xffe00000 0x0 0x200000>;\n"
                  "\t\toutput-address = <0x0 0x3fe00000>;\n") != std::string::npos);

    // The C++ export is the same walk.
    aarch64_paging::ExportRegion out[2];
    aarch64_paging::LinearMap kernel({aarch64_paging::TranslationRegime::El1And0, aarch64_paging::VaRange::Upper}, 1, 2,
                                     static_cast<int64_t>(k1G));
    REQUIRE(kernel.map_range(aarch64_paging::MemoryRegion(0 - kPage, 0),
                             aarch64_paging::Attributes::NORMAL | aarch64_paging::Attributes::VALID)
                .is_ok());
    REQUIRE(aarch64_paging::export_regions(kernel.mapping(), out, 2) == 1);
    CHECK(out[0].va_start == 0 - kPage);
    CHECK(out[0].va_end == 0);
    CHECK(out[0].pa_start == k1G - kPage);
}

TEST_CASE("export: a stage-2 map's regions by IPA, its MemAttr, S2AP and XN decoded (C++)", "[export][stage2]") {
    using namespace aarch64_paging;
    Mapping<> map;
    // 40-bit IPA from level 1: two concatenated root tables; guest IPA x is PA x + 64 GiB.
    const uint64_t off = uint64_t{64} << 30;
    REQUIRE(map.init_stage2(1, 1, default_page_allocator_contiguous(), off, Stage2Options{40, false}).is_ok());
    const Stage2Attributes v = Stage2Attributes::VALID;
    const Stage2Attributes rw = Stage2Attributes::READ_WRITE;
    // A UART (Device-GRE), RAM executable (Normal WB); in the second root table RAM
    // read-only, outer Write-Back and inner Non-cacheable (MemAttr 0b1101: the lesser,
    // Non-cacheable), and a write-only Write-Through page, executable.
    REQUIRE(map.map_range(MemoryRegion(0x09000000, 0x09001000), PhysicalAddress(0x09000000 + off), v | Stage2Attributes::DEVICE_GRE | rw |
                                                                    Stage2Attributes::XN)
                .is_ok());
    REQUIRE(map.map_range(MemoryRegion(k1G, k1G + k2M), PhysicalAddress(k1G + off), v | Stage2Attributes::NORMAL | rw).is_ok());
    const uint64_t ipa2 = k512G + k1G;
    REQUIRE(map.map_range(MemoryRegion(ipa2, ipa2 + 2 * kPage), PhysicalAddress(ipa2 + off),
                          v | Stage2Attributes(uint64_t{0xd} << 2) | Stage2Attributes::READ | Stage2Attributes::XN)
                .is_ok());
    REQUIRE(map.map_range(MemoryRegion(ipa2 + 2 * kPage, ipa2 + 3 * kPage), PhysicalAddress(ipa2 + 2 * kPage + off),
                          v | Stage2Attributes::NORMAL_WT | Stage2Attributes::WRITE)
                .is_ok());
    ExportRegion r[8];
    REQUIRE(export_regions(map, r, 8) == 4);
    // The UART: a page, XN 0b10.
    CHECK(r[0].va_start == 0x09000000);
    CHECK(r[0].va_end == 0x09001000);
    CHECK(r[0].pa_start == 0x09000000 + off);
    CHECK(r[0].level == 3);
    CHECK(r[0].memory_type == MemoryType::Device);
    CHECK(r[0].attr_index == 3);  // MemAttr 0b0011
    CHECK(r[0].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::USER | export_flags::EXECUTE_NEVER));
    // The RAM: a 2 MiB block, writable and executable at EL1 and EL0.
    CHECK(r[1].va_start == k1G);
    CHECK(r[1].va_end == k1G + k2M);
    CHECK(r[1].pa_start == k1G + off);
    CHECK(r[1].descriptor == ((k1G + off) | bits(Stage2Attributes::NORMAL | rw | v | Stage2Attributes::ACCESSED)));
    CHECK(r[1].level == 2);
    CHECK(r[1].memory_type == MemoryType::NormalWriteBack);
    CHECK(r[1].attr_index == 0xf);
    CHECK(r[1].shareability == 3);
    CHECK(r[1].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::USER | export_flags::USER_EXECUTE));
    // In the second root table: read-only, then a write-only page (S2AP 0b10: no USER, as
    // no reads) of another memory type, in another region.
    CHECK(r[2].va_start == ipa2);
    CHECK(r[2].va_end == ipa2 + 2 * kPage);
    CHECK(r[2].pa_start == ipa2 + off);
    CHECK(r[2].memory_type == MemoryType::NormalNonCacheable);
    CHECK(r[2].attr_index == 0xd);
    CHECK(r[2].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::USER | export_flags::READ_ONLY |
                         export_flags::EXECUTE_NEVER));
    CHECK(r[3].va_start == ipa2 + 2 * kPage);
    CHECK(r[3].memory_type == MemoryType::NormalWriteThrough);
    CHECK(r[3].flags == (export_flags::VALID | export_flags::ACCESSED | export_flags::USER_EXECUTE));

    // The devicetree and UEFI exports refuse it, saying why; and a stage-1 map read as stage 2.
    std::string text;
    TextWriter out(append, &text);
    const Result dt = export_devicetree(map, "vm", out);
    CHECK(dt.status() == Status::InvalidArgument);
    CHECK(dt.error().value == (argument_reason::NOT_STAGE1 | uint64_t{4} << 16));
    CHECK(text.empty());
    EfiMemoryDescriptor e[4];
    CHECK(export_efi(map, e, 4) == 0);
    CHECK(memory_types_exportable(map, export_options(map)).error().value == dt.error().value);
    Mapping<> s1;
    REQUIRE(s1.init(1, 1, default_page_allocator()).is_ok());
    REQUIRE(s1.map_range(MemoryRegion(0, kPage), PhysicalAddress(0), Attributes::NORMAL | Attributes::VALID).is_ok());
    CHECK(export_efi(s1, e, 4) == 1);
    CHECK(export_efi(s1, e, 4, ExportOptions{TranslationRegime::Stage2, MAIR_DEFAULT}) == 0);
    s1.release();
    map.release();
}
