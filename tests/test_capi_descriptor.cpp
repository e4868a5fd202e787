// Host tests of the C ABI: the descriptor functions and the attribute values
// (shared/spec/c-abi.md, "Attributes" and the idmap_descriptor_* functions).
#include <catch2/catch.hpp>

#include <idmap.h>

#include <cstdint>

namespace {
constexpr uint64_t kOaMask = 0x0000fffffffff000ULL;  // bits 47:12
}  // namespace

TEST_CASE("the attribute and constraint values are the contract's", "[descriptor]") {
    CHECK(IDMAP_ATTR_VALID == 0x1);
    CHECK(IDMAP_ATTR_TABLE_OR_PAGE == 0x2);
    CHECK(IDMAP_ATTR_DEVICE_NGNRE == 0x0);
    CHECK(IDMAP_ATTR_NORMAL == 0x304);  // (1 << 2) | (3 << 8)
    CHECK(IDMAP_ATTR_USER == 0x40);
    CHECK(IDMAP_ATTR_READ_ONLY == 0x80);
    CHECK(IDMAP_ATTR_ACCESSED == 0x400);
    CHECK(IDMAP_ATTR_NON_GLOBAL == 0x800);
    CHECK(IDMAP_ATTR_DBM == 0x0008000000000000ULL);             // 1 << 51
    CHECK(IDMAP_ATTR_EXECUTE_NEVER == 0x0060000000000000ULL);   // 3 << 53
    CHECK(IDMAP_ATTR_SWFLAG_0 == 0x0080000000000000ULL);        // 1 << 55
    CHECK(IDMAP_ATTR_SWFLAG_1 == 0x0100000000000000ULL);
    CHECK(IDMAP_ATTR_SWFLAG_2 == 0x0200000000000000ULL);
    CHECK(IDMAP_ATTR_SWFLAG_3 == 0x0400000000000000ULL);        // 1 << 58
    CHECK(IDMAP_MAIR_DEFAULT == 0xff04);
    CHECK(IDMAP_NO_BLOCK_MAPPINGS == 1u);
    CHECK(IDMAP_NO_CONTIGUOUS_HINT == 2u);
    CHECK(IDMAP_OK == 0);
    CHECK(IDMAP_ERR_ADDRESS_RANGE == 1);
    CHECK(IDMAP_ERR_INVALID_VIRTUAL_ADDRESS == 2);
    CHECK(IDMAP_ERR_REGION_BACKWARDS == 3);
    CHECK(IDMAP_ERR_PTE_UPDATE_FAULT == 4);
    CHECK(IDMAP_ERR_INVALID_FLAGS == 5);
    CHECK(IDMAP_ERR_BREAK_BEFORE_MAKE == 6);
    CHECK(IDMAP_ERR_OUT_OF_MEMORY == 7);
    CHECK(IDMAP_ERR_INVALID_ARGUMENT == 8);
    CHECK(IDMAP_ERR_ALREADY_ACTIVE == 9);
    CHECK(IDMAP_ERR_NOT_ACTIVE == 10);
}

TEST_CASE("descriptor flags are every bit but 47:12 and the output address is bits 47:12",
          "[descriptor]") {
    struct Row {
        uint64_t bits, flags, address;
    };
    const Row rows[] = {
        {0, 0, 0},
        {~0ULL, 0xffff000000000fffULL, 0x0000fffffffff000ULL},
        // A 2 MiB block at 0x8020_0000: Normal, valid, accessed, nG, XN.
        {0x0060000080200f05ULL, 0x0060000000000f05ULL, 0x80200000ULL},
        // A page at 0x1234_5000 with TABLE_OR_PAGE and a software flag.
        {0x0080000012345707ULL, 0x0080000000000707ULL, 0x12345000ULL},
        // Bits 48-51 and 52 are flags, not address.
        {0x001f000000001000ULL, 0x001f000000000000ULL, 0x1000ULL},
        // Bits 11:0 are flags.
        {0x0000000000000fffULL, 0xfffULL, 0},
        {0x0000800000000000ULL, 0, 0x0000800000000000ULL},  // bit 47: the top address bit
    };
    for (const Row& row : rows) {
        CAPTURE(row.bits);
        const idmap_descriptor_t d{row.bits};
        CHECK(idmap_descriptor_flags(&d) == row.flags);
        CHECK(idmap_descriptor_output_address(&d) == row.address);
        // The two halves make up the whole.
        CHECK((idmap_descriptor_flags(&d) | idmap_descriptor_output_address(&d)) == row.bits);
        CHECK((idmap_descriptor_output_address(&d) & ~kOaMask) == 0);
    }
}

TEST_CASE("is_valid is bit 0 and is_table_or_page needs VALID and bit 1", "[descriptor]") {
    struct Row {
        uint64_t bits;
        bool valid, table_or_page;
    };
    const Row rows[] = {
        {0x0, false, false},
        {0x1, true, false},   // a block
        {0x2, false, false},  // TABLE_OR_PAGE without VALID: neither
        {0x3, true, true},    // a table or a page
        {0x0060000080200f05ULL, true, false},
        {0x0000000012345703ULL, true, true},
        {0xfffffffffffffffcULL, false, false},
        {0xfffffffffffffffeULL, false, false},
        {0xffffffffffffffffULL, true, true},
    };
    for (const Row& row : rows) {
        CAPTURE(row.bits);
        const idmap_descriptor_t d{row.bits};
        CHECK(idmap_descriptor_is_valid(&d) == row.valid);
        CHECK(idmap_descriptor_is_table_or_page(&d) == row.table_or_page);
    }
}

TEST_CASE("modify_flags sets, then clears", "[descriptor]") {
    struct Row {
        uint64_t bits, set, clear, want;
    };
    const Row rows[] = {
        {0x1, IDMAP_ATTR_READ_ONLY, 0, 0x81},
        {0x81, 0, IDMAP_ATTR_READ_ONLY, 0x1},
        // Set and clear the same bit: clearing comes second and wins.
        {0x1, IDMAP_ATTR_SWFLAG_0, IDMAP_ATTR_SWFLAG_0, 0x1},
        {0x1 | IDMAP_ATTR_SWFLAG_0, IDMAP_ATTR_SWFLAG_0, IDMAP_ATTR_SWFLAG_0, 0x1},
        // The address is left alone.
        {0x80200705ULL, IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_NON_GLOBAL, IDMAP_ATTR_VALID,
         0x0060000080200f04ULL},
        // A page keeps TABLE_OR_PAGE when set again or not mentioned.
        {0x12345703ULL, IDMAP_ATTR_TABLE_OR_PAGE | IDMAP_ATTR_USER, 0, 0x12345743ULL},
        // Invalidating a page keeps bit 1 (clearing VALID flips no TABLE_OR_PAGE).
        {0x12345703ULL, 0, IDMAP_ATTR_VALID, 0x12345702ULL},
        {0, 0, 0, 0},
        // Set and clear TABLE_OR_PAGE on an entry without it: the result flips nothing.
        {0x1, IDMAP_ATTR_TABLE_OR_PAGE, IDMAP_ATTR_TABLE_OR_PAGE, 0x1},
    };
    for (const Row& row : rows) {
        CAPTURE(row.bits, row.set, row.clear);
        idmap_descriptor_t d{row.bits};
        CHECK(idmap_descriptor_modify_flags(&d, row.set, row.clear) == IDMAP_OK);
        CHECK(d.bits == row.want);
    }
}

TEST_CASE("modify_flags refuses to flip TABLE_OR_PAGE and leaves the descriptor unchanged",
          "[descriptor][errors]") {
    struct Row {
        uint64_t bits, set, clear;
    };
    const Row rows[] = {
        {0x1, IDMAP_ATTR_TABLE_OR_PAGE, 0},                          // block -> table
        {0x3, 0, IDMAP_ATTR_TABLE_OR_PAGE},                          // page -> block
        {0x12345703ULL, IDMAP_ATTR_READ_ONLY, IDMAP_ATTR_TABLE_OR_PAGE},  // with other changes
        {0x0, IDMAP_ATTR_TABLE_OR_PAGE | IDMAP_ATTR_VALID, 0},       // on an empty entry
        {0x2, 0, IDMAP_ATTR_TABLE_OR_PAGE},                          // the raw bit, VALID or not
        {0x80200705ULL, ~0ULL, 0},                                   // setting everything
        {0x12345703ULL, 0, ~0ULL},                                   // clearing everything
    };
    for (const Row& row : rows) {
        CAPTURE(row.bits, row.set, row.clear);
        idmap_descriptor_t d{row.bits};
        CHECK(idmap_descriptor_modify_flags(&d, row.set, row.clear) == IDMAP_ERR_INVALID_FLAGS);
        CHECK(d.bits == row.bits);
    }
}

TEST_CASE("the descriptor functions accept NULL", "[descriptor][errors]") {
    CHECK(idmap_descriptor_flags(nullptr) == 0);
    CHECK(idmap_descriptor_output_address(nullptr) == 0);
    CHECK_FALSE(idmap_descriptor_is_valid(nullptr));
    CHECK_FALSE(idmap_descriptor_is_table_or_page(nullptr));
    CHECK(idmap_descriptor_modify_flags(nullptr, IDMAP_ATTR_READ_ONLY, 0) ==
          IDMAP_ERR_INVALID_ARGUMENT);
}
