// cxx_suite.cpp - the C++ target suite (issue 7): image cxx-suite, the library's C++ API
// only (no C facade), in QEMU. Built with GNU and with LLVM (tests/target/cxx.mk); the
// image has a fixed layout (cxx_layout.h, cxx-suite.ld.S), so that its memory map is known
// at compile time.
//
// 1. Tables built at compile time. The image's memory map is a constexpr MapEntry array
//    (code read-only executable, rodata read-only, data/bss/stack read-write, the tables
//    read-only, all but code execute-never, the UART Device-nGnRE); build_id_tables runs
//    the library's core on it in constant evaluation, static_assert checks the result and
//    the exact table count (against the board's number and an independent model), and
//    the linker puts the tables (section .cxx_tables) at the address they were built for.
//    At run time, with the MMU off: they are where they were built for, and what the
//    compiler computed (a hash computed at compile time); the core run at run time, its
//    pages handed out in order from a buffer at another fixed address (.cxx_rt_tables),
//    builds the same tables - bit for bit what build_id_tables gives for that base, and
//    structurally (table pointers to corresponding pages) those that were linked. Then
//    the MMU goes on with them and no table built at run time: MAIR, TCR and SCTLR as
//    mmu_config() gives for the run-time map of the same root level, TTBR0 = kTables.base,
//    loaded by arch::load_mmu_registers, after the run-time pages are wiped (so only
//    kTables can translate). AT S1E1R/W agree with the memory map and the tables at
//    sampled addresses (output address, memory type, shareability, write permission,
//    faults at the level of the invalid entry), stores to the code, rodata and the tables
//    take permission faults, a call into data an instruction abort, a load from unmapped
//    RAM a translation fault; then the registers as they were, MMU off.
// 2. The 16 KiB and 64 KiB granules, each at two root levels (16 KiB: 0 and 2; 64 KiB: 1
//    and 2), where ID_AA64MMFR0_EL1 says the CPU has them (TGran16, TGran64; otherwise
//    mmu_config and enable_mmu must refuse, and the rest is a SKIP): a Mapping<Granule16K>
//    / Mapping<Granule64K> over a StaticPagePool of the granule's pages maps the image's
//    windows (each a whole number of pages of either granule), the UART's level-2 block
//    (32 MiB or 512 MiB of Device memory: the console runs through it), a 32 MiB RAM block
//    (16 KiB), a read-only page, a read-write page, a hole, a hinted 2 MiB group of pages
//    (128 or 32 entries) and a hinted group of 32 blocks where there is no memory (1 GiB
//    or 16 GiB); enable_mmu<G>() turns the MMU on (TCR.TG0, T0SZ, TTBR0 checked); AT
//    agrees with walk_range for blocks and pages (PAR's PA is the 4 KiB inside the larger
//    page); stores and loads go through or take permission faults as mapped; a live
//    change to one page of the hinted group is refused; disable_mmu; the same change on
//    the inactive map clears the group; release gives every page back to the pool.
// 3. The contiguous hint (4 KiB granule): off by default; on, map_range sets bit 52 (and
//    nothing else) on aligned groups of 16 pages (64 KiB; written by each of map_range's
//    paths: an existing leaf table, a chain of new tables, the full walk), of 16 level-2
//    blocks (32 MiB) and of 16 level-1 blocks (16 GiB), not on ragged groups, a lone
//    block, nor with Constraints::NO_CONTIGUOUS_HINT; AT agrees with the hinted tables on
//    every page and block; on the live map a change to one entry of a hinted group
//    (map_range, modify_range, unmap_range; a page, a 2 MiB or a 1 GiB block) or to the
//    whole group is refused with BreakBeforeMakeViolation and changes nothing, a rewrite
//    with the same attributes is accepted and keeps the bits, a group mapped live gets
//    no hint, an unhinted page changes live at once; on the inactive map the same change
//    clears the whole group (read back with walk_range), the hardware then agrees (a
//    store faults on the changed entry only), putting the entry back or rewriting a group
//    regroups it, a uniform change to the whole group keeps it hinted, and modify_range
//    or unmap_range of one entry clears it.
// 4. Teardown with the MMU on (mmu.hpp): an IdMap that enable_mmu turned on refuses
//    deactivate (MMU_ENABLED), and when it goes out of scope the MMU stays on its tables:
//    TTBR0_EL1 still its root, code and data still translate; then the registers of
//    before are loaded, as disable_mmu would have.
//
// Prints "ok N - name" / "not ok N - name: details" per case and ends with "N passed,
// M failed, K skipped"; bm_main returns 0 iff none failed (QEMU's exit status).
extern "C" {
#include "bm.h"
#include "board.h"
}

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/mmu.hpp"
#include "aarch64_paging/static_tables.hpp"
#include "check.h"
#include "cxx_layout.h"

namespace ap = aarch64_paging;
using ap::Attributes;
using ap::Constraints;
using ap::Descriptor;
using ap::Granule16K;
using ap::Granule4K;
using ap::Granule64K;
using ap::MapEntry;
using ap::MemoryRegion;
using ap::PhysicalAddress;
using ap::Result;
using ap::Status;

namespace {

typedef unsigned long long ull;

// ---------------------------------------------------------------------------------
// Reporting: check.h; here what its messages need

// One line for a Result: "ok", or the error as MapError::format writes it.
const char* text(const Result& r) {
    static char buf[4][160];
    static unsigned next;
    char* line = buf[next++ % 4];
    if (r.is_ok()) {
        bm_snprintf(line, sizeof buf[0], "ok");
    } else {
        r.error().format(line, sizeof buf[0]);
    }
    return line;
}

// The pointer, opaque to the optimiser: reads through it go to memory, never to what the
// compiler knows of a constexpr object.
template <class T>
T* opaque(T* p) {
    __asm__ volatile("" : "+r"(p));
    return p;
}

// ---------------------------------------------------------------------------------
// The fixed layout (cxx_layout.h) and the test RAM

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kPage = 4 * kKiB;

constexpr uint64_t kLoad = CXX_LOAD_ADDR;
constexpr uint64_t kText = kLoad + CXX_TEXT_OFFSET;
constexpr uint64_t kRodata = kLoad + CXX_RODATA_OFFSET;
constexpr uint64_t kData = kLoad + CXX_DATA_OFFSET;
constexpr uint64_t kTablesPa = kLoad + CXX_TABLES_OFFSET;
constexpr uint64_t kRtTablesPa = kLoad + CXX_RT_TABLES_OFFSET;
constexpr uint64_t kImageEnd = kLoad + CXX_IMAGE_END_OFFSET;

constexpr uint64_t kRam = BOARD_RAM_BASE;
constexpr uint64_t kUart = BOARD_UART_BASE;
// Test RAM, clear of the image on every board: 32 MiB of blocks (16 level-2 blocks with
// 4 KiB pages, one with 16 KiB), pages, a 2 MiB group of large pages, never mapped.
constexpr uint64_t kTestBlocks = kRam + 32 * kMiB;
constexpr uint64_t kTestPages = kRam + 64 * kMiB;
constexpr uint64_t kTestHint2M = kRam + 66 * kMiB;
constexpr uint64_t kNeverMapped = kRam + 96 * kMiB;
// No memory or device on any board from 16 GiB to 32 GiB: there, hinted groups of blocks
// too large for RAM (4 KiB: 16 of 1 GiB; 16 KiB: 32 of 32 MiB; 64 KiB: 32 of 512 MiB),
// checked with AT only.
constexpr uint64_t kNoMemory = 16 * kGiB;
static_assert(kImageEnd <= kTestBlocks, "the image lies below the test RAM");
static_assert(BOARD_RAM_SIZE >= 128 * kMiB, "the test RAM is in the first 128 MiB");
static_assert(kLoad % (512 * kKiB) == 0, "windows aligned for every granule");

constexpr Attributes kCode = Attributes::NORMAL | Attributes::VALID | Attributes::READ_ONLY;
constexpr Attributes kRodataFlags =
    Attributes::NORMAL | Attributes::VALID | Attributes::READ_ONLY | Attributes::EXECUTE_NEVER;
constexpr Attributes kDataFlags = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
constexpr Attributes kDevice = Attributes::DEVICE_NGNRE | Attributes::VALID | Attributes::EXECUTE_NEVER;

// ---------------------------------------------------------------------------------
// 1. The memory map and its tables, built by the compiler

constexpr MapEntry kMap[] = {
    {MemoryRegion(kText, kRodata), kCode, Constraints::NONE},
    {MemoryRegion(kRodata, kData), kRodataFlags, Constraints::NONE},
    {MemoryRegion(kData, kTablesPa), kDataFlags, Constraints::NONE},           // data, bss, stack
    {MemoryRegion(kTablesPa, kRtTablesPa), kRodataFlags, Constraints::NONE},  // the tables
    {MemoryRegion(kRtTablesPa, kImageEnd), kDataFlags, Constraints::NONE},    // run-time pages
    {MemoryRegion(kUart, kUart + kPage), kDevice, Constraints::NONE},
};
constexpr unsigned kRootLevel = 1;  // 512 GiB from 0: every board's RAM and UART
constexpr size_t kTablePages = 8;   // room for more than the map takes

// The table pages the map takes on each board, counted by hand: the root; a level-2
// table for each GiB the map touches; a level-3 table for each 2 MiB it covers in part.
#if BOARD_UART_BASE == 0x09000000ULL
// qemu-virt, image at 0x40200000: GiB 1 -> 2 MiB at 0x40200000 (text, rodata, data) and
// at 0x40600000 (tables), data's [0x40400000, 0x40600000) a block; GiB 0 -> the UART.
#define CXX_EXPECTED_TABLES 6
#elif BOARD_UART_BASE == 0x3f201000ULL
// raspi3b, image at 0x80000: GiB 0 -> [0, 2 MiB), [4 MiB, 6 MiB), the UART's 2 MiB.
#define CXX_EXPECTED_TABLES 5
#elif BOARD_UART_BASE == 0xff000000ULL
// xlnx-zcu102, image at 0x100000: GiB 0 -> [0, 2 MiB), [4 MiB, 6 MiB); GiB 3 -> the UART.
#define CXX_EXPECTED_TABLES 6
#else
#error "cxx_suite.cpp has no expected table count for this board"
#endif

// An independent model of the count, for maps of disjoint regions: the root, plus each
// 1 GiB and each 2 MiB entry that some region covers only in part.
template <size_t N>
constexpr size_t model_tables(const MapEntry (&map)[N]) {
    uint64_t partial[4 * N] = {};  // level << 60 | index
    size_t count = 0;
    const auto add = [&](uint64_t key) {
        for (size_t i = 0; i < count; ++i) {
            if (partial[i] == key) {
                return;
            }
        }
        partial[count++] = key;
    };
    for (const MapEntry& e : map) {
        const uint64_t start = e.region.start().value();
        const uint64_t end = e.region.end().value();
        for (unsigned level = 1; level <= 2; ++level) {
            const uint64_t size = Granule4K::level_size(level);
            if (start % size != 0 || end - start < size) {
                add(uint64_t{level} << 60 | start / size);
            }
            if (end % size != 0) {
                add(uint64_t{level} << 60 | (end - 1) / size);
            }
        }
    }
    return 1 + count;
}

// The tables, in their own section, which the linker script puts at kTablesPa.
alignas(4096) __attribute__((section(".cxx_tables"), used)) constexpr auto kTables =
    ap::build_id_tables<kTablePages>(kTablesPa, kRootLevel, kMap);
static_assert(kTables.result.is_ok(), "the memory map builds");
static_assert(kTables.used == CXX_EXPECTED_TABLES, "the exact table count, as counted by hand");
static_assert(kTables.used == model_tables(kMap), "the exact table count, as the model counts");
static_assert(kTables.base == kTablesPa, "built for where the linker puts them");

// The same map built for the run-time core's buffer: what it must write there, bit for bit.
constexpr auto kTablesAtRt = ap::build_id_tables<kTablePages>(kRtTablesPa, kRootLevel, kMap);
static_assert(kTablesAtRt.result.is_ok() && kTablesAtRt.used == kTables.used, "same map, same count");

// The leaf for va in tables laid out as a TableImage (root level 1, 4 KiB granule), and
// its level; level 0 for an address beyond the root's 512 GiB.
struct Leaf {
    Descriptor entry;
    unsigned level;
};
constexpr Leaf lookup(const Descriptor* entries, uint64_t base, uint64_t va) {
    if (va >> Granule4K::va_bits(kRootLevel) != 0) {
        return {Descriptor(), 0};
    }
    const Descriptor* table = entries;
    for (unsigned level = kRootLevel;; ++level) {
        const Descriptor entry = table[Granule4K::index(va, level)];
        if (!entry.is_table(level)) {
            return {entry, level};
        }
        table = entries + (entry.output_address().value() - base) / sizeof(Descriptor);
    }
}

// What the compiler says of its own tables.
constexpr uint64_t kFlagMask = ~(Granule4K::output_address_mask | ap::bits(Attributes::ACCESSED) |
                                 ap::bits(Attributes::TABLE_OR_PAGE) | ap::bits(Attributes::CONTIGUOUS));
static_assert(lookup(kTables.entries, kTablesPa, kText).level == 3, "code: pages");
static_assert(lookup(kTables.entries, kTablesPa, kText).entry.bits() ==
                  (kText | ap::bits(kCode | Attributes::ACCESSED | Attributes::TABLE_OR_PAGE)),
              "code: read-only, executable, accessed");
static_assert((lookup(kTables.entries, kTablesPa, kUart).entry.bits() & kFlagMask) == ap::bits(kDevice),
              "the UART: Device-nGnRE, execute-never");
static_assert(!lookup(kTables.entries, kTablesPa, kNeverMapped).entry.is_valid(), "test RAM: not mapped");
static_assert(!lookup(kTables.entries, kTablesPa, kImageEnd).entry.is_valid(), "nothing after the image");

// FNV-1a over the descriptors: at compile time of the constant, at run time of memory.
constexpr uint64_t fnv1a(const Descriptor* entries, size_t count) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < count; ++i) {
        hash = (hash ^ entries[i].bits()) * 0x100000001b3ULL;
    }
    return hash;
}
constexpr uint64_t kTablesHash = fnv1a(kTables.entries, kTables.used * Granule4K::entries);

// The run-time core's pages: a buffer the linker script puts at kRtTablesPa.
alignas(4096) __attribute__((section(".cxx_rt_tables"))) Descriptor rt_pages[kTablePages][Granule4K::entries];

// Hands out pages from base in order, as build_id_tables does (and takes back the last).
struct InOrder {
    uint64_t base;
    size_t count;
    size_t used;
};
void* in_order_alloc(void* ctx) {
    auto* a = static_cast<InOrder*>(ctx);
    return a->used < a->count ? reinterpret_cast<void*>(a->base + kPage * a->used++) : nullptr;
}
void in_order_free(void* ctx, void* page) {
    auto* a = static_cast<InOrder*>(ctx);
    if (a->used != 0 && reinterpret_cast<uint64_t>(page) == a->base + kPage * (a->used - 1)) {
        --a->used;
    }
}

// The memory map's entry for va (the last that covers it), or nullptr.
const MapEntry* map_entry(uint64_t va) {
    const MapEntry* found = nullptr;
    for (const MapEntry& e : kMap) {
        if (e.region.start().value() <= va && va < e.region.end().value()) {
            found = &e;
        }
    }
    return found;
}

// ---------------------------------------------------------------------------------
// AT against a leaf

bool is_normal(Descriptor d) { return ((d.bits() >> 2) & 7) == 1; }
bool is_read_only(Descriptor d) { return (d.bits() & ap::bits(Attributes::READ_ONLY)) != 0; }
bool is_contiguous(Descriptor d) { return ((d.bits() >> 52) & 1) != 0; }

// AT S1E1R and S1E1W at va against a leaf at level (from the tables): a valid leaf gives
// va's own page with its memory type and shareability, writable unless read-only (else a
// permission fault at level); an invalid one a translation fault at level. Notes problems.
void check_at_leaf(uint64_t va, Descriptor leaf, unsigned level) {
    const uint64_t r = bm_at_s1e1r(va);
    const uint64_t w = bm_at_s1e1w(va);
    if (!leaf.is_valid()) {
        CHECK((r & BM_PAR_F) && BM_PAR_FST(r) == BM_FSC_TRANSLATION(level) && (w & BM_PAR_F) &&
                  BM_PAR_FST(w) == BM_FSC_TRANSLATION(level),
              "0x%llx: invalid at level %u, but PAR R 0x%llx W 0x%llx (want a translation fault, FST 0x%02x)",
              (ull)va, level, (ull)r, (ull)w, BM_FSC_TRANSLATION(level));
        return;
    }
    const unsigned attr = is_normal(leaf) ? 0xff : 0x04;
    const unsigned sh = static_cast<unsigned>((leaf.bits() >> 8) & 3);
    CHECK(!(r & BM_PAR_F) && BM_PAR_PA(r) == (va & ~(kPage - 1)) && BM_PAR_ATTR(r) == attr &&
              (BM_PAR_SH(r) == sh || (attr == 0x04 && BM_PAR_SH(r) == 2)),
          "0x%llx: descriptor 0x%llx (level %u), but AT S1E1R PAR 0x%llx (want PA 0x%llx ATTR 0x%02x SH %u)",
          (ull)va, (ull)leaf.bits(), level, (ull)r, (ull)(va & ~(kPage - 1)), attr, sh);
    if (is_read_only(leaf)) {
        CHECK((w & BM_PAR_F) && BM_PAR_FST(w) == BM_FSC_PERMISSION(level),
              "0x%llx: read-only at level %u, but AT S1E1W PAR 0x%llx (want a permission fault, FST 0x%02x)",
              (ull)va, level, (ull)w, BM_FSC_PERMISSION(level));
    } else {
        CHECK(!(w & BM_PAR_F) && BM_PAR_PA(w) == (va & ~(kPage - 1)),
              "0x%llx: writable, but AT S1E1W PAR 0x%llx", (ull)va, (ull)w);
    }
}

// The leaf a Mapping (any granule) has for va, by walk_range.
struct MapLeaf {
    Descriptor entry;
    unsigned level = 0;
    MemoryRegion region;
    Result result;
};
template <class M>
MapLeaf leaf_of(const M& map, uint64_t va) {
    MapLeaf leaf;
    leaf.result = map.walk_range(MemoryRegion(va, va + 1), [&](const MemoryRegion& region, Descriptor d, unsigned level) {
        leaf.entry = d;
        leaf.level = level;
        leaf.region = region;
        return true;
    });
    return leaf;
}

// One case: AT at va agrees with what map's walk_range says there; want_level (0: any)
// and want_valid say what the test laid out.
template <class M>
void at_case(const M& map, const char* what, uint64_t va, unsigned want_level, bool want_valid) {
    const MapLeaf leaf = leaf_of(map, va);
    case_begin("AT 0x%010llx %-26s level %u %s, descriptor 0x%016llx", (ull)va, what, leaf.level,
               !leaf.entry.is_valid() ? "invalid" : leaf.level == 3 ? "page" : "block", (ull)leaf.entry.bits());
    if (CHECK(leaf.result.is_ok(), "walk_range: %s", text(leaf.result))) {
        CHECK(want_level == 0 || leaf.level == want_level, "leaf at level %u, laid out at level %u", leaf.level,
              want_level);
        CHECK(leaf.entry.is_valid() == want_valid, "the tables have it %s", leaf.entry.is_valid() ? "valid" : "invalid");
        check_at_leaf(va, leaf.entry, leaf.level);
    }
    case_end();
}

// ---------------------------------------------------------------------------------
// Faults

// A store of value at addr: 0 if it went through, else the ESR of the fault.
uint64_t store_fault(uint64_t addr, uint64_t value) {
    bm_expect_fault();
    bm_probe_write(addr, value);
    return bm_fault_taken() ? bm_fault.esr | (uint64_t{1} << 63) : 0;
}

// Expects a data abort at addr from a store: permission fault at level.
void check_store_faults(const char* what, uint64_t addr, unsigned fsc) {
    case_begin("a store to %s (0x%llx) takes a data abort, DFSC 0x%02x", what, (ull)addr, fsc);
    const uint64_t esr = store_fault(addr, 0x5a5a5a5a5a5a5a5aULL);
    if (CHECK(esr != 0, "the store went through")) {
        CHECK(BM_ESR_EC(esr) == BM_EC_DABORT_SAME_EL && BM_ESR_FSC(esr) == fsc && BM_ESR_WNR(esr) == 1 &&
                  bm_fault.far == addr,
              "ESR_EL1 0x%llx (EC 0x%02x DFSC 0x%02x WnR %u) FAR_EL1 0x%llx", (ull)(esr & ~(uint64_t{1} << 63)),
              (unsigned)BM_ESR_EC(esr), (unsigned)BM_ESR_FSC(esr), (unsigned)BM_ESR_WNR(esr), (ull)bm_fault.far);
    }
    case_end();
}

// Expects a store and a load at addr to go through, the load giving what was stored.
void check_store_load(const char* what, uint64_t addr) {
    case_begin("a store to %s (0x%llx) goes through and reads back", what, (ull)addr);
    const uint64_t value = 0xc0ffee0000000000ULL | addr;
    const uint64_t esr = store_fault(addr, value);
    if (CHECK(esr == 0, "ESR_EL1 0x%llx FAR 0x%llx", (ull)(esr & ~(uint64_t{1} << 63)), (ull)bm_fault.far)) {
        bm_expect_fault();
        const uint64_t got = bm_probe_read(addr, ~value);
        CHECK(!bm_fault_taken() && got == value, "read 0x%llx, wrote 0x%llx", (ull)got, (ull)value);
    }
    case_end();
}

// A call into an execute-never data page: an instruction abort (a permission fault at
// level, that of the leaf mapping it).
alignas(4096) uint32_t xn_code[1024];

void check_call_faults(const char* what, unsigned level) {
    const uint64_t addr = reinterpret_cast<uintptr_t>(xn_code);
    case_begin("a call into %s (0x%llx) takes an instruction abort, IFSC 0x%02x", what, (ull)addr,
               BM_FSC_PERMISSION(level));
    bm_expect_fault();
    reinterpret_cast<void (*)()>(addr)();
    const bool taken = bm_fault_taken() != 0;
    if (CHECK(taken, "the call returned: the page executed")) {
        CHECK(BM_ESR_EC(bm_fault.esr) == BM_EC_IABORT_SAME_EL && BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(level) &&
                  bm_fault.elr == addr,
              "ESR_EL1 0x%llx (EC 0x%02x IFSC 0x%02x) ELR 0x%llx", (ull)bm_fault.esr,
              (unsigned)BM_ESR_EC(bm_fault.esr), (unsigned)BM_ESR_FSC(bm_fault.esr), (ull)bm_fault.elr);
    }
    case_end();
}

// ---------------------------------------------------------------------------------
// 1. Boot with the compile-time tables

// Walks two trees of 4 KiB tables together: the run-time core's (pages at rt_base) and the
// linked ones (at kTablesPa). Every descriptor equal, but table pointers, which must point
// at the corresponding page (page i of one at page i of the other). Counts the pages seen.
bool compare_trees(const Descriptor* rt, const Descriptor* linked, unsigned level, size_t& pages) {
    ++pages;
    bool same = true;
    for (unsigned i = 0; i < Granule4K::entries; ++i) {
        const Descriptor a = rt[i];
        const Descriptor b = linked[i];
        if (level < 3 && a.is_table(level)) {
            const uint64_t page = (a.output_address().value() - kRtTablesPa) / kPage;
            const uint64_t want = (a.bits() & ~Granule4K::output_address_mask) | (kTablesPa + page * kPage);
            if (!CHECK(page < kTables.used && b.bits() == want,
                       "level %u entry %u: run-time table 0x%llx, linked 0x%llx (want 0x%llx)", level, i,
                       (ull)a.bits(), (ull)b.bits(), (ull)want)) {
                return false;
            }
            same = compare_trees(reinterpret_cast<const Descriptor*>(a.output_address().value()),
                                 opaque(reinterpret_cast<const Descriptor*>(b.output_address().value())), level + 1,
                                 pages) &&
                   same;
        } else if (!CHECK(a == b, "level %u entry %u: run-time 0x%llx, linked 0x%llx", level, i, (ull)a.bits(),
                          (ull)b.bits())) {
            same = false;
        }
    }
    return same;
}

void static_tables_suite(uint64_t mmfr0) {
    bm_printf("# 1. tables built at compile time: build_id_tables<%u>(0x%llx, %u, kMap), %u pages\n",
              (unsigned)kTablePages, (ull)kTablesPa, kRootLevel, (unsigned)kTables.used);
    const Descriptor* linked = opaque(kTables.entries);

    case_begin("kTables is linked at 0x%llx (the base it was built for) and holds what the compiler computed",
               (ull)kTablesPa);
    CHECK(reinterpret_cast<uintptr_t>(&kTables) == kTablesPa, "&kTables = 0x%llx",
          (ull)reinterpret_cast<uintptr_t>(&kTables));
    CHECK(reinterpret_cast<uintptr_t>(linked) == kTables.base, "entries at 0x%llx, base 0x%llx",
          (ull)reinterpret_cast<uintptr_t>(linked), (ull)kTables.base);
    const uint64_t hash = fnv1a(linked, kTables.used * Granule4K::entries);
    CHECK(hash == kTablesHash, "FNV-1a of memory 0x%llx, of the constant 0x%llx", (ull)hash, (ull)kTablesHash);
    case_end();

    // The run-time core, MMU off, pages in order at kRtTablesPa; poisoned first, so that a
    // byte it does not write cannot pass for one it does.
    __builtin_memset(rt_pages, 0xa5, sizeof rt_pages);
    InOrder source{kRtTablesPa, kTablePages, 0};
    ap::Mapping<> rt;
    Result r = rt.init(0, kRootLevel, ap::PageAllocator{&in_order_alloc, &in_order_free, &source});
    for (const MapEntry& e : kMap) {
        if (r.is_ok()) {
            r = rt.map_range(e.region, PhysicalAddress(e.region.start().value()), e.flags, e.constraints);
        }
    }
    case_begin("the run-time core maps kMap with %u pages from 0x%llx, in order", (unsigned)source.used,
               (ull)kRtTablesPa);
    CHECK(reinterpret_cast<uintptr_t>(rt_pages) == kRtTablesPa, "rt_pages at 0x%llx",
          (ull)reinterpret_cast<uintptr_t>(rt_pages));
    CHECK(r.is_ok(), "%s", text(r));
    CHECK(rt.table_count() == kTables.used && source.used == kTables.used,
          "table_count %u, pages taken %u, kTables.used %u", (unsigned)rt.table_count(), (unsigned)source.used,
          (unsigned)kTables.used);
    CHECK(rt.root_address().value() == kRtTablesPa, "root at 0x%llx", (ull)rt.root_address().value());
    case_end();

    case_begin("its pages are bit-identical to build_id_tables<%u>(0x%llx, ...) (%u bytes)", (unsigned)kTablePages,
               (ull)kRtTablesPa, (unsigned)(kTables.used * kPage));
    const int diff = __builtin_memcmp(rt_pages, kTablesAtRt.entries, kTables.used * kPage);
    if (!CHECK(diff == 0, "memcmp %d", diff)) {
        for (size_t i = 0, shown = 0; i < kTables.used * Granule4K::entries && shown < 4; ++i) {
            const Descriptor a = rt_pages[i / Granule4K::entries][i % Granule4K::entries];
            if (a != kTablesAtRt.entries[i]) {
                fail("page %u entry %u: run-time 0x%llx, compile-time 0x%llx", (unsigned)(i / Granule4K::entries),
                     (unsigned)(i % Granule4K::entries), (ull)a.bits(), (ull)kTablesAtRt.entries[i].bits());
                ++shown;
            }
        }
    }
    case_end();

    case_begin("and equal to the linked kTables but for table pointers, which point at corresponding pages");
    size_t pages = 0;
    compare_trees(rt_pages[0], linked, kRootLevel, pages);
    CHECK(pages == kTables.used, "%u pages in the tree, %u in kTables", (unsigned)pages, (unsigned)kTables.used);
    case_end();

    // The registers mmu_config gives for the run-time map of the same root level, with
    // TTBR0 = kTables.base: the MMU on with no table built at run time.
    ap::MmuConfig config{};
    r = ap::mmu_config(rt, mmfr0, config);
    case_begin("mmu_config for the run-time map: MAIR 0x%llx TCR 0x%llx TTBR0 0x%llx", (ull)config.mair,
               (ull)config.tcr, (ull)config.ttbr);
    CHECK(r.is_ok(), "%s", text(r));
    CHECK(config.ttbr == kRtTablesPa, "its TTBR0 0x%llx", (ull)config.ttbr);
    case_end();
    rt.release();
    if (!r.is_ok()) {
        return;
    }
    // Wiped: from here on only kTables can translate anything.
    __builtin_memset(rt_pages, 0, sizeof rt_pages);

    const ap::arch::MmuRegisters previous = ap::arch::read_mmu_registers(ap::TranslationRegime::El1And0);
    const uint64_t sctlr = (previous.sctlr | config.sctlr_set) & ~config.sctlr_clear;
    // Loaded by QEMU with the caches off; cleaned to the point of coherency all the same,
    // as enable_mmu does, for the walker's cacheable reads.
    ap::arch::clean_invalidate_dcache_to_poc(kTablesPa, kTables.used * kPage);
    ap::arch::load_mmu_registers(ap::TranslationRegime::El1And0,
                                 ap::arch::MmuRegisters{config.mair, config.tcr, kTables.base, 0, sctlr});

    case_begin("MMU on with kTables: arch::load_mmu_registers(El1And0, mmu_config's values, TTBR0 = kTables.base)");
    CHECK(BM_READ_SYSREG(mair_el1) == config.mair, "MAIR_EL1 0x%llx", (ull)BM_READ_SYSREG(mair_el1));
    CHECK(BM_READ_SYSREG(tcr_el1) == config.tcr, "TCR_EL1 0x%llx", (ull)BM_READ_SYSREG(tcr_el1));
    CHECK(BM_READ_SYSREG(ttbr0_el1) == kTablesPa, "TTBR0_EL1 0x%llx", (ull)BM_READ_SYSREG(ttbr0_el1));
    CHECK((BM_READ_SYSREG(sctlr_el1) & 0x1005) == 0x1005, "SCTLR_EL1 0x%llx: M, C, I not all set",
          (ull)BM_READ_SYSREG(sctlr_el1));
    case_end();

    uint64_t on_stack = 0;
    const struct {
        const char* what;
        uint64_t va;
    } samples[] = {
        {"code: first page", kText},
        {"code: bm_main", reinterpret_cast<uintptr_t>(&bm_main)},
        {"code: window's last page", kRodata - kPage},
        {"rodata: first page", kRodata},
        {"rodata: kMap", reinterpret_cast<uintptr_t>(kMap)},
        {"rodata: window's last page", kData - kPage},
        {"data: first page", kData},
        {"bss: xn_code", reinterpret_cast<uintptr_t>(xn_code)},
        {"stack", reinterpret_cast<uintptr_t>(&on_stack)},
        {"data: window's last page", kTablesPa - kPage},
        {"tables: the root", kTablesPa},
        {"tables: the last page", kTablesPa + (kTables.used - 1) * kPage},
        {"run-time pages", kRtTablesPa},
        {"UART", kUart},
        {"unmapped: RAM base", kRam},
        {"unmapped: after the image", kImageEnd},
        {"unmapped: test RAM", kNeverMapped},
        {"unmapped: 256 GiB", 256 * kGiB},
        {"unmapped: 512 GiB (T0SZ 25)", 512 * kGiB},
    };
    for (const auto& s : samples) {
        const Leaf leaf = lookup(linked, kTablesPa, s.va);
        const MapEntry* e = map_entry(s.va);
        case_begin("AT 0x%010llx %-28s kMap: %-9s tables: level %u 0x%016llx", (ull)s.va, s.what,
                   e == nullptr                                 ? "unmapped"
                   : !contains(e->flags, Attributes::NORMAL)      ? "device"
                   : contains(e->flags, Attributes::READ_ONLY)    ? "read-only"
                                                                  : "rw",
                   leaf.level, (ull)leaf.entry.bits());
        // The tables say what the map says: valid where it maps, with its flags.
        CHECK((e != nullptr) == leaf.entry.is_valid(), "kMap %s it, the tables %s", e ? "maps" : "does not map",
              leaf.entry.is_valid() ? "do" : "do not");
        if (e != nullptr && leaf.entry.is_valid()) {
            CHECK((leaf.entry.bits() & kFlagMask) == ap::bits(e->flags), "descriptor flags 0x%llx, kMap's 0x%llx",
                  (ull)(leaf.entry.bits() & kFlagMask), (ull)ap::bits(e->flags));
        }
        check_at_leaf(s.va, leaf.entry, leaf.level);
        case_end();
    }

    check_store_faults("code (bm_main)", reinterpret_cast<uintptr_t>(&bm_main),
                       BM_FSC_PERMISSION(lookup(linked, kTablesPa, reinterpret_cast<uintptr_t>(&bm_main)).level));
    check_store_faults("rodata (kMap)", reinterpret_cast<uintptr_t>(kMap),
                       BM_FSC_PERMISSION(lookup(linked, kTablesPa, reinterpret_cast<uintptr_t>(kMap)).level));
    check_store_faults("the tables (kTables)", kTablesPa, BM_FSC_PERMISSION(3));
    check_store_load("bss (xn_code + 8)", reinterpret_cast<uintptr_t>(xn_code) + 8);
    check_call_faults("bss (xn_code)", lookup(linked, kTablesPa, reinterpret_cast<uintptr_t>(xn_code)).level);
    {
        const Leaf leaf = lookup(linked, kTablesPa, kNeverMapped);
        case_begin("a load from unmapped test RAM (0x%llx) takes a translation fault at level %u", (ull)kNeverMapped,
                   leaf.level);
        bm_expect_fault();
        (void)bm_probe_read(kNeverMapped, 0);
        const bool taken = bm_fault_taken() != 0;
        CHECK(taken && BM_ESR_EC(bm_fault.esr) == BM_EC_DABORT_SAME_EL &&
                  BM_ESR_FSC(bm_fault.esr) == BM_FSC_TRANSLATION(leaf.level) && bm_fault.far == kNeverMapped,
              "taken %d ESR_EL1 0x%llx FAR 0x%llx", taken, (ull)bm_fault.esr, (ull)bm_fault.far);
        case_end();
    }

    ap::arch::load_mmu_registers(ap::TranslationRegime::El1And0, previous);
    case_begin("MMU off again (the registers as they were)");
    CHECK((BM_READ_SYSREG(sctlr_el1) & 1) == 0, "SCTLR_EL1 0x%llx", (ull)BM_READ_SYSREG(sctlr_el1));
    CHECK(BM_READ_SYSREG(ttbr0_el1) == previous.ttbr0, "TTBR0_EL1 0x%llx", (ull)BM_READ_SYSREG(ttbr0_el1));
    case_end();
}

// ---------------------------------------------------------------------------------
// Groups of leaves, read back

// Reads [start, end) back with walk_range: leaves, those with the contiguous bit, those
// read-only, and the level of the first.
struct Group {
    unsigned leaves = 0, hinted = 0, read_only = 0, level = 0;
    Result result;
};
template <class M>
Group read_group(const M& map, uint64_t start, uint64_t end) {
    Group g;
    g.result = map.walk_range(MemoryRegion(start, end), [&](const MemoryRegion&, Descriptor d, unsigned level) {
        if (g.leaves++ == 0) {
            g.level = level;
        }
        g.hinted += d.is_valid() && is_contiguous(d) ? 1 : 0;
        g.read_only += d.is_valid() && is_read_only(d) ? 1 : 0;
        return true;
    });
    return g;
}

// One case: the group [start, end) has leaves at level, hinted of them with bit 52 and
// read_only of them read-only.
template <class M>
void group_case(const M& map, const char* what, uint64_t start, uint64_t end, unsigned level, unsigned leaves,
                unsigned hinted, unsigned read_only) {
    const Group g = read_group(map, start, end);
    case_begin("%-44s [0x%llx, 0x%llx): %u of %u level-%u leaves hinted, %u read-only", what, (ull)start, (ull)end,
               g.hinted, g.leaves, g.level, g.read_only);
    CHECK(g.result.is_ok(), "walk_range: %s", text(g.result));
    CHECK(g.leaves == leaves && g.level == level, "want %u leaves at level %u", leaves, level);
    CHECK(g.hinted == hinted, "want %u with the contiguous bit", hinted);
    CHECK(g.read_only == read_only, "want %u read-only", read_only);
    case_end();
}

// One case: a change to the live map is refused with BreakBeforeMakeViolation, and the
// group reads back as before.
template <class M>
void refused_case(const M& map, const char* what, const Result& r, uint64_t start, uint64_t end, unsigned level,
                  unsigned leaves) {
    const Group g = read_group(map, start, end);
    case_begin("live: %-50s answers: %s", what, text(r));
    CHECK(r.status() == Status::BreakBeforeMakeViolation, "want BreakBeforeMakeViolation");
    CHECK(g.result.is_ok() && g.leaves == leaves && g.level == level && g.hinted == leaves && g.read_only == 0,
          "the group changed: %u leaves, %u hinted, %u read-only", g.leaves, g.hinted, g.read_only);
    case_end();
}

// AT at every step through [start, end) against the map, in one case.
template <class M>
void at_range_case(const M& map, const char* what, uint64_t start, uint64_t end, uint64_t step) {
    case_begin("AT agrees with the tables at every %llu %s of %s [0x%llx, 0x%llx)",
               (ull)(step >= kMiB ? step / kMiB : step / kKiB), step >= kMiB ? "MiB" : "KiB", what, (ull)start,
               (ull)end);
    for (uint64_t va = start; va < end; va += step) {
        const MapLeaf leaf = leaf_of(map, va);
        check_at_leaf(va, leaf.entry, leaf.level);
    }
    case_end();
}

// ---------------------------------------------------------------------------------
// 2. The 16 KiB and 64 KiB granules

const char* granule_name(uint64_t page_size) { return page_size == 16 * kKiB ? "16 KiB" : "64 KiB"; }

template <class G>
unsigned tgran_field(uint64_t mmfr0) {
    return static_cast<unsigned>(mmfr0 >> (G::page_size == 16 * kKiB ? 20 : 24)) & 0xf;
}

// Maps region with flags in map, as one case.
template <class M>
bool map_case(M& map, const char* what, uint64_t start, uint64_t end, Attributes flags,
              Constraints constraints = Constraints::NONE) {
    case_begin("map_range %-22s [0x%010llx, 0x%010llx)", what, (ull)start, (ull)end);
    const Result r = map.map_range(MemoryRegion(start, end), PhysicalAddress(start), flags, constraints);
    CHECK(r.is_ok(), "%s", text(r));
    return case_end();
}

template <class G, size_t PoolPages>
void granule_suite(ap::StaticPagePool<PoolPages, G::page_size>& pool, unsigned root_level, uint64_t mmfr0) {
    char name[40];
    bm_snprintf(name, sizeof name, "%s, root level %u", granule_name(G::page_size), root_level);
    const uint64_t P = G::page_size;
    const uint64_t block = G::level_size(2);
    bm_printf("# 2. the %s granule: Mapping<Granule%uK>, root level %u, StaticPagePool<%u, %u>\n",
              granule_name(G::page_size), (unsigned)(P / kKiB), root_level, (unsigned)PoolPages, (unsigned)P);

    ap::Mapping<G> map;
    Result r = map.init(1, root_level, pool.allocator());
    case_begin("%s: Mapping<Granule%uK>::init(ASID 1) from the pool: %s", name, (unsigned)(P / kKiB), text(r));
    CHECK(r.is_ok(), "%s", text(r));
    CHECK(map.size() == uint64_t{1} << G::va_bits(root_level), "size 0x%llx", (ull)map.size());
    if (!case_end()) {
        return;
    }

    if (!G::supported(mmfr0)) {
        // Said by the library too: enable_mmu refuses, the MMU stays off.
        ap::arch::MmuRegisters previous{};
        ap::MmuConfig config{};
        const Result c = ap::mmu_config(map, mmfr0, config);
        const Result e = ap::enable_mmu(map, previous);
        case_begin("%s: mmu_config and enable_mmu refuse on this CPU", name);
        CHECK(c.status() == Status::InvalidArgument, "mmu_config: %s", text(c));
        CHECK(e.status() == Status::InvalidArgument, "enable_mmu: %s", text(e));
        CHECK((BM_READ_SYSREG(sctlr_el1) & 1) == 0 && !map.is_active(), "the MMU went on");
        case_skip("the CPU lacks the %s granule (ID_AA64MMFR0_EL1 0x%llx: TGran%u = %u)",
                  granule_name(G::page_size), (ull)mmfr0, (unsigned)(P / kKiB), tgran_field<G>(mmfr0));
        case_end();
        map.release();
        return;
    }

    // The image's windows, with their own permissions: each is a whole number of pages.
    map_case(map, "code", kText, kRodata, kCode);
    map_case(map, "rodata", kRodata, kData, kRodataFlags);
    map_case(map, "data, bss, stack", kData, kTablesPa, kDataFlags);
    map_case(map, "tables, run-time pages", kTablesPa, kImageEnd, kRodataFlags);
    // The UART's level-2 block of Device memory: everything printed goes through it.
    const uint64_t device = kUart & ~(block - 1);
    map_case(map, "device block (UART)", device, device + block, kDevice);
    // A RAM block where the granule's level-2 block is small enough (16 KiB: 32 MiB).
    const bool ram_block = block <= 32 * kMiB;
    if (ram_block) {
        map_case(map, "RAM block", kTestBlocks, kTestBlocks + block, kDataFlags);
    }
    map_case(map, "read-only page", kTestPages, kTestPages + P, kRodataFlags);
    map_case(map, "read-write page", kTestPages + P, kTestPages + 2 * P, kDataFlags);
    // The page after is a hole. Then a hinted group of pages: 2 MiB of either granule.
    map.set_contiguous_hint(true);
    map_case(map, "hinted 2 MiB of pages", kTestHint2M, kTestHint2M + 2 * kMiB, kDataFlags);
    const unsigned block_group = G::contiguous_entries(2);
    const uint64_t blocks_end = kNoMemory + block_group * block;
    map_case(map, "hinted group of blocks", kNoMemory, blocks_end, kDataFlags);
    group_case(map, "hinted: the group of pages", kTestHint2M, kTestHint2M + 2 * kMiB, 3, G::contiguous_entries(3),
               G::contiguous_entries(3), 0);
    group_case(map, "hinted: the group of blocks", kNoMemory, blocks_end, 2, block_group, block_group, 0);

    case_begin("%s: the tables before the MMU goes on: %u pages; blocks and pages where laid out", name,
               (unsigned)map.table_count());
    {
        const MapLeaf dev = leaf_of(map, kUart);
        CHECK(dev.level == 2 && dev.entry.is_valid() && dev.region.start().value() == device &&
                  dev.region.len() == block,
              "UART: level %u descriptor 0x%llx region [0x%llx, 0x%llx)", dev.level, (ull)dev.entry.bits(),
              (ull)dev.region.start().value(), (ull)dev.region.end().value());
        const MapLeaf ro = leaf_of(map, kTestPages);
        CHECK(ro.level == 3 && ro.region.len() == P && is_read_only(ro.entry),
              "read-only page: level %u descriptor 0x%llx length 0x%llx", ro.level, (ull)ro.entry.bits(),
              (ull)ro.region.len());
        if (ram_block) {
            const MapLeaf rb = leaf_of(map, kTestBlocks);
            CHECK(rb.level == 2 && rb.region.start().value() == kTestBlocks && rb.region.len() == block,
                  "RAM block: level %u descriptor 0x%llx", rb.level, (ull)rb.entry.bits());
        }
    }
    case_end();

    ap::arch::MmuRegisters previous{};
    r = ap::enable_mmu(map, previous);
    // Read at once, before anything else can change them.
    const uint64_t tcr = BM_READ_SYSREG(tcr_el1);
    const uint64_t ttbr0 = BM_READ_SYSREG(ttbr0_el1);
    const uint64_t sctlr = BM_READ_SYSREG(sctlr_el1);
    case_begin("%s: enable_mmu<Granule%uK>: TCR_EL1 0x%llx TTBR0_EL1 0x%llx", name, (unsigned)(P / kKiB), (ull)tcr,
               (ull)ttbr0);
    CHECK(r.is_ok(), "%s", text(r));
    CHECK(((tcr >> 14) & 3) == G::tg0, "TCR_EL1.TG0 %u, want %u", (unsigned)((tcr >> 14) & 3), (unsigned)G::tg0);
    CHECK((tcr & 0x3f) == 64 - G::va_bits(root_level), "TCR_EL1.T0SZ %u, want %u", (unsigned)(tcr & 0x3f),
          64 - G::va_bits(root_level));
    CHECK(ttbr0 == map.ttbr(), "TTBR0_EL1 0x%llx, the map's 0x%llx", (ull)ttbr0, (ull)map.ttbr());
    CHECK((sctlr & 1) != 0 && map.is_active(), "SCTLR_EL1 0x%llx", (ull)sctlr);
    if (!case_end() || !r.is_ok()) {
        map.release();
        return;
    }

    uint64_t on_stack = 0;
    at_case(map, "code (bm_main)", reinterpret_cast<uintptr_t>(&bm_main), 3, true);
    at_case(map, "rodata (kMap)", reinterpret_cast<uintptr_t>(kMap), 3, true);
    at_case(map, "stack", reinterpret_cast<uintptr_t>(&on_stack), 3, true);
    at_case(map, "device block: UART", kUart, 2, true);
    at_case(map, "device block: last page", device + block - kPage, 2, true);
    if (ram_block) {
        at_case(map, "RAM block: first page", kTestBlocks, 2, true);
        at_case(map, "RAM block: middle", kTestBlocks + block / 2 + 0x1234, 2, true);
        at_case(map, "RAM block: last page", kTestBlocks + block - kPage, 2, true);
    }
    at_case(map, "read-only page", kTestPages, 3, true);
    at_case(map, "read-only page: last 4 KiB", kTestPages + P - kPage, 3, true);
    at_case(map, "read-write page: last 4 KiB", kTestPages + 2 * P - kPage, 3, true);
    at_case(map, "the hole after it", kTestPages + 2 * P, 3, false);
    at_case(map, "hinted group: first page", kTestHint2M, 3, true);
    at_case(map, "hinted group: last 4 KiB", kTestHint2M + 2 * kMiB - kPage, 3, true);
    at_case(map, "never mapped", kNeverMapped, 0, false);
    at_case(map, "hinted blocks: first page", kNoMemory, 2, true);
    at_case(map, "hinted blocks: middle", kNoMemory + (block_group / 2) * block + block / 2, 2, true);
    at_case(map, "hinted blocks: last page", blocks_end - kPage, 2, true);
    const uint64_t one = kTestHint2M + 5 * P;
    refused_case(map, "map_range one page of the hinted group read-only",
                 map.map_range(MemoryRegion(one, one + P), PhysicalAddress(one), kRodataFlags), kTestHint2M,
                 kTestHint2M + 2 * kMiB, 3, G::contiguous_entries(3));

    check_store_faults("the read-only page", kTestPages + P / 2, BM_FSC_PERMISSION(3));
    check_store_faults("code (bm_main)", reinterpret_cast<uintptr_t>(&bm_main), BM_FSC_PERMISSION(3));
    check_store_load("the read-write page", kTestPages + P + P / 2);
    check_store_load("the hinted group's last page", kTestHint2M + 2 * kMiB - 8);
    if (ram_block) {
        check_store_load("the RAM block", kTestBlocks + block - 8);
    }
    check_call_faults("bss (xn_code)", leaf_of(map, reinterpret_cast<uintptr_t>(xn_code)).level);

    r = ap::disable_mmu(map, previous);
    case_begin("%s: disable_mmu: the MMU off, the map inactive", name);
    CHECK(r.is_ok(), "%s", text(r));
    CHECK((BM_READ_SYSREG(sctlr_el1) & 1) == 0 && !map.is_active(), "SCTLR_EL1 0x%llx",
          (ull)BM_READ_SYSREG(sctlr_el1));
    case_end();
    r = map.map_range(MemoryRegion(one, one + P), PhysicalAddress(one), kRodataFlags);
    group_case(map, "inactive: one page read-only clears the group", kTestHint2M, kTestHint2M + 2 * kMiB, 3,
               G::contiguous_entries(3), 0, 1);
    if (!r.is_ok()) {
        fail("map_range: %s", text(r));
    }
    map.release();
    case_begin("%s: release gives every page back to the pool", name);
    CHECK(pool.in_use() == 0, "%u pages still in use", (unsigned)pool.in_use());
    case_end();
}

// ---------------------------------------------------------------------------------
// 3. The contiguous hint (4 KiB granule)

ap::StaticPagePool<16> pool_4k;

void contiguous_suite() {
    bm_printf("# 3. the contiguous hint, 4 KiB granule: 16 pages (64 KiB), 16 level-2 blocks (32 MiB)\n");
    const uint64_t group = 16 * kPage;
    const uint64_t blocks_end = kTestBlocks + 16 * 2 * kMiB;
    const uint64_t off = kTestPages + 0x100000;      // aligned, mapped with the policy off
    const uint64_t hinted = kTestPages;              // aligned, hinted
    const uint64_t ragged = kTestPages + 0x21000;    // 16 pages across two groups
    const uint64_t nohint = kTestPages + 0x80000;    // aligned, NO_CONTIGUOUS_HINT
    const uint64_t live = kTestPages + 0xc0000;      // aligned, mapped while live
    const uint64_t one = hinted + 3 * kPage;         // the page changed
    const uint64_t block1 = kTestBlocks + 2 * kMiB;  // the block changed

    ap::Mapping<> map;
    Result r = map.init(2, kRootLevel, pool_4k.allocator());
    case_begin("Mapping<>::init(ASID 2, root level 1): contiguous_hint() is off by default");
    CHECK(r.is_ok(), "%s", text(r));
    CHECK(!map.contiguous_hint(), "on after init");
    if (!case_end()) {
        return;
    }
    for (const MapEntry& e : kMap) {
        r = map.map_range(e.region, PhysicalAddress(e.region.start().value()), e.flags, e.constraints);
        if (!r.is_ok()) {
            break;
        }
    }
    case_begin("map_range the image (kMap): %s", text(r));
    CHECK(r.is_ok(), "%s", text(r));
    case_end();
    map_case(map, "aligned, policy off", off, off + group, kDataFlags);
    group_case(map, "policy off: no contiguous bit", off, off + group, 3, 16, 0, 0);

    map.set_contiguous_hint(true);
    map_case(map, "aligned 64 KiB", hinted, hinted + group, kDataFlags);
    map_case(map, "32 MiB of blocks", kTestBlocks, blocks_end, kDataFlags);
    map_case(map, "ragged 64 KiB", ragged, ragged + group, kDataFlags);
    map_case(map, "aligned, NO_CONTIGUOUS_HINT", nohint, nohint + group, kDataFlags, Constraints::NO_CONTIGUOUS_HINT);
    // The other ways map_range writes: new tables chained below an empty entry, and the
    // full walk (a 2 MiB block, then 16 pages in a new table).
    const uint64_t chained = kRam + 68 * kMiB;
    const uint64_t walked = kRam + 72 * kMiB;
    map_case(map, "64 KiB below an empty entry", chained, chained + group, kDataFlags);
    map_case(map, "2 MiB + 64 KiB", walked, walked + 2 * kMiB + group, kDataFlags);
    // And the root level: 16 blocks of 1 GiB where there is no memory (AT only).
    const uint64_t gib_end = kNoMemory + 16 * kGiB;
    map_case(map, "16 GiB of 1 GiB blocks", kNoMemory, gib_end, kDataFlags);
    group_case(map, "hinted: an aligned group of 16 pages", hinted, hinted + group, 3, 16, 16, 0);
    group_case(map, "hinted: 16 aligned 2 MiB blocks", kTestBlocks, blocks_end, 2, 16, 16, 0);
    group_case(map, "ragged: 16 pages across two groups", ragged, ragged + group, 3, 16, 0, 0);
    group_case(map, "NO_CONTIGUOUS_HINT: an aligned group", nohint, nohint + group, 3, 16, 0, 0);
    group_case(map, "hinted: 16 pages in a chain of new tables", chained, chained + group, 3, 16, 16, 0);
    group_case(map, "hinted: 16 pages after a block", walked + 2 * kMiB, walked + 2 * kMiB + group, 3, 16, 16, 0);
    group_case(map, "a lone 2 MiB block: no group", walked, walked + 2 * kMiB, 2, 1, 0, 0);
    group_case(map, "hinted: 16 aligned 1 GiB blocks", kNoMemory, gib_end, 1, 16, 16, 0);
    {
        // The bit itself: 52, on every entry of the group, and nothing else differs from
        // what map_range writes without it.
        const MapLeaf first = leaf_of(map, hinted);
        const MapLeaf plain = leaf_of(map, nohint);
        case_begin("the hint is bit 52: hinted page 0x%016llx, unhinted 0x%016llx", (ull)first.entry.bits(),
                   (ull)plain.entry.bits());
        CHECK((first.entry.bits() ^ (uint64_t{1} << 52)) - hinted == plain.entry.bits() - nohint,
              "they differ in more than bit 52 and the address");
        case_end();
    }

    ap::arch::MmuRegisters previous{};
    r = ap::enable_mmu(map, previous);
    case_begin("enable_mmu with the hinted map: %s", text(r));
    CHECK(r.is_ok() && map.is_active(), "%s", text(r));
    if (!case_end()) {
        map.release();
        return;
    }
    at_range_case(map, "the hinted pages", hinted, hinted + group, kPage);
    at_range_case(map, "the hinted blocks", kTestBlocks, blocks_end, kMiB);
    at_range_case(map, "the hinted 1 GiB blocks", kNoMemory, gib_end, kGiB / 2);
    check_store_load("the hinted group's last page", hinted + group - 8);
    check_store_load("the last hinted block", blocks_end - 8);

    // Live: one entry of a hinted group cannot change alone.
    refused_case(map, "map_range one page of a hinted group read-only",
                 map.map_range(MemoryRegion(one, one + kPage), PhysicalAddress(one), kRodataFlags), hinted,
                 hinted + group, 3, 16);
    refused_case(map, "modify_range one page of a hinted group read-only",
                 map.modify_range(MemoryRegion(one, one + kPage),
                                  [](const MemoryRegion&, Descriptor& d, unsigned) {
                                      return d.modify_flags(Attributes::READ_ONLY, Attributes::EMPTY).is_ok();
                                  }),
                 hinted, hinted + group, 3, 16);
    refused_case(map, "unmap_range one page of a hinted group", map.unmap_range(MemoryRegion(one, one + kPage)),
                 hinted, hinted + group, 3, 16);
    refused_case(map, "map_range one block of a hinted group read-only",
                 map.map_range(MemoryRegion(block1, block1 + 2 * kMiB), PhysicalAddress(block1), kRodataFlags),
                 kTestBlocks, blocks_end, 2, 16);
    refused_case(map, "unmap_range one 1 GiB block of a hinted group",
                 map.unmap_range(MemoryRegion(kNoMemory + 5 * kGiB, kNoMemory + 6 * kGiB)), kNoMemory, gib_end, 1, 16);
    refused_case(map, "map_range the whole hinted group read-only",
                 map.map_range(MemoryRegion(hinted, hinted + group), PhysicalAddress(hinted), kRodataFlags), hinted,
                 hinted + group, 3, 16);
    {
        const uint64_t w = bm_at_s1e1w(one);
        case_begin("live: after the refusals the page is still writable (AT S1E1W PAR 0x%llx)", (ull)w);
        CHECK(!(w & BM_PAR_F), "it is not");
        case_end();
    }
    r = map.map_range(MemoryRegion(hinted, hinted + group), PhysicalAddress(hinted), kDataFlags);
    group_case(map, "live: the same attributes again: accepted, bits kept", hinted, hinted + group, 3, 16, 16, 0);
    if (!r.is_ok()) {
        fail("map_range: %s", text(r));
    }
    map_case(map, "live, aligned 64 KiB", live, live + group, kDataFlags);
    group_case(map, "live: no hint is added to a live map", live, live + group, 3, 16, 0, 0);
    at_range_case(map, "the live-mapped pages", live, live + group, kPage);
    // A page of an unhinted group changes live, and at once.
    r = map.modify_range(MemoryRegion(nohint, nohint + kPage), [](const MemoryRegion&, Descriptor& d, unsigned) {
        return d.modify_flags(Attributes::READ_ONLY, Attributes::EMPTY).is_ok();
    });
    case_begin("live: an unhinted page made read-only: %s", text(r));
    CHECK(r.is_ok(), "%s", text(r));
    const uint64_t nohint_w = bm_at_s1e1w(nohint);
    CHECK((nohint_w & BM_PAR_F) && BM_PAR_FST(nohint_w) == BM_FSC_PERMISSION(3), "AT S1E1W PAR 0x%llx",
          (ull)nohint_w);
    case_end();

    r = ap::disable_mmu(map, previous);
    case_begin("disable_mmu: the map inactive: %s", text(r));
    CHECK(r.is_ok() && !map.is_active(), "%s", text(r));
    if (!case_end()) {
        map.release();
        return;
    }

    // Inactive: the same changes go through and clear the whole group.
    r = map.map_range(MemoryRegion(one, one + kPage), PhysicalAddress(one), kRodataFlags);
    group_case(map, "inactive: one page read-only clears the group", hinted, hinted + group, 3, 16, 0, 1);
    if (!r.is_ok()) {
        fail("map_range: %s", text(r));
    }
    r = map.map_range(MemoryRegion(block1, block1 + 2 * kMiB), PhysicalAddress(block1), kRodataFlags);
    group_case(map, "inactive: one block read-only clears the group", kTestBlocks, blocks_end, 2, 16, 0, 1);
    if (!r.is_ok()) {
        fail("map_range: %s", text(r));
    }
    r = ap::enable_mmu(map, previous);
    case_begin("enable_mmu again: %s", text(r));
    CHECK(r.is_ok(), "%s", text(r));
    case_end();
    if (r.is_ok()) {
        at_range_case(map, "the former page group", hinted, hinted + group, kPage);
        at_range_case(map, "the former block group", kTestBlocks, blocks_end, kMiB);
        check_store_faults("the page made read-only", one + 16, BM_FSC_PERMISSION(3));
        check_store_faults("the block made read-only", block1 + 16, BM_FSC_PERMISSION(2));
        check_store_load("the page after it", one + kPage + 16);
        r = ap::disable_mmu(map, previous);
        case_begin("disable_mmu: %s", text(r));
        CHECK(r.is_ok(), "%s", text(r));
        case_end();
    }

    // Every change regroups what it touches: back as it was, hinted again.
    r = map.map_range(MemoryRegion(one, one + kPage), PhysicalAddress(one), kDataFlags);
    group_case(map, "inactive: the page back: the group hinted again", hinted, hinted + group, 3, 16, 16, 0);
    r = map.map_range(MemoryRegion(block1, block1 + 2 * kMiB), PhysicalAddress(block1), kDataFlags);
    group_case(map, "inactive: the block back: the group hinted again", kTestBlocks, blocks_end, 2, 16, 16, 0);
    r = map.map_range(MemoryRegion(live, live + group), PhysicalAddress(live), kDataFlags);
    group_case(map, "inactive: the live-mapped group rewritten: hinted", live, live + group, 3, 16, 16, 0);
    r = map.modify_range(MemoryRegion(hinted, hinted + group), [](const MemoryRegion&, Descriptor& d, unsigned) {
        return d.modify_flags(Attributes::READ_ONLY, Attributes::EMPTY).is_ok();
    });
    group_case(map, "inactive: modify_range the whole group: hinted", hinted, hinted + group, 3, 16, 16, 16);
    r = map.modify_range(MemoryRegion(one, one + kPage), [](const MemoryRegion&, Descriptor& d, unsigned) {
        return d.modify_flags(Attributes::EMPTY, Attributes::READ_ONLY).is_ok();
    });
    group_case(map, "inactive: modify_range one page: group cleared", hinted, hinted + group, 3, 16, 0, 15);
    r = map.unmap_range(MemoryRegion(live, live + kPage));
    group_case(map, "inactive: unmap_range the first page: cleared", live, live + group, 3, 16, 0, 0);
    map.release();
    case_begin("release gives every page back to the pool");
    CHECK(pool_4k.in_use() == 0, "%u pages still in use", (unsigned)pool_4k.in_use());
    case_end();
}

ap::StaticPagePool<8, Granule16K::page_size> pool_16k;
ap::StaticPagePool<6, Granule64K::page_size> pool_64k;

// ---------------------------------------------------------------------------------
// 4. Teardown with the MMU on

void teardown_suite() {
    bm_printf("# 4. an IdMap that enable_mmu turned on, going out of scope with the MMU on it\n");
    ap::arch::MmuRegisters previous{};
    uint64_t ttbr = 0;
    {
        ap::IdMap map(3, kRootLevel, pool_4k.allocator());
        Result r = map.is_valid() ? Result() : Result(Status::OutOfMemory);
        for (const MapEntry& e : kMap) {
            r = r.is_ok() ? map.map_range_with_constraints(e.region, e.flags, e.constraints) : r;
        }
        r = r.is_ok() ? ap::enable_mmu(map.mapping(), previous) : r;
        ttbr = map.mapping().ttbr();
        case_begin("IdMap: the image mapped, enable_mmu: %s", text(r));
        CHECK(r.is_ok(), "%s", text(r));
        if (!case_end()) {
            return;
        }
        const Result d = map.deactivate();
        case_begin("deactivate refuses: %s", text(d));
        CHECK(d.status() == Status::InvalidArgument && d.error().value == ap::argument_reason::MMU_ENABLED,
              "want MMU_ENABLED");
        CHECK(BM_READ_SYSREG(ttbr0_el1) == ttbr && map.is_active(), "TTBR0_EL1 0x%llx, the map's 0x%llx",
              (ull)BM_READ_SYSREG(ttbr0_el1), (ull)ttbr);
        case_end();
    }  // ~IdMap, the MMU on its tables
    const uint64_t code = reinterpret_cast<uintptr_t>(&bm_main);
    const uint64_t par = bm_at_s1e1r(code);
    case_begin("~IdMap left the MMU on its tables: TTBR0_EL1 0x%llx, SCTLR_EL1.M %u, AT(code) PAR 0x%llx",
               (ull)BM_READ_SYSREG(ttbr0_el1), (unsigned)(BM_READ_SYSREG(sctlr_el1) & 1), (ull)par);
    CHECK(BM_READ_SYSREG(ttbr0_el1) == ttbr, "TTBR0_EL1 is not the map's 0x%llx", (ull)ttbr);
    CHECK((BM_READ_SYSREG(sctlr_el1) & 1) != 0, "the MMU is off");
    CHECK((par & 1) == 0 && (par & 0x0000fffffffff000ULL) == (code & ~0xfffULL), "the code does not translate");
    CHECK(pool_4k.in_use() != 0, "its pages went back to the pool while the MMU walks them");
    case_end();
    ap::arch::load_mmu_registers(ap::TranslationRegime::El1And0, previous);  // as disable_mmu would
}

}  // namespace

extern "C" int bm_main(unsigned entry_el) {
    bm_uart_init();
    const uint64_t mmfr0 = BM_READ_SYSREG(id_aa64mmfr0_el1);
    bm_printf("\ncxx-suite on %s: entered at %s; ID_AA64MMFR0_EL1 0x%llx (TGran4 %u, TGran16 %u, TGran64 %u)\n",
              BOARD_NAME, bm_el_name(entry_el), (ull)mmfr0, (unsigned)(mmfr0 >> 28) & 0xf,
              (unsigned)(mmfr0 >> 20) & 0xf, (unsigned)(mmfr0 >> 24) & 0xf);
    // A `ret` in execute-never data, for the instruction aborts.
    xn_code[0] = 0xd65f03c0;
    bm_sync_icache(reinterpret_cast<uintptr_t>(xn_code), sizeof xn_code[0]);

    static_tables_suite(mmfr0);
    // Each granule at two root levels: 16 KiB at level 0 (a root of 2 entries, 48 bits) and
    // 2 (64 GiB), 64 KiB at level 1 (its highest, 48 bits) and 2 (4 TiB).
    granule_suite<Granule16K>(pool_16k, 0, mmfr0);
    granule_suite<Granule16K>(pool_16k, 2, mmfr0);
    granule_suite<Granule64K>(pool_64k, 1, mmfr0);
    granule_suite<Granule64K>(pool_64k, 2, mmfr0);
    contiguous_suite();
    teardown_suite();  // last: its pages stay the MMU's

    return check_summary();
}
