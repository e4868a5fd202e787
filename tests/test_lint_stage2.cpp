// The linter over stage-2 trees (lint.hpp, TranslationRegime::Stage2): a mapping of the
// library with a concatenated root lints clean, every root table walked; in a tree built
// word by word (a 40-bit IPA space from level 1: two root tables), each stage-2 RES0 bit
// planted is reported at its entry, the stage-1-only findings stay silent, contiguous
// groups, misaligned blocks and loops into the root are found as at stage 1, and W^X
// aliases are judged by S2AP and XN[1:0], within one tree and across two VMs' trees.
#include <catch2/catch.hpp>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/lint.hpp"
#include "aarch64_paging/mapping.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace aarch64_paging;

namespace {

constexpr uint64_t K4 = 4096;
constexpr uint64_t M2 = uint64_t{1} << 21;
constexpr uint64_t G1 = uint64_t{1} << 30;
constexpr uint64_t kIpa2 = uint64_t{1} << 39;  // the first IPA of the second root table

// Stage-2 leaf bits (D8.3): MemAttr 0b1111 Normal write-back or 0b0001 Device-nGnRE, S2AP
// (bit 6 read, bit 7 write), SH inner, AF, valid; XN[1:0] at 54:53.
constexpr uint64_t kValid = 1;
constexpr uint64_t kPage = 3;  // valid | page (level 3)
constexpr uint64_t kTable = 3;
constexpr uint64_t kRam = (uint64_t{0xf} << 2) | (uint64_t{3} << 8) | (uint64_t{1} << 10);
constexpr uint64_t kDevice = (uint64_t{1} << 2) | (uint64_t{1} << 10);
constexpr uint64_t kRead = uint64_t{1} << 6;
constexpr uint64_t kWrite = uint64_t{1} << 7;
constexpr uint64_t kXn = uint64_t{2} << 53;     // XN = 0b10: executable nowhere
constexpr uint64_t kXnEl1 = uint64_t{1} << 53;  // XN = 0b01: executable at EL0 only (FEAT_XNX)
constexpr uint64_t kContiguous = uint64_t{1} << 52;

// A stage-2 tree in six pages at "physical" 0x80000000, read through a pool: pages 0 and 1
// a level-1 root of two concatenated tables, page 2 a level-2 table under the second root
// table (IPA 2^39), page 3 a level-3 table under it. Clean as built:
//   root[1]      IPA 1 GiB: a 1 GiB block of guest RAM at PA 1 GiB, read-write, executable
//   root[512]    IPA 2^39: the table in page 2
//   l2[0]        IPA 2^39: the table in page 3
//   l2[1]        IPA 2^39 + 2 MiB: a 2 MiB Device block at PA 0x08000000, read-write, XN
//   l3[0..15]    IPA 2^39: 16 pages of RAM at PA 0x50000000, read-only, XN
struct S2Tree {
    static constexpr uint64_t kBase = 0x80000000;
    alignas(65536) uint64_t pages[6][512] = {};
    LintPool pool{kBase, sizeof pages, pages};

    S2Tree() {
        root(1) = G1 | kRam | kRead | kWrite | kValid;
        root(512) = (kBase + 2 * K4) | kTable;
        l2(0) = (kBase + 3 * K4) | kTable;
        l2(1) = 0x08000000 | kDevice | kRead | kWrite | kXn | kValid;
        for (unsigned i = 0; i < 16; ++i) {
            l3(i) = (0x50000000 + i * K4) | kRam | kRead | kXn | kPage;
        }
    }
    uint64_t& root(unsigned i) { return pages[i / 512][i % 512]; }
    uint64_t& l2(unsigned i) { return pages[2][i]; }
    uint64_t& l3(unsigned i) { return pages[3][i]; }
    LintTree tree(unsigned root_tables = 2) const {
        LintTree t;
        t.root = kBase;
        t.root_level = 1;
        t.regime = TranslationRegime::Stage2;
        t.pools = &pool;
        t.pool_count = 1;
        t.root_tables = root_tables;
        return t;
    }
};

struct Lint {
    uint64_t scratch[4096];
    std::vector<LintFinding> findings;
    LintReport report;
    Result run(const LintTree* trees, size_t count, uint32_t checks = lint_checks::ALL, uint32_t features = 0) {
        const LintOptions options{checks, features, scratch, sizeof scratch / sizeof scratch[0]};
        Result r = lint(trees, count, options, nullptr, 0, report);
        findings.assign(report.findings, LintFinding());
        r = lint(trees, count, options, findings.data(), findings.size(), report);
        return r;
    }
    Result run(const LintTree& tree, uint32_t checks = lint_checks::ALL, uint32_t features = 0) {
        return run(&tree, 1, checks, features);
    }
};

std::string text(const LintFinding& f) {
    char line[200];
    format_finding(f, line, sizeof line);
    return line;
}

}  // namespace

TEST_CASE("a stage-2 mapping with a concatenated root lints clean, both root tables walked", "[lint][stage2]") {
    Mapping<> m;
    REQUIRE(m.init_stage2(1, 1, default_page_allocator_contiguous(), 0, Stage2Options{40, false}).is_ok());
    REQUIRE(m.root_tables() == 2);
    const Stage2Attributes ram = Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ_WRITE;
    const Stage2Attributes dev = Stage2Attributes::VALID | Stage2Attributes::DEVICE_NGNRE |
                                 Stage2Attributes::READ_WRITE | Stage2Attributes::XN;
    // In the first root table: RAM (blocks and pages) and a UART; in the second: more RAM.
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + 2 * M2 + 5 * K4), PhysicalAddress(G1), ram).is_ok());
    REQUIRE(m.map_range(MemoryRegion(0x09000000, 0x09001000), PhysicalAddress(0x09000000), dev).is_ok());
    REQUIRE(m.map_range(MemoryRegion(kIpa2 + G1, kIpa2 + G1 + 3 * K4), PhysicalAddress(0x60000000),
                        ram | Stage2Attributes::XN).is_ok());
    const LintTree tree = lint_tree(m);
    CHECK(tree.regime == TranslationRegime::Stage2);
    CHECK(tree.root_tables == 2);
    Lint l;
    REQUIRE(l.run(tree).is_ok());
    CHECK(l.report.findings == 0);
    // Every table of the mapping was reached, those under the second root table included.
    CHECK(l.report.tables == m.table_count());

    // A writable alias, in the second root table, of a page executable in the first.
    REQUIRE(m.map_range(MemoryRegion(kIpa2, kIpa2 + K4), PhysicalAddress(G1 + 2 * M2), ram | Stage2Attributes::XN)
                .is_ok());
    REQUIRE(l.run(lint_tree(m)).is_ok());
    REQUIRE(l.findings.size() == 1);
    CHECK(l.findings[0].kind == LintKind::WxAlias);
    CHECK(l.findings[0].va == kIpa2);
    CHECK(l.findings[0].other_va == G1 + 2 * M2);
    CHECK(l.findings[0].pa == G1 + 2 * M2);
    CHECK(l.findings[0].size == K4);
    m.release();
}

TEST_CASE("a stage-2 mapping made with FEAT_XNX lints XN[0] as a bit with lint_features::XNX", "[lint][stage2]") {
    Mapping<> m;
    REQUIRE(m.init_stage2(1, 1, default_page_allocator_contiguous(), 0, Stage2Options{39, true}).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1),
                        Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ |
                            Stage2Attributes::XN_EL1)
                .is_ok());
    Lint l;
    REQUIRE(l.run(lint_tree(m)).is_ok());
    REQUIRE(l.findings.size() == 1);
    CHECK(l.findings[0].kind == LintKind::Res0Bits);
    CHECK(l.findings[0].bits == kXnEl1);
    REQUIRE(l.run(lint_tree(m), lint_checks::ALL, lint_features::XNX).is_ok());
    CHECK(l.report.findings == 0);
    m.release();
}

TEST_CASE("a clean stage-2 tree built word by word lints clean; its second root table is walked",
          "[lint][stage2]") {
    S2Tree t;
    Lint l;
    REQUIRE(l.run(t.tree()).is_ok());
    CHECK(l.report.findings == 0);
    CHECK(l.report.tables == 4);  // two root tables, the level-2 and the level-3 table
    // One root table: the second, and what hangs below it, are not part of the tree.
    REQUIRE(l.run(t.tree(1)).is_ok());
    CHECK(l.report.findings == 0);
    CHECK(l.report.tables == 1);
    // A stage-2 leaf with S2AP[0] clear (write-only) has no RES1 bit to miss, and the stage-1
    // reading (AP[1] RES1 at EL2) does not apply.
    t.l2(1) &= ~kRead;
    REQUIRE(l.run(t.tree()).is_ok());
    CHECK(l.report.findings == 0);
}

TEST_CASE("each stage-2 RES0 bit planted is reported at its entry", "[lint][stage2]") {
    struct Plant {
        const char* what;
        int page;  // -1: root entry index, else the table page
        unsigned index;
        uint64_t bit;
        unsigned level;
        uint64_t va;
    };
    const Plant plants[] = {
        // Blocks and pages: 11 (nG at stage 1), 48, 49, 50 (GP at stage 1), 53 (XN[0]).
        {"block bit 11", -1, 1, uint64_t{1} << 11, 1, G1},
        {"block bit 48", -1, 1, uint64_t{1} << 48, 1, G1},
        {"block bit 49", 2, 1, uint64_t{1} << 49, 2, kIpa2 + M2},
        {"page bit 50", 3, 5, uint64_t{1} << 50, 3, kIpa2 + 5 * K4},
        {"page bit 53", 3, 7, uint64_t{1} << 53, 3, kIpa2 + 7 * K4},
        {"page bit 11", 3, 15, uint64_t{1} << 11, 3, kIpa2 + 15 * K4},
        // Table descriptors: 51:48 as at stage 1, and 63:59, which stage 1 reads as NSTable,
        // APTable, UXNTable/XNTable and PXNTable, in the second root table and below it.
        {"table bit 51", -1, 512, uint64_t{1} << 51, 1, kIpa2},
        {"table bit 59 (PXNTable at stage 1)", -1, 512, uint64_t{1} << 59, 1, kIpa2},
        {"table bit 60 (XNTable at stage 1)", 2, 0, uint64_t{1} << 60, 2, kIpa2},
        {"table bit 61 (APTable[0] at stage 1)", 2, 0, uint64_t{1} << 61, 2, kIpa2},
        {"table bit 62 (APTable[1] at stage 1)", -1, 512, uint64_t{1} << 62, 1, kIpa2},
        {"table bit 63 (NSTable at stage 1)", 2, 0, uint64_t{1} << 63, 2, kIpa2},
    };
    for (const Plant& p : plants) {
        CAPTURE(p.what);
        S2Tree t;
        uint64_t& e = p.page < 0 ? t.root(p.index) : t.pages[p.page][p.index];
        e |= p.bit;
        Lint l;
        REQUIRE(l.run(t.tree(), lint_checks::STRUCTURE).is_ok());
        REQUIRE(l.findings.size() == 1);
        const LintFinding& f = l.findings[0];
        CHECK(f.kind == LintKind::Res0Bits);
        CHECK(f.bits == p.bit);
        CHECK(f.level == p.level);
        CHECK(f.va == p.va);
        CHECK(f.index == p.index % 512);
        CHECK(f.descriptor == e);
        // FEAT_BTI does not make bit 50 a stage-2 bit; FEAT_BBM's nT is not among these.
        REQUIRE(l.run(t.tree(), lint_checks::STRUCTURE, lint_features::BTI | lint_features::BBM).is_ok());
        CHECK(l.report.findings == 1);
        // FEAT_XNX makes bit 53 XN[0]: no longer reported.
        REQUIRE(l.run(t.tree(), lint_checks::STRUCTURE, lint_features::XNX).is_ok());
        CHECK(l.report.findings == (p.bit == kXnEl1 ? 0u : 1u));
    }
    // The finding's text names the IPA as its va.
    S2Tree t;
    t.l3(5) |= uint64_t{1} << 50;
    Lint l;
    REQUIRE(l.run(t.tree()).is_ok());
    REQUIRE(l.findings.size() == 1);
    CHECK(text(l.findings[0]) == "RES0 bits set: L3[5] va 0x8000005000, descriptor 0x4400005000577f, bits "
                                 "0x4000000000000");
}

TEST_CASE("contiguous groups, misaligned blocks, loops and strays in a stage-2 tree are found as at stage 1",
          "[lint][stage2]") {
    SECTION("a contiguous group with one entry of other permissions") {
        S2Tree t;
        for (unsigned i = 0; i < 16; ++i) {
            t.l3(i) |= kContiguous;
        }
        Lint l;
        REQUIRE(l.run(t.tree()).is_ok());
        CHECK(l.report.findings == 0);
        t.l3(9) |= kWrite;
        REQUIRE(l.run(t.tree(), lint_checks::STRUCTURE).is_ok());
        REQUIRE(l.findings.size() == 1);
        CHECK(l.findings[0].kind == LintKind::Contiguous);
        CHECK(l.findings[0].va == kIpa2 + 9 * K4);
        CHECK(l.findings[0].other_va == kIpa2);
    }
    SECTION("a block whose output address is not aligned") {
        S2Tree t;
        t.l2(1) |= 0x3000;
        Lint l;
        REQUIRE(l.run(t.tree()).is_ok());
        REQUIRE(l.findings.size() == 1);
        CHECK(l.findings[0].kind == LintKind::MisalignedOutput);
        CHECK(l.findings[0].bits == 0x3000);
        CHECK(l.findings[0].va == kIpa2 + M2);
    }
    SECTION("a table descriptor back into either root table is a loop") {
        S2Tree t;
        t.l2(5) = (S2Tree::kBase + K4) | kTable;  // the second root table
        t.l2(6) = S2Tree::kBase | kTable;         // the first
        Lint l;
        REQUIRE(l.run(t.tree()).is_ok());
        REQUIRE(l.findings.size() == 2);
        CHECK(l.findings[0].kind == LintKind::TableLoop);
        CHECK(l.findings[0].pa == S2Tree::kBase + K4);
        CHECK(l.findings[0].other_va == kIpa2);
        CHECK(l.findings[1].kind == LintKind::TableLoop);
        CHECK(l.findings[1].other_va == 0);
    }
    SECTION("a table outside the pool, and a level-0-style block at level 3") {
        S2Tree t;
        t.l2(7) = 0x90000000 | kTable;
        t.l3(20) = 0x50100000 | kRam | kRead | kXn | kValid;  // bit 1 clear at level 3
        Lint l;
        REQUIRE(l.run(t.tree()).is_ok());
        REQUIRE(l.findings.size() == 2);
        CHECK(l.findings[0].kind == LintKind::BlockNotAllowed);
        CHECK(l.findings[1].kind == LintKind::TableOutsidePool);
        CHECK(l.findings[1].pa == 0x90000000);
    }
}

TEST_CASE("stage-2 W^X aliases: S2AP[1] writes, XN[1:0] executes, in one tree and across VMs", "[lint][stage2]") {
    SECTION("a block writable at one IPA, executable at another") {
        S2Tree t;
        // l2[2], IPA 2^39 + 4 MiB: the first 2 MiB of the executable RAM block, writable, XN.
        t.l2(2) = G1 | kRam | kRead | kWrite | kXn | kValid;
        Lint l;
        REQUIRE(l.run(t.tree()).is_ok());
        REQUIRE(l.findings.size() == 1);
        const LintFinding& f = l.findings[0];
        CHECK(f.kind == LintKind::WxAlias);
        CHECK(f.level == 2);
        CHECK(f.index == 2);
        CHECK(f.va == kIpa2 + 2 * M2);
        CHECK(f.other_va == G1);
        CHECK(f.pa == G1);
        CHECK(f.size == M2);
        // Only the W^X check: the same.
        REQUIRE(l.run(t.tree(), lint_checks::WX_ALIASES).is_ok());
        CHECK(l.report.findings == 1);
        // Read-only there: no alias.
        t.l2(2) &= ~kWrite;
        REQUIRE(l.run(t.tree()).is_ok());
        CHECK(l.report.findings == 0);
    }
    SECTION("executable at the guest's EL0 only (XN 0b01) still executes") {
        S2Tree t;
        t.root(1) = (t.root(1) & ~kWrite) | kXn;  // the RAM block: read-only, XN
        t.l3(3) = (0x50003000 | kRam | kRead | kWrite | kXn | kPage);
        t.l2(3) = 0x50000000 | kRam | kRead | kXnEl1 | kValid;  // executable at EL0
        Lint l;
        REQUIRE(l.run(t.tree(), lint_checks::WX_ALIASES).is_ok());
        REQUIRE(l.findings.size() == 1);
        CHECK(l.findings[0].va == kIpa2 + 3 * K4);
        CHECK(l.findings[0].other_va == kIpa2 + 3 * M2 + 3 * K4);
        CHECK(l.findings[0].size == K4);
        // XN 0b10: executable nowhere, no alias.
        t.l2(3) = (t.l2(3) & ~(uint64_t{3} << 53)) | kXn;
        REQUIRE(l.run(t.tree(), lint_checks::WX_ALIASES).is_ok());
        CHECK(l.report.findings == 0);
    }
    SECTION("across two VMs' trees") {
        S2Tree vm1;
        S2Tree vm2;
        // Both VMs' 1 GiB RAM blocks (which hold PA 0x50000000) read-only, XN.
        vm1.root(1) = (vm1.root(1) & ~kWrite) | kXn;
        vm2.root(1) = (vm2.root(1) & ~kWrite) | kXn;
        vm2.l3(0) = (vm2.l3(0) & ~kXn);  // VM 2: PA 0x50000000 executable
        vm1.l3(0) |= kWrite;             // VM 1: PA 0x50000000 writable
        const LintTree trees[] = {vm1.tree(), vm2.tree()};
        Lint l;
        REQUIRE(l.run(trees, 2).is_ok());
        REQUIRE(l.findings.size() == 1);
        CHECK(l.findings[0].kind == LintKind::WxAlias);
        CHECK(l.findings[0].tree == 0);
        CHECK(l.findings[0].other_tree == 1);
        CHECK(l.findings[0].va == kIpa2);
        CHECK(l.findings[0].other_va == kIpa2);
        CHECK(l.findings[0].pa == 0x50000000);
    }
}

TEST_CASE("the lint refuses root tables that are no concatenated stage-2 root", "[lint][stage2]") {
    S2Tree t;
    Lint l;
    LintTree tree = t.tree();
    const unsigned counts[] = {3, 5, 32};
    for (unsigned n : counts) {
        CAPTURE(n);
        tree.root_tables = n;
        CHECK(l.run(tree).status() == Status::InvalidArgument);
    }
    // Stage 1 has no concatenated root.
    tree = t.tree(2);
    tree.regime = TranslationRegime::El2;
    CHECK(l.run(tree).status() == Status::InvalidArgument);
    tree.root_tables = 0;  // one table
    CHECK(l.run(tree).is_ok());
    // Not aligned to its size (8 KiB), or with a table outside the pool.
    tree = t.tree(2);
    tree.root = S2Tree::kBase + K4;
    CHECK(l.run(tree).status() == Status::InvalidArgument);
    tree = t.tree(16);
    CHECK(l.run(tree).status() == Status::InvalidArgument);  // 16 pages from 0x80000000, the pool has 6
    // Level 0 resolves 48 bits with one table: no room to concatenate.
    tree = t.tree(2);
    tree.root_level = 0;
    CHECK(l.run(tree).status() == Status::InvalidArgument);
    tree.root_tables = 1;
    CHECK(l.run(tree).is_ok());
}
