// The reference model of an idmap_t: deliberately simple, written from the contract
// (shared/spec/c-abi.md) and sharing no code with the library.
//
// State: for every page of the table's range, the leaf entry that maps it (vmsa.hpp Leaf:
// level, zero, attribute bits, output address - input address), whether NO_BLOCK_MAPPINGS
// or NO_CONTIGUOUS_HINT was asked when it was mapped, plus the active state, the number of
// table pages and the last error. Pages are kept as runs in a sorted vector, so a 256 TiB
// table costs what its distinct runs cost.
//
// Each call predicts the status (and the detail the contract gives with it), applies the
// change the contract describes, and says whether the tables may have changed:
//   map_range     ACCESSED added; 1 GiB blocks at level 1, 2 MiB at level 2 where the
//                 range covers the whole entry and the entry is not already a table (never
//                 replaced by a block), pages at level 3; NO_BLOCK_MAPPINGS: pages only. A
//                 block that already maps its part of the range as asked is not split
//                 (contract 1.1). Without VALID an unmap (1.1): entries laid out as for a
//                 valid map get the flags alone (no ACCESSED, no page bit, output address
//                 0; flags 0 leave them empty), but a table the range covers whole is freed
//                 and its entry gets the flags, whatever the layout asked; an entry that
//                 holds the flags alone already is not split.
//   map_range_to  (idmap.h addition) map_range to the output range from pa rather than
//                 the map's own (map_range is map_range_to(own output address of the
//                 start rounded down to its page)): pa is the output address of the
//                 range's first page, every leaf written maps va + delta, delta = pa minus
//                 the rounded start; blocks only where that delta is a multiple of the
//                 block's size; "as asked" compares that delta. A pa that is not
//                 page-aligned (so at another offset in its page than the rounded start)
//                 is INVALID_ARGUMENT (IDMAP_ARG_PA_PAGE_OFFSET, va = pa), after the region, seal, flags and
//                 constraints checks and before the 48-bit one (ADDRESS_RANGE below). Live
//                 leaves at another output address break (IDMAP_BBM_OUTPUT_ADDRESS).
//   guarded code  (idmap.h, idmap_set_guarded_code) on, map_range and map_range_to add GP
//                 (50) to every valid leaf they write whose flags execute at some level:
//                 not both PXN and UXN, with one privilege level not XN. Refused at stage
//                 2 and without FEAT_BTI (ModelConfig::bti). modify leaves GP alone.
//   hardware updates (idmap.h, idmap_set_hardware_updates) IDMAP_HW_ACCESS_FLAG and
//                 IDMAP_HW_DIRTY; bits beyond them INVALID_FLAGS (value: those bits), a
//                 CPU whose HAFDBS (ModelConfig::hafdbs) is below 1 for the Access flag or
//                 2 for the dirty state INVALID_ARGUMENT (IDMAP_ARG_NO_HAFDBS, needed in
//                 bits 31:16, the CPU's in 47:32). Under IDMAP_HW_DIRTY map_range and
//                 map_range_to write every valid leaf that would be writable (stage 1:
//                 bit 7, AP[2], clear; stage 2: bit 7, S2AP[1], set) clean: DBM (51) set,
//                 bit 7 flipped.
//   collect_dirty (idmap.h) a bitmap of the range's pages (from its start rounded down)
//                 with a bit set for each page of a valid leaf that is writable (bit 7 as
//                 above); every whole DBM leaf among them made clean (bit 7 flipped), in
//                 address order, none split; a leaf reaching past the range is left as it
//                 is; then, on an inactive map, the range regrouped as a modify's. Refused before anything: the range errors, then a NULL bitmap or
//                 fewer words than the range's pages in 64s (INVALID_ARGUMENT,
//                 IDMAP_ARG_DIRTY_BITMAP, bit 16 for NULL, va = the words needed); on a
//                 sealed map SEALED (region: the rounded range, value: the bits) where
//                 making a leaf clean widens access (sealed_widened).
//   hardware write what the MMU does on a write through a clean DBM leaf of an active map
//                 (not a call): bit 7 flipped on each valid DBM leaf the range meets that
//                 is not writable; the harness writes the same descriptors itself.
//   contiguous    (idmap_set_contiguous_hint) leaves with DBM form no group.
//   modify_range  splits leaves not wholly inside the range, then fn on each leaf inside,
//                 in address order; fn's result rules as the contract states them, with
//                 idmap.h's addition: fn may change no bit map_range refuses, nor make
//                 valid a level-0 entry, a page without the page bit, or an entry whose
//                 output address is not its own (INVALID_FLAGS, value = the bits refused).
//   change_attributes (idmap.h addition) set and clear checked whole first (VALID, or a
//                 bit map_range or the regime refuses, in either: INVALID_FLAGS, value =
//                 those bits; set 0 with clear ~0 allowed), then modify_range with a
//                 callback that makes every valid leaf (leaf & ~clear) | set.
//   walk_runs     (idmap.h addition) the leaves walk_range passes, merged into runs: of
//                 one level, valid with the same bits and consecutive output addresses,
//                 or invalid with the same bits; a call per run, in address order.
//   splits        keep every page's translation: a block's entries below it map the same
//                 output addresses with the same bits (bit 1 set at level 3); a zero entry
//                 gives zero entries.
//   unmap_range   (idmap.h addition) every page of the range becomes empty: its leaf is
//                 zeroed where the range covers it whole; a non-empty leaf straddling an
//                 edge is split (as above, valid or not; an empty one needs nothing) down to
//                 entries the range covers whole. A table entry the range covers whole loses
//                 its subtree; one it touches in part is walked, and its table freed if the
//                 call leaves it all zeros. Freed tables leave a zero leaf at their entry's
//                 level, and the table count drops by every table page freed.
//   compact       (idmap.h addition) every table below the root whose entries are all zero
//                 is freed, bottom up (a table holding only tables that go becomes empty
//                 too); answers how many.
// The tables of the tree are implicit: the entry at level l over pages [e, e + n) is a
// table exactly when its pages' leaves lie below level l.
// Break-before-make on an active map: splitting a valid leaf, or replacing a valid leaf
// by a valid one with another output address (NS included), memory type or shareability,
// or without nG where it had it; the error's region is the whole region of the first live
// entry, in address order, that would break (contract 1.1), its value the rule broken
// (bbm_rule). modify's fn may always write an all-zero entry (1.1). Errors that change
// nothing are found before any change: region, flags, constraints, output address, then
// break-before-make, then pages for new tables (OUT_OF_MEMORY when the allocator has fewer
// pages left than the call needs new tables).
// Live splits (idmap.h, idmap_set_live_splits; off in a new map): turning them on is
// refused (INVALID_ARGUMENT, IDMAP_ARG_NO_BBM) on a CPU without FEAT_BBM
// (ModelConfig::bbm, ID_AA64MMFR2_EL1.BBM, 0), the policy kept; off always succeeds. On,
// the split of a valid leaf of an active map (map_range, modify_range, unmap_range and the
// calls made of them) breaks nothing, but where the leaf is one of a live contiguous group
// (IDMAP_BBM_CONTIGUOUS); the entries below the split are judged by the rules above as any
// live entry is (they map what the block did). Outcome::live_splits counts those splits.
//
// Maps of idmap_new_with_config (idmap.h, "Addition: translation regimes, the upper VA
// range, linear maps"), as ModelConfig says:
//   upper range   the table covers [2^64 - size, 2^64); callers pass and the model reports
//                 real addresses, a region's end of 0 standing for 2^64. A region that
//                 starts below the range, or ends outside it, is ADDRESS_RANGE (va = the
//                 start when it is below the range: the first address outside; else the
//                 end); a start of 0 is address 0, below the range. Inside, pages are kept as offsets from the range's start.
//   linear map    every input address va maps to va + pa_offset: a leaf's delta is
//                 va_start + pa_offset (offsets to output addresses); a block only where
//                 that delta is a multiple of the block's size; map_range answers
//                 ADDRESS_RANGE (va = the rounded start) when the output range does not fit
//                 48 bits; modify may make valid only an entry mapping its own output
//                 address, whatever map_range_to wrote.
//   EL2, EL3      one privilege level: map_range refuses USER (6), NON_GLOBAL (11) and PXN
//                 (53) with INVALID_FLAGS (value: the refused bits, with those of the
//                 contract's list); every leaf map_range writes gets AP[1] (bit 6, RES1);
//                 modify may not change bits 11 and 53, nor leave bit 6 clear on an entry
//                 valid after it (value: those bits).
//
// Stage-2 maps (idmap.h, "Stage 2 (hypervisors)"; ModelConfig::stage2): IPAs [0,
// 2^ipa_bits) from IPA 0, the root 2 to 16 concatenated tables where the IPA size is more
// than one table at the start level resolves (its entries run on across them: a root of
// size / level_bytes(root) entries, as few as 2), or fewer than 512 entries of one table.
// The leaf format is stage 2's (D8.3): MemAttr[3:0] in bits 5:2, S2AP[1:0] in 7:6 (bit 6
// reads, bit 7 writes), SH 9:8, AF 10, XN[1:0] in 54:53; no RES1 bit. map_range refuses
// bit 11 (nG at stage 1, RES0), bit 50 (GP) and bit 53 (XN[0], RES0 without FEAT_XNX;
// accepted with ModelConfig::xnx) beside the contract's list; modify may not change them.
// Break-before-make: bits 5:2 and 9:8 are the memory type (bit 5 is no NS bit, but the
// rule is the same as stage 1's NS + AttrIndx, and nG never appears). The seal judges
// access as stage 2 grants it (granted_stage2). Activation (idmap_s2_activate) is refused
// (INVALID_ARGUMENT, nothing changed, before ALREADY_ACTIVE) where the CPU cannot run the
// map (ModelConfig::s2_unusable: the IPA size past the PA size, a VMID too wide, XNX
// missing) or a valid leaf maps at or past 2^s2_pa_bits. map_range_break_before_make
// (map_range_bbm) is map_range with no break-before-make error but for an entry of a live
// contiguous group.
#ifndef IDMAP_MODEL_MODEL_HPP
#define IDMAP_MODEL_MODEL_HPP

#include "page_ranges.hpp"
#include "vmsa.hpp"

#include <idmap.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

namespace idmap_model {

// What a call is predicted to answer.
struct Outcome {
    idmap_status_t status = IDMAP_OK;
    uint64_t va = 0;              // ADDRESS_RANGE
    idmap_region_t region{0, 0};  // REGION_BACKWARDS, BREAK_BEFORE_MAKE
    uint64_t value = 0;           // PTE_UPDATE_FAULT, INVALID_FLAGS
    // False when the call must leave the tables exactly as they were (every error but a
    // failing modify callback on an inactive map).
    bool may_change = true;
    size_t new_tables = 0;
    // unmap_range and compact: table pages freed, and whether a TLB invalidation is
    // required on an active map (a valid entry removed, or a table freed: a walk may have
    // cached it) or merely allowed (only invalid entries zeroed, or nothing changed).
    size_t freed_tables = 0;
    bool removed_valid = false;
    bool changed = false;
    // map_range: the table pages it takes (also when OUT_OF_MEMORY): what
    // idmap_tables_needed must answer.
    size_t needed = 0;
    // map_range: ADDRESS_RANGE for the output range past 2^48, not for the region.
    bool output_range_error = false;
    // Valid leaves of an active map split under live splits (each with its nT sequence).
    size_t live_splits = 0;
};

// One call of a modify or walk callback.
struct Call {
    uint64_t start, end;
    uint64_t bits;
    unsigned level;
    bool operator==(const Call& o) const {
        return start == o.start && end == o.end && bits == o.bits && level == o.level;
    }
};

// A modify callback as a pure function of what it is given: answers the rc and
// rewrites bits. It must not depend on the contiguous bit (the model does not predict it).
using ModifyFn = std::function<int(uint64_t start, uint64_t end, uint64_t& bits, unsigned level)>;
using WalkFn = std::function<int(uint64_t start, uint64_t end, uint64_t bits, unsigned level)>;

struct PageInfo {
    Leaf leaf;
    bool no_block = false;   // mapped with NO_BLOCK_MAPPINGS: must stay pages
    bool no_contig = false;  // last mapped with NO_CONTIGUOUS_HINT (until a change hints it)
    bool contig = false;     // the leaf entry holds the contiguous bit (52)
    bool operator==(const PageInfo& o) const {
        return leaf == o.leaf && no_block == o.no_block && no_contig == o.no_contig && contig == o.contig;
    }
};

// How the map was built (idmap_config_t); the default is idmap_new's: an identity map of
// the lower range of EL1&0.
struct ModelConfig {
    bool upper = false;                // the upper VA range: [2^64 - size, 2^64)
    uint64_t pa_offset = 0;            // output address = input address + pa_offset
    bool one_privilege_level = false;  // EL2 (E2H = 0) or EL3
    // Stage 2: IPAs [0, 2^size_bits) (0: a stage-1 map, the root table's whole range).
    bool stage2 = false;
    unsigned size_bits = 0;
    bool xnx = false;          // FEAT_XNX asked for: XN[0] (bit 53) accepted
    bool s2_unusable = false;  // idmap_s2_activate refuses the map whatever it holds
    unsigned s2_pa_bits = 48;  // the CPU's PA size: no valid leaf may map at or past it
    idmap_regime_t regime = IDMAP_REGIME_EL1_0;  // idmap_regime(): the detail of NO_BTI
    bool bti = false;  // the CPU has FEAT_BTI: guarded code may be turned on at stage 1
    unsigned hafdbs = 0;  // the CPU's ID_AA64MMFR1_EL1.HAFDBS: 1 the Access flag, 2 the dirty state
    unsigned bbm = 0;     // the CPU's ID_AA64MMFR2_EL1.BBM: live splits need 1 or more
};

// AP[1] (USER), nG and PXN: refused in the regimes with one privilege level, where AP[1] is
// RES1 (idmap.h, IDMAP_REGIME_*).
constexpr uint64_t kApUser = uint64_t{1} << 6;
constexpr uint64_t kPxn = uint64_t{1} << 53;
constexpr uint64_t kOneLevelRefused = kApUser | kNonGlobal | kPxn;
// Stage 2 refuses nG (11, RES0), GP (50) and XN[0] (53, RES0 without FEAT_XNX).
constexpr uint64_t kGp = uint64_t{1} << 50;
constexpr uint64_t kStage2Refused = kNonGlobal | kGp | kPxn;
// UXN (54): XN in the regimes with one privilege level.
constexpr uint64_t kUxn = uint64_t{1} << 54;
// Bit 7: AP[2] (read-only) at stage 1, S2AP[1] (writes allowed) at stage 2.
constexpr uint64_t kWriteBit = uint64_t{1} << 7;

// What a valid leaf grants (Arm ARM D8.4), as the contract's seal rule judges it: reads
// and writes at the privileged level and at EL0, and execution at each. AP[2] (7) makes
// it read-only; AP[1] (6) gives EL0 access in a regime with two privilege levels; PXN
// (53) and UXN (54, XN where there is one level) forbid execution; a page EL0 can write is
// never executable at the privileged level.
inline unsigned granted(uint64_t bits, bool one_level) {
    constexpr unsigned kRead = 1, kWrite = 2, kExec = 4, kUserRead = 8, kUserWrite = 16, kUserExec = 32;
    const bool read_only = (bits & IDMAP_ATTR_READ_ONLY) != 0;
    const bool xn = (bits & (uint64_t{1} << 54)) != 0;
    if (one_level) {
        return kRead | (read_only ? 0 : kWrite) | (xn ? 0 : kExec);
    }
    const bool user = (bits & IDMAP_ATTR_USER) != 0;
    const bool user_write = user && !read_only;
    return kRead | (read_only ? 0 : kWrite) | ((bits & kPxn) != 0 || user_write ? 0 : kExec) |
           (user ? kUserRead : 0) | (user_write ? kUserWrite : 0) | (xn ? 0 : kUserExec);
}

// What a valid stage-2 leaf grants (D8.4, "Stage 2 data access permissions", "Stage 2
// instruction execution permissions"), in granted()'s terms: S2AP[0] (6) reads and S2AP[1]
// (7) writes, at EL1 and EL0 alike; XN[1:0] (54:53) 0b00 executable at both, 0b01 not at
// EL1, 0b10 at neither, 0b11 not at EL0.
inline unsigned granted_stage2(uint64_t bits) {
    constexpr unsigned kRead = 1, kWrite = 2, kExec = 4, kUserRead = 8, kUserWrite = 16, kUserExec = 32;
    const unsigned xn = static_cast<unsigned>(bits >> 53) & 3;
    const bool read = (bits & (uint64_t{1} << 6)) != 0;
    const bool write = (bits & (uint64_t{1} << 7)) != 0;
    return (read ? kRead | kUserRead : 0) | (write ? kWrite | kUserWrite : 0) | (xn == 0 || xn == 3 ? kExec : 0) |
           (xn == 0 || xn == 1 ? kUserExec : 0);
}

// Seal mode (idmap_seal): the bits whose change from before to after widens access, 0 when
// it only tightens. Tightening: the entry becomes invalid, or stays valid, changes only
// READ_ONLY (7), USER (6), PXN (53), UXN/XN (54) and clears DBM (51), and grants nothing
// it did not (granted); the software bits 55-58 change freely. Anything else - making an
// entry valid, another output address, memory type, shareability, AF, nG - widens.
// At stage 2 (stage2) bits 6, 7, 53 and 54 are S2AP and XN: the same bits change freely,
// judged by granted_stage2.
inline uint64_t sealed_widened(uint64_t before, uint64_t after, bool one_level, bool stage2 = false) {
    if ((after & kDescValid) == 0) {
        return 0;
    }
    if ((before & kDescValid) == 0) {
        return kDescValid;
    }
    const uint64_t permissions = IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_USER | (uint64_t{3} << 53);
    const uint64_t software = uint64_t{0xf} << 55;
    const uint64_t changed = before ^ after;
    const uint64_t widened = changed & ~(permissions | software | (IDMAP_ATTR_DBM & before));
    if (widened != 0) {
        return widened;
    }
    const unsigned was = stage2 ? granted_stage2(before) : granted(before, one_level);
    const unsigned now = stage2 ? granted_stage2(after) : granted(after, one_level);
    return (now & ~was) != 0 ? changed & permissions : 0;
}

// Break-before-make for a live leaf entry old (contig: it holds the contiguous bit)
// replaced by next: vmsa.hpp's rules (needs_break_before_make), and a valid entry of a
// contiguous group may change in nothing (the contiguous bit aside, which the model leaves
// out of both). Answers the rule broken (idmap.h IDMAP_BBM_*, idmap_error_t.value), 0 for
// none. Where several are, the first of: a changed entry of a contiguous group, then from
// valid to valid the output address (and NS, bit 5, at stage 1), the memory type and
// shareability (bits 4:2 and 9:8; at stage 2 MemAttr, bits 5:2), nG cleared. idmap.h
// names the rules but no order among them: this is the library's
// (break_before_make_rule), which the model follows so that the value is checked exactly.
inline uint64_t bbm_rule(uint64_t old_bits, bool contig, uint64_t next_bits, bool stage2) {
    constexpr uint64_t kNs = uint64_t{1} << 5;
    if (contig && (old_bits & kDescValid) != 0 && old_bits != next_bits) {
        return IDMAP_BBM_CONTIGUOUS;
    }
    if (!needs_break_before_make(old_bits, next_bits)) {
        return 0;
    }
    const uint64_t changed = old_bits ^ next_bits;
    if ((changed & kOaMask) != 0 || (!stage2 && (changed & kNs) != 0)) {
        return IDMAP_BBM_OUTPUT_ADDRESS;
    }
    return (changed & (kMemoryTypeMask | kNs)) != 0 ? IDMAP_BBM_MEMORY_TYPE : IDMAP_BBM_GLOBAL;
}

class Model {
public:
    // Bits map_range refuses (contract): TABLE_OR_PAGE, bits 12-49, bit 52.
    static constexpr uint64_t kRefusedFlags =
        kDescTableOrPage | (((uint64_t{1} << 50) - 1) & ~(kPageSize - 1)) | (uint64_t{1} << 52);
    static constexpr uint32_t kKnownConstraints = IDMAP_NO_BLOCK_MAPPINGS | IDMAP_NO_CONTIGUOUS_HINT;

    explicit Model(unsigned root_level, const ModelConfig& config = ModelConfig())
        : root_level_(root_level), config_(config) {
        Leaf empty;
        empty.level = static_cast<uint8_t>(root_level);
        runs_.push_back(Span{0, size() >> kPageShift, PageInfo{empty, false, false, false}});
        tables_ = root_tables();
    }

    unsigned root_level() const { return root_level_; }
    uint64_t size() const { return config_.size_bits != 0 ? uint64_t{1} << config_.size_bits : table_bytes(root_level_); }
    // The root's table pages: 1, or 2 to 16 concatenated at stage 2.
    size_t root_tables() const { return std::max<size_t>(1, static_cast<size_t>(size() / table_bytes(root_level_))); }
    const ModelConfig& config() const { return config_; }
    // The first input address the table covers: 0, or 2^64 - size() in the upper range.
    uint64_t range_start() const { return config_.upper ? 0 - size() : 0; }
    // Output address minus input offset of every valid leaf (mod 2^64).
    uint64_t delta() const { return range_start() + config_.pa_offset; }
    // Bits map_range sets in every leaf beside ACCESSED: AP[1] with one privilege level.
    uint64_t res1() const { return config_.one_privilege_level ? kApUser : 0; }
    // Bits of the regime map_range refuses.
    uint64_t regime_refused() const {
        if (config_.stage2) {
            return config_.xnx ? kStage2Refused & ~kPxn : kStage2Refused;
        }
        return config_.one_privilege_level ? kOneLevelRefused : 0;
    }
    bool active() const { return active_; }
    bool sealed() const { return sealed_; }
    bool contiguous_hint() const { return hint_; }
    size_t tables() const { return tables_; }
    // idmap_set_contiguous_hint; no_hint_erratum: IDMAP_ERRATUM_NO_CONTIGUOUS_HINT in force.
    void set_contiguous_hint(bool on) { hint_ = on; }
    void set_no_hint_erratum(bool on) { no_hint_erratum_ = on; }
    // idmap_set_guarded_code (idmap.h): turning it on is refused (INVALID_ARGUMENT,
    // IDMAP_ARG_NO_BTI, the regime in bits 31:16) at stage 2, which has no GP bit, and on a
    // CPU without FEAT_BTI, the policy kept; off always succeeds. Changes no table.
    Outcome set_guarded_code(bool on) {
        if (on && (config_.stage2 || !config_.bti)) {
            return record(invalid_argument(IDMAP_ARG_NO_BTI | uint64_t{static_cast<unsigned>(config_.regime)} << 16));
        }
        guarded_ = on;
        return no_change();
    }
    bool guarded_code() const { return guarded_; }
    // idmap_set_hardware_updates (idmap.h): refused for unknown bits, then for a CPU that
    // lacks them, the setting kept. Changes no table.
    Outcome set_hardware_updates(unsigned updates) {
        constexpr unsigned kKnown = IDMAP_HW_ACCESS_FLAG | IDMAP_HW_DIRTY;
        const unsigned needed = (updates & IDMAP_HW_DIRTY) != 0 ? 2 : (updates & IDMAP_HW_ACCESS_FLAG) != 0 ? 1 : 0;
        if ((updates & ~kKnown) != 0) {
            Outcome o = error(IDMAP_ERR_INVALID_FLAGS);
            o.value = updates & ~kKnown;
            return record(o);
        }
        if (needed > config_.hafdbs) {
            return record(
                invalid_argument(IDMAP_ARG_NO_HAFDBS | uint64_t{needed} << 16 | uint64_t{config_.hafdbs} << 32));
        }
        updates_ = updates;
        return no_change();
    }
    unsigned hardware_updates() const { return updates_; }
    // idmap_set_live_splits (idmap.h): turning them on is refused on a CPU without
    // FEAT_BBM, the policy kept. Changes no table.
    Outcome set_live_splits(bool on) {
        if (on && config_.bbm == 0) {
            return record(invalid_argument(IDMAP_ARG_NO_BBM));
        }
        live_splits_ = on;
        return no_change();
    }
    bool live_splits() const { return live_splits_; }
    // Whether a valid leaf of bits lets writes through: bit 7 clear at stage 1 (AP[2]), set
    // at stage 2 (S2AP[1]).
    bool writable(uint64_t bits) const { return ((bits & kWriteBit) != 0) == config_.stage2; }
    // A map's flags under IDMAP_HW_DIRTY: what would be writable, clean with DBM.
    uint64_t tracked(uint64_t flags) const {
        if ((updates_ & IDMAP_HW_DIRTY) == 0 || (flags & kDescValid) == 0 || !writable(flags)) {
            return flags;
        }
        return (flags | IDMAP_ATTR_DBM) ^ kWriteBit;
    }

    // The MMU's writes through [raw) (not a call; the range as map_range rounds it, inside
    // the map): every valid DBM leaf it meets that is not writable becomes writable (dirty).
    // Answers the first page and level of each leaf changed, for the harness to write the
    // same descriptors.
    std::vector<std::pair<uint64_t, unsigned>> hardware_write(idmap_region_t raw) {
        std::vector<std::pair<uint64_t, unsigned>> written;
        uint64_t s = 0, e = 0;
        if (!active_ || check_region(raw, s, e).status != IDMAP_OK) {  // no MMU walks an inactive map
            return written;
        }
        for_each_leaf(s >> kPageShift, e >> kPageShift, [&](uint64_t first, const Leaf& leaf) {
            if (leaf.valid() && (leaf.attrs & IDMAP_ATTR_DBM) != 0 && !writable(leaf.attrs)) {
                written.emplace_back(first, leaf.level);
            }
        });
        for (const auto& [first, level] : written) {
            update(first, first + level_pages(level), [](PageInfo& p) { p.leaf.attrs ^= kWriteBit; });
        }
        return written;
    }

    // idmap_protect_tables(map, NULL) (on) and idmap_unprotect_tables (off), tables: the
    // addresses of the map's table pages, root first, depth first (the harness reads them
    // from memory). Refused, nothing changed: a stage-2 map (NOT_STAGE1, the regime in
    // bits 31:16); protecting twice (TABLES_READ_ONLY); an active map (ALREADY_ACTIVE);
    // then the first page that is not in the map's range or not mapped by a valid page
    // (TABLES_NOT_PAGES, va = the page), or whose change a seal refuses (SEALED, region:
    // the page). Each page becomes READ_ONLY without DBM (off: READ_ONLY cleared), as one
    // change_attributes call each would make it (an inactive map's hints regrouped).
    Outcome protect_tables(const std::vector<uint64_t>& tables, bool on) {
        if (on && config_.stage2) {
            return record(
                invalid_argument(IDMAP_ARG_NOT_STAGE1 | uint64_t{static_cast<unsigned>(config_.regime)} << 16));
        }
        if (on == protected_) {
            Outcome o = on ? error(IDMAP_ERR_INVALID_ARGUMENT) : Outcome{};
            o.value = on ? IDMAP_ARG_TABLES_READ_ONLY : 0;
            o.may_change = false;
            return record(o);
        }
        if (active_) {
            return record(error(IDMAP_ERR_ALREADY_ACTIVE));
        }
        const uint64_t set = on ? IDMAP_ATTR_READ_ONLY : 0;
        const uint64_t clear = on ? IDMAP_ATTR_DBM : IDMAP_ATTR_READ_ONLY;
        for (const uint64_t va : tables) {
            const uint64_t offset = va - range_start();
            const Leaf leaf = offset < size() ? info(offset >> kPageShift).leaf : Leaf{};
            if (!leaf.valid() || leaf.level != kLeafLevel) {
                Outcome o = invalid_argument(IDMAP_ARG_TABLES_NOT_PAGES);
                o.va = va;
                return record(o);
            }
            if (const uint64_t widened = sealed_ ? sealed_widened(leaf.attrs, (leaf.attrs & ~clear) | set,
                                                                  config_.one_privilege_level)
                                                 : 0;
                widened != 0) {
                Outcome o = error(IDMAP_ERR_SEALED);
                o.region = idmap_region_t{va, va + kPageSize};
                o.value = widened;
                return record(o);
            }
        }
        Outcome o;
        o.may_change = false;
        for (const uint64_t va : tables) {
            const uint64_t page = (va - range_start()) >> kPageShift;
            const uint64_t attrs = info(page).leaf.attrs;
            o.may_change = o.may_change || ((attrs & ~clear) | set) != attrs;
            update(page, page + 1, [set, clear](PageInfo& p) { p.leaf.attrs = (p.leaf.attrs & ~clear) | set; });
            o.may_change = regroup(page, page + 1, true) || o.may_change;
            coalesce();
        }
        protected_ = on;
        return o;
    }
    bool tables_protected() const { return protected_; }

    // idmap_collect_dirty with a bitmap of words 64-bit words (null: NULL); bitmap gets what
    // the call must write.
    Outcome collect_dirty(idmap_region_t raw, size_t words, bool null, std::vector<uint64_t>& bitmap) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        const uint64_t sp = s >> kPageShift, ep = e >> kPageShift;
        const uint64_t needed = (ep - sp + 63) / 64;
        if (null || words < needed) {
            Outcome f = error(IDMAP_ERR_INVALID_ARGUMENT);
            f.value = IDMAP_ARG_DIRTY_BITMAP | (null ? uint64_t{1} << 16 : 0);
            f.va = needed;
            return record(f);
        }
        if (protected_) {
            return record(read_only());
        }
        bitmap.assign(static_cast<size_t>(needed), 0);
        std::vector<std::pair<uint64_t, unsigned>> cleaned;
        Outcome refused;
        for_each_leaf(sp, ep, [&](uint64_t first, const Leaf& leaf) {
            if (!leaf.valid() || !writable(leaf.attrs)) {
                return;
            }
            const uint64_t end = first + level_pages(leaf.level);
            for (uint64_t p = std::max(first, sp); p < std::min(end, ep); ++p) {
                bitmap[(p - sp) / 64] |= uint64_t{1} << ((p - sp) % 64);
            }
            if ((leaf.attrs & IDMAP_ATTR_DBM) == 0 || first < sp || end > ep) {
                return;
            }
            const uint64_t widened =
                sealed_ ? sealed_widened(leaf.attrs, leaf.attrs ^ kWriteBit, config_.one_privilege_level,
                                         config_.stage2)
                        : 0;
            if (widened != 0 && refused.status == IDMAP_OK) {
                refused = error(IDMAP_ERR_SEALED);
                refused.region = real(s, e);
                refused.value = widened;
            }
            cleaned.emplace_back(first, leaf.level);
        });
        if (refused.status != IDMAP_OK) {
            return record(refused);
        }
        for (const auto& [first, level] : cleaned) {
            update(first, first + level_pages(level), [](PageInfo& p) { p.leaf.attrs ^= kWriteBit; });
        }
        // A modify: on an inactive map its range regrouped.
        const bool regrouped = !active_ && regroup(sp, ep, true);
        o.may_change = !cleaned.empty() || regrouped;
        return o;
    }
    // GP on a valid leaf of flags that executes at some level (guarded code; idmap.h):
    // not both PXN and UXN, or not XN with one privilege level.
    uint64_t guard(uint64_t flags) const {
        const uint64_t never = config_.one_privilege_level ? kUxn : kPxn | kUxn;
        return guarded_ && (flags & never) != never ? kGp : 0;
    }
    // idmap_seal: cannot fail, changes no table.
    Outcome seal() {
        sealed_ = true;
        Outcome o;
        o.may_change = false;
        return o;
    }
    const idmap_error_t& last_error() const { return last_error_; }

    // ---- Calls. budget: pages the allocator will still hand out.

    // bbm: map_range_break_before_make (idmap_s2_map_range_bbm): a live change that needs a
    // break gets one, but for an entry of a live contiguous group.
    Outcome map_range(idmap_region_t raw, uint64_t flags, uint32_t constraints, size_t budget, bool bbm = false) {
        return map_range_to(raw, (raw.start & ~(kPageSize - 1)) + config_.pa_offset, flags, constraints, budget,
                            bbm);
    }

    // idmap_map_range_to (idmap_s2_map_range_bbm_to with bbm): map_range to the physical
    // range from pa, the output address of the range's first page (raw.start rounded
    // down); map_range is this call with the map's own output address of that page.
    Outcome map_range_to(idmap_region_t raw, uint64_t pa, uint64_t flags, uint32_t constraints, size_t budget,
                         bool bbm = false) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        const uint64_t refused = kRefusedFlags | regime_refused();
        if (o.status == IDMAP_OK && sealed_) {
            o = error(IDMAP_ERR_SEALED);
            o.region = real(s, e);
            o.value = flags | IDMAP_ATTR_VALID;
        }
        if (o.status == IDMAP_OK && (flags & refused) != 0) {
            o = error(IDMAP_ERR_INVALID_FLAGS);
            o.value = flags & refused;
        }
        if (o.status == IDMAP_OK && (constraints & ~kKnownConstraints) != 0) {
            o = error(IDMAP_ERR_INVALID_FLAGS);
            o.value = constraints & ~kKnownConstraints;
        }
        // A page maps whole to a page (idmap.h, IDMAP_ARG_PA_PAGE_OFFSET, the page in KiB).
        if (o.status == IDMAP_OK && (pa & (kPageSize - 1)) != 0) {
            o = error(IDMAP_ERR_INVALID_ARGUMENT);
            o.va = pa;
            o.value = IDMAP_ARG_PA_PAGE_OFFSET | (uint64_t{kPageSize >> 10} << 16);
        }
        // The output range [out, out + e - s) of the rounded region must fit 48 bits (a
        // linear map's offset, or pa, can take it beyond).
        const uint64_t out = pa;
        constexpr uint64_t kOaLimit = uint64_t{1} << 48;
        if (o.status == IDMAP_OK && (out > kOaLimit || e - s > kOaLimit - out)) {
            o = error(IDMAP_ERR_ADDRESS_RANGE);
            o.va = s + range_start();
            o.output_range_error = true;
        }
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        if (protected_) {
            return record(read_only());
        }
        Model next = *this;
        Change c{s >> kPageShift, e >> kPageShift};
        // The regime's RES1 bits, and GP under guarded code, only on what maps: without
        // VALID the flags alone.
        c.flags = (flags & IDMAP_ATTR_VALID) != 0 ? tracked(flags | res1() | guard(flags)) : flags;
        c.delta = out - s;
        c.base = range_start();
        c.no_block = (constraints & IDMAP_NO_BLOCK_MAPPINGS) != 0;
        c.no_contig = (constraints & IDMAP_NO_CONTIGUOUS_HINT) != 0;
        c.active = active_;
        c.stage2 = config_.stage2;
        c.breaker = bbm;
        c.live_splits = live_splits_;
        next.map_entries(root_level_, 0, c);
        if (c.bbm) {
            o = error(IDMAP_ERR_BREAK_BEFORE_MAKE);
            o.region = c.bbm_region();
            o.value = c.bbm_value;
            return record(o);
        }
        if (c.splits > budget) {
            Outcome f = error(IDMAP_ERR_OUT_OF_MEMORY);
            f.needed = c.splits;
            return record(f);
        }
        next.tables_ += c.splits;
        next.tables_ -= c.freed;
        if (!active_) {
            next.regroup(c.sp, c.ep, !c.no_contig);
        }
        next.coalesce();
        *this = next;
        o.new_tables = o.needed = c.splits;
        o.freed_tables = c.freed;
        o.live_splits = c.split_live;
        return o;
    }

    // calls: what fn is expected to be given, in order; on an active map the checks on
    // copies come first (a whole pass when it succeeds, see harness).
    Outcome modify_range(idmap_region_t raw, const ModifyFn& fn, size_t budget, std::vector<Call>& calls) {
        return modify(raw, fn, budget, &calls);
    }

    // idmap_change_attributes: set and clear checked whole first (INVALID_FLAGS, value =
    // the bits of either among VALID, map_range's refusals and the regime's, before the
    // region is looked at), but for the all-zero change (set 0, clear ~0); then
    // modify_range with a callback that makes every valid leaf (leaf & ~clear) | set and
    // leaves invalid ones as they are.
    Outcome change_attributes(idmap_region_t raw, uint64_t set, uint64_t clear, size_t budget) {
        const bool to_zero = set == 0 && clear == ~uint64_t{0};
        const uint64_t refused = (set | clear) & (kRefusedFlags | regime_refused() | kDescValid);
        if (refused != 0 && !to_zero) {
            Outcome o = error(IDMAP_ERR_INVALID_FLAGS);
            o.value = refused;
            return record(o);
        }
        const ModifyFn fn = [set, clear](uint64_t, uint64_t, uint64_t& bits, unsigned) {
            if ((bits & kDescValid) != 0) {
                bits = (bits & ~clear) | set;
            }
            return 0;
        };
        return modify(raw, fn, budget, nullptr);
    }

    // The modify of modify_range and change_attributes; calls: what fn is given, if asked.
    Outcome modify(idmap_region_t raw, const ModifyFn& fn, size_t budget, std::vector<Call>* calls) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        if (protected_) {
            return record(read_only());
        }
        // Pages for every split of the range, whatever fn does.
        const size_t splits = splits_needed(Change{s >> kPageShift, e >> kPageShift});

        Model next = *this;
        Change c{s >> kPageShift, e >> kPageShift};
        c.fn = &fn;
        c.active = active_;
        c.calls = calls;
        c.region = real(s, e);
        c.delta = delta();
        c.base = range_start();
        c.one_level = config_.one_privilege_level;
        c.stage2 = config_.stage2;
        c.refused = kRefusedFlags | regime_refused();
        c.sealed = sealed_;
        c.live_splits = live_splits_;
        // An active or sealed map runs fn on copies first: its failures change nothing, and
        // come before OUT_OF_MEMORY.
        const bool checked = active_ || sealed_;
        if (!checked && splits > budget) {
            return record(error(IDMAP_ERR_OUT_OF_MEMORY));
        }
        next.modify_entries(root_level_, 0, c);
        if (checked && c.failure.status != IDMAP_OK) {
            c.failure.may_change = false;
            return record(c.failure);
        }
        if (checked && c.splits > budget) {
            return record(error(IDMAP_ERR_OUT_OF_MEMORY));
        }
        next.tables_ += c.splits;
        if (!active_) {
            next.regroup(c.sp, c.ep, true);
        }
        next.coalesce();
        *this = next;
        if (c.failure.status != IDMAP_OK) {
            return record(c.failure);  // inactive: what was done before stays
        }
        o.new_tables = c.splits;
        o.live_splits = c.split_live;
        return o;
    }

    Outcome walk_range(idmap_region_t raw, const WalkFn& fn, std::vector<Call>& calls) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        o.may_change = false;
        for_each_leaf(s >> kPageShift, e >> kPageShift, [&](uint64_t first, const Leaf& leaf) {
            if (o.status != IDMAP_OK) {
                return;
            }
            const uint64_t va = first << kPageShift;
            const uint64_t end = va + (level_pages(leaf.level) << kPageShift);
            const uint64_t bits = leaf_descriptor(leaf, va);
            calls.push_back(Call{va, end, bits, leaf.level});
            if (fn(va, end, bits, leaf.level) != 0) {
                o = error(IDMAP_ERR_PTE_UPDATE_FAULT);
                o.value = bits;
            }
        });
        return record(o);
    }

    // fn(first page, leaf) for every leaf meeting pages [sp, ep), in address order, each
    // once, with the first page of its whole extent; fn changes nothing.
    template <class F>
    void for_each_leaf(uint64_t sp, uint64_t ep, F&& fn) const {
        auto it = find(sp);
        for (uint64_t p = sp; p < ep;) {
            while (it->end <= p) {
                ++it;
            }
            const uint64_t n = level_pages(it->info.leaf.level);
            const uint64_t first = p & ~(n - 1);
            fn(first, it->info.leaf);
            p = first + n;
        }
    }

    // idmap_walk_runs: the runs of the leaves [s, e) meets, in address order, each as a call
    // (offsets: the whole region of its leaves, its first leaf's descriptor, the level),
    // up to the stop_at-th (from 1; 0: none), where the call stops: PTE_UPDATE_FAULT,
    // value = that run's first descriptor. A run is consecutive leaves of one level that
    // are valid with the same bits but the output address, each the one before's plus the
    // level's size, or invalid with the same bits (the contiguous bit aside, which the
    // model leaves out). Merged leaf by leaf (runs_continue), a span of pages in one valid
    // or empty state taken whole: its entries continue one another.
    Outcome walk_runs(idmap_region_t raw, size_t stop_at, std::vector<Call>& runs) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        o.may_change = false;
        Call run{0, 0, 0, 0};
        bool open = false;
        uint64_t last = 0;  // the run's last leaf
        // Reports the run; false when the callback stops there.
        const auto report = [&] {
            runs.push_back(run);
            return runs.size() != stop_at;
        };
        uint64_t p = s >> kPageShift;
        const uint64_t ep = e >> kPageShift;
        auto it = find(std::min(p, (size() >> kPageShift) - 1));
        while (p < ep) {
            while (it->end <= p) {
                ++it;
            }
            const Leaf leaf = it->info.leaf;
            const uint64_t n = level_pages(leaf.level);
            const uint64_t first = p & ~(n - 1);
            // The leaves of the span the range meets (a span starts and ends on entries of
            // its level); one at a time where they differ in more than the address.
            const uint64_t entries = leaf.zero || leaf.valid() ? (std::min(it->end, ep) - first + n - 1) / n : 1;
            const uint64_t va = first << kPageShift;
            const uint64_t bits = leaf_descriptor(leaf, va);
            if (!open || !runs_continue(last, run.level, bits, leaf.level)) {
                if (open && !report()) {
                    return record(stopped_at(run));
                }
                run = Call{va, va, bits, leaf.level};
                open = true;
            }
            run.end = va + entries * level_bytes(leaf.level);
            last = leaf_descriptor(leaf, run.end - level_bytes(leaf.level));
            p = first + entries * n;
        }
        if (open && !report()) {
            return record(stopped_at(run));
        }
        return o;
    }

    // Whether the leaf next at level goes on with a run whose last leaf is last, at
    // last_level (walk_runs).
    static bool runs_continue(uint64_t last, unsigned last_level, uint64_t next, unsigned level) {
        if (level != last_level) {
            return false;
        }
        if ((last & kDescValid) == 0) {
            return ((last ^ next) & ~kContiguous) == 0;
        }
        return (next & kDescValid) != 0 && ((last ^ next) & ~(kOaMask | kContiguous)) == 0 &&
               (next & kOaMask) == (last & kOaMask) + level_bytes(level);
    }

    // idmap_unmap_range: BREAK_BEFORE_MAKE (active: a valid leaf straddles an edge, and
    // live splits are off or it is one of a contiguous group), then OUT_OF_MEMORY (fewer
    // pages left than the splits need), nothing changed either way.
    Outcome unmap_range(idmap_region_t raw, size_t budget) {
        uint64_t s = 0, e = 0;
        Outcome o = check_region(raw, s, e);
        if (o.status != IDMAP_OK) {
            return record(o);
        }
        if (protected_) {
            return record(read_only());
        }
        Model next = *this;
        Change c{s >> kPageShift, e >> kPageShift};
        c.active = active_;
        c.stage2 = config_.stage2;
        c.base = range_start();
        c.live_splits = live_splits_;
        next.unmap_entries(root_level_, 0, c);
        if (c.bbm) {
            o = error(IDMAP_ERR_BREAK_BEFORE_MAKE);
            o.region = c.bbm_region();
            o.value = c.bbm_value;
            return record(o);
        }
        if (c.splits > budget) {
            return record(error(IDMAP_ERR_OUT_OF_MEMORY));
        }
        next.tables_ += c.splits;
        next.tables_ -= c.freed;
        const bool regrouped = !active_ && next.regroup(c.sp, c.ep, true);
        next.coalesce();
        *this = next;
        o.new_tables = c.splits;
        o.freed_tables = c.freed;
        o.live_splits = c.split_live;
        o.removed_valid = c.removed_valid || c.freed != 0;
        o.changed = c.removed || c.freed != 0;
        o.may_change = o.changed || regrouped;
        return o;
    }

    // idmap_compact_subtables: cannot fail; o.freed_tables is what it must answer.
    Outcome compact() {
        Outcome o;
        if (protected_) {
            o.may_change = false;
            return o;
        }
        compact_table(root_level_, 0, o.freed_tables);
        tables_ -= o.freed_tables;
        coalesce();
        o.removed_valid = o.changed = o.may_change = o.freed_tables != 0;
        return o;
    }

    // idmap_coalesce_subtables: on an inactive map every subtable whose 512 entries are
    // valid leaves mapping one contiguous output range, aligned to the entry above, with one
    // set of attributes (bit 1 aside) becomes a block there (levels 1 and 2), bottom up;
    // o.freed_tables is what it must answer. The block has no contiguous bit (a later change
    // regroups it) and its pages no longer hold NO_BLOCK_MAPPINGS (the caller asked for
    // blocks). On an active map: 0, nothing changed.
    Outcome coalesce_tables() {
        Outcome o;
        if (!active_ && !protected_) {
            coalesce_table(root_level_, 0, o.freed_tables);
            tables_ -= o.freed_tables;
            coalesce();
        }
        o.removed_valid = o.changed = o.may_change = o.freed_tables != 0;
        return o;
    }

    // Table pages of the tree as the model's leaves imply them: the root, and one below
    // every entry whose pages' leaves lie deeper (a cross-check of tables()).
    size_t implied_tables() const { return root_tables() + tables_below(0, root_level_, size() >> kPageShift); }

    Outcome activate() {
        // idmap_s2_activate: VTCR_EL2's checks come first (stage2_vtcr).
        if (config_.stage2 && (config_.s2_unusable || output_beyond(uint64_t{1} << config_.s2_pa_bits))) {
            return record(error(IDMAP_ERR_INVALID_ARGUMENT));
        }
        if (active_) {
            return record(error(IDMAP_ERR_ALREADY_ACTIVE));
        }
        active_ = true;
        return Outcome{};
    }

    Outcome deactivate() {
        if (!active_) {
            return record(error(IDMAP_ERR_NOT_ACTIVE));
        }
        active_ = false;
        return Outcome{};
    }

    // Whether a valid leaf maps an output address at or past limit.
    bool output_beyond(uint64_t limit) const {
        for (const Span& span : runs_) {
            const Leaf& l = span.info.leaf;
            if (l.valid() && ((span.end << kPageShift) + l.delta - 1) >= limit) {
                return true;
            }
        }
        return false;
    }

    // ---- State

    // Every page of the table, coalesced by leaf state.
    std::vector<Run> runs() const {
        std::vector<Run> out;
        for (const Span& span : runs_) {
            append_run(out, span.first, span.end, span.info.leaf);
        }
        return out;
    }

    // fn(first, end, info) for every run of pages in one state.
    template <class F>
    void for_each_run(F&& fn) const {
        for (const Span& span : runs_) {
            fn(span.first, span.end, span.info);
        }
    }

    // The same over the pages of a set only, each run clipped to it.
    template <class F>
    void for_each_run(const PageRanges& pages, F&& fn) const {
        for (const auto& range : pages.ranges()) {
            for (auto it = find(range.first); it != runs_.end() && it->first < range.second; ++it) {
                fn(std::max(it->first, range.first), std::min(it->end, range.second), it->info);
            }
        }
    }

    // Pages whose state a call may have changed since clear_touched(): every page a call
    // wrote (update()), changed or not. The harness compares the tables with the model
    // there only.
    const PageRanges& touched() const { return touched_; }
    void clear_touched() { touched_.clear(); }

    const PageInfo& info(uint64_t page) const { return find(page)->info; }

    // The pages whose leaf entry holds the contiguous bit, as coalesced [first, end) runs.
    std::vector<std::pair<uint64_t, uint64_t>> contig_runs() const {
        std::vector<std::pair<uint64_t, uint64_t>> out;
        for (const Span& span : runs_) {
            if (!span.info.contig) {
                continue;
            }
            if (!out.empty() && out.back().second == span.first) {
                out.back().second = span.end;
            } else {
                out.emplace_back(span.first, span.end);
            }
        }
        return out;
    }

private:
    struct Span {
        uint64_t first;  // pages [first, end)
        uint64_t end;
        PageInfo info;
    };

    // The run holding page.
    std::vector<Span>::const_iterator find(uint64_t page) const {
        return std::prev(std::upper_bound(runs_.begin(), runs_.end(), page,
                                          [](uint64_t p, const Span& r) { return p < r.first; }));
    }

    // One call's change in progress.
    struct Change {
        Change(uint64_t first, uint64_t end) : sp(first), ep(end) {}
        uint64_t sp, ep;  // the range, in pages
        bool active = false;  // break-before-make checked
        // map_range
        uint64_t flags = 0;
        bool no_block = false;
        bool no_contig = false;
        bool bbm = false;
        uint64_t bbm_first = 0;   // the first entry that would break: its first page
        unsigned bbm_level = 0;   // and its level
        uint64_t bbm_value = 0;   // and the rule it breaks (IDMAP_BBM_*)
        uint64_t delta = 0;     // map: the call's output address minus input offset; modify: the map's own
        uint64_t base = 0;      // the range's first address (range_start())
        bool breaker = false;   // map_range_bbm: only a live contiguous group's entry breaks
        bool live_splits = false;  // idmap_set_live_splits: a live leaf's split breaks nothing

        // The rule that replacing the live leaf old (contig: of a contiguous group) by next
        // breaks, 0 when allowed: bbm_rule's, or with the breaker only the contiguous
        // group's.
        uint64_t refuses(uint64_t old_bits, bool contig, uint64_t next_bits) const {
            if (breaker) {
                return contig && (old_bits & kDescValid) != 0 && old_bits != next_bits ? IDMAP_BBM_CONTIGUOUS : 0;
            }
            return bbm_rule(old_bits, contig, next_bits, stage2);
        }

        // The rule that splitting the leaf cur (contig: of a contiguous group) breaks, 0
        // when allowed: a valid leaf of an active map needs the breaker or live splits,
        // and neither serves an entry of a contiguous group.
        uint64_t split_rule(const Leaf& cur, bool contig) const {
            if (!active || !cur.valid()) {
                return 0;
            }
            if (!breaker && !live_splits) {
                return IDMAP_BBM_SPLIT;
            }
            return contig ? IDMAP_BBM_CONTIGUOUS : 0;
        }

        // Notes that the entry at level starting at page entry would break rule (0: it
        // does not), if first.
        void breaks(uint64_t rule, uint64_t entry, unsigned level) {
            if (rule != 0 && !bbm) {
                bbm = true;
                bbm_first = entry;
                bbm_level = level;
                bbm_value = rule;
            }
        }
        // That entry's whole region, in real addresses.
        idmap_region_t bbm_region() const {
            return idmap_region_t{(bbm_first << kPageShift) + base,
                                  ((bbm_first + level_pages(bbm_level)) << kPageShift) + base};
        }
        bool one_level = false;  // modify: EL2 or EL3's rules
        bool stage2 = false;     // stage 2's seal and break-before-make rules
        uint64_t refused = 0;    // modify: the bits fn may not change (map_range's refusals)
        bool sealed = false;     // modify: seal mode's rule
        // modify_range
        const ModifyFn* fn = nullptr;
        std::vector<Call>* calls = nullptr;
        idmap_region_t region{0, 0};
        Outcome failure;
        size_t splits = 0;
        size_t split_live = 0;  // of them, valid leaves of an active map split with nT
        // unmap_range
        size_t freed = 0;
        bool removed = false;        // a non-empty leaf zeroed
        bool removed_valid = false;  // a valid one
    };

    // walk_runs stopped by its callback at run.
    static Outcome stopped_at(const Call& run) {
        Outcome f = error(IDMAP_ERR_PTE_UPDATE_FAULT);
        f.value = run.bits;
        return f;
    }

    // A change refused because the map's tables are read-only (idmap_protect_tables).
    static Outcome read_only() { return invalid_argument(IDMAP_ARG_TABLES_READ_ONLY); }
    // INVALID_ARGUMENT with value: the reason (IDMAP_ARG_*) and what goes with it.
    static Outcome invalid_argument(uint64_t value) {
        Outcome o = error(IDMAP_ERR_INVALID_ARGUMENT);
        o.value = value;
        return o;
    }
    // A call that succeeds and changes no table (a policy set).
    static Outcome no_change() {
        Outcome o;
        o.may_change = false;
        return o;
    }
    static Outcome error(idmap_status_t status) {
        Outcome o;
        o.status = status;
        o.may_change = false;
        return o;
    }

    Outcome record(const Outcome& o) {
        if (o.status != IDMAP_OK) {
            last_error_ = idmap_error_t{o.status, o.va, o.region, o.value};
        }
        return o;
    }

    // The rounded region [s, e) of offsets from range_start() back in real addresses (the end
    // of the upper range, 2^64, is 0).
    idmap_region_t real(uint64_t s, uint64_t e) const { return idmap_region_t{s + range_start(), e + range_start()}; }

    // The contract's rounding, then the range errors; s and e: the range as offsets from
    // range_start().
    Outcome check_region(idmap_region_t raw, uint64_t& s, uint64_t& e) const {
        const bool wraps = raw.end > UINT64_MAX - (kPageSize - 1);  // rounding would pass 2^64
        const uint64_t rs = raw.start & ~(kPageSize - 1);
        const uint64_t re = wraps ? raw.end : (raw.end + kPageSize - 1) & ~(kPageSize - 1);
        Outcome o;
        if (!config_.upper) {
            s = rs;
            e = re;
            if (e < s) {
                o = error(IDMAP_ERR_REGION_BACKWARDS);
                o.region = idmap_region_t{s, e};
            } else if (e > size()) {
                o = error(IDMAP_ERR_ADDRESS_RANGE);
                o.va = e;
            }
            return o;
        }
        // The upper range: an end of 0 is 2^64; [va_start, 2^64) is the table's.
        const bool top = re == 0;
        if (!top && re < rs) {
            o = error(IDMAP_ERR_REGION_BACKWARDS);
            o.region = idmap_region_t{rs, re};
        } else if (rs < range_start()) {
            o = error(IDMAP_ERR_ADDRESS_RANGE);
            o.va = rs;
        } else if (wraps) {
            o = error(IDMAP_ERR_ADDRESS_RANGE);
            o.va = re;
        }
        s = rs - range_start();
        e = top ? size() : re - range_start();
        return o;
    }

    // The entries at level inside [base, base + 512 entries) that the change's range
    // touches, as [first, end) of their first pages, stepping by the entry's pages.
    bool entries(unsigned level, uint64_t base, const Change& c, uint64_t& first, uint64_t& end) const {
        const uint64_t n = level_pages(level);
        const uint64_t lo = std::max(c.sp, base);
        end = std::min(c.ep, table_end(level, base));
        first = lo & ~(n - 1);
        return lo < end;
    }

    // The end (a page) of the table at level whose first entry is at page base: the root
    // is the whole map (fewer than 512 entries, or concatenated tables, at stage 2).
    uint64_t table_end(unsigned level, uint64_t base) const {
        return level == root_level_ ? size() >> kPageShift : base + level_pages(level) * kEntries;
    }

    // Consecutive entries that a call leaves in one state, written at once when the next
    // entry differs (fewer runs to cut than one write per entry).
    struct Batch {
        uint64_t first = 0, end = 0;
        Leaf leaf;
        template <class Write>
        void add(uint64_t from, uint64_t to, const Leaf& next, Write&& write) {
            if (end != from || next != leaf) {
                flush(write);
                first = from;
            }
            end = to;
            leaf = next;
        }
        template <class Write>
        void flush(Write&& write) {
            if (first < end) {
                write(first, end, leaf);
            }
            first = end;
        }
    };

    // map_range on the entries at level (the children of one table, or the root's) inside
    // [base, base + 512 entries).
    void map_entries(unsigned level, uint64_t base, Change& c) {
        uint64_t entry = 0, end = 0;
        if (!entries(level, base, c, entry, end)) {
            return;
        }
        const uint64_t n = level_pages(level);
        const auto write = [&](uint64_t first, uint64_t last, const Leaf& leaf) {
            update(first, last, [&](PageInfo& p) {
                // A live entry rewritten as it was keeps its contiguous bit; any other
                // written entry has none (until regrouped).
                p.contig = c.active && p.contig && p.leaf == leaf;
                p.leaf = leaf;
                p.no_block = p.no_block || c.no_block;
                p.no_contig = c.no_contig;
            });
        };
        Batch batch;
        const bool valid = (c.flags & IDMAP_ATTR_VALID) != 0;
        // A block maps an aligned output range: the call's delta must be aligned too.
        const bool blocks = !c.no_block && block_level(level) && (c.delta & (level_bytes(level) - 1)) == 0;
        // after: the entry past this one, or past the run of entries like it.
        for (uint64_t after = entry + n; entry < end; entry = after, after = entry + n) {
            const auto at = find(entry);
            const Leaf cur = at->info.leaf;
            const bool whole = c.sp <= entry && entry + n <= c.ep;
            const uint64_t va = entry << kPageShift;
            if (cur.level > level) {  // a table: fill it, or unmap it whole
                batch.flush(write);
                if (whole && !valid) {
                    // Freed whatever the layout asked: the pages map nothing now, and no
                    // longer hold NO_BLOCK_MAPPINGS or NO_CONTIGUOUS_HINT.
                    free_subtree(entry, level, c.freed);
                    const Leaf next = flags_only(c.flags, level, va);
                    update(entry, entry + n, [&](PageInfo& p) { p = PageInfo{next, false, false, false}; });
                    continue;
                }
                map_entries(level + 1, entry, c);
                continue;
            }
            if (!valid && (level == kLeafLevel || (whole && blocks))) {
                // Without VALID, the flags alone, entry by entry (each its own address 0).
                const Leaf next = flags_only(c.flags, level, va);
                c.breaks(c.active ? c.refuses(leaf_descriptor(cur, va), at->info.contig, leaf_descriptor(next, va)) : 0,
                         entry, level);
                batch.add(entry, entry + n, next, write);
                continue;
            }
            if (valid && (level == kLeafLevel || (whole && blocks))) {
                Leaf next;
                next.level = static_cast<uint8_t>(level);
                next.zero = false;
                next.delta = c.delta;
                next.attrs = c.flags | kAccessed | (level == kLeafLevel ? kDescTableOrPage : 0);
                c.breaks(c.active ? c.refuses(leaf_descriptor(cur, va), at->info.contig, leaf_descriptor(next, va)) : 0,
                         entry, level);
                // The entries after it in the same state that the range covers whole fare
                // the same (leaf_descriptor differs by the address alone, the same in both):
                // one step for all of them.
                const uint64_t whole_end = level == kLeafLevel ? end : std::min(end, c.ep & ~(n - 1));
                after = entry + same_state_entries(at, entry, level, whole_end);
                batch.add(entry, after, next, write);
                continue;
            }
            // An entry that maps its part of the range as asked already is left as it is
            // (contract 1.1): a block with the attributes a block here would get, or,
            // without VALID, an invalid entry with the flags alone.
            const bool as_asked = valid ? blocks && cur.valid() && cur.delta == c.delta && cur.attrs == (c.flags | kAccessed)
                                        : !cur.valid() && leaf_descriptor(cur, va) == leaf_descriptor(flags_only(c.flags, level, va), va);
            if (as_asked) {
                continue;
            }
            // Read before the flush, which may cut runs_ (at then dangles).
            const bool contig = at->info.contig;
            batch.flush(write);
            // Splitting a live block (with the breaker or live splits: refused in a
            // contiguous group only).
            c.breaks(c.split_rule(cur, contig), entry, level);
            split(entry, level, c);
            map_entries(level + 1, entry, c);
        }
        batch.flush(write);
    }

    // What map_range without VALID writes in the entry at level starting at va: the flags
    // alone, output address 0 (each page's output address then its offset in the entry).
    static Leaf flags_only(uint64_t flags, unsigned level, uint64_t va) {
        Leaf leaf;
        leaf.level = static_cast<uint8_t>(level);
        leaf.zero = flags == 0;
        leaf.attrs = flags;
        leaf.delta = flags == 0 ? 0 : 0 - va;
        return leaf;
    }

    // Pages from entry (at level, in the run at) to the first entry that is not in the
    // run's state or not below limit: at least the entry's own.
    static uint64_t same_state_entries(std::vector<Span>::const_iterator at, uint64_t entry, unsigned level,
                                       uint64_t limit) {
        const uint64_t n = level_pages(level);
        const uint64_t stop = std::min(at->end, limit);
        return stop > entry + n ? (stop - entry) & ~(n - 1) : n;
    }

    // The splits modify_range makes below the entry at level starting at page entry (a
    // leaf at that level if leaf, else as the model has it).
    size_t splits_needed(unsigned level, uint64_t entry, const Change& c, bool leaf) const {
        const bool table = !leaf && info(entry).leaf.level > level;
        const uint64_t n = level_pages(level);
        if (!table && (level == kLeafLevel || (c.sp <= entry && entry + n <= c.ep))) {
            return 0;
        }
        size_t count = table ? 0 : 1;
        uint64_t child = 0, end = 0;
        // Level-3 entries split nothing: not one by one.
        if (level + 1 < kLeafLevel && entries(level + 1, entry, c, child, end)) {
            for (; child < end; child += level_pages(level + 1)) {
                count += splits_needed(level + 1, child, c, !table);
            }
        }
        return count;
    }

    // Pages modify_range needs for splits: every one of the range, whatever fn does.
    size_t splits_needed(const Change& c) const {
        uint64_t entry = 0, end = 0;
        size_t count = 0;
        if (entries(root_level_, 0, c, entry, end)) {
            for (; entry < end; entry += level_pages(root_level_)) {
                count += splits_needed(root_level_, entry, c, false);
            }
        }
        return count;
    }

    // modify_range on the entries at level inside [base, base + 512 entries), in address
    // order. False: stop (c.failure says why).
    bool modify_entries(unsigned level, uint64_t base, Change& c) {
        uint64_t entry = 0, end = 0;
        if (!entries(level, base, c, entry, end)) {
            return true;
        }
        const uint64_t n = level_pages(level);
        const auto write = [&](uint64_t first, uint64_t last, const Leaf& leaf) {
            update(first, last, [&](PageInfo& p) { p.leaf = leaf; });
        };
        Batch batch;
        for (; entry < end; entry += n) {
            const PageInfo& here = info(entry);
            const Leaf cur = here.leaf;
            const bool contig = here.contig;
            if (cur.level > level) {
                batch.flush(write);
                if (!modify_entries(level + 1, entry, c)) {
                    return false;
                }
                continue;
            }
            const uint64_t va = entry << kPageShift;
            if (level == kLeafLevel || (c.sp <= entry && entry + n <= c.ep)) {
                const uint64_t old_bits = leaf_descriptor(cur, va);
                uint64_t bits = old_bits;
                const uint64_t va_end = va + (n << kPageShift);
                if (c.calls != nullptr) {
                    c.calls->push_back(Call{va, va_end, old_bits, level});
                }
                if (!check_fn(c, va, va_end, old_bits, contig, bits, level)) {
                    batch.flush(write);
                    return false;
                }
                batch.add(entry, entry + n, leaf_of(bits, level, va), write);
                continue;
            }
            batch.flush(write);
            if (const uint64_t rule = c.split_rule(cur, contig); rule != 0) {  // splitting a live block
                c.failure = error(IDMAP_ERR_BREAK_BEFORE_MAKE);
                c.failure.region = idmap_region_t{va + c.base, va + (n << kPageShift) + c.base};
                c.failure.value = rule;
                return false;
            }
            split(entry, level, c);
            if (!modify_entries(level + 1, entry, c)) {
                return false;
            }
        }
        batch.flush(write);
        return true;
    }

    // Runs fn on bits (old_bits, the entry) and checks what it did: false, with c.failure,
    // when the call must stop there.
    static bool check_fn(Change& c, uint64_t va, uint64_t end, uint64_t old_bits, bool contig, uint64_t& bits,
                         unsigned level) {
        if ((*c.fn)(va, end, bits, level) != 0) {
            c.failure = error(IDMAP_ERR_PTE_UPDATE_FAULT);
            c.failure.value = old_bits;
            c.failure.may_change = true;
            return false;
        }
        // fn may change no bit map_range refuses, nor make valid an entry at level 0 (no
        // blocks), a page without the page bit, or one whose output address is not its
        // own (va + delta: va for an identity map). With one privilege level it may not
        // change nG or PXN either, nor leave AP[1] (RES1) clear on an entry valid after it.
        // An all-zero entry is always allowed (contract 1.1): the entry becomes empty.
        uint64_t refused = bits == 0 ? 0 : (bits ^ old_bits) & (c.refused & ~kApUser);
        const bool valid_after = (bits & IDMAP_ATTR_VALID) != 0;
        if (c.one_level && valid_after && (bits & kApUser) == 0) {
            refused |= kApUser;
        }
        const bool made_valid = valid_after && (old_bits & IDMAP_ATTR_VALID) == 0;
        const uint64_t oa = bits & kOaMask;
        if (made_valid && ((level < 3 && !block_level(level)) ||
                           (level == 3 && (bits & kDescTableOrPage) == 0) || oa != ((va + c.delta) & kOaMask))) {
            refused |= IDMAP_ATTR_VALID;
        }
        if (refused != 0) {
            c.failure = error(IDMAP_ERR_INVALID_FLAGS);
            c.failure.value = refused;
            c.failure.may_change = true;
            return false;
        }
        if (c.sealed) {
            const uint64_t widened = sealed_widened(old_bits, bits, c.one_level, c.stage2);
            if (widened != 0) {
                c.failure = error(IDMAP_ERR_SEALED);
                c.failure.region = c.region;
                c.failure.value = widened;
                return false;
            }
        }
        if (const uint64_t rule = c.active ? bbm_rule(old_bits, contig, bits, c.stage2) : 0; rule != 0) {
            c.failure = error(IDMAP_ERR_BREAK_BEFORE_MAKE);
            c.failure.region = idmap_region_t{va + c.base, end + c.base};  // the leaf's
            c.failure.value = rule;
            return false;
        }
        return true;
    }

    // unmap_range on the entries at level inside [base, base + 512 entries), in address
    // order. Splits are made whatever break-before-make says (c.bbm): the caller drops the
    // result then.
    void unmap_entries(unsigned level, uint64_t base, Change& c) {
        uint64_t entry = 0, end = 0;
        if (!entries(level, base, c, entry, end)) {
            return;
        }
        const uint64_t n = level_pages(level);
        const auto write = [&](uint64_t first, uint64_t last, const Leaf& leaf) {
            update(first, last, [&](PageInfo& p) {
                p.leaf = leaf;
                p.contig = false;  // a zero entry
            });
        };
        Leaf empty;
        empty.level = static_cast<uint8_t>(level);
        Batch batch;
        // after: the entry past this one, or past the run of entries like it.
        for (uint64_t after = entry + n; entry < end; entry = after, after = entry + n) {
            const auto at = find(entry);
            const Leaf cur = at->info.leaf;
            const bool whole = level == kLeafLevel || (c.sp <= entry && entry + n <= c.ep);
            if (cur.level > level) {  // a table
                batch.flush(write);
                if (!whole) {
                    unmap_entries(level + 1, entry, c);
                    if (!table_is_empty(entry, level)) {
                        continue;
                    }
                }
                free_subtree(entry, level, c.freed);
                continue;
            }
            // The entries after it in the same state that the range covers whole fare the
            // same: one step for all of them.
            const uint64_t whole_end = level == kLeafLevel ? end : std::min(end, c.ep & ~(n - 1));
            if (cur.zero) {
                if (whole) {
                    after = entry + same_state_entries(at, entry, level, whole_end);
                }
                continue;  // nothing mapped: no change, no split
            }
            if (whole) {
                // One entry of a live contiguous group cannot go alone.
                c.breaks(c.active && cur.valid() && at->info.contig ? IDMAP_BBM_CONTIGUOUS : 0, entry, level);
                c.removed = true;
                c.removed_valid = c.removed_valid || cur.valid();
                after = entry + same_state_entries(at, entry, level, whole_end);
                batch.add(entry, after, empty, write);
                continue;
            }
            // A leaf straddling an edge: split, keeping what lies outside the range. (Read
            // before the flush, which may cut runs_: at then dangles.)
            const bool contig = at->info.contig;
            batch.flush(write);
            c.breaks(c.split_rule(cur, contig), entry, level);
            split(entry, level, c);
            unmap_entries(level + 1, entry, c);
        }
        batch.flush(write);
    }

    // Whether the table below the entry at level starting at page entry holds only zero
    // entries (no table among them).
    bool table_is_empty(uint64_t entry, unsigned level) const {
        const uint64_t end = entry + level_pages(level);
        for (auto it = find(entry); it != runs_.end() && it->first < end; ++it) {
            if (!it->info.leaf.zero || it->info.leaf.level != level + 1) {
                return false;
            }
        }
        return true;
    }

    // Table pages below the entries at level over pages [first, end) (tables counted once
    // however many runs they hold).
    size_t tables_below(uint64_t first, unsigned level, uint64_t end) const {
        size_t count = 0;
        uint64_t last[kLeafLevel] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};  // last entry counted
        for (auto it = find(first); it != runs_.end() && it->first < end; ++it) {
            const uint64_t lo = std::max(it->first, first);
            const uint64_t hi = std::min(it->end, end);
            for (unsigned k = level; k < it->info.leaf.level; ++k) {
                const uint64_t a = lo / level_pages(k);
                const uint64_t b = (hi - 1) / level_pages(k);
                count += static_cast<size_t>(b - a + 1) - (last[k] == a ? 1 : 0);
                last[k] = b;
            }
        }
        return count;
    }

    // The table below the entry at level starting at page entry, and every table below it,
    // are freed: the entry becomes zero. Its pages no longer hold what NO_BLOCK_MAPPINGS or
    // NO_CONTIGUOUS_HINT asked of them (a new map may lay them out afresh).
    void free_subtree(uint64_t entry, unsigned level, size_t& freed) {
        const uint64_t end = entry + level_pages(level);
        freed += tables_below(entry, level, end);
        Leaf empty;
        empty.level = static_cast<uint8_t>(level);
        update(entry, end, [&](PageInfo& p) { p = PageInfo{empty, false, false, false}; });
    }

    // compact on the table at level over pages [base, base + 512 entries) (the root's
    // entries up to the table's size): frees every subtable that is, or becomes, all zeros.
    // Answers whether this table is now all zeros.
    bool compact_table(unsigned level, uint64_t base, size_t& freed) {
        const uint64_t n = level_pages(level);
        const uint64_t limit = std::min(table_end(level, base), size() >> kPageShift);
        bool empty = true;
        for (uint64_t entry = base; entry < limit;) {
            const auto it = find(entry);
            const Leaf leaf = it->info.leaf;
            if (leaf.level == level) {
                // Leaves at this level, in one state, up to the entry holding the run's end.
                empty = empty && leaf.zero;
                entry = std::min(limit, (it->end + n - 1) & ~(n - 1));
                continue;
            }
            if (compact_table(level + 1, entry, freed)) {
                free_subtree(entry, level, freed);
            } else {
                empty = false;
            }
            entry += n;
        }
        return empty;
    }

    // The leaf entry at level starting at page entry becomes a table of 512 entries that
    // keep every page's translation.
    void split(uint64_t entry, unsigned level, Change& c) {
        ++c.splits;
        c.split_live += c.active && c.live_splits && !c.breaker && info(entry).leaf.valid() ? 1 : 0;
        update(entry, entry + level_pages(level), [&](PageInfo& p) {
            p.leaf.level = static_cast<uint8_t>(level + 1);
            p.contig = false;  // a group of blocks says nothing of the entries below
            if (level + 1 == kLeafLevel && !p.leaf.zero) {
                p.leaf.attrs |= kDescTableOrPage;
            }
        });
    }

    // fn(info) on every page of [first, end).
    template <class F>
    void update(uint64_t first, uint64_t end, F&& fn) {
        if (first >= end) {
            return;
        }
        touched_.add(first, end);
        cut(first);
        cut(end);
        for (auto it = runs_.begin() + (find(first) - runs_.cbegin()); it != runs_.end() && it->first < end; ++it) {
            fn(it->info);
        }
    }

    // Makes page a run boundary.
    void cut(uint64_t page) {
        if (page >= (size() >> kPageShift)) {
            return;
        }
        const auto at = find(page) - runs_.cbegin();
        Span& run = runs_[static_cast<size_t>(at)];
        if (run.first == page) {
            return;
        }
        const Span tail{page, run.end, run.info};
        run.end = page;
        runs_.insert(runs_.begin() + at + 1, tail);
    }

    // After a change to pages [sp, ep) of an inactive map (idmap_set_contiguous_hint): at
    // every level, each aligned group of 16 entries that the range touches, inside a table
    // that exists, gets the contiguous bit when its 16 entries are valid leaves at that
    // level with one set of attributes mapping one contiguous output range aligned to 16
    // entries, and hint (the call's: no NO_CONTIGUOUS_HINT) and the policy allow it; else
    // its valid leaves lose the bit (invalid entries keep what they hold: the MMU ignores
    // it).
    // Answers whether a contiguous bit changed.
    //
    // Regroups the groups [sp, ep) touches, at every level (none for an empty range).
    bool regroup(uint64_t sp, uint64_t ep, bool hint) {
        hint = hint && hint_ && !no_hint_erratum_;
        bool changed = false;
        if (sp >= ep) {
            return false;
        }
        for (unsigned level = root_level_; level <= kLeafLevel; ++level) {
            const uint64_t n = level_pages(level);
            const uint64_t g = 16 * n;  // pages of a group
            // Groups holding a leaf at this level, in the groups [sp, ep) touches, in order
            // (regrouping one changes no leaf's level: the others stay as found).
            const uint64_t hi = std::min(size() >> kPageShift, ((ep - 1) | (g - 1)) + 1);
            for (uint64_t next = sp & ~(g - 1); next < hi;) {  // groups below next are done
                auto it = find(next);
                while (it != runs_.end() && it->first < hi && it->info.leaf.level != level) {
                    ++it;
                }
                if (it == runs_.end() || it->first >= hi) {
                    break;
                }
                const uint64_t first = std::max(it->first, next) & ~(g - 1);
                changed = regroup_group(level, first, hint) || changed;
                next = first + g;
            }
        }
        return changed;
    }

    // One group of 16 entries at level from page first (regroup); whether a bit changed.
    bool regroup_group(unsigned level, uint64_t first, bool hint) {
        const uint64_t g = 16 * level_pages(level);
        const auto at = find(first);
        const Leaf head = at->info.leaf;
        if (head.level < level) {
            return false;  // no table at this level here
        }
        const uint64_t va = first << kPageShift;
        // A stage-2 root of fewer than 16 entries holds no group: the 16 entries would map
        // past the IPA size (the updates below stay inside the map).
        const uint64_t end = std::min(first + g, size() >> kPageShift);
        // Leaves with DBM form no group (the hardware may update one entry's dirty state
        // for the group: idmap_set_contiguous_hint).
        bool same = hint && level > 0 && head.level == level && head.valid() && end == first + g &&
                    (head.attrs & IDMAP_ATTR_DBM) == 0 &&
                    ((va + head.delta) & kOaMask & ((16 * level_bytes(level)) - 1)) == 0;
        bool changed = false;
        bool no_contig = false;  // a page that keeps NO_CONTIGUOUS_HINT's mark
        for (auto it = at; it != runs_.end() && it->first < first + g; ++it) {
            same = same && it->info.leaf == head;
        }
        for (auto it = at; it != runs_.end() && it->first < first + g; ++it) {
            // Invalid entries at this level lose the bit too (not tables).
            const bool leaf_here = it->info.leaf.level == level;
            changed = changed || (same ? !it->info.contig : leaf_here && it->info.contig);
            no_contig = no_contig || it->info.no_contig;
        }
        if (same) {
            hinted_ = true;
            if (changed || no_contig) {  // else already as it would be written
                update(first, end, [](PageInfo& p) {
                    p.contig = true;
                    p.no_contig = false;
                });
            }
        } else if (changed) {
            update(first, end, [level](PageInfo& p) {
                if (p.leaf.level == level) {
                    p.contig = false;
                }
            });
        }
        return changed;
    }

    // coalesce_tables on the table at level over pages [base, base + 512 entries).
    void coalesce_table(unsigned level, uint64_t base, size_t& freed) {
        const uint64_t n = level_pages(level);
        const uint64_t limit = std::min(table_end(level, base), size() >> kPageShift);
        for (uint64_t entry = base; entry < limit;) {
            const auto it = find(entry);
            if (it->info.leaf.level == level) {
                entry = std::min(limit, (it->end + n - 1) & ~(n - 1));
                continue;
            }
            coalesce_table(level + 1, entry, freed);
            const Leaf head = info(entry).leaf;
            const uint64_t va = entry << kPageShift;
            bool uniform = block_level(level) && head.level == level + 1 && head.valid() &&
                           ((va + head.delta) & kOaMask & (level_bytes(level) - 1)) == 0;
            for (auto r = find(entry); uniform && r != runs_.end() && r->first < entry + n; ++r) {
                uniform = r->info.leaf == head;
            }
            if (uniform) {
                ++freed;
                update(entry, entry + n, [level](PageInfo& p) {
                    p.leaf.level = static_cast<uint8_t>(level);
                    p.leaf.attrs &= ~kDescTableOrPage;
                    p.contig = false;
                    p.no_block = false;
                });
            }
            entry += n;
        }
    }

    void coalesce() {
        size_t out = 0;
        for (size_t i = 1; i < runs_.size(); ++i) {
            if (runs_[i].info == runs_[out].info) {
                runs_[out].end = runs_[i].end;
            } else {
                runs_[++out] = runs_[i];
            }
        }
        runs_.resize(out + 1);
    }

    unsigned root_level_;
    ModelConfig config_;
    std::vector<Span> runs_;  // in page order, covering the table
    bool active_ = false;
    bool sealed_ = false;
    bool hint_ = false;             // idmap_set_contiguous_hint
    bool guarded_ = false;          // idmap_set_guarded_code
    unsigned updates_ = 0;          // idmap_set_hardware_updates
    bool live_splits_ = false;      // idmap_set_live_splits
    bool protected_ = false;        // idmap_protect_tables, until idmap_unprotect_tables
    bool no_hint_erratum_ = false;  // IDMAP_ERRATUM_NO_CONTIGUOUS_HINT
    bool hinted_ = false;           // a group was ever hinted (the library regroups then)
    size_t tables_ = 1;  // the root's pages at first (the constructor)
    idmap_error_t last_error_{};
    PageRanges touched_;
};

}  // namespace idmap_model

#endif
