#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "aarch64_paging/error.hpp"

using aarch64_paging::MapError;
using aarch64_paging::MemoryRegion;
using aarch64_paging::Status;
using aarch64_paging::VirtualAddress;

namespace {
std::string format(const MapError& e) {
    char buf[512];
    const size_t n = e.format(buf, sizeof buf);
    REQUIRE(n == std::strlen(buf));
    return buf;
}
}  // namespace

TEST_CASE("each error formats as one line with its detail", "[error]") {
    CHECK(format(MapError::address_range(VirtualAddress(0x80'0020'0000), MemoryRegion(0, 0x80'0000'0000))) ==
          "address out of range: the region ends at 0x8000200000, past the map's range [0x0, 0x8000000000); "
          "a lower root level covers more (up to 256 TiB)");
    CHECK(format(MapError::address_range(VirtualAddress(0x4000'0000), MemoryRegion(0xffff'ff80'0000'0000, 0))) ==
          "address out of range: 0x40000000 is below the map's range [0xffffff8000000000, 2^64)");
    CHECK(format(MapError::region_backwards(MemoryRegion(0x3000, 0x1000))) ==
          "region backwards: end before start in [0x3000, 0x1000)");
    CHECK(format(MapError::pte_update_fault(0x40000401)) ==
          "page table entry update failed: callback failed on descriptor 0x40000401");
    CHECK(format(MapError::invalid_flags(0x2)) ==
          "invalid flags: refused bits 0x2: TABLE_OR_PAGE: the library sets it");
    CHECK(format(MapError::invalid_flags(0x4)) ==
          "invalid flags: unknown constraint bits 0x4 (the constraints are IDMAP_NO_BLOCK_MAPPINGS and "
          "IDMAP_NO_CONTIGUOUS_HINT)");
    CHECK(format(MapError::break_before_make(MemoryRegion(0x8020'0000, 0x8040'0000),
                                             aarch64_paging::BreakRule::Split)) ==
          "break-before-make violation: would split the live 2 MiB block [0x80200000, 0x80400000): change "
          "it before activating (map it with IDMAP_NO_BLOCK_MAPPINGS) or deactivate first");
    CHECK(format(MapError::out_of_memory(3, 1)) ==
          "out of memory: the call needed 3 table pages, the allocator gave 1; a board's pool holds "
          "IDMAP_POOL_PAGES pages");
    CHECK(format(MapError::out_of_memory(40, 32, 0, aarch64_paging::out_of_memory_what::LINT_SCRATCH)) ==
          "out of memory: the lint's scratch array holds 32 words and needs 40");
    CHECK(format(MapError::invalid_virtual_address(VirtualAddress(0x123000))) ==
          "invalid virtual address: 0x123000");
    CHECK(format(MapError::of(Status::OutOfMemory)) == "out of memory");
    CHECK(format(MapError::of(Status::NotActive)) == "not active");
}

TEST_CASE("format truncates like snprintf", "[error]") {
    const MapError e = MapError::of(Status::InvalidFlags);  // "invalid flags", 13 chars
    char buf[8];
    std::memset(buf, 'x', sizeof buf);
    CHECK(e.format(buf, 8) == 13);
    CHECK(std::string(buf) == "invalid");  // 7 characters and the NUL
    std::memset(buf, 'x', sizeof buf);
    CHECK(e.format(buf, 0) == 13);
    CHECK(buf[0] == 'x');  // len 0: nothing written
    CHECK(e.format(nullptr, 0) == 13);
    CHECK(e.format(buf, 1) == 13);
    CHECK(buf[0] == '\0');
}

TEST_CASE("Result is ok by default and carries the error otherwise", "[error]") {
    aarch64_paging::Result ok;
    CHECK(ok.is_ok());
    CHECK(static_cast<bool>(ok));
    aarch64_paging::Result bad = MapError::invalid_flags(4);
    CHECK_FALSE(bad.is_ok());
    CHECK(bad.status() == Status::InvalidFlags);
    CHECK(bad.error().value == 4);
    CHECK(std::string(aarch64_paging::status_str(Status::BreakBeforeMakeViolation)) ==
          "break-before-make violation");
    CHECK(std::string(aarch64_paging::status_str(static_cast<Status>(99))) == "unknown status");
}
