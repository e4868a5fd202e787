// kernel.cpp - a C++ kernel that turns the MMU on with the library's C++ API directly:
// aarch64_paging::IdMap over the board's static page pool, aarch64_paging::enable_mmu,
// the dump through a TextWriter. No C facade (idmap.h is not included); the bare-metal
// runtime of examples/common (start code, vectors, UART, semihosting exit) is shared
// with the C bootloader.
//
// The same journey as examples/c-bootloader: map the board (RAM, this image's code,
// rodata, data and stack, the device window), turn the MMU on, print the map, check with
// the hardware's own translation (AT) that every region means what walk_range says,
// check that a store to the code takes a permission fault, and turn the MMU off.
//
// Teardown order: disable_mmu() first, then let the map go out of scope. Until
// disable_mmu() the map belongs to the MMU: deactivate() is refused (MMU_ENABLED), and a map
// destroyed with the MMU on leaves its tables in place, not given back to the pool.
extern "C" {
#include "bm.h"
#include "board.h"
}

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/mmu.hpp"

using aarch64_paging::Attributes;
using aarch64_paging::Descriptor;
using aarch64_paging::IdMap;
using aarch64_paging::MemoryRegion;
using aarch64_paging::Result;

namespace {

constexpr uint64_t kAsid = 2;
constexpr unsigned kRootLevel = 1;  // 512 GiB from 0: every board's RAM and devices
constexpr Attributes kNormal = Attributes::NORMAL | Attributes::VALID;

struct Region {
    const char* name;
    uint64_t start, end;
    Attributes flags;
};

int failures = 0;

void report(const char* what, const Result& result) {
    if (!result) {
        char line[160];
        result.error().format(line, sizeof line);
        bm_printf("error: %s: %s\n", what, line);
        bm_exit(1);
    }
}

// AT S1E1R at va against what the tables say (walk_range): output address, fault,
// memory type (PAR.ATTR 0xff for Normal, 0x04 for Device-nGnRE) and write permission.
void check(const IdMap& map, const char* what, uint64_t va) {
    Descriptor leaf;
    report("walk_range", map.walk_range(MemoryRegion(va, va + 1), [&](const MemoryRegion&, Descriptor d, unsigned) {
        leaf = d;
        return true;
    }));
    const uint64_t r = bm_at_s1e1r(va);
    const uint64_t w = bm_at_s1e1w(va);
    const uint64_t page = va & ~uint64_t{0xfff};
    bool ok;
    if (!leaf.is_valid()) {
        ok = (r & BM_PAR_F) != 0;
    } else {
        const uint64_t attr = contains(leaf.flags(), Attributes::NORMAL) ? 0xff : 0x04;
        const bool writable = !contains(leaf.flags(), Attributes::READ_ONLY);
        ok = (r & BM_PAR_F) == 0 && BM_PAR_PA(r) == page && BM_PAR_ATTR(r) == attr &&
             ((w & BM_PAR_F) == 0) == writable;
    }
    bm_printf("  %-4s %-20s 0x%010llx  descriptor 0x%016llx  AT S1E1R PAR 0x%016llx  AT S1E1W PAR 0x%016llx\n",
              ok ? "ok" : "FAIL", what, static_cast<unsigned long long>(va),
              static_cast<unsigned long long>(leaf.bits()), static_cast<unsigned long long>(r),
              static_cast<unsigned long long>(w));
    failures += ok ? 0 : 1;
}

}  // namespace

extern "C" int bm_main(unsigned entry_el) {
    bm_uart_init();
    bm_printf("\ncpp-kernel on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));

    const uint64_t text = reinterpret_cast<uintptr_t>(__image_start);
    const uint64_t rodata = reinterpret_cast<uintptr_t>(__text_end);
    const uint64_t data = reinterpret_cast<uintptr_t>(__rodata_end);
    const uint64_t end = reinterpret_cast<uintptr_t>(__image_end);

    IdMap map(kAsid, kRootLevel);  // tables from the board's static pool
    report("IdMap", map.init_result());
    // RAM first: the image's regions then override their part of it.
    const Region regions[] = {
        {"RAM", BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE, kNormal | Attributes::EXECUTE_NEVER},
        {"code", text, rodata, kNormal | Attributes::READ_ONLY},
        {"rodata", rodata, data, kNormal | Attributes::READ_ONLY | Attributes::EXECUTE_NEVER},
        {"data+stack", data, end, kNormal | Attributes::EXECUTE_NEVER},
        {"devices", BOARD_DEVICE_BASE, BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE,
         Attributes::DEVICE_NGNRE | Attributes::EXECUTE_NEVER | Attributes::VALID},
    };
    for (const Region& region : regions) {
        bm_printf("  %-12s [0x%010llx, 0x%010llx)\n", region.name, static_cast<unsigned long long>(region.start),
                  static_cast<unsigned long long>(region.end));
        report(region.name, map.map_range(MemoryRegion(region.start, region.end), region.flags));
    }

    aarch64_paging::arch::MmuRegisters previous;
    report("enable_mmu", aarch64_paging::enable_mmu(map.mapping(), previous));
    bm_printf("MMU on, %llu table pages; the map:\n", static_cast<unsigned long long>(map.table_count()));
    {
        aarch64_paging::TextWriter out(bm_console_write, nullptr);
        map.dump(out);
    }

    bm_printf("checks:\n");
    check(map, "code", reinterpret_cast<uintptr_t>(&bm_main));
    check(map, "rodata", rodata);
    check(map, "stack", reinterpret_cast<uintptr_t>(&previous));
    check(map, "RAM", BOARD_RAM_BASE + BOARD_RAM_SIZE - 0x1000);
    check(map, "UART", BOARD_UART_BASE);
    check(map, "unmapped", BOARD_RAM_BASE + BOARD_RAM_SIZE + 0x40000000ULL);

    bm_expect_fault();
    bm_probe_write(reinterpret_cast<uintptr_t>(&bm_main), 0);
    const bool faulted = bm_fault_taken() != 0 && BM_ESR_EC(bm_fault.esr) == BM_EC_DABORT_SAME_EL &&
                         (BM_ESR_FSC(bm_fault.esr) & 0x3c) == 0x0c &&
                         bm_fault.far == reinterpret_cast<uintptr_t>(&bm_main);
    bm_printf("  %-4s store to code takes a permission fault: ESR_EL1 0x%llx\n", faulted ? "ok" : "FAIL",
              static_cast<unsigned long long>(bm_fault.esr));
    failures += faulted ? 0 : 1;

    // The MMU off before the map goes: ~IdMap then gives every page back to the pool.
    report("disable_mmu", aarch64_paging::disable_mmu(map.mapping(), previous));
    bm_printf("%s: %d check(s) failed\n", failures != 0 ? "FAIL" : "done", failures);
    return failures != 0 ? 1 : 0;
}
