#include <catch2/catch.hpp>

#include "aarch64_paging/break_before_make.hpp"
#include "aarch64_paging/descriptor.hpp"

using aarch64_paging::Attributes;
using aarch64_paging::Descriptor;
using aarch64_paging::needs_break_before_make;
using aarch64_paging::PhysicalAddress;
using aarch64_paging::Status;

TEST_CASE("Descriptor splits into output address and flags", "[descriptor]") {
    // A page at 0x8020_1000: bits 47:12 hold the address, the rest are flags.
    const Descriptor d(0x0060'0000'8020'1f87);
    CHECK(d.output_address().value() == 0x8020'1000);
    CHECK(bits(d.flags()) == 0x0060'0000'0000'0f87);
    CHECK(d.is_valid());
    CHECK(d.is_table_or_page());
    CHECK(d.is_table(2));
    CHECK_FALSE(d.is_table(3));  // at the leaf level the same bits are a page
    // Bits 63:48 are attributes too, never address.
    CHECK(Descriptor(0xffff'0000'0000'0000).output_address().value() == 0);
    CHECK(Descriptor(PhysicalAddress(0x4000'0000), Attributes::VALID).bits() == 0x4000'0001);
}

TEST_CASE("is_table_or_page needs VALID as well", "[descriptor]") {
    CHECK_FALSE(Descriptor(0x2).is_table_or_page());
    CHECK_FALSE(Descriptor(0x1).is_table_or_page());
    CHECK(Descriptor(0x3).is_table_or_page());
}

TEST_CASE("modify_flags sets, then clears, and refuses to flip TABLE_OR_PAGE", "[descriptor]") {
    Descriptor d(0x4000'0000 | 0x401);  // a valid block with AF
    REQUIRE(d.modify_flags(Attributes::READ_ONLY | Attributes::SWFLAG_0, Attributes::SWFLAG_0).is_ok());
    CHECK(d.bits() == (0x4000'0000 | 0x401 | 0x80));  // SWFLAG_0 set then cleared

    const Descriptor before = d;
    const auto r = d.modify_flags(Attributes::TABLE_OR_PAGE, Attributes::EMPTY);
    CHECK(r.status() == Status::InvalidFlags);
    CHECK(r.error().value == bits(Attributes::TABLE_OR_PAGE));
    CHECK(d == before);

    Descriptor page(0x5000 | 0x3);
    CHECK(page.modify_flags(Attributes::EMPTY, Attributes::TABLE_OR_PAGE).status() == Status::InvalidFlags);
    CHECK(page.bits() == (0x5000 | 0x3));
    // Set, then cleared: the result has it clear, which is a flip.
    CHECK(page.modify_flags(Attributes::TABLE_OR_PAGE, Attributes::TABLE_OR_PAGE).status() ==
          Status::InvalidFlags);
}

TEST_CASE("break-before-make rules for a live entry", "[bbm]") {
    const Attributes rw = Attributes::VALID | Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::ACCESSED;
    const Descriptor old(PhysicalAddress(0x8000'0000), rw);
    struct Case {
        const char* what;
        Descriptor next;
        bool needs_bbm;
    };
    const Case cases[] = {
        {"same", old, false},
        {"read-only", Descriptor(PhysicalAddress(0x8000'0000), rw | Attributes::READ_ONLY), false},
        {"execute-never", Descriptor(PhysicalAddress(0x8000'0000), rw | Attributes::EXECUTE_NEVER), false},
        {"user", Descriptor(PhysicalAddress(0x8000'0000), rw | Attributes::USER), false},
        {"software flag", Descriptor(PhysicalAddress(0x8000'0000), rw | Attributes::SWFLAG_2), false},
        {"invalid", Descriptor(PhysicalAddress(0x8000'0000), rw & ~Attributes::VALID), false},
        {"other address", Descriptor(PhysicalAddress(0x8020'0000), rw), true},
        {"device", Descriptor(PhysicalAddress(0x8000'0000), (rw & ~Attributes::NORMAL)), true},
        {"non-shareable", Descriptor(PhysicalAddress(0x8000'0000), rw & ~Attributes(uint64_t{3} << 8)), true},
        {"nG cleared", Descriptor(PhysicalAddress(0x8000'0000), rw & ~Attributes::NON_GLOBAL), true},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        CHECK(needs_break_before_make(old, c.next) == c.needs_bbm);
    }
    // Creating an entry where none was valid never needs it, whatever it maps.
    CHECK_FALSE(needs_break_before_make(Descriptor(), Descriptor(PhysicalAddress(0x1000), rw)));
    // Setting nG on a global entry is allowed.
    const Descriptor global(PhysicalAddress(0x8000'0000), rw & ~Attributes::NON_GLOBAL);
    CHECK_FALSE(needs_break_before_make(global, old));
}
