// Drives one idmap_t through the C ABI and the reference model side by side, and after
// every call checks that they agree and that the tables are well-formed:
//   - the status, and the detail the contract gives with it, and idmap_last_error;
//   - the callbacks modify_range and walk_range make, in order, with what they are given;
//     the runs walk_runs reports, in order, and where it stops (Model::walk_runs);
//     change_attributes as a modify with the masks' callback (Model::change_attributes);
//   - the walker's view of every page equals the model's (level, bits, output address);
//   - every table page reached exactly once, each a live page of the allocator, and
//     reached == idmap_table_count == the allocator's outstanding pages == the model's;
//   - no block at level 0, no valid entry the MMU would fault on, output addresses aligned
//     to their level and equal to the map's own (input address + pa_offset) until an
//     idmap_map_range_to to another address (the model's then), no table entry without a
//     subtable, no attribute bits in table entries, contiguous bits only on consistent
//     groups; in EL2 and EL3, AP[1] (RES1) in every valid leaf and no nG or PXN in any;
//   - pages mapped with NO_BLOCK_MAPPINGS are pages, with NO_CONTIGUOUS_HINT have no hint;
//   - a call that fails (other than a modify callback failing on an inactive map) leaves
//     every table byte, the table count and the allocator's pages as they were; so does
//     an unmap_range or compact that the model says changes nothing;
//   - idmap_compact_subtables answers the number of tables the model frees;
//   - TLB maintenance, through the log and counters of the host fake (src/arch/host/
//     fake.hpp; reset, its registers kept, at the start of every call), the only place it
//     shows on the host. From the walker's views before and after a call that succeeded
//     on an active map: the changed leaf entries (valid before, different after: each
//     whole entry as it was, a block or a page) and the freed tables (reached before, not
//     after). With N of them:
//       N = 0       no TLBI, no DSB ISH; one DSB ISHST and one ISB, as after every
//                   change that made no valid entry stale;
//       1 to 16     exactly N TLBIs by VA of the map's regime, each operand VA[55:12] in
//                   bits 43:0, 47:44 zero, the map's ASID in 63:48 (0 in EL2 and EL3),
//                   for every ASID (VAAE1IS, VAALE1IS) in the upper range of EL1&0;
//                   every changed leaf entry hit by one (VALE or VAE) in its old range,
//                   every freed table by a VAE (not last-level: walk caches) in its range,
//                   and none that hits neither (a VALE only a changed leaf);
//       over 16     exactly one TLBI of the whole regime (VMALLE1IS, ALLE2IS, ALLE3IS);
//                   but where the fake's CPU has FEAT_TLBIRANGE and the pages from the
//                   lowest stale entry's start to the highest's are at most 2^21 - 1:
//                   for an odd count one TLBI by VA of the first, then range TLBIs (RVAE,
//                   RVALE, RVAAE1, RVAALE1; TG 4 KiB, TTL 0, a SCALE each) covering exactly
//                   the rest in order, last-level unless a table was freed
//                   (check_range_tlbis);
//     then (N > 0) exactly one DSB ISH and one ISB, and every table page given back after
//     the last TLBI and the DSB ISH. None at all (no TLBI, DSB ISH or ISB) on an inactive
//     map, for a failed call, or for walk_range. activate: no TLBI where ASIDs tell the
//     tables apart (EL1&0, EL2&0), one TLBI of the whole regime and its DSB ISH in EL2 and
//     EL3; deactivate: exactly one, TLBI ASIDE1IS with the ASID in EL1&0's lower range, the
//     whole regime elsewhere, one DSB ISH. (The fake's MMU is off: every switch is direct,
//     arch::ttbr_switch; an EL2&0 upper map finds its ASID in TTBR0_EL2, set at the start.)
//     A log that overflowed (more TLBIs than Counters::LOG_SIZE in one call) is read no
//     further than it holds: that many is wrong anyway (at most 16).
// Stage 2 (MapConfig::stage2: idmap_new_stage2, with alloc_root for a concatenated root):
// activation is idmap_s2_activate, refused where the fake's CPU (PARange 44 bits, 8-bit
// VMIDs, no FEAT_XNX) cannot run the map; the TLBIs of a change are by IPA (IPAS2E1IS,
// IPAS2LE1IS, operand IPA[55:12] alone, no VMID) then one DSB ISH, TLBI VMALLE1IS and
// another DSB ISH, or past 16 one VMALLS12E1IS (by range, RIPAS2(L)E1IS, as at stage 1
// where the CPU has FEAT_TLBIRANGE, then DSB ISH, VMALLE1IS, DSB ISH); activate one
// VMALLS12E1IS, deactivate two.
// map_range_bbm (idmap_s2_map_range_bbm) is checked against the model as map_range is;
// its TLB maintenance (a break per entry, then the batch) only for covering every stale
// entry with a TLBI of stage 2 (by IPA, by range or whole), every TLBI stage 2's or
// VMALLE1IS, and
// table pages given back after them. So is every change that split a live block under
// live splits (idmap_set_live_splits; the model's Outcome::live_splits), at either stage:
// each split's own TLBI of the block (nT) comes before the batch, which invalidates the
// block again; its TLBIs are the map's regime's (by VA with its ASID, by range, or whole).
// idmap_set_live_splits answers as the model predicts (refused where the fake's CPU,
// MapConfig::bbm, has no FEAT_BBM) and idmap_live_splits then says the model's policy. map_range_to and map_range_bbm_to
// (idmap_map_range_to, with idmap_tables_needed_to first, and idmap_s2_map_range_bbm_to)
// are checked as map_range and map_range_bbm are.
// The fake's CPU has FEAT_BTI and FEAT_TLBIRANGE as MapConfig says, for the whole input.
// idmap_set_guarded_code answers as the model predicts (refused at stage 2 and without
// FEAT_BTI) and idmap_guarded_code then says the model's policy; the map calls' GP bits
// are the model's (Model::guard).
// The map is idmap_new_with_allocator's (EL1&0, lower VA range, identity), or one of
// idmap_new_with_config (MapConfig: regime, VA range, pa_offset), whose addresses the
// harness passes and checks as they are (the upper range's real addresses), the model and
// the walker counting pages from the range's start (model.hpp, ModelConfig).
// The random operations (random_op) are shared by tests/test_property.cpp, with a seeded
// generator, and fuzz/fuzz_idmap.cpp, with the fuzzer's bytes.
//
// What a check costs is what the call changed, not what the map holds (the fuzzer runs
// thousands of calls a second): the harness keeps a copy of every table as the last check
// found it (mirror.hpp). After a call, the pages it changed are those of the entries that
// memory holds differently from the copy, and those the model changed (Model::touched):
// everywhere else the tables and the model are as the last check found them, equal. The
// walker reads only those pages (walk(pages)), now and, for the TLB maintenance, in the
// copy as they were before the call; every check above is made on them, the tables
// reached elsewhere counted from the copy. A call that must change nothing is checked
// byte for byte against the copy. The whole map is checked when it is built and once more
// before it is freed (check(); check_whole_map_at_finish), which also finds the copy equal
// to the tables.
#ifndef IDMAP_MODEL_HARNESS_HPP
#define IDMAP_MODEL_HARNESS_HPP

#include "allocator.hpp"
#include "mirror.hpp"
#include "model.hpp"
#include "page_ranges.hpp"
#include "vmsa.hpp"
#include "walker.hpp"

#include <idmap.h>

#include "arch/host/fake.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace idmap_model {

inline uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// A modify callback as data: a pure function of (region, entry, level), so that the
// checks on copies an active map makes see what the real pass sees. Regions are offsets
// from the map's range_start (the harness converts what the library passes).
struct ModifySpec {
    uint64_t set = 0;    // bits set, then
    uint64_t clear = 0;  // bits cleared
    uint64_t salt = 0;
    unsigned fail_one_in = 0;  // answer non-zero (after scribbling on the entry) on ~1/n entries
    unsigned bad_one_in = 0;   // flip bad_bits on ~1/n entries
    uint64_t bad_bits = 0;     // a bit map_range refuses: INVALID_FLAGS
    bool touch_empty = false;  // also give empty entries attributes (else leave them empty)
    // Also set VALID where the contract refuses it (an empty entry, level 0, a level-3
    // entry without the page bit): INVALID_FLAGS.
    bool validate_refused = false;
    // Set VALID on every invalid well-formed entry at another output address than the
    // map's own (one idmap_map_range_to wrote, or the flags alone): INVALID_FLAGS too.
    bool validate_foreign = false;
    // The map's output address minus input offset (Model::delta; set by the harness).
    uint64_t delta = 0;

    int apply(uint64_t start, uint64_t end, uint64_t& bits, unsigned level) const {
        const uint64_t h = mix64(start ^ mix64(end ^ salt) ^ level);
        uint64_t next = (bits | set) & ~clear;
        if (bits == 0 && !touch_empty) {
            next = 0;
        }
        // VALID only on an entry that already maps its own address: a non-empty entry
        // that a callback gave attributes keeps output address 0, and making it valid
        // would map physical 0 (allowed, documented, and not what an identity map wants).
        const bool identity_leaf = bits != 0 && (bits & kOaMask) == ((start + delta) & kOaMask) && level != 0 &&
                                   (level != kLeafLevel || (bits & kDescTableOrPage) != 0);
        const bool refused_leaf = bits == 0 || level == 0 || (level == kLeafLevel && (bits & kDescTableOrPage) == 0);
        if ((bits & kDescValid) == 0 && !identity_leaf) {
            if (validate_foreign && !refused_leaf) {
                next |= kDescValid;
            } else if (!(validate_refused && refused_leaf)) {
                next &= ~kDescValid;
            }
        }
        if (bad_one_in != 0 && (h >> 20) % bad_one_in == 0) {
            next ^= bad_bits;
        }
        bits = next;
        return fail_one_in != 0 && h % fail_one_in == 0 ? 1 : 0;
    }
};

struct WalkSpec {
    uint64_t salt = 0;
    unsigned fail_one_in = 0;
    int apply(uint64_t start, uint64_t end, uint64_t, unsigned level) const {
        return fail_one_in != 0 && mix64(start ^ mix64(end ^ salt) ^ level) % fail_one_in == 0 ? 1 : 0;
    }
};

// A walk_runs callback as data: it answers non-zero at the stop_at-th run (from 1; 0:
// never).
struct RunSpec {
    size_t stop_at = 0;
};

struct HarnessStats {
    size_t calls = 0;          // C ABI calls checked against the model
    size_t checks = 0;         // tree checks: of the pages a call changed, or of the whole map
    size_t by_status[13] = {};  // calls by the status they answered
    size_t callbacks = 0;      // modify/walk callbacks checked
    size_t unchanged_checks = 0;  // failed (or no-op) calls checked byte for byte
    size_t max_tables = 0;
    size_t unmaps = 0;            // unmap_range calls
    size_t unmap_by_status[13] = {};
    size_t unmap_splits = 0;      // tables unmap_range made by splitting
    size_t unmap_freed = 0;       // tables unmap_range freed
    size_t compacts = 0;          // compact_subtables calls
    size_t compact_freed = 0;     // tables they freed
    size_t tlb_invalidations = 0; // TLBIs checked after changes to an active map, of any kind
    size_t tlbi_leaf = 0;         // ... by VA, last level (a changed leaf)
    size_t tlbi_table = 0;        // ... by VA, all levels (a freed table, or a leaf)
    size_t tlbi_regime = 0;       // ... of the whole regime (more than 16 entries)
    size_t live_changes = 0;      // successful changing calls on an active map
    size_t tables_needed = 0;     // idmap_tables_needed calls checked (one before each map)
    size_t tables_needed_pages = 0;  // pages they answered for maps that then succeeded
    size_t coalesces = 0;         // coalesce_subtables calls
    size_t coalesce_freed = 0;    // tables they turned into blocks
    size_t seals = 0;             // idmap_seal calls
    size_t sealed_refusals = 0;   // calls answering IDMAP_ERR_SEALED (map and modify)
    size_t sealed_modifies = 0;   // modify_range calls that succeeded on a sealed map
    size_t hinted_checks = 0;     // tree checks that found contiguous bits in the pages they checked
    size_t hinted_pages = 0;      // those pages with the contiguous bit, summed over the checks
    size_t bbm_maps = 0;          // map_range_bbm(_to) calls
    size_t bbm_live_ok = 0;       // ... that succeeded on an active map
    size_t change_attrs = 0;      // change_attributes calls
    size_t change_attrs_by_status[13] = {};
    size_t change_attrs_live_ok = 0;  // ... that succeeded on an active map
    size_t change_attrs_empty = 0;    // ... that succeeded with set 0, clear ~0 (leaves emptied)
    size_t walk_runs = 0;         // walk_runs calls
    size_t runs = 0;              // runs they reported
    size_t runs_merged = 0;       // ... of more than one leaf
    size_t runs_stopped = 0;      // walk_runs calls whose callback stopped them
    size_t maps_to = 0;           // map_range_to and s2_map_range_bbm_to calls
    size_t maps_to_by_status[13] = {};
    size_t maps_to_foreign_ok = 0;  // ... that succeeded at another output address than the map's own
    size_t foreign_blocks = 0;    // ... that left a block there among the pages they changed
    size_t pa_page_offset = 0;    // ... refused for pa's offset in its page (INVALID_ARGUMENT)
    size_t output_past_48 = 0;    // ... refused for an output range past 2^48 (ADDRESS_RANGE)
    size_t bbm_output_refused = 0;  // map calls refused for a live output address's change
    size_t foreign_validations_refused = 0;  // modify callbacks refused making valid another output address
    size_t bbm_moves = 0;         // map_range_bbm(_to) calls that moved a live valid page to another output address
    size_t guarded_maps = 0;      // map calls that succeeded with guarded code on
    size_t gp_leaves = 0;         // ... valid leaves with GP among the pages they changed
    size_t no_bti_refusals = 0;   // set_guarded_code(on) refused (IDMAP_ARG_NO_BTI)
    size_t tlbi_range_syncs = 0;  // live changes past 16 entries invalidated by range TLBIs
    size_t tlbi_ranges = 0;       // ... range TLBIs they issued
    size_t tlbi_range_fallbacks = 0;  // ... the whole regime instead on a CPU with FEAT_TLBIRANGE (over 2^21 - 1 pages)
    size_t no_hafdbs_refusals = 0;  // set_hardware_updates refused (IDMAP_ARG_NO_HAFDBS)
    size_t tracked_maps = 0;        // map calls that succeeded under IDMAP_HW_DIRTY
    size_t hardware_writes = 0;     // leaves the MMU made dirty (the harness's writes)
    size_t collects = 0;            // collect_dirty calls that succeeded
    size_t live_collects = 0;       // ... on an active map that made a leaf clean
    size_t dirty_pages = 0;         // ... pages they reported
    size_t protects = 0;            // protect_tables calls that succeeded
    size_t protect_refusals = 0;    // ... refused for tables not mapped by pages
    size_t read_only_refusals = 0;  // changes refused for read-only tables
    size_t no_bbm_refusals = 0;     // set_live_splits(on) refused (IDMAP_ARG_NO_BBM)
    size_t live_splits = 0;         // valid blocks of an active map split with nT (live splits)

    void add(const HarnessStats& o) {
        calls += o.calls;
        checks += o.checks;
        for (size_t i = 0; i < 13; ++i) {
            by_status[i] += o.by_status[i];
            unmap_by_status[i] += o.unmap_by_status[i];
            change_attrs_by_status[i] += o.change_attrs_by_status[i];
            maps_to_by_status[i] += o.maps_to_by_status[i];
        }
        callbacks += o.callbacks;
        unchanged_checks += o.unchanged_checks;
        max_tables = std::max(max_tables, o.max_tables);
        unmaps += o.unmaps;
        unmap_splits += o.unmap_splits;
        unmap_freed += o.unmap_freed;
        compacts += o.compacts;
        compact_freed += o.compact_freed;
        tlb_invalidations += o.tlb_invalidations;
        tlbi_leaf += o.tlbi_leaf;
        tlbi_table += o.tlbi_table;
        tlbi_regime += o.tlbi_regime;
        live_changes += o.live_changes;
        tables_needed += o.tables_needed;
        tables_needed_pages += o.tables_needed_pages;
        coalesces += o.coalesces;
        coalesce_freed += o.coalesce_freed;
        seals += o.seals;
        sealed_refusals += o.sealed_refusals;
        sealed_modifies += o.sealed_modifies;
        hinted_checks += o.hinted_checks;
        hinted_pages += o.hinted_pages;
        bbm_maps += o.bbm_maps;
        bbm_live_ok += o.bbm_live_ok;
        change_attrs += o.change_attrs;
        change_attrs_live_ok += o.change_attrs_live_ok;
        change_attrs_empty += o.change_attrs_empty;
        walk_runs += o.walk_runs;
        runs += o.runs;
        runs_merged += o.runs_merged;
        runs_stopped += o.runs_stopped;
        maps_to += o.maps_to;
        maps_to_foreign_ok += o.maps_to_foreign_ok;
        foreign_blocks += o.foreign_blocks;
        pa_page_offset += o.pa_page_offset;
        output_past_48 += o.output_past_48;
        bbm_output_refused += o.bbm_output_refused;
        foreign_validations_refused += o.foreign_validations_refused;
        bbm_moves += o.bbm_moves;
        guarded_maps += o.guarded_maps;
        gp_leaves += o.gp_leaves;
        no_bti_refusals += o.no_bti_refusals;
        tlbi_range_syncs += o.tlbi_range_syncs;
        tlbi_ranges += o.tlbi_ranges;
        tlbi_range_fallbacks += o.tlbi_range_fallbacks;
        no_hafdbs_refusals += o.no_hafdbs_refusals;
        tracked_maps += o.tracked_maps;
        hardware_writes += o.hardware_writes;
        collects += o.collects;
        live_collects += o.live_collects;
        dirty_pages += o.dirty_pages;
        protects += o.protects;
        protect_refusals += o.protect_refusals;
        read_only_refusals += o.read_only_refusals;
        no_bbm_refusals += o.no_bbm_refusals;
        live_splits += o.live_splits;
    }
};

// The map a harness drives. with_config false: idmap_new_with_allocator(asid, root_level),
// which must be the EL1&0 lower range identity map the other fields then describe.
struct MapConfig {
    unsigned root_level = 1;
    uint64_t asid = 1;
    idmap_regime_t regime = IDMAP_REGIME_EL1_0;
    idmap_va_range_t va_range = IDMAP_VA_RANGE_LOWER;
    int64_t pa_offset = 0;
    bool with_config = false;
    bool contiguous_hint = false;  // idmap_set_contiguous_hint(map, true) once built
    // Stage 2 (idmap_new_stage2): root_level the start level, asid the VMID; regime is
    // IDMAP_REGIME_STAGE2, va_range the lower.
    bool stage2 = false;
    unsigned ipa_bits = 0;
    bool xnx = false;
    // The host fake's CPU for the whole input: FEAT_BTI (ID_AA64PFR1_EL1.BT) and
    // FEAT_TLBIRANGE (ID_AA64ISAR0_EL1.TLB 0b0010); set when the harness is built.
    bool bti = false;
    bool tlbi_range = false;
    unsigned hafdbs = 0;  // ID_AA64MMFR1_EL1.HAFDBS: 1 the Access flag, 2 the dirty state too
    unsigned bbm = 0;     // ID_AA64MMFR2_EL1.BBM: 1 or 2 FEAT_BBM (live splits)

    // What the host fake's CPU has (src/arch/host/fake.hpp, its reset values).
    static constexpr unsigned kFakePaBits = 44;
    static constexpr uint64_t kFakeMaxVmid = 0xff;

    bool one_privilege_level() const { return regime == IDMAP_REGIME_EL2 || regime == IDMAP_REGIME_EL3; }
    ModelConfig model() const {
        ModelConfig m;
        m.upper = va_range == IDMAP_VA_RANGE_UPPER;
        m.pa_offset = static_cast<uint64_t>(pa_offset);
        m.one_privilege_level = one_privilege_level();
        m.regime = stage2 ? IDMAP_REGIME_STAGE2 : regime;
        m.bti = bti;
        m.hafdbs = hafdbs;
        m.bbm = bbm;
        if (stage2) {
            m.stage2 = true;
            m.size_bits = ipa_bits;
            m.xnx = xnx;
            m.s2_unusable = ipa_bits > kFakePaBits || asid > kFakeMaxVmid || xnx;
            m.s2_pa_bits = kFakePaBits;
        }
        return m;
    }
};

class Harness {
public:
    explicit Harness(unsigned root_level, size_t asid = 1) : Harness(legacy(root_level, asid)) {}

    explicit Harness(const MapConfig& config)
        : config_(config), model_(config.root_level, config.model()), c_alloc_(alloc_.c_allocator()) {
        // The CPU at reset (MMU off, whatever a test before left), with the features asked,
        // the same from the first call to the last (begin() keeps the registers).
        namespace fake = aarch64_paging::arch::fake;
        fake::reset();
        fake::registers().id_aa64pfr1_el1 = config.bti ? 1 : 0;
        fake::registers().id_aa64isar0_el1 = config.tlbi_range ? uint64_t{2} << 56 : 0;
        fake::registers().id_aa64mmfr1_el1 = config.hafdbs;
        fake::registers().id_aa64mmfr2_el1 = uint64_t{config.bbm} << 52;
        walker_config_.delta = model_.delta();
        walker_config_.res1 = model_.res1();
        walker_config_.forbidden = config.one_privilege_level() ? kNonGlobal | kPxn : 0;
        if (config.stage2) {
            walker_config_.forbidden = model_.regime_refused();
            walker_config_.root_tables = static_cast<unsigned>(model_.root_tables());
            walker_config_.size = model_.size();
            idmap_stage2_config_t c{};
            c.ipa_bits = config.ipa_bits;
            c.start_level = config.root_level;
            c.vmid = static_cast<uint32_t>(config.asid);
            c.xnx = config.xnx;
            c.pa_offset = config.pa_offset;
            c.allocator = &c_alloc_;
            c.alloc_root = &CountingAllocator::alloc_root;
            c.free_root = &CountingAllocator::free_root;
            map_ = idmap_new_stage2(&c);
        } else if (config.with_config) {
            idmap_config_t c{};
            c.regime = config.regime;
            c.va_range = config.va_range;
            c.asid = config.asid;
            c.root_level = config.root_level;
            c.pa_offset = config.pa_offset;
            c.allocator = &c_alloc_;
            map_ = idmap_new_with_config(&c);
        } else {
            map_ = idmap_new_with_allocator(static_cast<size_t>(config.asid), config.root_level, &c_alloc_);
        }
        if (map_ == nullptr) {
            fail("idmap_new_with_allocator / idmap_new_with_config / idmap_new_stage2 returned NULL");
            return;
        }
        if (config.stage2 && (idmap_s2_root_tables(map_) != model_.root_tables() ||
                              idmap_s2_vttbr(map_) != (idmap_root_address(map_) | config.asid << 48) ||
                              (idmap_root_address(map_) & (model_.root_tables() * kPageSize - 1)) != 0)) {
            fail("idmap_s2_root_tables, idmap_s2_vttbr or the root's alignment is not the stage-2 map's");
            return;
        }
        root_ = idmap_root_address(map_);
        alloc_.on_free(&count_free, this);
        if (config.regime == IDMAP_REGIME_EL2_0 && config.va_range == IDMAP_VA_RANGE_UPPER) {
            // TTBR0_EL2's ASID tags an EL2&0 upper map's entries: a lower map of the same
            // ASID is in place, else activation is refused (UPPER_ASID).
            aarch64_paging::arch::fake::registers().ttbr0_el2 = static_cast<uint64_t>(config.asid) << 48;
        }
        if (idmap_contiguous_hint(map_) || idmap_is_sealed(map_) || idmap_guarded_code(map_) ||
            idmap_live_splits(map_)) {
            fail("a new map has the contiguous hint, guarded code or live splits on, or is sealed");
        }
        if (config.contiguous_hint) {
            if (idmap_set_contiguous_hint(map_, true) != IDMAP_OK || !idmap_contiguous_hint(map_)) {
                fail("idmap_set_contiguous_hint(map, true) did not turn the hint on");
            }
            model_.set_contiguous_hint(true);
        }
        if (idmap_size(map_) != model_.size()) {
            fail("idmap_size is not 4 KiB << 9 * (4 - root level), or 2^ipa_bits at stage 2");
        }
        if (idmap_va_start(map_) != model_.range_start() ||
            idmap_regime(map_) != (config.stage2 ? IDMAP_REGIME_STAGE2 : config.regime) ||
            idmap_va_range(map_) != config.va_range) {
            fail("idmap_va_start, idmap_regime or idmap_va_range is not what the map was built for");
        }
        check();
    }
    ~Harness() { finish(); }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    bool ok() const { return failure_.empty(); }
    const std::string& failure() const { return failure_; }
    const HarnessStats& stats() const { return stats_; }
    const Model& model() const { return model_; }
    const MapConfig& config() const { return config_; }
    idmap_t* map() { return map_; }
    CountingAllocator& allocator() { return alloc_; }

    // The next call's allocator budget (pages); SIZE_MAX for none.
    void set_budget(size_t pages) { alloc_.set_budget(pages); }
    // The next call's k-th page request fails (k >= 1): the model sees a budget of k - 1.
    void fail_request(size_t k) {
        alloc_.fail_request(k);
        fail_budget_ = k - 1;
    }

    bool map_range(idmap_region_t r, uint64_t flags, uint32_t constraints, bool constraints_api) {
        return map_call(constraints_api ? Record::MapWithConstraints : Record::Map, r, 0, flags,
                        constraints_api ? constraints : 0);
    }

    // idmap_map_range_to: checked as map_range is, to the output range from pa.
    bool map_range_to(idmap_region_t r, uint64_t pa, uint64_t flags, uint32_t constraints) {
        return map_call(Record::MapTo, r, pa, flags, constraints);
    }

    // idmap_s2_map_range_bbm: map_range doing break-before-make (its own TLB check,
    // TlbCall::Bbm; idmap_tables_needed is map_range's, which refuses the breaks).
    bool map_range_bbm(idmap_region_t r, uint64_t flags, uint32_t constraints) {
        return map_call(Record::MapBbm, r, 0, flags, constraints);
    }

    // idmap_s2_map_range_bbm_to: the same to the output range from pa.
    bool map_range_bbm_to(idmap_region_t r, uint64_t pa, uint64_t flags, uint32_t constraints) {
        return map_call(Record::MapBbmTo, r, pa, flags, constraints);
    }

    // idmap_set_guarded_code: answers as the model predicts (refused at stage 2 and
    // without the fake CPU's FEAT_BTI), changes no table; idmap_guarded_code then the
    // model's policy.
    bool set_guarded_code(bool on) {
        begin(Record::GuardedCode, idmap_region_t{0, 0}, TlbCall::None).flags = on ? 1 : 0;
        (void)budget();  // takes no page
        const Outcome want = model_.set_guarded_code(on);
        const idmap_status_t got = idmap_set_guarded_code(map_, on);
        return policy_call(want, got, idmap_guarded_code(map_) == model_.guarded_code(), "idmap_guarded_code",
                           IDMAP_ARG_NO_BTI, stats_.no_bti_refusals);
    }

    // The end of a call that sets a policy of the map and changes no table: the map's
    // getter agrees with the model (same), refusals for want of the CPU feature (reason)
    // are counted.
    bool policy_call(const Outcome& want, idmap_status_t got, bool same, const char* getter, uint64_t reason,
                     size_t& refusals) {
        if (!same) {
            return fail(std::string(getter) + " differs from the model");
        }
        refusals += got == IDMAP_ERR_INVALID_ARGUMENT && (want.value & 0xff) == reason ? 1 : 0;
        return finish_call(want, got);
    }

    // idmap_set_hardware_updates: answers as the model predicts, changes no table;
    // idmap_hardware_updates then the model's setting.
    bool set_hardware_updates(unsigned updates) {
        begin(Record::HardwareUpdates, idmap_region_t{0, 0}, TlbCall::None).flags = updates;
        (void)budget();  // takes no page
        const Outcome want = model_.set_hardware_updates(updates);
        const idmap_status_t got = idmap_set_hardware_updates(map_, updates);
        return policy_call(want, got, idmap_hardware_updates(map_) == model_.hardware_updates(),
                           "idmap_hardware_updates", IDMAP_ARG_NO_HAFDBS, stats_.no_hafdbs_refusals);
    }

    // idmap_set_live_splits: answers as the model predicts (refused without the fake CPU's
    // FEAT_BBM), changes no table; idmap_live_splits then the model's policy.
    bool set_live_splits(bool on) {
        begin(Record::LiveSplits, idmap_region_t{0, 0}, TlbCall::None).flags = on ? 1 : 0;
        (void)budget();  // takes no page
        const Outcome want = model_.set_live_splits(on);
        const idmap_status_t got = idmap_set_live_splits(map_, on);
        return policy_call(want, got, idmap_live_splits(map_) == model_.live_splits(), "idmap_live_splits",
                           IDMAP_ARG_NO_BBM, stats_.no_bbm_refusals);
    }

    // What the MMU does on writes through r (the range rounded as map_range rounds it):
    // the harness itself sets the write permission bit of each clean DBM leaf the model
    // names, in the tables, as a hardware update would (no TLB maintenance: none needed).
    bool hardware_write(idmap_region_t r) {
        begin(Record::HardwareWrite, r, TlbCall::None);
        const auto written = model_.hardware_write(r);
        for (const auto& [first, level] : written) {
            *entry_of(first, level) ^= kWriteBit;
        }
        stats_.hardware_writes += written.size();
        Outcome want;
        want.may_change = !written.empty();
        return finish_call(want, IDMAP_OK);
    }

    // idmap_collect_dirty with words of bitmap (null: a NULL bitmap): the status, the
    // bitmap and the leaves made clean are the model's; the words past those the range
    // needs are left alone.
    bool collect_dirty(idmap_region_t r, size_t words, bool null) {
        Record& rec = begin(Record::CollectDirty, r, TlbCall::Change);
        rec.flags = null ? 0 : words;
        (void)budget();  // takes no page
        const bool live = model_.active();
        std::vector<uint64_t> want_bits;
        const Outcome want = model_.collect_dirty(r, words, null, want_bits);
        constexpr uint64_t kUntouched = 0x5a5a5a5a5a5a5a5a;
        std::vector<uint64_t> bitmap(words + 1, kUntouched);
        const idmap_status_t got = idmap_collect_dirty(map_, &r, null ? nullptr : bitmap.data(), words);
        if (got == IDMAP_OK) {
            if (!std::equal(want_bits.begin(), want_bits.end(), bitmap.begin()) ||
                std::any_of(bitmap.begin() + static_cast<std::ptrdiff_t>(want_bits.size()), bitmap.end(),
                            [](uint64_t w) { return w != kUntouched; })) {
                return fail("collect_dirty's bitmap differs from the model's");
            }
            ++stats_.collects;
            stats_.live_collects += live && want.may_change ? 1 : 0;
            for (const uint64_t w : want_bits) {
                stats_.dirty_pages += static_cast<size_t>(__builtin_popcountll(w));
            }
        } else if (std::any_of(bitmap.begin(), bitmap.end(), [](uint64_t w) { return w != kUntouched; })) {
            return fail("a collect_dirty that failed wrote the bitmap");
        }
        return finish_call(want, got);
    }

    // Maps each of the map's table pages that lies in its range and is not mapped by a
    // page yet with a page of its own (map_range, NO_BLOCK_MAPPINGS; checked as any), until
    // none is left or a map fails (the tables those maps add are table pages too): what
    // protect_tables in the map itself asks.
    bool map_own_tables() {
        for (unsigned round = 0; round < 4 && !model_.config().stage2; ++round) {
            walker().walk(PageRanges(0, model_.size() >> kPageShift), tables_walk_);
            const std::vector<uint64_t> tables = tables_walk_.tables;
            bool mapped = false;
            for (const uint64_t va : tables) {
                const uint64_t offset = va - model_.range_start();
                if (offset >= model_.size()) {
                    continue;
                }
                const Leaf leaf = model_.info(offset >> kPageShift).leaf;
                if (leaf.valid() && leaf.level == kLeafLevel) {
                    continue;
                }
                const idmap_region_t page{va, va + kPageSize};
                if (!map_range(page, IDMAP_ATTR_VALID | IDMAP_ATTR_NORMAL, IDMAP_NO_BLOCK_MAPPINGS, true)) {
                    return false;
                }
                mapped = true;
            }
            if (!mapped) {
                return true;
            }
        }
        return true;
    }

    // idmap_protect_tables(map, NULL) (on) or idmap_unprotect_tables: the model is given
    // the map's table pages as the tables in memory have them, root first, depth first;
    // idmap_tables_protected then says the model's state.
    bool protect_tables(bool on) {
        begin(on ? Record::ProtectTables : Record::UnprotectTables, idmap_region_t{0, 0}, TlbCall::None);
        (void)budget();  // takes no page
        walker().walk(PageRanges(0, model_.size() >> kPageShift), tables_walk_);
        const Outcome want = model_.protect_tables(tables_walk_.tables, on);
        // The changes, if any, are change_attributes calls'; a refusal or nothing to undo
        // touches nothing, barriers included.
        tlb_.call = want.status == IDMAP_OK && want.may_change ? TlbCall::Change : TlbCall::None;
        const idmap_status_t got = on ? idmap_protect_tables(map_, nullptr) : idmap_unprotect_tables(map_);
        if (idmap_tables_protected(map_) != model_.tables_protected()) {
            return fail("idmap_tables_protected differs from the model");
        }
        stats_.protects += on && got == IDMAP_OK ? 1 : 0;
        stats_.protect_refusals += got == IDMAP_ERR_INVALID_ARGUMENT && want.value == IDMAP_ARG_TABLES_NOT_PAGES ? 1 : 0;
        return finish_call(want, got);
    }

    bool modify_range(idmap_region_t r, const ModifySpec& given) {
        ModifySpec spec = given;
        spec.delta = model_.delta();
        begin(Record::Modify, r, TlbCall::Change).modify = spec;
        std::vector<Call>& want_calls = want_calls_;
        want_calls.clear();
        const ModifyFn fn = [&spec](uint64_t s, uint64_t e, uint64_t& bits, unsigned level) {
            return spec.apply(s, e, bits, level);
        };
        // An active or sealed map runs fn on copies first (the whole pass when it succeeds).
        const bool was_active = model_.active() || model_.sealed();
        const bool sealed = model_.sealed();
        const Outcome want = model_.modify_range(r, fn, budget(), want_calls);
        ModifyCtx ctx{&spec, CallCheck{&want_calls}, model_.range_start()};
        const idmap_status_t got = idmap_modify_range(map_, &r, &modify_cb, &ctx);
        if (!check_calls("modify", ctx.calls, was_active)) {
            return false;
        }
        if (sealed && got == IDMAP_OK) {
            ++stats_.sealed_modifies;
        }
        if (spec.validate_foreign && got == IDMAP_ERR_INVALID_FLAGS && (want.value & kDescValid) != 0) {
            ++stats_.foreign_validations_refused;
        }
        return finish_call(want, got);
    }

    bool walk_range(idmap_region_t r, const WalkSpec& spec) {
        begin(Record::Walk, r, TlbCall::None).walk = spec;
        std::vector<Call>& want_calls = want_calls_;
        want_calls.clear();
        const WalkFn fn = [&spec](uint64_t s, uint64_t e, uint64_t bits, unsigned level) {
            return spec.apply(s, e, bits, level);
        };
        const Outcome want = model_.walk_range(r, fn, want_calls);
        WalkCtx ctx{&spec, CallCheck{&want_calls}, model_.range_start()};
        const idmap_status_t got = idmap_walk_range(map_, &r, &walk_cb, &ctx);
        if (!check_calls("walk", ctx.calls, false)) {
            return false;
        }
        return finish_call(no_change(want), got);
    }

    // idmap_change_attributes: Model::change_attributes, checked as a modify is (no
    // callback to see); every failure must change nothing.
    bool change_attributes(idmap_region_t r, uint64_t set, uint64_t clear) {
        Record& rec = begin(Record::ChangeAttributes, r, TlbCall::Change);
        rec.flags = set;
        rec.clear = clear;
        ++stats_.change_attrs;
        const bool live = model_.active();
        const Outcome want = model_.change_attributes(r, set, clear, budget());
        if (want.status != IDMAP_OK && want.may_change) {
            return fail("the model lets a failed change_attributes change the tables");
        }
        const idmap_status_t got = idmap_change_attributes(map_, &r, set, clear);
        if (got >= 0 && static_cast<size_t>(got) < 13) {
            ++stats_.change_attrs_by_status[got];
        }
        if (!finish_call(want, got)) {
            return false;
        }
        if (got == IDMAP_OK && live) {
            ++stats_.change_attrs_live_ok;
        }
        if (got == IDMAP_OK && set == 0 && clear == ~uint64_t{0}) {
            ++stats_.change_attrs_empty;
        }
        return true;
    }

    // idmap_walk_runs: the runs its callback gets, in order, are the model's (region as
    // offsets, first descriptor but its contiguous bit, level), up to the spec.stop_at-th,
    // where it answers non-zero; changes nothing.
    bool walk_runs(idmap_region_t r, const RunSpec& spec) {
        begin(Record::WalkRuns, r, TlbCall::None).runs = spec;
        ++stats_.walk_runs;
        std::vector<Call>& want = want_calls_;
        want.clear();
        const Outcome o = model_.walk_runs(r, spec.stop_at, want);
        std::vector<Call>& got_runs = got_runs_;
        got_runs.clear();
        RunsCtx ctx{&spec, &got_runs, model_.range_start()};
        const idmap_status_t got = idmap_walk_runs(map_, &r, &runs_cb, &ctx);
        if (got_runs != want) {
            size_t i = 0;
            while (i < got_runs.size() && i < want.size() && got_runs[i] == want[i]) {
                ++i;
            }
            std::ostringstream s;
            s << "walk_runs: " << got_runs.size() << " runs, the model expects " << want.size() << "; run " << i
              << ": got ";
            const auto text = [&s](const std::vector<Call>& v, size_t k) {
                if (k < v.size()) {
                    s << "[0x" << std::hex << v[k].start << ", 0x" << v[k].end << ") first 0x" << v[k].bits << std::dec
                      << " L" << v[k].level;
                } else {
                    s << "(none)";
                }
            };
            text(got_runs, i);
            s << ", expected ";
            text(want, i);
            s << " (offsets from the range's start)";
            return fail(s.str());
        }
        stats_.runs += got_runs.size();
        for (const Call& c : got_runs) {
            stats_.runs_merged += c.end - c.start > level_bytes(c.level) ? 1 : 0;
        }
        stats_.runs_stopped += got == IDMAP_ERR_PTE_UPDATE_FAULT ? 1 : 0;
        return finish_call(no_change(o), got);
    }

    bool unmap_range(idmap_region_t r) {
        begin(Record::Unmap, r, TlbCall::Change);
        ++stats_.unmaps;
        const Outcome want = model_.unmap_range(r, budget());
        const idmap_status_t got = idmap_unmap_range(map_, &r);
        if (got >= 0 && static_cast<size_t>(got) < 13) {
            ++stats_.unmap_by_status[got];
        }
        if (!finish_call(want, got)) {
            return false;
        }
        stats_.unmap_splits += want.new_tables;
        stats_.unmap_freed += want.freed_tables;
        return true;
    }

    bool compact() {
        // On a map whose tables protect themselves it does nothing at all: no TLB
        // maintenance either, live or not.
        begin(Record::Compact, idmap_region_t{0, 0}, model_.tables_protected() ? TlbCall::None : TlbCall::Change);
        ++stats_.compacts;
        (void)budget();  // takes no page; a pending failure is not for the next call
        const Outcome want = model_.compact();
        const size_t got = idmap_compact_subtables(map_);
        if (got != want.freed_tables) {
            std::ostringstream s;
            s << "idmap_compact_subtables answered " << got << ", the model frees " << want.freed_tables;
            return fail(s.str());
        }
        if (!finish_call(want, IDMAP_OK)) {
            return false;
        }
        stats_.compact_freed += got;
        return true;
    }

    // idmap_coalesce_subtables: answers the tables the model turns into blocks (0 on an
    // active map, which it leaves as it was); every page keeps its translation (the walker
    // against the model), and the table count and the allocator's pages drop by as many.
    bool coalesce() {
        // On an active map it does nothing at all: no TLB maintenance either.
        begin(Record::Coalesce, idmap_region_t{0, 0}, model_.active() ? TlbCall::None : TlbCall::Change);
        ++stats_.coalesces;
        (void)budget();  // takes no page
        const Outcome want = model_.coalesce_tables();
        const size_t tables_before = idmap_table_count(map_);
        const size_t outstanding_before = alloc_.outstanding();
        const size_t got = idmap_coalesce_subtables(map_);
        if (got != want.freed_tables) {
            std::ostringstream s;
            s << "idmap_coalesce_subtables answered " << got << ", the model turns " << want.freed_tables
              << " tables into blocks";
            return fail(s.str());
        }
        if (idmap_table_count(map_) != tables_before - got || alloc_.outstanding() != outstanding_before - got) {
            return fail("idmap_coalesce_subtables: the table count or the allocator's pages did not drop by its answer");
        }
        if (!finish_call(want, IDMAP_OK)) {
            return false;
        }
        stats_.coalesce_freed += got;
        return true;
    }

    // idmap_seal: OK, changes no table; idmap_is_sealed then.
    bool seal() {
        begin(Record::Seal, idmap_region_t{0, 0}, TlbCall::None);
        ++stats_.seals;
        (void)budget();
        const Outcome want = model_.seal();
        const idmap_status_t got = idmap_seal(map_);
        if (!idmap_is_sealed(map_)) {
            return fail("idmap_is_sealed is false after idmap_seal");
        }
        return finish_call(want, got);
    }

    bool activate() {
        begin(Record::Activate, idmap_region_t{0, 0}, TlbCall::Activate);
        const Outcome want = model_.activate();
        return finish_call(no_change(want), config_.stage2 ? idmap_s2_activate(map_) : idmap_activate(map_));
    }

    bool deactivate() {
        begin(Record::Deactivate, idmap_region_t{0, 0}, TlbCall::Deactivate);
        const Outcome want = model_.deactivate();
        return finish_call(no_change(want), idmap_deactivate(map_));
    }

    // Every invariant over the whole map, the walker against the model on every page;
    // the copy of the tables (mirror_) starts again from what the walk reached. The
    // harness runs it when the map is built and before it is freed; after each call it
    // checks the pages the call changed (check_change).
    bool check() {
        if (!ok() || map_ == nullptr) {
            return false;
        }
        const PageRanges all(0, model_.size() >> kPageShift);
        walker().walk(all, after_);
        if (!check_walk(after_, all, after_.tables.size())) {
            return false;
        }
        // Every change since the last check was seen: the copy (empty before the first
        // check) is the tables as they are.
        pages_.clear();
        mirror_.changed(is_live(), pages_);
        if (mirror_.size() != 0 && (mirror_.size() != after_.tables.size() || !pages_.empty())) {
            return fail("the tables differ from the copy the checks after each call kept: a change went unchecked");
        }
        mirror_.meeting(all, before_tables_);
        mirror_.replace(before_tables_, after_.table_pages, after_.reached);
        model_.clear_touched();
        return true;
    }

    // Whether finish() checks the whole map again (by default it does). After each call
    // every page it changed was checked: the final walk guards the harness's own
    // bookkeeping (the copy, the pages the model touched), and costs as much as the calls
    // of a short input, so the fuzzer asks for it on a sample of its inputs.
    void check_whole_map_at_finish(bool on) { final_check_ = on; }

    // A full check() (see check_whole_map_at_finish), then frees the map: every page back,
    // none freed twice.
    bool finish() {
        if (map_ == nullptr) {
            return ok();
        }
        if (final_check_) {
            (void)check();
        }
        // idmap_free keeps read-only tables (a page given back would be written): undone
        // first, so that every page must come back; a sealed map's cannot be (writable is
        // wider), and idmap_free must keep them all.
        size_t kept = 0;
        if (idmap_tables_protected(map_)) {
            if (idmap_is_active(map_) && idmap_deactivate(map_) != IDMAP_OK) {
                return fail("idmap_deactivate refused before idmap_free");
            }
            if (idmap_unprotect_tables(map_) != IDMAP_OK) {
                if (!model_.sealed()) {
                    return fail("idmap_unprotect_tables refused on a map that is not sealed");
                }
                kept = idmap_table_count(map_);
            }
        }
        idmap_free(map_);
        map_ = nullptr;
        if (alloc_.outstanding() != kept || alloc_.bad_frees() != 0) {
            std::ostringstream s;
            s << "idmap_free left " << alloc_.outstanding() << " pages, " << alloc_.bad_frees() << " bad frees";
            return fail(s.str());
        }
        return ok();
    }

private:
    static MapConfig legacy(unsigned root_level, size_t asid) {
        MapConfig c;
        c.root_level = root_level;
        c.asid = asid;
        return c;
    }

    // The entry of the leaf at level whose first page (offset from the range's start) is
    // first, found by a walk of the tables in memory from the root (a concatenated root's
    // pages are one array).
    uint64_t* entry_of(uint64_t first, unsigned level) const {
        const uint64_t offset = first << kPageShift;
        uint64_t table = root_;
        for (unsigned l = model_.root_level();; ++l) {
            const unsigned shift = kPageShift + 9 * (kLeafLevel - l);
            const uint64_t index = l == model_.root_level() ? offset >> shift : (offset >> shift) & 511;
            uint64_t* entry = reinterpret_cast<uint64_t*>(static_cast<uintptr_t>(table)) + index;
            if (l == level) {
                return entry;
            }
            table = *entry & kOaMask;
        }
    }

    // Whether pa is a page the allocator has out (one that may be read as a table).
    struct IsLive {
        const CountingAllocator* alloc;
        bool operator()(uint64_t pa) const { return alloc->is_live(pa); }
    };
    IsLive is_live() const { return IsLive{&alloc_}; }
    // The tables as they are.
    Walker walker() const {
        return Walker(root_, model_.root_level(), walker_config_, [this](uint64_t pa) {
            return alloc_.is_live(pa) ? reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa)) : nullptr;
        });
    }
    // The tables as the last check left them: the view before the call being checked.
    Walker walker_before() const { return Walker(root_, model_.root_level(), walker_config_, mirror_.reader()); }

    // After a call that may have changed the tables: the pages it changed (pages_) are
    // those of the entries memory holds differently from the copy (or below a table given
    // back), and those the model changed; outside them the tables and the model are as
    // the last check found them, equal. Checks those pages as check() checks all of them;
    // after_: the walk of them now, before_tables_: the copied tables that meet them.
    bool check_change() {
        pages_.clear();
        mirror_.changed(is_live(), pages_);
        pages_.add(model_.touched());
        walker().walk(pages_, after_);
        mirror_.meeting(pages_, before_tables_);
        // The copy's tables apart from the pages are still reached, as they were: one the
        // walk reached as well is reached twice.
        const auto twice = std::find_if(after_.tables.begin(), after_.tables.end(),
                                        [this](uint64_t pa) { return mirror_.has_apart_from(pa, pages_); });
        if (twice != after_.tables.end()) {
            std::ostringstream s;
            s << "table page 0x" << std::hex << *twice << " reached twice (shared subtable)";
            return fail(s.str());
        }
        return check_walk(after_, pages_, mirror_.size() - before_tables_.size() + after_.tables.size());
    }

    // The checks on a walk of pages that reached tables in all (the whole tree's count).
    bool check_walk(const TreeWalk& w, const PageRanges& pages, size_t tables) {
        ++stats_.checks;
        if (!w.violations.empty()) {
            std::ostringstream s;
            s << w.violations.size() << " violation(s), first: " << w.violations.front();
            return fail(s.str());
        }
        stats_.max_tables = std::max(stats_.max_tables, tables);
        const size_t count = idmap_table_count(map_);
        if (tables != count || count != alloc_.outstanding() || count != model_.tables() ||
            count != model_.implied_tables()) {
            std::ostringstream s;
            s << "table pages: reached " << tables << ", idmap_table_count " << count
              << ", allocator outstanding " << alloc_.outstanding() << ", model " << model_.tables()
              << " (its leaves imply " << model_.implied_tables() << ")";
            return fail(s.str());
        }
        if (alloc_.bad_frees() != 0) {
            return fail("a page given back that was not handed out, or given back twice");
        }
        if (idmap_root_address(map_) != root_) {
            return fail("the root address changed");
        }
        if (idmap_is_active(map_) != model_.active()) {
            return fail("idmap_is_active differs from the model");
        }
        // The model's pages as the walk has them: runs in each range of pages, and the
        // pages whose entry holds the contiguous bit.
        std::vector<Run>& want = want_.runs;
        std::vector<std::pair<uint64_t, uint64_t>>& want_contig = want_.contig;
        want_.clear();
        model_.for_each_run(pages, [&](uint64_t first, uint64_t end, const PageInfo& info) {
            append_run(want, first, end, info.leaf);
            if (!info.contig) {
                return;
            }
            if (!want_contig.empty() && want_contig.back().second == first) {
                want_contig.back().second = end;
            } else {
                want_contig.emplace_back(first, end);
            }
        });
        if (w.runs != want) {
            return fail("walker and model differ: " + first_difference(w.runs, want));
        }
        // The contiguous bit, entry by entry, as the model predicts it.
        if (w.contig != want_contig) {
            size_t i = 0;
            while (i < w.contig.size() && i < want_contig.size() && w.contig[i] == want_contig[i]) {
                ++i;
            }
            std::ostringstream s;
            s << "contiguous bits differ from the model's: range " << i << ": tables ";
            if (i < w.contig.size()) {
                s << "[0x" << std::hex << (w.contig[i].first << kPageShift) << ", 0x"
                  << (w.contig[i].second << kPageShift) << ")" << std::dec;
            } else {
                s << "(none)";
            }
            s << ", model ";
            if (i < want_contig.size()) {
                s << "[0x" << std::hex << (want_contig[i].first << kPageShift) << ", 0x"
                  << (want_contig[i].second << kPageShift) << ")" << std::dec;
            } else {
                s << "(none)";
            }
            s << " (offsets from the range's start)";
            return fail(s.str());
        }
        if (!w.contig.empty()) {
            ++stats_.hinted_checks;
            for (const auto& c : w.contig) {
                stats_.hinted_pages += c.second - c.first;
            }
        }
        // Constraints the model remembers per page.
        std::string problem;
        model_.for_each_run(pages, [&](uint64_t first, uint64_t end, const PageInfo& info) {
            // NO_CONTIGUOUS_HINT: the contiguous bits compared above, page by page, hold it
            // (a later change may hint the pages: the model clears no_contig then).
            if (!problem.empty() || !info.no_block) {
                return;
            }
            auto it = std::upper_bound(w.runs.begin(), w.runs.end(), first,
                                       [](uint64_t p, const Run& r) { return p < r.first; });
            for (--it; it != w.runs.end() && it->first < end; ++it) {
                std::ostringstream s;
                if (info.no_block && it->leaf.level != kLeafLevel) {
                    s << "NO_BLOCK_MAPPINGS asked, but " << *it;
                }
                problem = s.str();
                if (!problem.empty()) {
                    return;
                }
            }
        });
        if (!problem.empty()) {
            return fail(problem);
        }
        return true;
    }

    // The callbacks the library makes, each compared as it comes with the one the model
    // expects (want): a pass over want, or on an active map two (the checks on copies
    // first); the first that differs is kept to report.
    struct CallCheck {
        const std::vector<Call>* want;
        size_t count = 0;
        size_t differs = SIZE_MAX;  // the first callback unlike want's, if any
        Call got{0, 0, 0, 0};       // that callback

        void see(const Call& c) {
            const size_t n = want->size();
            if (differs == SIZE_MAX && (count >= 2 * n || !((*want)[count % n] == c))) {
                differs = count;
                got = c;
            }
            ++count;
        }
    };
    struct ModifyCtx {
        const ModifySpec* spec;
        CallCheck calls;
        uint64_t range_start;
    };
    struct WalkCtx {
        const WalkSpec* spec;
        CallCheck calls;
        uint64_t range_start;
    };
    struct RunsCtx {
        const RunSpec* spec;
        std::vector<Call>* runs;
        uint64_t range_start;
    };

    // ---- TLB maintenance

    // What the TLB check expects of the call. Bbm: a change that invalidates mid-call
    // (map_range_bbm's breaks); LiveSplit: one that split a live block with nT, which
    // finish_call decides.
    enum class TlbCall { None, Change, Activate, Deactivate, Bbm, LiveSplit };
    // A page given back during the call, and how much TLB maintenance came before.
    struct FreeEvent {
        uint64_t pa;
        unsigned tlbis;    // the fake's log_count then
        unsigned dsb_ish;  // its DSB ISH count then
    };
    struct TlbState {
        TlbCall call = TlbCall::None;
        bool active = false;  // the map was active when the call began
        std::vector<FreeEvent> frees;
    };
    // A leaf entry valid before the call and different after it: pages [first, first + n)
    // from range_start, n = level_pages(level).
    struct ChangedEntry {
        uint64_t first;
        unsigned level;
    };

    static constexpr unsigned kTlbBatchMax = 16;  // VA TLBIs at most, then the whole regime
    static constexpr uint64_t kVaField = (uint64_t{1} << 44) - 1;  // TLBI operand: VA[55:12]
    static constexpr uint64_t kBaseAddr = (uint64_t{1} << 37) - 1;  // range TLBI operand: BaseADDR, VA[48:12]
    static constexpr uint64_t kMaxRangePages = (uint64_t{1} << 21) - 1;  // what range TLBIs cover at most
    // The pages a range TLBI operand covers: (NUM + 1) << (5 * SCALE + 1).
    static uint64_t range_tlbi_pages(uint64_t operand) {
        return (((operand >> 39) & 31) + 1) << (5 * ((operand >> 44) & 3) + 1);
    }

    static void count_free(void* ctx, uint64_t page) {
        auto* h = static_cast<Harness*>(ctx);
        const auto& c = aarch64_paging::arch::fake::counters();
        h->tlb_.frees.push_back(FreeEvent{page, c.log_count, c.dsb_ish});
    }

    // The leaf entries valid in before and different in after (two walks of the same
    // pages, in order), the first limit of them in out; answers how many there are, and
    // the start of the lowest and the highest in lo and hi (pages; lo > hi for none).
    static size_t changed_entries(const std::vector<Run>& before, const std::vector<Run>& after, size_t limit,
                                  std::vector<ChangedEntry>& out, uint64_t& lo, uint64_t& hi) {
        size_t count = 0;
        size_t i = 0, j = 0;
        lo = UINT64_MAX;
        hi = 0;
        ChangedEntry last{UINT64_MAX, 0};  // the last entry counted
        while (i < before.size() && j < after.size()) {
            const Run& b = before[i];
            const Run& a = after[j];
            const uint64_t page = std::max(b.first, a.first);
            const uint64_t end = std::min(b.end, a.end);
            if (page < end && b.leaf.valid() && b.leaf != a.leaf) {
                const uint64_t n = level_pages(b.leaf.level);
                uint64_t entry = page & ~(n - 1);
                // An entry that straddles two pieces was counted with the first.
                if (last.level == b.leaf.level && last.first == entry) {
                    entry += n;
                }
                if (entry < end) {
                    const uint64_t final = (end - 1) & ~(n - 1);
                    for (uint64_t e = entry; e <= final && out.size() < limit; e += n) {
                        out.push_back(ChangedEntry{e, b.leaf.level});
                    }
                    count += static_cast<size_t>((final - entry) / n + 1);
                    lo = std::min(lo, entry);
                    hi = std::max(hi, final);
                    last = ChangedEntry{final, b.leaf.level};
                }
            }
            if (b.end == end) ++i;
            if (a.end == end) ++j;
        }
        return count;
    }

    // The TLBI operand's VA field for the page at offset page (pages from range_start).
    uint64_t va_field(uint64_t page) const { return ((model_.range_start() + (page << kPageShift)) >> kPageShift) & kVaField; }
    bool hits(uint64_t operand, uint64_t first, uint64_t pages) const {
        const uint64_t v = operand & kVaField;
        const uint64_t lo = va_field(first);
        return v >= lo && v - lo < pages;
    }
    // Whether the pages a range TLBI covers meet the pages [first, first + pages).
    bool range_hits(uint64_t operand, uint64_t first, uint64_t pages) const {
        const uint64_t base = operand & kBaseAddr;
        const uint64_t lo = va_field(first) & kBaseAddr;
        return ((lo - base) & kBaseAddr) < range_tlbi_pages(operand) || ((base - lo) & kBaseAddr) < pages;
    }

    static const char* kind_name(unsigned kind) {
        switch (kind) {
            case aarch64_paging::arch::fake::Tlbi::Va: return "VAE";
            case aarch64_paging::arch::fake::Tlbi::VaLastLevel: return "VALE";
            case aarch64_paging::arch::fake::Tlbi::Asid: return "ASIDE1";
            case aarch64_paging::arch::fake::Tlbi::VaAllAsids: return "VAAE1";
            case aarch64_paging::arch::fake::Tlbi::VaLastLevelAllAsids: return "VAALE1";
            case aarch64_paging::arch::fake::Tlbi::Range: return "RVAE";
            case aarch64_paging::arch::fake::Tlbi::RangeLastLevel: return "RVALE";
            case aarch64_paging::arch::fake::Tlbi::RangeAllAsids: return "RVAAE1";
            case aarch64_paging::arch::fake::Tlbi::RangeLastLevelAllAsids: return "RVAALE1";
            default: return "whole regime";
        }
    }

    std::string log_text() const {
        const auto& c = aarch64_paging::arch::fake::counters();
        std::ostringstream s;
        s << c.log_count << " TLBI(s):";
        for (unsigned k = 0; k < std::min(c.log_count, aarch64_paging::arch::fake::Counters::LOG_SIZE); ++k) {
            static const char* const regimes[] = {"EL1&0", "EL2", "EL2&0", "EL3", "stage 2"};
            const unsigned r = static_cast<unsigned>(c.log[k].regime);
            s << " " << kind_name(c.log[k].kind) << "(" << (r < 5 ? regimes[r] : "?") << ", 0x" << std::hex
              << c.log[k].operand << std::dec << ")";
        }
        s << "; DSB ISH " << c.dsb_ish << ", ISB " << c.isb << ", DSB ISHST " << c.dsb_ishst;
        return s.str();
    }

    bool tlb_fail(const std::string& what) { return fail("TLB maintenance: " + what + " [" + log_text() + "]"); }

    // The TLB maintenance of the call that just ended, which answered got, the tables now
    // as after shows them (a walk of pages, those it changed; before the call, the copy
    // of the tables shows them as they were).
    bool check_tlb(idmap_status_t got, const PageRanges& pages, const TreeWalk& after) {
        namespace fake = aarch64_paging::arch::fake;
        const fake::Counters& c = fake::counters();
        const unsigned regime = static_cast<unsigned>(config_.regime);
        const bool live = tlb_.active && got == IDMAP_OK;
        const unsigned s2 = static_cast<unsigned>(IDMAP_REGIME_STAGE2);
        if (config_.stage2 && tlb_.call == TlbCall::Activate && got == IDMAP_OK) {
            // The previous VMID's entries are not this one's, but what the VMID held before
            // (of another map) goes: VMALLS12E1IS.
            const fake::Tlbi* t = c.log_count == 1 ? &c.log[0] : nullptr;
            if (t == nullptr || t->kind != fake::Tlbi::Regime || static_cast<unsigned>(t->regime) != s2 ||
                t->operand != 0 || c.dsb_ish != 1 || c.isb == 0 || c.dsb_ishst == 0) {
                return tlb_fail("stage-2 activate: expected DSB ISHST, the VTTBR write, ISB, one TLBI "
                                "VMALLS12E1IS, DSB ISH, ISB");
            }
            return true;
        }
        if (config_.stage2 && tlb_.call == TlbCall::Deactivate && got == IDMAP_OK) {
            const bool two = c.log_count == 2 && c.log[0].kind == fake::Tlbi::Regime &&
                             c.log[1].kind == fake::Tlbi::Regime && static_cast<unsigned>(c.log[0].regime) == s2 &&
                             static_cast<unsigned>(c.log[1].regime) == s2;
            if (!two || c.dsb_ish != 2 || c.isb == 0) {
                return tlb_fail("stage-2 deactivate: expected TLBI VMALLS12E1IS, DSB ISH, the VTTBR write, ISB, "
                                "TLBI VMALLS12E1IS, DSB ISH, ISB");
            }
            return true;
        }
        if (tlb_.call == TlbCall::Activate && got == IDMAP_OK) {
            // Without ASIDs the previous table's entries are indistinguishable from this one's.
            if (config_.one_privilege_level()) {
                const fake::Tlbi* t = c.log_count == 1 ? &c.log[0] : nullptr;
                if (t == nullptr || t->kind != fake::Tlbi::Regime || static_cast<unsigned>(t->regime) != regime ||
                    t->operand != 0 || c.dsb_ish != 1 || c.isb < 2 || c.dsb_ishst == 0) {
                    return tlb_fail("activate in EL2 or EL3: expected DSB ISHST, the TTBR write, ISB, one TLBI "
                                    "of the whole regime, DSB ISH, ISB");
                }
            } else if (c.log_count != 0 || c.dsb_ish != 0 || c.isb == 0 || c.dsb_ishst == 0) {
                return tlb_fail("activate: expected DSB ISHST, the TTBR write, ISB, and no TLBI");
            }
            return true;
        }
        if (tlb_.call == TlbCall::Deactivate && got == IDMAP_OK) {
            const fake::Tlbi* t = c.log_count == 1 ? &c.log[0] : nullptr;
            const bool asid = config_.regime == IDMAP_REGIME_EL1_0 && config_.va_range == IDMAP_VA_RANGE_LOWER;
            if (t == nullptr || static_cast<unsigned>(t->regime) != regime ||
                t->kind != (asid ? fake::Tlbi::Asid : fake::Tlbi::Regime) ||
                t->operand != (asid ? config_.asid << 48 : 0) || c.dsb_ish != 1 || c.isb == 0) {
                return tlb_fail(asid ? "deactivate: expected one TLBI ASIDE1IS of the map's ASID, DSB ISH, ISB"
                                     : "deactivate: expected one TLBI of the whole regime, DSB ISH, ISB");
            }
            return true;
        }
        const bool changing =
            tlb_.call == TlbCall::Change || tlb_.call == TlbCall::Bbm || tlb_.call == TlbCall::LiveSplit;
        if (!changing || !live) {
            if (c.log_count != 0 || c.dsb_ish != 0 || c.isb != 0) {
                return tlb_fail(changing && got == IDMAP_OK
                                    ? "a change to an inactive map: expected none"
                                    : "a failed call, or one that changes nothing: expected none");
            }
            return true;
        }
        ++stats_.live_changes;
        // What the call left stale: changed leaf entries and freed tables.
        TreeWalk& before = before_;
        walker_before().walk(pages, before);
        std::vector<ChangedEntry>& leaves = tlb_leaves_;
        leaves.clear();
        // lo, hi: the start of the lowest and the highest stale entry (pages).
        uint64_t lo = 0, hi = 0;
        const size_t leaf_count = changed_entries(before.runs, after.runs, kTlbBatchMax, leaves, lo, hi);
        std::vector<TablePage>& freed = tlb_freed_;
        freed.clear();
        for (const TablePage& t : before.table_pages) {
            if (!std::binary_search(after.reached.begin(), after.reached.end(), t.pa)) {
                freed.push_back(t);
                lo = std::min(lo, t.base >> kPageShift);
                hi = std::max(hi, t.base >> kPageShift);
            }
        }
        const size_t n = leaf_count + freed.size();
        // Past 16 on a CPU with FEAT_TLBIRANGE: the pages from lo to hi by range TLBIs
        // where there are at most 2^21 - 1 of them, else the whole regime.
        const uint64_t span = n > kTlbBatchMax ? hi - lo + 1 : 0;
        const bool by_range = n > kTlbBatchMax && config_.tlbi_range && span <= kMaxRangePages;
        // What the call left, to say with a failure.
        const auto stale = [&] {
            std::ostringstream s;
            s << leaf_count << " changed leaf entries, " << freed.size() << " freed tables";
            if (n > kTlbBatchMax) {
                s << ", 0x" << std::hex << span << " pages from 0x" << model_.range_start() + (lo << kPageShift)
                  << std::dec << (config_.tlbi_range ? " (FEAT_TLBIRANGE)" : "");
            }
            s << ": ";
            return s.str();
        };
        if (c.dsb_ishst == 0) {
            return tlb_fail(stale() + "no DSB ISHST after the writes");
        }
        if (tlb_.call == TlbCall::Bbm || tlb_.call == TlbCall::LiveSplit) {
            return check_bbm_tlb(leaves, leaf_count, freed, stale(),
                                 tlb_.call == TlbCall::LiveSplit ? &after.runs : nullptr);
        }
        if (n == 0) {
            if (c.log_count != 0 || c.dsb_ish != 0 || c.isb != 1) {
                return tlb_fail(stale() + "expected no TLBI or DSB ISH, and one ISB");
            }
            return true;
        }
        // Stage 2 by IPA (or by range): DSB ISH, TLBI VMALLE1IS for the entries combining
        // both stages, DSB ISH.
        const bool s2_by_ipa = config_.stage2 && (n <= kTlbBatchMax || by_range);
        if (c.dsb_ish != (s2_by_ipa ? 2u : 1u) || c.isb != 1) {
            return tlb_fail(stale() + (s2_by_ipa ? "expected exactly two DSB ISH (by IPA, then VMALLE1IS) and one ISB"
                                                 : "expected exactly one DSB ISH and one ISB after the TLBIs"));
        }
        stats_.tlb_invalidations += c.log_count;
        if (by_range) {
            if (!check_range_tlbis(lo, span, !freed.empty(), stale())) {
                return false;
            }
        } else if (n > kTlbBatchMax) {
            const fake::Tlbi& t = c.log[0];
            if (c.log_count != 1 || t.kind != fake::Tlbi::Regime || static_cast<unsigned>(t.regime) != regime ||
                t.operand != 0) {
                return tlb_fail(stale() + "expected one TLBI of the whole regime");
            }
            ++stats_.tlbi_regime;
            stats_.tlbi_range_fallbacks += config_.tlbi_range ? 1 : 0;
        } else {
            if (c.log_count != n + (s2_by_ipa ? 1 : 0)) {
                return tlb_fail(stale() + "expected exactly one TLBI by VA for each" +
                                (s2_by_ipa ? ", then one VMALLE1IS" : ""));
            }
            if (s2_by_ipa) {
                const fake::Tlbi& t = c.log[n];
                if (t.kind != fake::Tlbi::Regime || t.regime != aarch64_paging::TranslationRegime::El1And0 ||
                    t.operand != 0) {
                    return tlb_fail(stale() + "expected TLBI VMALLE1IS after the TLBIs by IPA");
                }
            }
            // At most kTlbBatchMax of each: a bit each.
            uint32_t leaf_hit = 0, table_hit = 0;
            for (unsigned k = 0; k < n; ++k) {
                const fake::Tlbi& t = c.log[k];
                // The upper range of EL1&0 for every ASID: TTBR0's tags its entries.
                const bool all_asids = config_.regime == IDMAP_REGIME_EL1_0 && config_.va_range == IDMAP_VA_RANGE_UPPER;
                const bool last_level = t.kind == (all_asids ? fake::Tlbi::VaLastLevelAllAsids : fake::Tlbi::VaLastLevel);
                if ((t.kind != (all_asids ? fake::Tlbi::VaAllAsids : fake::Tlbi::Va) && !last_level) ||
                    static_cast<unsigned>(t.regime) != regime) {
                    return tlb_fail(stale() + "a TLBI that is not by VA (for every ASID in EL1&0's upper range), "
                                               "or of another regime");
                }
                // By IPA at stage 2: no VMID in the operand (VTTBR_EL2's is used).
                if ((t.operand >> 48) != (config_.stage2 ? 0 : config_.asid) || ((t.operand >> 44) & 0xf) != 0) {
                    return tlb_fail(stale() + "a TLBI operand without the map's ASID in 63:48 (none by IPA) or "
                                              "with bits 47:44 set");
                }
                bool useful = false;
                for (size_t e = 0; e < leaves.size(); ++e) {
                    if (hits(t.operand, leaves[e].first, level_pages(leaves[e].level))) {
                        leaf_hit |= uint32_t{1} << e;
                        useful = true;
                    }
                }
                for (size_t f = 0; f < freed.size() && !last_level; ++f) {
                    const TablePage& tp = freed[f];
                    if (hits(t.operand, tp.base >> kPageShift, level_pages(tp.level - 1))) {
                        table_hit |= uint32_t{1} << f;
                        useful = true;
                    }
                }
                if (!useful) {
                    std::ostringstream u;
                    u << "TLBI " << kind_name(t.kind) << " 0x" << std::hex << t.operand
                      << " hits no changed leaf entry" << (last_level ? "" : " and no freed table");
                    return tlb_fail(stale() + u.str());
                }
                ++(last_level ? stats_.tlbi_leaf : stats_.tlbi_table);
            }
            for (size_t e = 0; e < leaves.size(); ++e) {
                if ((leaf_hit >> e & 1) == 0) {
                    std::ostringstream u;
                    u << "no TLBI by VA for the changed L" << leaves[e].level << " entry at 0x" << std::hex
                      << model_.range_start() + (leaves[e].first << kPageShift);
                    return tlb_fail(stale() + u.str());
                }
            }
            for (size_t f = 0; f < freed.size(); ++f) {
                if ((table_hit >> f & 1) == 0) {
                    std::ostringstream u;
                    u << "no TLBI VAE (all levels) for the freed L" << freed[f].level << " table at 0x" << std::hex
                      << model_.range_start() + freed[f].base;
                    return tlb_fail(stale() + u.str());
                }
            }
        }
        for (const FreeEvent& e : tlb_.frees) {
            const bool table = std::any_of(freed.begin(), freed.end(), [&](const TablePage& t) { return t.pa == e.pa; });
            if (table && (e.tlbis != c.log_count || e.dsb_ish != c.dsb_ish)) {
                return tlb_fail(stale() + "a table page given back before the TLBIs and their DSB ISH");
            }
        }
        return true;
    }

    // The TLBIs of a change past 16 stale entries on a CPU with FEAT_TLBIRANGE, the pages
    // [first, first + pages) from the lowest stale entry's start to the highest's (Arm ARM
    // D8.14, "TLB range maintenance instructions"): for an odd count one TLBI by VA of the
    // first page, then range TLBIs of at most one SCALE each, TG 0b01 (4 KiB), TTL 0 (any
    // level), that together cover exactly the rest, in order; last-level forms unless a
    // table was freed (tables: walk caches), every ASID's in EL1&0's upper range, the
    // map's ASID in 63:48 (none by IPA); at stage 2 then TLBI VMALLE1IS.
    bool check_range_tlbis(uint64_t first, uint64_t pages, bool tables, const std::string& stale) {
        namespace fake = aarch64_paging::arch::fake;
        const fake::Counters& c = fake::counters();
        const unsigned tail = config_.stage2 ? 1 : 0;  // VMALLE1IS
        if (c.log_count > fake::Counters::LOG_SIZE || c.log_count <= tail) {
            return tlb_fail(stale + "expected a few range TLBIs");
        }
        if (config_.stage2) {
            const fake::Tlbi& t = c.log[c.log_count - 1];
            if (t.kind != fake::Tlbi::Regime || t.regime != aarch64_paging::TranslationRegime::El1And0 ||
                t.operand != 0) {
                return tlb_fail(stale + "expected TLBI VMALLE1IS after the range TLBIs by IPA");
            }
        }
        const bool all_asids = config_.regime == IDMAP_REGIME_EL1_0 && config_.va_range == IDMAP_VA_RANGE_UPPER;
        const fake::Tlbi::Kind by_va = all_asids ? (tables ? fake::Tlbi::VaAllAsids : fake::Tlbi::VaLastLevelAllAsids)
                                                 : (tables ? fake::Tlbi::Va : fake::Tlbi::VaLastLevel);
        const fake::Tlbi::Kind by_range =
            all_asids ? (tables ? fake::Tlbi::RangeAllAsids : fake::Tlbi::RangeLastLevelAllAsids)
                      : (tables ? fake::Tlbi::Range : fake::Tlbi::RangeLastLevel);
        const uint64_t asid = config_.stage2 ? 0 : config_.asid;
        uint64_t next = first;  // the first page not yet covered
        unsigned scales = 0;    // the SCALEs used, a bit each
        for (unsigned k = 0; k + tail < c.log_count; ++k) {
            const fake::Tlbi& t = c.log[k];
            const bool range = t.kind == by_range;
            if ((!range && t.kind != by_va) || static_cast<unsigned>(t.regime) != static_cast<unsigned>(config_.regime) ||
                (t.operand >> 48) != asid) {
                return tlb_fail(stale + "a TLBI not of the expected kind (" + kind_name(by_range) + " or " +
                                kind_name(by_va) + "), regime or ASID");
            }
            uint64_t covered = 1;
            if (range) {
                const unsigned scale = static_cast<unsigned>(t.operand >> 44) & 3;
                if (((t.operand >> 46) & 3) != 1 || ((t.operand >> 37) & 3) != 0 || (scales >> scale & 1) != 0) {
                    return tlb_fail(stale + "a range TLBI with TG not 0b01 (4 KiB), TTL not 0, or a SCALE used twice");
                }
                if ((t.operand & kBaseAddr) != (va_field(next) & kBaseAddr)) {
                    return tlb_fail(stale + "a range TLBI whose BaseADDR is not the first page left to cover");
                }
                scales |= 1u << scale;
                covered = range_tlbi_pages(t.operand);
                ++stats_.tlbi_ranges;
            } else if (k != 0 || ((t.operand >> 44) & 0xf) != 0 || (t.operand & kVaField) != va_field(next)) {
                return tlb_fail(stale + "a TLBI by VA but of the first page, first");
            }
            if (covered > first + pages - next) {
                return tlb_fail(stale + "the TLBIs go past the highest stale entry's first page");
            }
            next += covered;
        }
        if (next != first + pages) {
            return tlb_fail(stale + "the TLBIs stop short of the highest stale entry's first page");
        }
        ++stats_.tlbi_range_syncs;
        return true;
    }

    // A change that invalidates mid-call (TlbCall::Bbm, LiveSplit): map_range_bbm's breaks
    // (each a TLBI by IPA, DSB ISH, VMALLE1IS, DSB ISH, ISB) or live splits' blocks
    // written with nT (each a TLBI by VA or IPA, DSB ISH, ISB, before its table is linked
    // and after), then the batch's for the rest, so the count is not checked: every TLBI is the map's
    // regime's - by VA (IPA) or by range with its ASID (none by IPA; every ASID's forms
    // in EL1&0's upper range), or the whole regime - or at stage 2 VMALLE1IS; every
    // changed leaf entry (of the first 16) and freed table is hit by one by VA or by range
    // (not last-level for a table), or the whole regime's came; and the table pages went
    // back after the last TLBI. After live splits (split_runs: the tables after the call),
    // a block split (an entry whose pages lie deeper now) is hit twice: before its table
    // was linked and after, a core having perhaps cached its nT entry meanwhile.
    bool check_bbm_tlb(const std::vector<ChangedEntry>& leaves, size_t leaf_count, const std::vector<TablePage>& freed,
                       const std::string& stale, const std::vector<Run>* split_runs) {
        namespace fake = aarch64_paging::arch::fake;
        const fake::Counters& c = fake::counters();
        if (leaf_count + freed.size() != 0 && (c.log_count == 0 || c.dsb_ish == 0)) {
            return tlb_fail(stale + "stale entries but no TLBI or DSB ISH");
        }
        const unsigned regime = static_cast<unsigned>(config_.regime);
        const bool all_asids = config_.regime == IDMAP_REGIME_EL1_0 && config_.va_range == IDMAP_VA_RANGE_UPPER;
        const uint64_t asid = config_.stage2 ? 0 : config_.asid;
        const fake::Tlbi::Kind va = all_asids ? fake::Tlbi::VaAllAsids : fake::Tlbi::Va;
        const fake::Tlbi::Kind va_leaf = all_asids ? fake::Tlbi::VaLastLevelAllAsids : fake::Tlbi::VaLastLevel;
        const fake::Tlbi::Kind range = all_asids ? fake::Tlbi::RangeAllAsids : fake::Tlbi::Range;
        const fake::Tlbi::Kind range_leaf =
            all_asids ? fake::Tlbi::RangeLastLevelAllAsids : fake::Tlbi::RangeLastLevel;
        // Many breaks (a TLBI and VMALLE1IS each) overflow the log: what it holds is checked
        // for its kinds, the coverage not.
        const unsigned logged = std::min(c.log_count, fake::Counters::LOG_SIZE);
        bool whole = false;
        for (unsigned k = 0; k < logged; ++k) {
            const fake::Tlbi& t = c.log[k];
            const bool ours = static_cast<unsigned>(t.regime) == regime;
            const bool everything = ours && t.kind == fake::Tlbi::Regime && t.operand == 0;
            const bool vmalle1 = config_.stage2 && t.regime == aarch64_paging::TranslationRegime::El1And0 &&
                                 t.kind == fake::Tlbi::Regime && t.operand == 0;
            const bool by_va = (t.kind == va || t.kind == va_leaf) && ((t.operand >> 44) & 0xf) == 0;
            const bool by_range = t.kind == range || t.kind == range_leaf;
            if (!everything && !vmalle1 && !(ours && (by_va || by_range) && (t.operand >> 48) == asid)) {
                return tlb_fail(stale + "a TLBI neither the map's regime's (by VA or IPA, or by range, with its "
                                        "ASID; or whole) nor, at stage 2, VMALLE1IS");
            }
            whole = whole || everything;
        }
        stats_.tlb_invalidations += c.log_count;
        if (c.log_count > fake::Counters::LOG_SIZE) {
            return true;
        }
        // The TLBIs that hit [first, first + pages): 2 where the whole regime's came.
        const auto hit = [&](uint64_t first, uint64_t pages, bool leaf) {
            unsigned n = 0;
            for (unsigned k = 0; k < c.log_count && !whole; ++k) {
                const fake::Tlbi& t = c.log[k];
                if (static_cast<unsigned>(t.regime) != regime) {
                    continue;  // VMALLE1IS
                }
                const bool by_va = t.kind == va || (leaf && t.kind == va_leaf);
                const bool by_range = t.kind == range || (leaf && t.kind == range_leaf);
                n += (by_va && hits(t.operand, first, pages)) || (by_range && range_hits(t.operand, first, pages));
            }
            return whole ? 2u : n;
        };
        const auto split = [&](const ChangedEntry& e) {
            return split_runs != nullptr &&
                   std::any_of(split_runs->begin(), split_runs->end(), [&](const Run& r) {
                       return r.first <= e.first && e.first < r.end && r.leaf.level > e.level;
                   });
        };
        for (const ChangedEntry& e : leaves) {
            const unsigned needed = split(e) ? 2 : 1;
            if (hit(e.first, level_pages(e.level), true) < needed) {
                std::ostringstream u;
                u << "no TLBI by VA (IPA) for the changed L" << e.level << " entry at 0x" << std::hex
                  << model_.range_start() + (e.first << kPageShift)
                  << (needed == 2 ? " both before and after its table was linked" : "");
                return tlb_fail(stale + u.str());
            }
        }
        for (const TablePage& tp : freed) {
            if (hit(tp.base >> kPageShift, level_pages(tp.level - 1), false) == 0) {
                std::ostringstream u;
                u << "no TLBI VAE (IPAS2E1IS; all levels) for the freed L" << tp.level << " table at 0x" << std::hex
                  << model_.range_start() + tp.base;
                return tlb_fail(stale + u.str());
            }
        }
        for (const FreeEvent& e : tlb_.frees) {
            const bool table = std::any_of(freed.begin(), freed.end(), [&](const TablePage& t) { return t.pa == e.pa; });
            if (table && (e.tlbis != c.log_count || e.dsb_ish != c.dsb_ish)) {
                return tlb_fail(stale + "a table page given back before the TLBIs and their DSB ISH");
            }
        }
        return true;
    }

    static int modify_cb(const idmap_region_t* r, idmap_descriptor_t* d, unsigned level, void* ctx) {
        auto* c = static_cast<ModifyCtx*>(ctx);
        // Offsets from range_start: the upper range's end, 2^64, comes as 0 and becomes size.
        const uint64_t start = r->start - c->range_start, end = r->end - c->range_start;
        c->calls.see(Call{start, end, d->bits & ~kContiguous, level});
        uint64_t bits = d->bits;
        const int rc = c->spec->apply(start, end, bits, level);
        d->bits = bits;  // also when failing: the library must keep the old value
        return rc;
    }

    static int walk_cb(const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level, void* ctx) {
        auto* c = static_cast<WalkCtx*>(ctx);
        const uint64_t start = r->start - c->range_start, end = r->end - c->range_start;
        c->calls.see(Call{start, end, d->bits & ~kContiguous, level});
        return c->spec->apply(start, end, d->bits, level);
    }

    static int runs_cb(const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level, void* ctx) {
        auto* c = static_cast<RunsCtx*>(ctx);
        c->runs->push_back(Call{r->start - c->range_start, r->end - c->range_start, d->bits & ~kContiguous, level});
        return c->runs->size() == c->spec->stop_at ? 1 : 0;
    }

    // A call, kept to say what led to a failure (formatted only then).
    struct Record {
        enum Kind {
            Map, MapWithConstraints, Modify, Walk, Unmap, Activate, Deactivate, Compact, Coalesce, Seal, MapBbm,
            ChangeAttributes, WalkRuns, MapTo, MapBbmTo, GuardedCode, HardwareUpdates, HardwareWrite, CollectDirty,
            ProtectTables, UnprotectTables, LiveSplits
        } kind = Map;
        idmap_region_t region{0, 0};
        uint64_t pa = 0;     // MapTo, MapBbmTo
        uint64_t flags = 0;  // map's flags; change_attributes' set
        uint64_t clear = 0;  // change_attributes' clear
        uint32_t constraints = 0;
        ModifySpec modify;
        WalkSpec walk;
        RunSpec runs;
    };

    static std::string describe(const Record& r) {
        std::ostringstream s;
        const char* const names[] = {"map_range", "map_range_with_constraints", "modify_range", "walk_range",
                                     "unmap_range", "activate", "deactivate", "compact_subtables",
                                     "coalesce_subtables", "seal", "s2_map_range_bbm", "change_attributes",
                                     "walk_runs", "map_range_to", "s2_map_range_bbm_to", "set_guarded_code",
                                     "set_hardware_updates", "(the MMU writes)", "collect_dirty",
                                     "protect_tables", "unprotect_tables", "set_live_splits"};
        s << names[r.kind];
        if (r.kind <= Record::Unmap ||
            (r.kind >= Record::MapBbm && r.kind != Record::GuardedCode && r.kind != Record::HardwareUpdates &&
             r.kind < Record::ProtectTables)) {
            s << " [0x" << std::hex << r.region.start << ", 0x" << r.region.end << ")";
        }
        if (r.kind == Record::MapTo || r.kind == Record::MapBbmTo) {
            s << " to 0x" << r.pa;
        }
        if (r.kind == Record::Map || r.kind == Record::MapWithConstraints || r.kind == Record::MapBbm ||
            r.kind == Record::MapTo || r.kind == Record::MapBbmTo) {
            s << " flags 0x" << r.flags << " constraints 0x" << r.constraints;
        } else if (r.kind == Record::Modify) {
            const ModifySpec& m = r.modify;
            s << " set 0x" << m.set << " clear 0x" << m.clear << std::dec << " fail 1/" << m.fail_one_in
              << " bad 1/" << m.bad_one_in << std::hex << " 0x" << m.bad_bits << " salt 0x" << m.salt;
        } else if (r.kind == Record::Walk) {
            s << std::dec << " fail 1/" << r.walk.fail_one_in << std::hex << " salt 0x" << r.walk.salt;
        } else if (r.kind == Record::ChangeAttributes) {
            s << " set 0x" << r.flags << " clear 0x" << r.clear;
        } else if (r.kind == Record::WalkRuns) {
            s << std::dec << " stop at run " << r.runs.stop_at;
        } else if (r.kind == Record::GuardedCode || r.kind == Record::LiveSplits) {
            s << (r.flags != 0 ? " on" : " off");
        } else if (r.kind == Record::HardwareUpdates) {
            s << " 0x" << r.flags;
        } else if (r.kind == Record::CollectDirty) {
            s << std::dec << (r.flags != 0 ? " words " : " bitmap NULL ") << r.flags;
        }
        return s.str();
    }

    // Pages the allocator will hand out in the next call; a pending failed request ends it.
    size_t budget() {
        const size_t b = std::min(alloc_.budget(), fail_budget_);
        fail_budget_ = SIZE_MAX;
        return b;
    }

    Record& begin(Record::Kind kind, const idmap_region_t& region, TlbCall call) {
        ++stats_.calls;
        Record& r = recent_[stats_.calls % kRecent];
        r = Record{};
        r.kind = kind;
        r.region = region;
        // The fake's counters and TLBI log from zero, its registers as they are.
        namespace fake = aarch64_paging::arch::fake;
        const fake::Registers registers = fake::registers();
        fake::reset();
        fake::registers() = registers;
        tlb_.frees.clear();
        tlb_.call = call;
        tlb_.active = model_.active();
        model_.set_no_hint_erratum((idmap_errata() & IDMAP_ERRATUM_NO_CONTIGUOUS_HINT) != 0);
        return r;
    }

    // A map call of kind on r (MapTo, MapBbmTo: to the output range from pa), checked
    // against the model; idmap_tables_needed(_to) first, but for the break-before-make
    // calls, whose breaks it refuses.
    bool map_call(Record::Kind kind, idmap_region_t r, uint64_t pa, uint64_t flags, uint32_t constraints) {
        const bool bbm = kind == Record::MapBbm || kind == Record::MapBbmTo;
        const bool to = kind == Record::MapTo || kind == Record::MapBbmTo;
        Record& rec = begin(kind, r, bbm ? TlbCall::Bbm : TlbCall::Change);
        rec.flags = flags;
        rec.constraints = constraints;
        rec.pa = pa;
        stats_.bbm_maps += bbm ? 1 : 0;
        const bool live = model_.active();
        const size_t pages_left = budget();
        const Outcome want = to ? model_.map_range_to(r, pa, flags, constraints, pages_left, bbm)
                                : model_.map_range(r, flags, constraints, pages_left, bbm);
        // Output address minus input offset of the leaves a _to call writes.
        const uint64_t delta = pa - r.start + model_.range_start();
        const bool foreign = to && delta != model_.delta();
        if (foreign) {
            walker_config_.own_output = false;  // the model's leaves hold every output address
        }
        size_t pages = 0;
        // (A map with read-only tables refuses the map, not its plan: not modelled.)
        if (!bbm && !model_.tables_protected() &&
            !check_tables_needed(r, to ? &pa : nullptr, flags, constraints, want, pages_left, pages)) {
            return false;
        }
        const size_t tables_before = idmap_table_count(map_);
        const size_t handed_before = alloc_.handed_out();
        idmap_status_t got = IDMAP_OK;
        switch (kind) {
            case Record::Map: got = idmap_map_range(map_, &r, flags); break;
            case Record::MapWithConstraints:
                got = idmap_map_range_with_constraints(map_, &r, flags, constraints);
                break;
            case Record::MapTo: got = idmap_map_range_to(map_, &r, pa, flags, constraints); break;
            case Record::MapBbm: got = idmap_s2_map_range_bbm(map_, &r, flags, constraints); break;
            default: got = idmap_s2_map_range_bbm_to(map_, &r, pa, flags, constraints); break;
        }
        if (!finish_call(want, got)) {
            return false;
        }
        count_map(kind, foreign, delta, live, want, got);
        if (got == IDMAP_OK && !bbm) {
            stats_.tables_needed_pages += pages;
            // Without VALID the call may free the tables it covers whole (contract 1.1).
            if (idmap_table_count(map_) != tables_before + pages - want.freed_tables ||
                alloc_.handed_out() != handed_before + pages) {
                std::ostringstream s;
                s << "idmap_tables_needed answered " << pages << " pages; the map took "
                  << alloc_.handed_out() - handed_before << " from the allocator, the table count went from "
                  << tables_before << " to " << idmap_table_count(map_) << " (the model frees "
                  << want.freed_tables << ")";
                return fail(s.str());
            }
        }
        return true;
    }

    // idmap_tables_needed (idmap_tables_needed_to with pa) before a map call the model
    // predicts want for, with pages_left: it must answer as the call will (OUT_OF_MEMORY
    // aside: OK, with more pages than the allocator will give) and count exactly the
    // pages the call then takes (pages: its answer).
    bool check_tables_needed(idmap_region_t r, const uint64_t* pa, uint64_t flags, uint32_t constraints,
                             const Outcome& want, size_t pages_left, size_t& pages) {
        ++stats_.tables_needed;
        constexpr size_t kUnset = SIZE_MAX - 7;
        pages = kUnset;
        const idmap_status_t needed = pa != nullptr
                                          ? idmap_tables_needed_to(map_, &r, *pa, flags, constraints, &pages)
                                          : idmap_tables_needed(map_, &r, flags, constraints, &pages);
        const idmap_status_t want_needed = want.status == IDMAP_ERR_OUT_OF_MEMORY ? IDMAP_OK : want.status;
        if (needed != want_needed) {
            std::ostringstream s;
            s << "idmap_tables_needed answered " << needed << " (" << idmap_status_str(needed) << "), the model says "
              << want_needed << " (" << idmap_status_str(want_needed) << ")";
            if (needed != IDMAP_OK) {
                s << "; library's error: " << error_text(*idmap_last_error(map_));
            }
            return fail(s.str());
        }
        if (needed == IDMAP_OK ? pages != want.needed : pages != kUnset) {
            std::ostringstream s;
            s << "idmap_tables_needed: " << (pages == kUnset ? std::string("pages not set") : std::to_string(pages))
              << ", the model says " << (needed == IDMAP_OK ? std::to_string(want.needed) : "unchanged");
            return fail(s.str());
        }
        if (want.status == IDMAP_ERR_OUT_OF_MEMORY && pages <= pages_left) {
            return fail("idmap_tables_needed: no more pages than the allocator gives, yet the map runs out");
        }
        if (needed != IDMAP_OK && !same_detail(*idmap_last_error(map_), model_.last_error())) {
            return fail("idmap_tables_needed's error " + error_text(*idmap_last_error(map_)) + ", the model says " +
                        error_text(model_.last_error()));
        }
        return true;
    }

    // The stats of a map call of kind that answered got as the model predicted (want):
    // foreign, to another output address than the map's own, delta its leaves'.
    void count_map(Record::Kind kind, bool foreign, uint64_t delta, bool live, const Outcome& want,
                   idmap_status_t got) {
        if (got == IDMAP_ERR_BREAK_BEFORE_MAKE && want.value == IDMAP_BBM_OUTPUT_ADDRESS) {
            ++stats_.bbm_output_refused;
        }
        if (got == IDMAP_OK && (model_.hardware_updates() & IDMAP_HW_DIRTY) != 0) {
            ++stats_.tracked_maps;
        }
        if (got == IDMAP_OK && model_.guarded_code()) {
            ++stats_.guarded_maps;
            for (const Run& run : after_.runs) {
                if (run.leaf.valid() && (run.leaf.attrs & kGp) != 0) {
                    const uint64_t n = level_pages(run.leaf.level);
                    stats_.gp_leaves += (run.end - run.first + n - 1) / n;
                }
            }
        }
        const bool bbm = kind == Record::MapBbm || kind == Record::MapBbmTo;
        if (bbm && got == IDMAP_OK && live) {
            ++stats_.bbm_live_ok;
            // The pages it changed, before and after it (check_tlb walked them both).
            stats_.bbm_moves += moved(before_.runs, after_.runs) ? 1 : 0;
        }
        if (kind != Record::MapTo && kind != Record::MapBbmTo) {
            return;
        }
        ++stats_.maps_to;
        if (got >= 0 && static_cast<size_t>(got) < 13) {
            ++stats_.maps_to_by_status[got];
        }
        stats_.pa_page_offset +=
            got == IDMAP_ERR_INVALID_ARGUMENT && (want.value & 0xff) == IDMAP_ARG_PA_PAGE_OFFSET ? 1 : 0;
        stats_.output_past_48 += got == IDMAP_ERR_ADDRESS_RANGE && want.output_range_error ? 1 : 0;
        if (got == IDMAP_OK && foreign) {
            ++stats_.maps_to_foreign_ok;
            const bool block = std::any_of(after_.runs.begin(), after_.runs.end(), [delta](const Run& run) {
                return run.leaf.level < kLeafLevel && run.leaf.valid() && run.leaf.delta == delta;
            });
            stats_.foreign_blocks += block ? 1 : 0;
        }
    }

    // Whether a page valid in before is valid at another output address in after (two
    // walks of the same pages).
    static bool moved(const std::vector<Run>& before, const std::vector<Run>& after) {
        size_t i = 0, j = 0;
        while (i < before.size() && j < after.size()) {
            const Run& b = before[i];
            const Run& a = after[j];
            const uint64_t end = std::min(b.end, a.end);
            if (std::max(b.first, a.first) < end && b.leaf.valid() && a.leaf.valid() && b.leaf.delta != a.leaf.delta) {
                return true;
            }
            i += b.end == end ? 1 : 0;
            j += a.end == end ? 1 : 0;
        }
        return false;
    }

    bool fail(const std::string& what) {
        if (failure_.empty()) {
            std::ostringstream s;
            s << what << "\n  root level " << model_.root_level();
            if (config_.stage2) {
                s << ", stage 2, " << config_.ipa_bits << "-bit IPA, " << model_.root_tables()
                  << " root table(s), VMID " << config_.asid << (config_.xnx ? ", XNX" : "") << ", pa_offset 0x"
                  << std::hex << static_cast<uint64_t>(config_.pa_offset) << std::dec;
            } else if (config_.with_config) {
                s << ", regime " << config_.regime << (config_.va_range == IDMAP_VA_RANGE_UPPER ? ", upper" : ", lower")
                  << " range, pa_offset 0x" << std::hex << static_cast<uint64_t>(config_.pa_offset) << std::dec;
            }
            s << ", " << (model_.active() ? "active" : "inactive") << ", after call " << stats_.calls
              << "; last calls:";
            for (size_t i = stats_.calls >= kRecent ? stats_.calls - kRecent + 1 : 1; i <= stats_.calls; ++i) {
                s << "\n    " << describe(recent_[i % kRecent]);
            }
            failure_ = s.str();
        }
        return false;
    }

    // A call's outcome with may_change false: it must leave every table as it was.
    static Outcome no_change(Outcome o) {
        o.may_change = false;
        return o;
    }

    static bool same_detail(const idmap_error_t& a, const idmap_error_t& b) {
        if (a.status != b.status) {
            return false;
        }
        switch (a.status) {
            case IDMAP_ERR_ADDRESS_RANGE:
            case IDMAP_ERR_INVALID_VIRTUAL_ADDRESS:
                return a.va == b.va;
            case IDMAP_ERR_REGION_BACKWARDS:
                return a.region.start == b.region.start && a.region.end == b.region.end;
            case IDMAP_ERR_BREAK_BEFORE_MAKE:  // and the rule (IDMAP_BBM_*)
            case IDMAP_ERR_SEALED:
                return a.region.start == b.region.start && a.region.end == b.region.end && a.value == b.value;
            case IDMAP_ERR_PTE_UPDATE_FAULT:
                return (a.value & ~kContiguous) == (b.value & ~kContiguous);
            case IDMAP_ERR_INVALID_FLAGS:
                return a.value == b.value;
            case IDMAP_ERR_INVALID_ARGUMENT:  // the model's detail: PA_PAGE_OFFSET's (b: the model's)
                return b.value == 0 || (a.value == b.value && a.va == b.va);
            default:
                return true;
        }
    }

    static std::string error_text(const idmap_error_t& e) {
        char buf[160];
        idmap_format_error(&e, buf, sizeof buf);
        std::ostringstream s;
        s << buf << " (status " << e.status << ", va 0x" << std::hex << e.va << ", region [0x" << e.region.start
          << ", 0x" << e.region.end << "), value 0x" << e.value << ")";
        return s.str();
    }

    bool finish_call(const Outcome& want, idmap_status_t got) {
        alloc_.fail_request(0);  // a failure the call did not reach is not for the next one
        if (got >= 0 && static_cast<size_t>(got) < 13) {
            ++stats_.by_status[got];
        }
        if (got == IDMAP_ERR_SEALED) {
            ++stats_.sealed_refusals;
        }
        if (got == IDMAP_ERR_INVALID_ARGUMENT && idmap_last_error(map_)->value == IDMAP_ARG_TABLES_READ_ONLY) {
            ++stats_.read_only_refusals;
        }
        if (got != want.status) {
            std::ostringstream s;
            s << "status " << got << " (" << idmap_status_str(got) << "), the model says " << want.status << " ("
              << idmap_status_str(want.status) << ")";
            if (got != IDMAP_OK) {
                s << "; library's error: " << error_text(*idmap_last_error(map_));
            }
            return fail(s.str());
        }
        const idmap_error_t& last = *idmap_last_error(map_);
        if (!same_detail(last, model_.last_error())) {
            return fail("idmap_last_error " + error_text(last) + ", the model says " + error_text(model_.last_error()));
        }
        // Live splits invalidate each block mid-call (its nT sequence): checked as
        // map_range_bbm's breaks are. A change that split none keeps the exact count.
        if (want.live_splits != 0 && tlb_.call == TlbCall::Change) {
            tlb_.call = TlbCall::LiveSplit;
            stats_.live_splits += want.live_splits;
        }
        if (!want.may_change) {
            // Byte for byte the tables that passed the last check (their copy), the model
            // unchanged.
            ++stats_.unchanged_checks;
            pages_.clear();
            mirror_.changed(is_live(), pages_);
            if (!pages_.empty()) {
                return fail("a call that must change nothing changed the tables");
            }
            if (idmap_table_count(map_) != mirror_.size() || alloc_.outstanding() != mirror_.size()) {
                return fail("a call that must change nothing changed the table count or the allocator's pages");
            }
            if (alloc_.bad_frees() != 0) {
                return fail("a page given back that was not handed out, or given back twice");
            }
            if (idmap_is_active(map_) != model_.active()) {
                return fail("idmap_is_active differs from the model");
            }
            after_.clear();
            return check_tlb(got, pages_, after_);
        }
        if (!check_change()) {
            return false;
        }
        const bool tlb_ok = check_tlb(got, pages_, after_);
        // The checked pages become the view the next call is checked from.
        mirror_.replace(before_tables_, after_.table_pages, after_.reached);
        model_.clear_touched();
        return tlb_ok;
    }

    // Active map: fn may run first on copies (the whole pass when it succeeds).
    bool check_calls(const char* what, const CallCheck& c, bool active) {
        stats_.callbacks += c.count;
        const std::vector<Call>& want = *c.want;
        if (c.differs == SIZE_MAX && (c.count == want.size() || (active && c.count == 2 * want.size()))) {
            return true;
        }
        std::ostringstream s;
        s << what << " callbacks: " << c.count << " calls, the model expects " << want.size();
        if (c.differs < 2 * want.size()) {
            const Call& w = want[c.differs % want.size()];
            s << "; call " << c.differs << " got [0x" << std::hex << c.got.start << ", 0x" << c.got.end << ") bits 0x"
              << c.got.bits << " L" << c.got.level << ", expected [0x" << w.start << ", 0x" << w.end << ") bits 0x"
              << w.bits << " L" << w.level;
        }
        return fail(s.str());
    }

    static std::string first_difference(const std::vector<Run>& got, const std::vector<Run>& want) {
        std::ostringstream s;
        size_t i = 0;
        while (i < got.size() && i < want.size() && got[i] == want[i]) {
            ++i;
        }
        s << "run " << i << ": tables ";
        if (i < got.size()) {
            s << got[i];
        } else {
            s << "(none)";
        }
        s << ", model ";
        if (i < want.size()) {
            s << want[i];
        } else {
            s << "(none)";
        }
        return s.str();
    }

    MapConfig config_;
    Model model_;
    WalkerConfig walker_config_;
    CountingAllocator alloc_;
    idmap_allocator_t c_alloc_;
    idmap_t* map_ = nullptr;
    uint64_t root_ = 0;
    size_t fail_budget_ = SIZE_MAX;
    TlbState tlb_;
    TableMirror mirror_;  // the tables as the last check saw them: the view before the next call
    bool final_check_ = true;
    // The checks' working memory, kept from call to call and, through a pool, from one
    // harness to the next: under ASan an allocation, and the cold memory it hands out,
    // costs more than most checks, and the fuzzer builds thousands of harnesses a second.
    struct Scratch {
        std::vector<Call> want_calls;          // the callbacks the model expects of a call
        std::vector<Call> got_runs;            // the runs walk_runs reported
        PageRanges pages;                      // the pages a check covers
        TreeWalk after, before, want;          // their walks after and before the call, and the model's view
        TreeWalk tables;                       // protect_tables: the whole tree's, for its table pages
        std::vector<TablePage> before_tables;  // the copied tables that met them
        std::vector<ChangedEntry> tlb_leaves;  // the changed leaf entries and freed tables a
        std::vector<TablePage> tlb_freed;      // live change's TLB maintenance must cover
    };
    struct ScratchPool {
        static std::vector<std::unique_ptr<Scratch>>& spare() {
            static std::vector<std::unique_ptr<Scratch>> pool;
            return pool;
        }
        static Scratch* acquire() {
            auto& pool = spare();
            if (pool.empty()) {
                return new Scratch;
            }
            Scratch* s = pool.back().release();
            pool.pop_back();
            return s;
        }
        void operator()(Scratch* s) const { spare().emplace_back(s); }  // released for the next harness
    };
    std::unique_ptr<Scratch, ScratchPool> scratch_{ScratchPool::acquire()};
    std::vector<Call>& want_calls_ = scratch_->want_calls;
    std::vector<Call>& got_runs_ = scratch_->got_runs;
    PageRanges& pages_ = scratch_->pages;
    TreeWalk& after_ = scratch_->after;
    TreeWalk& tables_walk_ = scratch_->tables;
    TreeWalk& before_ = scratch_->before;
    TreeWalk& want_ = scratch_->want;
    std::vector<TablePage>& before_tables_ = scratch_->before_tables;
    std::vector<ChangedEntry>& tlb_leaves_ = scratch_->tlb_leaves;
    std::vector<TablePage>& tlb_freed_ = scratch_->tlb_freed;
    std::string failure_;
    static constexpr size_t kRecent = 6;
    Record recent_[kRecent];
    HarnessStats stats_;
};

// ---- Random operations, from a source of numbers: the property test's seeded generator
// or the fuzzer's bytes. Source: uint64_t below(uint64_t n) in [0, n) (0 when n is 0).

struct SplitMix {
    uint64_t state;
    uint64_t next() { return mix64(state++); }
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
};

// The fuzzer's bytes, read little-endian, as few as the bound needs; zeros once spent.
struct ByteSource {
    const uint8_t* data;
    size_t size;
    size_t pos = 0;
    bool spent() const { return pos >= size; }
    uint64_t below(uint64_t n) {
        if (n <= 1) {
            return 0;
        }
        uint64_t v = 0;
        for (uint64_t range = n - 1; range != 0; range >>= 8) {
            v = (v << 8) | (pos < size ? data[pos] : 0);
            ++pos;
        }
        return v % n;
    }
};

// Where a sequence maps: a few zones, so that the tables stay small enough to check
// after every call; block-, GiB- and table-boundary cases all happen inside them. Zones
// are offsets from the map's range_start; the regions drawn are real addresses (real()).
struct Zones {
    uint64_t size;
    uint64_t base[3];
    uint64_t span;  // ragged regions start within [base, base + span)
    uint64_t range_start = 0;  // the upper range's 2^64 - size, else 0
    bool upper = false;
    bool one_privilege_level = false;  // EL2, EL3: flags and modify bits drawn for them
    bool stage2 = false;               // stage 2: its flags and modify bits, map_range_bbm
    bool xnx = false;                  // stage 2 with FEAT_XNX

    // The zones of a harness's map.
    explicit Zones(const Harness& h) : Zones(h.model().root_level()) {
        range_start = h.model().range_start();
        upper = h.model().config().upper;
        one_privilege_level = h.model().config().one_privilege_level;
        if (h.model().config().stage2) {
            stage2_zones(h.model());
        }
    }

    // Stage 2: the map's size is 2^ipa_bits, not the root table's range. The middle zone
    // straddles the boundary between the first two concatenated root tables, or the middle
    // entry of a single root.
    void stage2_zones(const Model& m) {
        constexpr uint64_t M = 1ull << 20, G = 1ull << 30;
        stage2 = true;
        xnx = m.config().xnx;
        size = m.size();
        const unsigned root = m.root_level();
        const uint64_t boundary =
            m.root_tables() > 1 ? table_bytes(root) : level_bytes(root) * (size / level_bytes(root) / 2);
        base[0] = 0;
        base[1] = boundary - 6 * M;
        base[2] = size - (size >= 8 * G ? 4 * G : 16 * M);
        span = 12 * M;
    }

    // Offsets [start, end) as the real region a caller passes. In the upper range an end
    // of size is written 0 (2^64); so is a start of size, which makes address 0, below the
    // range (ADDRESS_RANGE), and an end in the last page does not round (ADDRESS_RANGE).
    idmap_region_t real(uint64_t start, uint64_t end) const {
        return idmap_region_t{start + range_start, end + range_start};
    }

    explicit Zones(unsigned root_level) : size(table_bytes(root_level)) {
        constexpr uint64_t M = 1ull << 20, G = 1ull << 30;
        if (root_level == 3) {
            base[0] = base[1] = base[2] = 0;
            span = size;
        } else if (root_level == 2) {
            base[0] = 0;
            base[1] = 510 * M;
            base[2] = size - 16 * M;
            span = 12 * M;
        } else {
            base[0] = 0;
            base[1] = root_level == 1 ? 37 * G : (700ull << 30) + 3 * G;  // in the second level-0 entry
            base[2] = size - 4 * G;
            span = 12 * M;
        }
    }
};

template <class Source>
uint64_t random_flags(Source& src) {
    if (src.below(100) < 4) {
        // Refused: TABLE_OR_PAGE, an address/RES0 bit, or the contiguous bit.
        switch (src.below(3)) {
            case 0: return IDMAP_ATTR_TABLE_OR_PAGE | IDMAP_ATTR_VALID;
            case 1: return (uint64_t{1} << (12 + src.below(38))) | IDMAP_ATTR_NORMAL;
            default: return (uint64_t{1} << 52) | IDMAP_ATTR_VALID;
        }
    }
    uint64_t f = src.below(100) < 85 ? IDMAP_ATTR_VALID : 0;
    f |= src.below(100) < 60 ? IDMAP_ATTR_NORMAL : IDMAP_ATTR_DEVICE_NGNRE;
    const uint64_t pick = src.below(uint64_t{1} << 12);
    if (pick & 1) f |= IDMAP_ATTR_NON_GLOBAL;
    if (pick & 2) f |= IDMAP_ATTR_READ_ONLY;
    if ((pick & 12) == 12) f |= IDMAP_ATTR_USER;
    if ((pick & 48) == 48) f |= IDMAP_ATTR_EXECUTE_NEVER;
    if ((pick & 192) == 192) f |= IDMAP_ATTR_ACCESSED;
    if ((pick & 768) == 768) f |= IDMAP_ATTR_SWFLAG_0 << src.below(4);
    if ((pick & 3072) == 3072) {
        // Accepted though no attribute of the contract: DBM, GP (50), ignored 59-63, NS (5),
        // AttrIndx 2-7.
        const uint64_t odd[] = {IDMAP_ATTR_DBM, uint64_t{1} << 50, uint64_t{1} << (59 + src.below(5)),
                                uint64_t{1} << 5, uint64_t{1} << 3};
        f |= odd[src.below(5)];
    }
    return f;
}

// Stage-2 flags (idmap.h IDMAP_S2_*): MemAttr, S2AP, SH, AF, XN, DBM, software bits; now
// and then a bit stage 2 refuses (the contract's list, nG, GP, XN[0] without FEAT_XNX).
template <class Source>
uint64_t random_s2_flags(Source& src, bool xnx) {
    if (src.below(100) < 5) {
        switch (src.below(5)) {
            case 0: return IDMAP_ATTR_TABLE_OR_PAGE | IDMAP_S2_VALID;
            case 1: return (uint64_t{1} << (12 + src.below(38))) | IDMAP_S2_NORMAL;
            case 2: return kContiguous | IDMAP_S2_VALID;
            case 3: return IDMAP_S2_VALID | IDMAP_S2_NORMAL | (src.below(2) == 0 ? kNonGlobal : kGp);
            default: return IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_XN_EL1;  // refused without XNX
        }
    }
    uint64_t f = src.below(100) < 85 ? IDMAP_S2_VALID : 0;
    const uint64_t memattr[] = {IDMAP_S2_NORMAL_WB,    IDMAP_S2_NORMAL_WB,    IDMAP_S2_NORMAL_NC,
                                IDMAP_S2_NORMAL_WT,    IDMAP_S2_DEVICE_NGNRNE, IDMAP_S2_DEVICE_NGNRE,
                                IDMAP_S2_DEVICE_NGRE,  IDMAP_S2_DEVICE_GRE,   IDMAP_S2_FWB_NORMAL_WB,
                                IDMAP_S2_FWB_STAGE1,   uint64_t{0xf} << 2};
    const uint64_t m = memattr[src.below(11)];
    f |= m == (uint64_t{0xf} << 2) ? src.below(16) << 2 : m;  // the last: any MemAttr
    const uint64_t pick = src.below(uint64_t{1} << 12);
    f |= (pick & 3) << 6;                                  // S2AP
    f |= ((pick >> 2) & 3) << 8;                           // SH (0b01 reserved, taken as given)
    if ((pick & 0x30) == 0x30) f |= IDMAP_S2_ACCESSED;
    switch ((pick >> 6) & 7) {
        case 4: case 5: f |= IDMAP_S2_XN; break;
        case 6: f |= xnx || src.below(4) == 0 ? IDMAP_S2_XN_EL1 : IDMAP_S2_XN; break;
        case 7: f |= xnx || src.below(4) == 0 ? IDMAP_S2_XN_EL0 : IDMAP_S2_XN; break;
        default: break;
    }
    if ((pick & 0x600) == 0x600) f |= IDMAP_S2_DBM;
    if ((pick & 0x900) == 0x900) f |= IDMAP_ATTR_SWFLAG_0 << src.below(4);
    return f;
}

template <class Source>
uint32_t random_constraints(Source& src) {
    switch (src.below(20)) {
        case 0: case 1: case 2: case 3: return IDMAP_NO_BLOCK_MAPPINGS;
        case 4: case 5: case 6: return IDMAP_NO_CONTIGUOUS_HINT;
        case 7: case 8: return IDMAP_NO_BLOCK_MAPPINGS | IDMAP_NO_CONTIGUOUS_HINT;
        case 9: return uint32_t{1} << (2 + src.below(30));  // unknown
        default: return 0;
    }
}

template <class Source>
idmap_region_t random_region(Source& src, const Zones& z) {
    constexpr uint64_t P = kPageSize, M2 = 2ull << 20, G = 1ull << 30;
    const uint64_t zone = z.base[src.below(3)];
    uint64_t start = 0, end = 0;
    switch (src.below(100) / 5) {
        case 0: case 1: case 2: case 3: case 4: case 5: {  // ragged, 1..1100 pages
            start = zone + src.below(z.span / P) * P;
            const uint64_t lens[] = {4, 64, 1100};
            end = start + (1 + src.below(lens[src.below(3)])) * P;
            if (src.below(4) == 0) {  // not page-aligned: rounding
                start += src.below(P);
                end -= src.below(P);
            }
            break;
        }
        case 6: case 7: case 8: case 9:  // whole 2 MiB blocks
            start = zone + src.below(z.span / M2 + 1) * M2;
            end = start + (1 + src.below(4)) * M2;
            break;
        case 10: case 11:  // whole 1 GiB blocks, or across a GiB boundary with ragged ends
            if (z.size >= 4 * G) {
                start = zone + src.below(2) * G;
                end = start + (1 + src.below(2)) * G;
                if (src.below(2) == 0) {
                    start = start + G - src.below(2048) * P;
                    end = end + G + src.below(2048) * P;
                }
            } else {
                start = zone;
                end = zone + z.span;
            }
            break;
        case 12:  // the whole table (level 0: its first 512 GiB)
            start = 0;
            end = z.size > (512 * G) ? 512 * G : z.size;
            break;
        case 13:  // empty
            start = end = zone + src.below(z.span / P) * P;
            break;
        case 14: {  // refused
            switch (src.below(7)) {
                case 0: start = zone + 2 * P; end = zone + P; break;                  // backwards
                case 1: start = z.size - P; end = z.size + P; break;                  // past the end
                case 2: start = z.size; end = z.size + src.below(4) * P; break;       // beyond, maybe empty
                case 3:  // rounding would wrap: in the upper range, at its top
                    start = zone;
                    end = UINT64_MAX - src.below(P);
                    if (z.upper) {
                        return idmap_region_t{start + z.range_start, end};
                    }
                    break;
                case 4: start = UINT64_MAX - src.below(P); end = 0x1000; break;       // wrapped
                case 5: start = zone; end = uint64_t{1} << (48 + src.below(16)); break;
                default: start = src.below(UINT64_MAX); end = src.below(UINT64_MAX); break;  // anything
            }
            return z.real(start, end);
        }
        default: {  // a small region near the top of the zone or the table
            end = (zone == z.base[2] ? z.size : zone + z.span) - src.below(8) * P;
            start = end - (1 + src.below(40)) * P;
            break;
        }
    }
    // Inside the table (a raw start past a raw end in one page is not backwards once
    // rounded, and stays).
    end = std::min(end, z.size);
    start = std::min(start, z.size);
    return z.real(start, end);
}

// A region for unmap_range: half the time (when the model has any) inside or across the
// edge of a non-empty leaf above level 3 (a block, or an invalid entry given attributes),
// with ragged ends, so that splits, and the break-before-make and out-of-memory failures
// they can lead to, are common; else random_region's. The target is drawn from the
// model's state, which the calls before decide: an input still decodes the same way.
template <class Source>
idmap_region_t random_unmap_region(Source& src, const Zones& z, const Model& model) {
    if (src.below(2) != 0) {
        return random_region(src, z);
    }
    std::vector<Run> blocks;
    model.for_each_run([&blocks](uint64_t first, uint64_t end, const PageInfo& info) {
        if (info.leaf.level < kLeafLevel && !info.leaf.zero) {
            blocks.push_back(Run{first, end, info.leaf});
        }
    });
    if (blocks.empty()) {
        return random_region(src, z);
    }
    const Run& run = blocks[static_cast<size_t>(src.below(blocks.size()))];
    const uint64_t n = level_pages(run.leaf.level);
    // Runs of leaves at a level start and end on that level's entries.
    const uint64_t entry = run.first + src.below((run.end - run.first) / n) * n;
    uint64_t first = 0, last = 0;  // pages
    switch (src.below(4)) {
        case 0: first = entry + src.below(n); last = first + 1 + src.below(std::min<uint64_t>(n, 64)); break;
        case 1: first = entry + src.below(n); last = entry + n + src.below(3) * (n / 2); break;  // to the edge or past it
        case 2: first = entry > 8 ? entry - 1 - src.below(8) : 0; last = entry + 1 + src.below(n - 1); break;  // across the start
        default: first = entry + 1 + src.below(n - 1); last = first + src.below(4); break;  // maybe empty
    }
    const uint64_t pages = z.size >> kPageShift;
    return z.real(std::min(first, pages) << kPageShift, std::min(last, pages) << kPageShift);
}

// The bits random_modify sets and clears: stage 1's, and stage 2's (S2AP read and write,
// MemAttr bits 2 and 5, SH, AF, DBM, XN[1] and XN[0], software bits, and nG, refused).
constexpr uint64_t kModifyBits[] = {IDMAP_ATTR_VALID,       IDMAP_ATTR_READ_ONLY, IDMAP_ATTR_USER,
                                    IDMAP_ATTR_NON_GLOBAL,  IDMAP_ATTR_SWFLAG_0,  IDMAP_ATTR_SWFLAG_3,
                                    IDMAP_ATTR_EXECUTE_NEVER, IDMAP_ATTR_ACCESSED, IDMAP_ATTR_DBM,
                                    IDMAP_ATTR_NORMAL,      uint64_t{1} << 8};
constexpr uint64_t kS2ModifyBits[] = {IDMAP_S2_VALID,      IDMAP_S2_READ,       IDMAP_S2_WRITE,
                                      uint64_t{1} << 2,    uint64_t{1} << 5,    uint64_t{1} << 8,
                                      IDMAP_S2_ACCESSED,   IDMAP_S2_DBM,        uint64_t{1} << 54,
                                      kPxn,                IDMAP_ATTR_SWFLAG_1, kNonGlobal};

template <class Source, size_t n = sizeof kModifyBits / sizeof kModifyBits[0]>
ModifySpec random_modify(Source& src, const uint64_t (&settable)[n] = kModifyBits) {
    ModifySpec m;
    const uint64_t set_mask = src.below(uint64_t{1} << n);
    const uint64_t clear_mask = src.below(uint64_t{1} << n);
    for (size_t i = 0; i < n; ++i) {
        // Each bit with probability 1/4: set_mask & clear_mask bits pair up.
        if ((set_mask >> i & 1) != 0 && (clear_mask >> i & 1) == 0 && src.below(2) == 0) m.set |= settable[i];
        if ((clear_mask >> i & 1) != 0 && (set_mask >> i & 1) == 0 && src.below(2) == 0) m.clear |= settable[i];
    }
    m.salt = src.below(UINT64_MAX);
    if (src.below(5) < 2) m.fail_one_in = 1 + static_cast<unsigned>(src.below(40));
    if (src.below(8) == 0) {
        m.bad_one_in = 1 + static_cast<unsigned>(src.below(20));
        switch (src.below(4)) {
            case 0: m.bad_bits = IDMAP_ATTR_TABLE_OR_PAGE; break;
            case 1: m.bad_bits = uint64_t{1} << (12 + src.below(36)); break;  // output address
            case 2: m.bad_bits = uint64_t{1} << (48 + src.below(2)); break;   // RES0
            default: m.bad_bits = kContiguous; break;
        }
    }
    m.touch_empty = src.below(8) == 0;
    m.validate_refused = src.below(16) == 0;
    return m;
}

// EL2 and EL3 refuse USER, NON_GLOBAL and PXN: three times in four they are dropped from
// random_flags' draw (which sets them often), PXN's place taken by XN. Only maps of those
// regimes draw this, so that the other inputs decode as they did.
template <class Source>
uint64_t one_level_flags(Source& src, uint64_t flags) {
    if (src.below(4) == 0) {
        return flags;
    }
    const uint64_t xn = (flags & kPxn) != 0 ? IDMAP_ATTR_XN : 0;
    return (flags & ~kOneLevelRefused) | xn;
}

// The same for a modify: setting nG or PXN is refused there, and so is clearing AP[1] on a
// valid entry; three times in four they go, PXN's place taken by XN.
template <class Source>
void one_level_modify(Source& src, ModifySpec& m) {
    if (src.below(4) == 0) {
        return;
    }
    m.set = (m.set & ~(kNonGlobal | kPxn)) | ((m.set & kPxn) != 0 ? IDMAP_ATTR_XN : 0);
    m.clear = (m.clear & ~(kNonGlobal | kPxn | kApUser)) | ((m.clear & kPxn) != 0 ? IDMAP_ATTR_XN : 0);
}

// Stage 2: setting nG, and XN[0] without FEAT_XNX, is refused; three times in four they
// go (modify's bad_bits aside).
template <class Source>
void s2_modify(Source& src, ModifySpec& m, bool xnx) {
    if (src.below(4) == 0) {
        return;
    }
    m.set &= ~(kNonGlobal | (xnx ? 0 : kPxn));
}

// change_attributes' masks: random_modify's bits (VALID, and the bits the regime refuses,
// aside), each in set or clear with probability 1/4; one call in 16 the all-zero change
// (set 0, clear ~0), one in 16 a refused bit as well (VALID, TABLE_OR_PAGE, an output
// address or RES0 bit, the contiguous bit, one of the regime's), one in 32 clear ~0 with a
// bit set, or all but one bit cleared (refused, as not the all-zero change).
template <class Source>
void random_masks(Source& src, const Zones& z, uint64_t& set, uint64_t& clear) {
    const uint64_t* bits = z.stage2 ? kS2ModifyBits : kModifyBits;
    const size_t n = z.stage2 ? sizeof kS2ModifyBits / sizeof kS2ModifyBits[0]
                              : sizeof kModifyBits / sizeof kModifyBits[0];
    const uint64_t regime = z.stage2 ? kStage2Refused & ~(z.xnx ? kPxn : 0)
                            : z.one_privilege_level ? kOneLevelRefused
                                                    : 0;
    const uint64_t set_mask = src.below(uint64_t{1} << n);
    const uint64_t clear_mask = src.below(uint64_t{1} << n);
    set = clear = 0;
    for (size_t i = 0; i < n; ++i) {
        if ((set_mask >> i & 1) != 0 && (clear_mask >> i & 1) == 0 && src.below(2) == 0) set |= bits[i];
        if ((clear_mask >> i & 1) != 0 && (set_mask >> i & 1) == 0 && src.below(2) == 0) clear |= bits[i];
    }
    set &= ~(kDescValid | regime);
    clear &= ~(kDescValid | regime);
    switch (src.below(32)) {
        case 0: case 1:
            set = 0;
            clear = ~uint64_t{0};
            break;
        case 2: case 3: {
            uint64_t bad = 0;
            switch (src.below(5)) {
                case 0: bad = kDescValid; break;
                case 1: bad = kDescTableOrPage; break;
                case 2: bad = uint64_t{1} << (12 + src.below(38)); break;
                case 3: bad = kContiguous; break;
                default: {  // one of the regime's bits (VALID where it refuses none)
                    uint64_t r = regime != 0 ? regime : kDescValid;
                    for (uint64_t k = src.below(3); k > 0 && (r & (r - 1)) != 0; --k) {
                        r &= r - 1;
                    }
                    bad = r & (0 - r);
                    break;
                }
            }
            (src.below(2) == 0 ? set : clear) |= bad;
            break;
        }
        case 4:
            if (src.below(2) == 0) {
                clear = ~uint64_t{0};
                set |= IDMAP_ATTR_SWFLAG_0;
            } else {
                set = 0;
                clear = ~(uint64_t{1} << src.below(64));
            }
            break;
        default:
            break;
    }
}

// An output address for map_range_to of r (real addresses), each case to reach an outcome:
// the map's own; blocks at both levels, at level 2 only, or none (pa and the start alike
// modulo 1 GiB, 2 MiB only, 4 KiB only); another valid leaf's output address (two input
// addresses to one output, drawn from the model's state as random_unmap_region draws);
// another offset in its page than the start's (PA_PAGE_OFFSET); an output range that
// ends near 2^48 or passes it (ADDRESS_RANGE).
template <class Source>
uint64_t random_output(Source& src, const Model& model, idmap_region_t r) {
    constexpr uint64_t P = kPageSize, M2 = 2ull << 20, G = 1ull << 30, kTop = uint64_t{1} << 48;
    const uint64_t own = r.start + model.config().pa_offset;
    const uint64_t base = src.below(256) * G;
    switch (src.below(16)) {
        case 0: case 1: return own;
        case 2: case 3: case 4: return base + (r.start & (G - 1));
        case 5: case 6: case 7: return base + (1 + src.below(511)) * M2 + (r.start & (M2 - 1));
        case 8: case 9: return base + (1 + src.below(511)) * P + (r.start & (M2 - 1));
        case 10: case 11: {
            std::vector<Run> valid;
            model.for_each_run([&valid](uint64_t first, uint64_t end, const PageInfo& info) {
                if (info.leaf.valid()) {
                    valid.push_back(Run{first, end, info.leaf});
                }
            });
            if (valid.empty()) {
                return own;
            }
            const Run& run = valid[static_cast<size_t>(src.below(valid.size()))];
            const uint64_t out = ((run.first + src.below(run.end - run.first)) << kPageShift) + run.leaf.delta;
            return src.below(2) == 0 ? out + (r.start & (P - 1)) : (out & ~(M2 - 1)) + (r.start & (M2 - 1));
        }
        case 12: return (base + (r.start & (G - 1))) ^ (1 + src.below(P - 1));
        case 13: case 14: return kTop - (1 + src.below(8)) * M2 + (r.start & (M2 - 1));
        default: return (kTop << src.below(16)) + (r.start & (G - 1));
    }
}

// r cut to 8 MiB where map_range_to of it maps pages only (NO_BLOCK_MAPPINGS, or pa and
// the start not alike modulo 2 MiB), to 8 GiB where blocks of 2 MiB at most: a few tables
// (in the upper range an end of 0 is 2^64).
inline idmap_region_t few_tables(idmap_region_t r, uint64_t pa, uint32_t constraints, const Zones& z) {
    constexpr uint64_t M2 = 2ull << 20, G = 1ull << 30;
    const uint64_t skew = pa - r.start;
    uint64_t limit = UINT64_MAX;
    if ((constraints & IDMAP_NO_BLOCK_MAPPINGS) != 0 || (skew & (M2 - 1)) != 0) {
        limit = 4 * M2;
    } else if ((skew & (G - 1)) != 0) {
        limit = 8 * G;
    }
    const bool forward = r.end > r.start || (z.upper && r.end == 0 && r.start != 0);
    if (forward && r.end - r.start > limit) {
        r.end = r.start + limit;
    }
    return r;
}

// Which calls random_op draws from. Legacy: the mix before unmap_range and
// compact_subtables existed, kept so that fuzz inputs written then replay the same calls.
// Extended: also coalesce_subtables and seal (idmap_tables_needed is checked before every
// map in every set: it draws nothing). Attributes: also change_attributes and walk_runs.
// Output: the attributes set's calls and map_range_to (at stage 2 or map_range_bbm_to),
// and modify callbacks that try to make valid entries at another output address.
// Features: the output set's calls and set_guarded_code, with more live changes (past 16
// entries: range TLB invalidation) and map flags executable at one level only. Dirty:
// the features set's calls and set_hardware_updates, collect_dirty and the MMU's writes
// through clean leaves; and protect_tables (in the map itself, its tables mapped by
// pages first half the time) and unprotect_tables. Splits: the dirty set's calls and
// set_live_splits, active most of the time, with changes over part of a block (map,
// modify, change_attributes, unmap) to split live.
enum class OpSet { Legacy, Current, Extended, Attributes, Output, Features, Dirty, Splits };

// The operation a draw of below(100) picks.
enum class Op {
    Map, MapWithConstraints, Modify, Walk, Unmap, Compact, Activate, Deactivate, Coalesce, Seal, ChangeAttributes,
    WalkRuns, MapTo, GuardedCode, HardwareUpdates, HardwareWrite, CollectDirty, ProtectTables, LiveSplits
};

inline Op pick_op(uint64_t kind, OpSet set) {
    if (set == OpSet::Splits) {
        // Live splits on, an active map, and changes that split its blocks.
        return kind < 10 ? Op::Map
               : kind < 16 ? Op::MapWithConstraints
               : kind < 21 ? Op::MapTo
               : kind < 29 ? Op::Modify
               : kind < 30 ? Op::Walk
               : kind < 38 ? Op::ChangeAttributes
               : kind < 39 ? Op::WalkRuns
               : kind < 49 ? Op::Unmap
               : kind < 50 ? Op::Compact
               : kind < 52 ? Op::Coalesce
               : kind < 53 ? Op::Seal
               : kind < 54 ? Op::GuardedCode
               : kind < 55 ? Op::ProtectTables
               : kind < 57 ? Op::HardwareUpdates
               : kind < 60 ? Op::HardwareWrite
               : kind < 62 ? Op::CollectDirty
               : kind < 70 ? Op::LiveSplits
               : kind < 90 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Dirty) {
        // Tracked maps, written through and collected, active most of the time.
        return kind < 10 ? Op::Map
               : kind < 14 ? Op::MapWithConstraints
               : kind < 20 ? Op::MapTo
               : kind < 24 ? Op::Modify
               : kind < 25 ? Op::Walk
               : kind < 30 ? Op::ChangeAttributes
               : kind < 31 ? Op::WalkRuns
               : kind < 38 ? Op::Unmap
               : kind < 39 ? Op::Compact
               : kind < 41 ? Op::Coalesce
               : kind < 42 ? Op::Seal
               : kind < 43 ? Op::GuardedCode
               : kind < 46 ? Op::ProtectTables
               : kind < 50 ? Op::HardwareUpdates
               : kind < 64 ? Op::HardwareWrite
               : kind < 78 ? Op::CollectDirty
               : kind < 93 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Features) {
        // Active most of the time, changes of many entries: unmap and change_attributes.
        return kind < 10 ? Op::Map
               : kind < 16 ? Op::MapWithConstraints
               : kind < 28 ? Op::MapTo
               : kind < 32 ? Op::Modify
               : kind < 33 ? Op::Walk
               : kind < 45 ? Op::ChangeAttributes
               : kind < 47 ? Op::WalkRuns
               : kind < 61 ? Op::Unmap
               : kind < 63 ? Op::Compact
               : kind < 66 ? Op::Coalesce
               : kind < 67 ? Op::Seal
               : kind < 77 ? Op::GuardedCode
               : kind < 93 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Output) {
        // Active half the time: live changes of output addresses.
        return kind < 12 ? Op::Map
               : kind < 18 ? Op::MapWithConstraints
               : kind < 40 ? Op::MapTo
               : kind < 45 ? Op::Modify
               : kind < 47 ? Op::Walk
               : kind < 53 ? Op::ChangeAttributes
               : kind < 57 ? Op::WalkRuns
               : kind < 67 ? Op::Unmap
               : kind < 69 ? Op::Compact
               : kind < 73 ? Op::Coalesce
               : kind < 74 ? Op::Seal
               : kind < 88 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Legacy) {
        return kind < 35 ? Op::Map
               : kind < 52 ? Op::MapWithConstraints
               : kind < 72 ? Op::Modify
               : kind < 82 ? Op::Walk
               : kind < 91 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Attributes) {
        return kind < 20 ? Op::Map
               : kind < 30 ? Op::MapWithConstraints
               : kind < 36 ? Op::Modify
               : kind < 39 ? Op::Walk
               : kind < 55 ? Op::ChangeAttributes
               : kind < 64 ? Op::WalkRuns
               : kind < 75 ? Op::Unmap
               : kind < 78 ? Op::Compact
               : kind < 84 ? Op::Coalesce
               : kind < 85 ? Op::Seal
               : kind < 93 ? Op::Activate
                           : Op::Deactivate;
    }
    if (set == OpSet::Extended) {
        return kind < 26 ? Op::Map
               : kind < 38 ? Op::MapWithConstraints
               : kind < 53 ? Op::Modify
               : kind < 59 ? Op::Walk
               : kind < 75 ? Op::Unmap
               : kind < 79 ? Op::Compact
               : kind < 87 ? Op::Coalesce
               : kind < 88 ? Op::Seal
               : kind < 94 ? Op::Activate
                           : Op::Deactivate;
    }
    return kind < 28 ? Op::Map
           : kind < 41 ? Op::MapWithConstraints
           : kind < 57 ? Op::Modify
           : kind < 65 ? Op::Walk
           : kind < 83 ? Op::Unmap
           : kind < 88 ? Op::Compact
           : kind < 94 ? Op::Activate
                       : Op::Deactivate;
}

// Guarded code's cases (the features set only): one map in four flips PXN or UXN (XN with
// one privilege level, where PXN is refused), so that leaves execute at one level only.
template <class Source>
uint64_t one_level_executable(Source& src, const Zones& z, OpSet set, uint64_t flags) {
    if (set != OpSet::Features || z.stage2 || src.below(4) != 0) {
        return flags;
    }
    return flags ^ (z.one_privilege_level || src.below(2) == 0 ? kUxn : kPxn);
}

// The region of a map or a modify: in the splits set random_unmap_region's (half the time
// across a block's edge: the splits), else random_region's.
template <class Source>
idmap_region_t change_region(Source& src, const Zones& z, const Model& model, OpSet set) {
    return set == OpSet::Splits ? random_unmap_region(src, z, model) : random_region(src, z);
}

// One random call on h. allow_oom: sometimes give the allocator a small budget for it.
// allow_seal (OpSet::Extended): a Seal draw seals the map; else it coalesces instead.
template <class Source>
bool random_op(Harness& h, Source& src, const Zones& z, bool allow_oom, OpSet set = OpSet::Current,
               bool allow_seal = true) {
    if (allow_oom && src.below(10) == 0) {
        h.set_budget(src.below(6));
    }
    bool ok = true;
    const Op op = pick_op(src.below(100), set);
    // Each draw its own statement: the order of a call's arguments is the compiler's, and
    // an input must decode the same with every compiler (a crash found by clang's fuzzer
    // is replayed by the unit tests built with gcc).
    if ((op == Op::Map || op == Op::MapWithConstraints) && z.stage2) {
        // Stage 2: its flags; one map in three by map_range_bbm (constraints always).
        const bool bbm = src.below(3) == 0;
        const idmap_region_t r = change_region(src, z, h.model(), set);
        uint32_t c = op == Op::MapWithConstraints || bbm ? random_constraints(src) : 0;
        const bool forward = r.end > r.start;
        if ((c & IDMAP_NO_BLOCK_MAPPINGS) != 0 && forward && r.end - r.start > (8ull << 20)) {
            c &= ~IDMAP_NO_BLOCK_MAPPINGS;
        }
        const uint64_t flags = random_s2_flags(src, z.xnx);
        ok = bbm ? h.map_range_bbm(r, flags, c) : h.map_range(r, flags, c, op == Op::MapWithConstraints);
    } else if (op == Op::Map) {
        const idmap_region_t r = change_region(src, z, h.model(), set);
        uint64_t flags = random_flags(src);
        if (z.one_privilege_level) {
            flags = one_level_flags(src, flags);
        }
        flags = one_level_executable(src, z, set, flags);
        ok = h.map_range(r, flags, 0, false);
    } else if (op == Op::MapWithConstraints) {
        const idmap_region_t r = change_region(src, z, h.model(), set);
        uint32_t c = random_constraints(src);
        // Pages only over at most 8 MiB, so that the tables stay small (in the upper range
        // an end of 0 is 2^64).
        const bool forward = r.end > r.start || (z.upper && r.end == 0 && r.start != 0);
        if ((c & IDMAP_NO_BLOCK_MAPPINGS) != 0 && forward && r.end - r.start > (8ull << 20)) {
            c &= ~IDMAP_NO_BLOCK_MAPPINGS;
        }
        uint64_t flags = random_flags(src);
        if (z.one_privilege_level) {
            flags = one_level_flags(src, flags);
        }
        flags = one_level_executable(src, z, set, flags);
        ok = h.map_range(r, flags, c, true);
    } else if (op == Op::MapTo) {
        // At stage 2 half of them by map_range_bbm_to.
        const bool bbm = z.stage2 && src.below(2) == 0;
        const idmap_region_t drawn = random_region(src, z);
        const uint32_t c = random_constraints(src);
        uint64_t flags = z.stage2 ? random_s2_flags(src, z.xnx) : random_flags(src);
        if (z.one_privilege_level) {
            flags = one_level_flags(src, flags);
        }
        flags = one_level_executable(src, z, set, flags);
        const uint64_t pa = random_output(src, h.model(), drawn);
        const idmap_region_t r = few_tables(drawn, pa, c, z);
        ok = bbm ? h.map_range_bbm_to(r, pa, flags, c) : h.map_range_to(r, pa, flags, c);
    } else if (op == Op::Modify) {
        const idmap_region_t r = change_region(src, z, h.model(), set);
        ModifySpec m = z.stage2 ? random_modify(src, kS2ModifyBits) : random_modify(src);
        if (z.stage2) {
            s2_modify(src, m, z.xnx);
        } else if (z.one_privilege_level) {
            one_level_modify(src, m);
        }
        if (set == OpSet::Output || set == OpSet::Features) {
            m.validate_foreign = src.below(2) == 0;
        }
        ok = h.modify_range(r, m);
    } else if (op == Op::Walk) {
        WalkSpec w;
        w.salt = src.below(UINT64_MAX);
        w.fail_one_in = src.below(3) == 0 ? 1 + static_cast<unsigned>(src.below(30)) : 0;
        const idmap_region_t r = random_region(src, z);
        ok = h.walk_range(r, w);
    } else if (op == Op::ChangeAttributes) {
        // Half the time across a block's edge (random_unmap_region): the splits.
        const idmap_region_t r = random_unmap_region(src, z, h.model());
        uint64_t set = 0, clear = 0;
        random_masks(src, z, set, clear);
        ok = h.change_attributes(r, set, clear);
    } else if (op == Op::WalkRuns) {
        RunSpec spec;
        spec.stop_at = src.below(3) == 0 ? 1 + static_cast<size_t>(src.below(12)) : 0;
        const idmap_region_t r = random_region(src, z);
        ok = h.walk_runs(r, spec);
    } else if (op == Op::GuardedCode) {
        ok = h.set_guarded_code(src.below(4) != 0);
    } else if (op == Op::LiveSplits) {
        ok = h.set_live_splits(src.below(4) != 0);
    } else if (op == Op::HardwareUpdates) {
        // Mostly the dirty state; sometimes off, the Access flag alone, or a bit unknown.
        const uint64_t draw = src.below(8);
        ok = h.set_hardware_updates(draw == 0   ? 0u
                                    : draw == 1 ? IDMAP_HW_ACCESS_FLAG
                                    : draw == 7 ? IDMAP_HW_DIRTY | 4u
                                                : IDMAP_HW_DIRTY);
    } else if (op == Op::ProtectTables) {
        // Protected, then mostly undone soon after (a protected map refuses every change);
        // the map's table pages are where the allocator put them, mapped only by chance.
        // Protecting: deactivated first (a live map is refused), its tables mapped by pages
        // half the time.
        const bool on = src.below(3) == 0;
        ok = (!on || !h.model().active() || h.deactivate()) && (!on || src.below(2) == 0 || h.map_own_tables()) &&
             h.protect_tables(on);
    } else if (op == Op::HardwareWrite) {
        ok = h.hardware_write(random_unmap_region(src, z, h.model()));
    } else if (op == Op::CollectDirty) {
        // Half the time across a block's edge; the bitmap the range needs (its pages from
        // the start rounded down, at most 2^20: the range is cut there), or sometimes a
        // word short, or NULL.
        idmap_region_t r = random_unmap_region(src, z, h.model());
        const uint64_t start = r.start & ~(kPageSize - 1);
        if (r.end > start && r.end - start > (uint64_t{1} << 32)) {
            r.end = start + (uint64_t{1} << 32);
        }
        const uint64_t pages = r.end > start ? (r.end - start + kPageSize - 1) >> kPageShift : 0;
        const uint64_t draw = src.below(16);
        const size_t words = static_cast<size_t>((pages + 63) / 64) - (draw == 1 && pages != 0 ? 1 : 0);
        ok = h.collect_dirty(r, words, draw == 0);
    } else if (op == Op::Unmap) {
        ok = h.unmap_range(random_unmap_region(src, z, h.model()));
    } else if (op == Op::Compact) {
        ok = h.compact();
    } else if (op == Op::Coalesce || (op == Op::Seal && !allow_seal)) {
        ok = h.coalesce();
    } else if (op == Op::Seal) {
        ok = h.seal();
    } else if (op == Op::Activate) {
        ok = h.activate();
    } else {
        ok = h.deactivate();
    }
    h.set_budget(SIZE_MAX);
    return ok;
}

}  // namespace idmap_model

#endif
