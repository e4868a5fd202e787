// kernel.cpp - a kernel that uses both halves of the address space: the lower VA range
// (TTBR0_EL1) is an identity map, aarch64_paging::IdMap, which the code runs from; the
// upper range (TTBR1_EL1) is an aarch64_paging::LinearMap that shows all of RAM again at
// kUpperBase + pa, as a kernel's linear map of physical memory does. enable_mmu() turns
// the MMU on with both; the checks then write RAM through one address and read it back
// through the other, and read the image's own rodata through the upper half.
//
// The code stays at its identity addresses. A kernel that moves into the upper half maps
// its code there executable, branches to it once the MMU is on, and then leaves TTBR0 to
// user space.
extern "C" {
#include "bm.h"
#include "board.h"
}

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/linear_map.hpp"
#include "aarch64_paging/mmu.hpp"

using aarch64_paging::Attributes;
using aarch64_paging::IdMap;
using aarch64_paging::LinearMap;
using aarch64_paging::MemoryRegion;
using aarch64_paging::Result;
using aarch64_paging::TranslationRegime;
using aarch64_paging::VaRange;

namespace {

// TCR_EL1.A1 is 0: TTBR0's ASID tags the entries of both ranges, so the two maps share
// it (enable_mmu refuses two different ones).
constexpr uint64_t kAsid = 3;
// Root level 1 in both ranges: 512 GiB each (T0SZ = T1SZ = 25). The upper range is then
// the top 512 GiB, from 2^64 - 2^39.
constexpr unsigned kRootLevel = 1;
constexpr uint64_t kUpperBase = 0xffff'ff80'0000'0000;
// va = kUpperBase + pa, so pa = va - kUpperBase: the offset is 2^39 modulo 2^64.
constexpr int64_t kUpperOffset = static_cast<int64_t>(0 - kUpperBase);
constexpr Attributes kNormal = Attributes::NORMAL | Attributes::VALID;
// Words each round trip writes: a cache line's worth.
constexpr unsigned kWords = 8;

const char kBanner[] = "upper-kernel: RAM at the top of the address space";

int failures = 0;

unsigned long long ull(uint64_t value) { return static_cast<unsigned long long>(value); }

uint64_t upper(uint64_t pa) { return kUpperBase + pa; }

void report(const char* what, const Result& result) {
    if (!result) {
        char line[160];
        result.error().format(line, sizeof line);
        bm_printf("error: %s: %s\n", what, line);
        bm_exit(1);
    }
}

void verdict(bool ok) { failures += ok ? 0 : 1; }

// Writes kWords words through write_va and reads them back through read_va, two
// addresses of the same RAM. The seed makes each trip's words new, so that what was
// there before cannot pass.
void round_trip(const char* what, uint64_t write_va, uint64_t read_va, uint64_t seed) {
    auto* out = reinterpret_cast<volatile uint64_t*>(write_va);
    const auto* in = reinterpret_cast<const volatile uint64_t*>(read_va);
    for (unsigned i = 0; i < kWords; i++) {
        out[i] = seed + i;
    }
    unsigned same = 0;
    for (unsigned i = 0; i < kWords; i++) {
        same += in[i] == seed + i ? 1 : 0;
    }
    bm_printf("  %-4s %s: %u words written at 0x%016llx, %u read back at 0x%016llx\n",
              same == kWords ? "ok" : "FAIL", what, kWords, ull(write_va), same, ull(read_va));
    verdict(same == kWords);
}

}  // namespace

extern "C" int bm_main(unsigned entry_el) {
    bm_uart_init();
    bm_printf("\nupper-kernel on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));

    const uint64_t text = reinterpret_cast<uintptr_t>(__image_start);
    const uint64_t rodata = reinterpret_cast<uintptr_t>(__text_end);
    const uint64_t data = reinterpret_cast<uintptr_t>(__rodata_end);
    const uint64_t ram_end = BOARD_RAM_BASE + BOARD_RAM_SIZE;

    // TTBR0: the identity map the code runs from, as in examples/cpp-kernel.
    IdMap lower(kAsid, kRootLevel);
    report("IdMap", lower.init_result());
    report("lower: RAM", lower.map_range(MemoryRegion(BOARD_RAM_BASE, ram_end), kNormal | Attributes::EXECUTE_NEVER));
    report("lower: code", lower.map_range(MemoryRegion(text, rodata), kNormal | Attributes::READ_ONLY));
    report("lower: rodata", lower.map_range(MemoryRegion(rodata, data),
                                            kNormal | Attributes::READ_ONLY | Attributes::EXECUTE_NEVER));
    report("lower: devices", lower.map_range(MemoryRegion(BOARD_DEVICE_BASE, BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE),
                                             Attributes::DEVICE_NGNRE | Attributes::EXECUTE_NEVER | Attributes::VALID));

    // TTBR1: all of RAM again, read-write and never executed.
    LinearMap upper_map({TranslationRegime::El1And0, VaRange::Upper}, kAsid, kRootLevel, kUpperOffset);
    report("LinearMap", upper_map.init_result());
    if (upper_map.va_base() != kUpperBase) {
        bm_printf("error: the upper range starts at 0x%016llx, not 0x%016llx\n", ull(upper_map.va_base()),
                  ull(kUpperBase));
        return 1;
    }
    report("upper: RAM", upper_map.map_range(MemoryRegion(upper(BOARD_RAM_BASE), upper(ram_end)),
                                             kNormal | Attributes::EXECUTE_NEVER));
    bm_printf("lower range: RAM, the image and the devices at their own addresses (%llu table pages)\n",
              ull(lower.table_count()));
    bm_printf("upper range: RAM [0x%010llx, 0x%010llx) at [0x%016llx, 0x%016llx) (%llu table pages):\n",
              ull(BOARD_RAM_BASE), ull(ram_end), ull(upper(BOARD_RAM_BASE)), ull(upper(ram_end)),
              ull(upper_map.table_count()));
    {
        aarch64_paging::TextWriter out(bm_console_write, nullptr);
        upper_map.dump(out);
    }

    aarch64_paging::arch::MmuRegisters previous;
    report("enable_mmu", aarch64_paging::enable_mmu(lower.mapping(), &upper_map.mapping(), previous));
    const uint64_t tcr = BM_READ_SYSREG(tcr_el1);
    bm_printf("MMU on: TTBR0_EL1 0x%016llx, TTBR1_EL1 0x%016llx, TCR_EL1 T0SZ %llu T1SZ %llu\n",
              ull(BM_READ_SYSREG(ttbr0_el1)), ull(BM_READ_SYSREG(ttbr1_el1)), ull(tcr & 0x3f),
              ull((tcr >> 16) & 0x3f));

    bm_printf("checks:\n");
    // The last page of RAM: past the image, so nothing else uses it.
    const uint64_t page = ram_end - 0x1000;
    const uint64_t par = bm_at_s1e1r(upper(page));
    const bool translated = (par & BM_PAR_F) == 0 && BM_PAR_PA(par) == page;
    bm_printf("  %-4s AT S1E1R 0x%016llx: PAR 0x%016llx, physical address 0x%010llx\n", translated ? "ok" : "FAIL",
              ull(upper(page)), ull(par), ull(page));
    verdict(translated);
    round_trip("identity to upper", page, upper(page), 0x1d0000001d000000);
    round_trip("upper to identity", upper(page + 0x800), page + 0x800, 0xa11a5000a11a5000);

    // The image through the upper half: the same bytes as at its own address.
    const uint64_t banner = reinterpret_cast<uintptr_t>(kBanner);
    const auto* alias = reinterpret_cast<const volatile char*>(upper(banner));
    unsigned same = 0;
    for (unsigned i = 0; i < sizeof kBanner; i++) {
        same += alias[i] == kBanner[i] ? 1 : 0;
    }
    bm_printf("  %-4s rodata at 0x%010llx, read at 0x%016llx: %u of %u bytes the same (\"%s\")\n",
              same == sizeof kBanner ? "ok" : "FAIL", ull(banner), ull(upper(banner)), same,
              static_cast<unsigned>(sizeof kBanner), kBanner);
    verdict(same == sizeof kBanner);

    // The MMU off before the maps go: their destructors then give every page back.
    report("disable_mmu", aarch64_paging::disable_mmu(lower.mapping(), &upper_map.mapping(), previous));
    bm_printf("%s: %d check(s) failed\n", failures != 0 ? "FAIL" : "done", failures);
    return failures != 0 ? 1 : 0;
}
