/// @file
/// A linter for translation table trees, stage 1 of any regime and stage 2, 4 KiB
/// granule, 48-bit output addresses, no FEAT_LPA2 (Arm ARM DDI 0487K.a, D8.3 "Translation
/// table descriptor formats"): any tree, the library's own or one built elsewhere, read
/// from its root. It reports what the MMU would reject or that is unlikely to be meant
/// (LintKind), and W^X aliases: a physical page writable through one input address and
/// executable through another, within one tree or across several.
///
/// Stage 2 (TranslationRegime::Stage2): the input addresses (va in the findings) are IPAs;
/// the root may be 2 to 16 concatenated tables (LintTree::root_tables; D8.2, the
/// concatenated tables of the initial lookup), walked as one table; the stage-2 descriptor
/// formats of D8.3 decide the RES0 bits (Res0Bits), and S2AP and XN[1:0] what is writable
/// and executable (leaf_access(), access.hpp). Table descriptors have no hierarchical
/// attributes there.
///
/// Bounded: no heap. Findings go to an array the caller gives (the total is counted past
/// its end); the walk keeps its state in a scratch array of 64-bit words the caller gives
/// (2 per table page, 4 per run of W or X leaves: lint_scratch_words()), and answers
/// OutOfMemory with the size it needs when that is too small.
///
/// A separate object (src/lint.cpp): firmware that never calls it does not link it.
#ifndef AARCH64_PAGING_LINT_HPP
#define AARCH64_PAGING_LINT_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

/// What a finding is about. The values are the C ABI's IDMAP_LINT_*.
enum class LintKind : uint8_t {
    /// RES0 bits set in a valid descriptor; bits = them. Block and page descriptors:
    /// 49:48 (OA[49:48] only with FEAT_LPA2), 50 (GP, unless lint_features::BTI), and in
    /// the EL2 and EL3 regimes 11 (nG) and 53 (PXN). Table descriptors: 51:48, and in the
    /// EL2 and EL3 regimes 59 (PXNTable) and 61 (APTable[0]). At stage 2: blocks and pages
    /// 49:48, 50 (GP is stage 1's, whatever lint_features::BTI says), 11 (no nG, no ASID),
    /// 53 (XN[0], unless lint_features::XNX); table descriptors 51:48 and 63:59 (no
    /// NSTable, APTable, XNTable or PXNTable at stage 2).
    Res0Bits = 1,
    /// RES1 bits clear in a block or page descriptor; bits = them: AP[1] (bit 6) in the
    /// EL2 and EL3 regimes. Stage 2 has none.
    Res1Clear = 2,
    /// A valid entry with bit 1 clear where the granule has no blocks: level 0 (4 KiB
    /// without FEAT_LPA2), or level 3, where 0b01 is a reserved encoding. The MMU faults.
    BlockNotAllowed = 3,
    /// A block whose output address has bits below the block size: bits [n-1:12] of a
    /// level-1 (n = 30) or level-2 (n = 21) block, which the architecture calls RES0 and
    /// which are reported here, not as Res0Bits, since they mean a misaligned address;
    /// bits = them (bit 16, nT, left out under LINT_FEATURE_BBM).
    MisalignedOutput = 4,
    /// An aligned group of 16 entries in which some valid leaf has the contiguous bit (52)
    /// and the group is not 16 valid leaves, each with the bit, with identical attributes
    /// and one aligned contiguous output range (Arm ARM, "The Contiguous bit"). The Access
    /// flag and, with DBM, AP[2] may differ: FEAT_HAFDBS updates them one entry at a time.
    /// The finding is at the first entry that does not fit the group's first entry with
    /// the bit (at entry 0 when they all fit but the range is misaligned); other_va = the
    /// group's first address.
    Contiguous = 5,
    /// A table descriptor whose next-level table is not a page the tree may use (outside
    /// its pool, or refused by its translate callback); pa = that address. (With the
    /// 4 KiB granule a next-level address cannot be misaligned: bits 11:0 are not in it.)
    TableOutsidePool = 6,
    /// A table descriptor pointing at a table on its own path from the root (itself or
    /// an ancestor); pa = that table, other_va = where the walk first reached it.
    TableLoop = 7,
    /// A table descriptor pointing at a table already reached elsewhere in the tree (walk
    /// order is address order: the finding is at the later reference); pa = that table,
    /// other_va = the earlier reference.
    TableShared = 8,
    /// A physical range writable through one leaf and executable through another (in one
    /// tree, or across the trees linted together). va, level, index, descriptor: the
    /// writable leaf at the start of the overlap; other_va (in other_tree): the executable
    /// address of the same byte; pa, size: the overlap. At stage 2 writable is S2AP[1]
    /// (bit 7) and executable XN[1:0] (bits 54:53) other than 0b10, at EL1 or EL0.
    WxAlias = 9,
    /// A valid leaf executable at some level (leaf_access(), table limits included)
    /// without GP (bit 50), under lint_checks::GUARDED: an indirect branch may land
    /// anywhere in it (BTI enforces landing pads in guarded pages only). Stage 1 only (stage 2 has no GP).
    UnguardedCode = 10,
    /// A table page of a tree whose tables were made read-only in another
    /// (LintTree::read_only_in; Mapping::protect_tables) that the other lets be written:
    /// no valid leaf maps its address there, or the leaf has AP[2] clear or DBM set (a
    /// write under hardware dirty state management clears AP[2] itself). level, index, va,
    /// descriptor: the table entry that links the page (for a root table: the root level,
    /// index 0, the table's first address, descriptor 0); pa: the page; bits: the leaf
    /// mapping it in the other tree, 0 for none.
    TableWritable = 11,
};

/// A short name for @p kind: "RES0 bits set", ...; never null ("unknown finding" for a
/// value outside the enum).
const char* lint_kind_str(LintKind kind);

/// One finding: which entry, and the detail its kind gives (LintKind says which fields).
struct LintFinding {
    LintKind kind = LintKind::Res0Bits;  ///< What is wrong.
    uint8_t level = 0;                   ///< The level of the table holding the entry.
    uint16_t index = 0;                  ///< The entry's index in its table.
    uint32_t tree = 0;                   ///< Which of the trees linted (0 for one tree).
    uint32_t other_tree = 0;             ///< WxAlias: the tree of other_va.
    uint64_t va = 0;                     ///< The first address the entry maps (an IPA at stage 2).
    uint64_t descriptor = 0;             ///< The entry's 64 bits.
    uint64_t bits = 0;                   ///< Res0Bits, Res1Clear, MisalignedOutput: the bits.
    uint64_t other_va = 0;               ///< Contiguous, TableLoop, TableShared, WxAlias.
    uint64_t pa = 0;                     ///< TableOutsidePool, TableLoop, TableShared, WxAlias.
    uint64_t size = 0;                   ///< WxAlias: bytes of the overlap.
};

/// Writes @p finding as one line, without a newline: its kind's name, where it is and its
/// detail, e.g. "RES0 bits set: L3[5] va 0x80005000, descriptor 0x1000080005743, bits
/// 0x1000000000000".
void write_finding(TextWriter& out, const LintFinding& finding);
/// write_finding() into @p buf as snprintf does: at most @p len - 1 characters and a NUL
/// (nothing when len is 0). @return the length of the whole line.
size_t format_finding(const LintFinding& finding, char* buf, size_t len);

/// Physical pages a tree may use for its tables, and where the caller reads them.
struct LintPool {
    uint64_t base = 0;           ///< The physical address of the first byte: page-aligned.
    uint64_t size = 0;           ///< Bytes; only whole pages inside count.
    const void* data = nullptr;  ///< Where byte @p base is readable; null: at base itself.
};

/// Turns the physical address of a table page into a pointer to its 512 descriptors
/// (8-byte aligned), or null for a page the tree may not use.
using LintTranslateFn = const void* (*)(void* ctx, uint64_t pa);

/// A stage-1 tree that another's table pages must be read-only in (LintTree::read_only_in).
struct LintProtector {
    uint64_t root = 0;        ///< The physical address of its root table; 0: no such tree.
    unsigned root_level = 0;  ///< The level of its root table.
    uint64_t va_base = 0;     ///< The first address its root covers.
};

/// One tree to lint: its root, its regime, and how to read its table pages (translate if
/// set, else the pools).
struct LintTree {
    uint64_t root = 0;        ///< The physical address of the root table: page-aligned.
    unsigned root_level = 0;  ///< The level of the root table, 0 to 3; all 512 entries are read.
    TranslationRegime regime = TranslationRegime::El1And0;  ///< Decides the RES0/RES1 bits and W/X.
    const LintPool* pools = nullptr;    ///< The pages the tables may use (when no translate).
    size_t pool_count = 0;              ///< Entries of @p pools.
    LintTranslateFn translate = nullptr;  ///< Or: the pages, through this callback.
    void* ctx = nullptr;                ///< Passed to translate.
    uint64_t va_base = 0;  ///< The first address the root covers: 2^64 - size in an upper range.
    /// The tables the root is: 1; or at stage 2, 2, 4, 8 or 16 concatenated tables (D8.2),
    /// which follow @p root in physical memory, the whole aligned to its size, each read
    /// through the pools or translate like any table page, and walked as one table of
    /// 512 * root_tables entries (Granule::stage2_root_tables() of the IPA size). 0 reads as 1.
    unsigned root_tables = 1;
    /// The tree this one's table pages were made read-only in (Mapping::protect_tables),
    /// whose tables are read as this one's are: each table page reached must be mapped
    /// there, at its physical address (the library writes its tables through identity-mapped
    /// addresses), by a valid leaf that refuses writes (TableWritable). Root 0: no check.
    LintProtector read_only_in{};
};

/// The checks lint() runs (LintOptions::checks).
namespace lint_checks {
/// Everything but W^X: RES0/RES1 bits, levels, alignment, contiguous groups, the tables.
inline constexpr uint32_t STRUCTURE = 1u << 0;
/// W^X aliases.
inline constexpr uint32_t WX_ALIASES = 1u << 1;
/// Both.
inline constexpr uint32_t ALL = STRUCTURE | WX_ALIASES;
/// Executable leaves without GP (LintKind::UnguardedCode), for code run with
/// guarded code (Mapping::set_guarded_code()); not in ALL.
inline constexpr uint32_t GUARDED = 1u << 2;
}  // namespace lint_checks

/// Architecture features the trees may use (LintOptions::features): their bits are then
/// not reported.
namespace lint_features {
/// FEAT_BTI: bit 50 of blocks and pages is GP.
inline constexpr uint32_t BTI = 1u << 0;
/// FEAT_BBM: bit 16 of blocks is nT.
inline constexpr uint32_t BBM = 1u << 1;
/// FEAT_XNX: bit 53 of stage-2 blocks and pages is XN[0] (Stage2Options::xnx).
inline constexpr uint32_t XNX = 1u << 2;
}  // namespace lint_features

/// How to lint.
struct LintOptions {
    uint32_t checks = lint_checks::ALL;  ///< lint_checks; 0 reads as ALL.
    uint32_t features = 0;               ///< lint_features.
    uint64_t* scratch = nullptr;         ///< The walk's working storage.
    size_t scratch_words = 0;            ///< Words of @p scratch.
};

/// What a lint found and needed.
struct LintReport {
    size_t findings = 0;       ///< Every finding, also those past the caller's array.
    size_t tables = 0;         ///< Table pages reached, over all trees.
    size_t runs = 0;           ///< Runs of W or X leaves the W^X check met.
    size_t scratch_words = 0;  ///< Scratch the lint needed (a lower bound when OutOfMemory
                               ///< came from the tables of one tree not fitting).
};

/// Scratch words for a lint of trees with at most @p tables table pages each and
/// @p ranges runs of W or X leaves in all (at most one per W or X leaf).
constexpr size_t lint_scratch_words(size_t tables, size_t ranges) { return 2 * tables + 4 * ranges; }

/// Gives tree @p index of a lint in @p tree; answers false for a tree that cannot be
/// described (the lint then answers InvalidArgument). Called more than once per tree.
using LintSourceFn = bool (*)(const void* ctx, size_t index, LintTree& tree);
/// The trees of a lint, one at a time, so that a caller holding them in another form
/// needs no array of LintTree (the C ABI's maps and trees).
struct LintTrees {
    LintSourceFn source = nullptr;  ///< Gives each tree.
    const void* ctx = nullptr;      ///< Passed to source.
    size_t count = 0;               ///< The trees: indexes 0 to count - 1.
};
/// Receives finding number @p n (counted from 0) of a lint, in the order lint() gives.
using LintSinkFn = void (*)(void* ctx, size_t n, const LintFinding& finding);
/// Where a lint's findings go.
struct LintSink {
    LintSinkFn fn = nullptr;  ///< Called once per finding; null: findings only counted.
    void* ctx = nullptr;      ///< Passed to fn.
};

/// Lints @p trees: each on its own (STRUCTURE), and their leaves together for W^X
/// aliases (WX_ALIASES). Findings go to @p sink: each tree's in address order (a
/// contiguous group's after those of its entries), then the aliases in physical address
/// order. A table reached twice is not walked again. Time: the entries of every table
/// once, then a sort of the runs and one pass over each pair of runs whose physical
/// ranges overlap.
/// @return Ok (findings or none), or:
///   - InvalidArgument, before any finding: a null source with trees, more than 4096
///     trees, a tree the source cannot give, a root level above 3, an unknown regime,
///     neither pools nor translate, a pool not page-aligned, a root not page-aligned or
///     not a page the tree may use; root_tables other than 0, 1, 2, 4, 8 or 16, more
///     than 1 but not at stage 2, or more than 48 input address bits resolve (a level-0
///     root is one table), a concatenated root not aligned to its size or one of its
///     tables not a page the tree may use;
///   - OutOfMemory: the scratch was too small; report.scratch_words says how much is
///     needed (exact when the tables fitted, else a lower bound: grow it and retry). The
///     findings of what was walked are still given; the W^X check ran only if all its
///     runs fitted.
[[nodiscard]] Result lint(const LintTrees& trees, const LintOptions& options, const LintSink& sink,
                          LintReport& report);

/// lint() of the @p count trees of an array, into the array @p out of @p max findings
/// (null with 0 to count only); report.findings counts them all.
/// @return as lint(); InvalidArgument also for null @p trees with @p count not 0.
[[nodiscard]] Result lint(const LintTree* trees, size_t count, const LintOptions& options,
                          LintFinding* out, size_t max, LintReport& report);

/// The LintTree of one of the library's mappings: its regime, first address and root
/// tables, identity-translated table pages, which are trusted: any page-aligned address
/// but 0 is read as a table. (A tree that may be corrupt is linted with a pool or a
/// translate callback that knows its pages.) A stage-2 mapping made with
/// Stage2Options::xnx is linted with lint_features::XNX. After protect_tables(), its
/// read_only_in is the mapping the tables were made read-only in.
LintTree lint_tree(const Mapping<>& mapping);

}  // namespace aarch64_paging

#endif
