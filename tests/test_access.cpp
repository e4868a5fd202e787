// The decodings the linter, the export and the pre-flight check share: what a leaf's
// AP, PXN and UXN/XN bits allow in each regime, under the table descriptors' limits
// (access.hpp), and the memory type of each MAIR attribute encoding (mair.hpp). Tables
// written from the Arm ARM (D8.4 "Memory access control"; MAIR_EL1 in D19.2).
#include <catch2/catch.hpp>

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/mair.hpp"

#include <cstdint>
#include <string>

using namespace aarch64_paging;

namespace {

constexpr uint64_t V = 1;
constexpr uint64_t AP1 = 1u << 6;
constexpr uint64_t AP2 = 1u << 7;
constexpr uint64_t PXN = uint64_t{1} << 53;
constexpr uint64_t UXN = uint64_t{1} << 54;

// r w x / EL0 r w x, as a string, for compact tables.
std::string rwx(const Access& a) {
    std::string s;
    s += a.read ? 'r' : '-';
    s += a.write ? 'w' : '-';
    s += a.execute ? 'x' : '-';
    s += '/';
    s += a.user_read ? 'r' : '-';
    s += a.user_write ? 'w' : '-';
    s += a.user_execute ? 'x' : '-';
    return s;
}

}  // namespace

TEST_CASE("access: AP, PXN and UXN in the regimes with EL0", "[access]") {
    struct Row {
        uint64_t bits;
        const char* want;
    };
    // AP[2:1] 00, 01, 10, 11 with neither, PXN, UXN, both.
    const Row rows[] = {
        {V, "rwx/--x"},                       // EL0 has no data access, but may execute (UXN clear)
        {V | AP1, "rw-/rwx"},                 // EL0-writable: never privileged-executable
        {V | AP2, "r-x/--x"},
        {V | AP1 | AP2, "r-x/r-x"},
        {V | PXN, "rw-/--x"},
        {V | UXN, "rwx/---"},
        {V | AP2 | PXN | UXN, "r--/---"},
        {V | AP1 | AP2 | UXN, "r-x/r--"},
        {AP1 | AP2, "---/---"},              // invalid: nothing
    };
    for (TranslationRegime r : {TranslationRegime::El1And0, TranslationRegime::El2And0}) {
        for (const Row& row : rows) {
            CAPTURE(row.bits);
            CHECK(rwx(leaf_access(row.bits, r)) == row.want);
        }
    }
}

TEST_CASE("access: one privilege level: AP[2] and XN (bit 54) only", "[access]") {
    for (TranslationRegime r : {TranslationRegime::El2, TranslationRegime::El3}) {
        CHECK(rwx(leaf_access(V | AP1, r)) == "rwx/---");
        CHECK(rwx(leaf_access(V | AP1 | AP2, r)) == "r-x/---");
        CHECK(rwx(leaf_access(V | AP1 | UXN, r)) == "rw-/---");
        CHECK(rwx(leaf_access(V | AP1 | PXN, r)) == "rwx/---");  // bit 53 is RES0 there
    }
}

TEST_CASE("access: the limits of table descriptors", "[access]") {
    const TranslationRegime el1 = TranslationRegime::El1And0;
    CHECK(rwx(leaf_access(V | AP1, el1, table_limits::AP_TABLE_READ_ONLY)) == "r-x/r-x");
    CHECK(rwx(leaf_access(V | AP1, el1, table_limits::AP_TABLE_NO_EL0)) == "rwx/--x");
    CHECK(rwx(leaf_access(V, el1, table_limits::PXN_TABLE)) == "rw-/--x");
    CHECK(rwx(leaf_access(V, el1, table_limits::UXN_TABLE)) == "rwx/---");
    // With one privilege level XNTable is bit 60; PXNTable and APTable[0] do not exist.
    const TranslationRegime el3 = TranslationRegime::El3;
    CHECK(rwx(leaf_access(V | AP1, el3, table_limits::UXN_TABLE)) == "rw-/---");
    CHECK(rwx(leaf_access(V | AP1, el3, table_limits::PXN_TABLE | table_limits::AP_TABLE_NO_EL0)) == "rwx/---");
    CHECK(rwx(leaf_access(V | AP1, el3, table_limits::AP_TABLE_READ_ONLY)) == "r-x/---");
}

TEST_CASE("mair: the memory type of each kind of attribute byte", "[mair]") {
    struct Row {
        uint8_t attr;
        MemoryType want;
    };
    const Row rows[] = {
        {0x00, MemoryType::Device},  // nGnRnE
        {0x04, MemoryType::Device},  // nGnRE
        {0x08, MemoryType::Device},  // nGRE
        {0x0c, MemoryType::Device},  // GRE
        {0x44, MemoryType::NormalNonCacheable},
        {0x4f, MemoryType::NormalNonCacheable},  // outer NC
        {0xf4, MemoryType::NormalNonCacheable},  // inner NC
        {0xbb, MemoryType::NormalWriteThrough},  // non-transient, RW-allocate
        {0x88, MemoryType::NormalWriteThrough},  // non-transient, no allocate
        {0x22, MemoryType::NormalWriteThrough},  // transient
        {0xff, MemoryType::NormalWriteBack},
        {0xcc, MemoryType::NormalWriteBack},     // no allocate
        {0x77, MemoryType::NormalWriteBack},     // transient
        {0xfb, MemoryType::NormalWriteThrough},  // the lesser of the two
        {0x40, MemoryType::NormalNonCacheable},  // FEAT_XS
        {0xa0, MemoryType::NormalWriteThrough},  // FEAT_XS
        {0xf0, MemoryType::NormalWriteBack},     // FEAT_MTE2 Tagged
        {0x80, MemoryType::NormalNonCacheable},  // reserved inner 0: the least
    };
    for (const Row& row : rows) {
        CAPTURE(unsigned{row.attr});
        CHECK(memory_type(row.attr) == row.want);
    }
    CHECK(mair_attribute(0x1122334455667788, 0) == 0x88);
    CHECK(mair_attribute(0x1122334455667788, 7) == 0x11);
    CHECK(attr_index(0x1c) == 7);
    CHECK(descriptor_memory_type(uint64_t{1} << 2, 0xff04) == MemoryType::NormalWriteBack);
    CHECK(descriptor_memory_type(0, 0xff04) == MemoryType::Device);
}
