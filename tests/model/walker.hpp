// An independent software walker: decodes the tables from the root address as the MMU
// would (Arm ARM DDI 0487K.a, D8.2 "Translation table walk", D8.3 descriptor formats),
// 4 KiB granule, 48-bit output addresses, no FEAT_LPA2, no hierarchical attributes.
// Input addresses are offsets from the start of the table's range (0 in the lower VA
// range, 2^64 - size in the upper one): a valid leaf at offset va must map
// va + delta (WalkerConfig; 0 for an identity map of the lower range).
//
//   level 0:   0b11 table; anything else with bit 0 set is a fault (no level-0 blocks)
//   level 1,2: 0b11 table, 0b01 block (output address aligned to the block)
//   level 3:   0b11 page, 0b01 reserved (a fault)
//   bit 0 clear: invalid, every other bit ignored by the MMU
//
// It reads every entry of every table it reaches, produces the state of every page (Leaf
// runs, to compare with the model), the tables reached (with the level and the input
// range of each), and a list of violations of what a well-formed map must be. It never dereferences an address that is not a
// live page of the test's allocator (is_table_page), so a corrupt tree is reported, not
// followed.
#ifndef IDMAP_MODEL_WALKER_HPP
#define IDMAP_MODEL_WALKER_HPP

#include "vmsa.hpp"

#include <cstdint>
#include <cstring>
#include <functional>
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace idmap_model {

// Where a table page sits in the tree: its level and the first input offset it covers.
struct TablePage {
    uint64_t pa;
    unsigned level;
    uint64_t base;
};

// What the walker checks beside the shape of the tree.
struct WalkerConfig {
    // Output address minus input offset of every valid leaf, modulo 2^64: the map's
    // va_start + pa_offset (0 for an identity map of the lower range).
    uint64_t delta = 0;
    // Bits every valid leaf must hold (the regime's RES1: AP[1] in EL2 and EL3), and bits
    // no leaf may hold (those the regime lacks: nG and PXN in EL2 and EL3, which neither
    // map_range nor a modify callback may set there).
    uint64_t res1 = 0;
    uint64_t forbidden = 0;
};

struct TreeWalk {
    std::vector<Run> runs;         // every page of the table's range, coalesced
    std::vector<bool> run_contig;  // parallel to runs: a leaf with the contiguous bit
    // Pages whose leaf entry (valid or not) holds the contiguous bit, coalesced [first, end).
    std::vector<std::pair<uint64_t, uint64_t>> contig;
    std::vector<uint64_t> tables;  // table pages reached, root first, depth-first
    std::vector<TablePage> table_pages;  // parallel to tables: level and input offset
    std::vector<std::string> violations;
    uint64_t mmu_valid_pages = 0;  // pages the MMU would translate
};

class Walker {
public:
    // is_table_page(pa): pa is a live page of the allocator, safe to read as a table.
    Walker(uint64_t root_pa, unsigned root_level, std::function<bool(uint64_t)> is_table_page,
           const WalkerConfig& config = WalkerConfig())
        : root_pa_(root_pa), root_level_(root_level), is_table_page_(std::move(is_table_page)), config_(config) {}

    TreeWalk walk() const {
        TreeWalk out;
        Seen seen;
        if (root_level_ > kLeafLevel) {
            out.violations.push_back("root level above 3");
            return out;
        }
        if ((root_pa_ & (kPageSize - 1)) != 0 || !is_table_page_(root_pa_)) {
            out.violations.push_back("root address is not a live allocator page");
            return out;
        }
        seen.insert(root_pa_);
        table(out, seen, root_pa_, root_level_, 0);
        return out;
    }

    // Every table reached, its address then its 512 entries, root first, depth-first: the
    // raw bytes, to compare before and after a call that must change nothing. Follows only
    // table entries that point at live allocator pages, each once.
    // tables: how many to expect (memory is reserved for them).
    std::vector<uint64_t> snapshot(size_t tables = 0) const {
        std::vector<uint64_t> out;
        out.reserve(tables * (kEntries + 1));
        Seen seen;
        if (root_level_ <= kLeafLevel && is_table_page_(root_pa_)) {
            seen.insert(root_pa_);
            copy(out, seen, root_pa_, root_level_);
        }
        return out;
    }

    // Whether the tables are now exactly as snapshot() saw them.
    bool matches(const std::vector<uint64_t>& snapshot) const {
        size_t at = 0;
        Seen seen;
        bool same = true;
        if (root_level_ <= kLeafLevel && is_table_page_(root_pa_)) {
            seen.insert(root_pa_);
            compare(snapshot, at, seen, root_pa_, root_level_, same);
        }
        return same && at == snapshot.size();
    }

private:
    // Table pages reached so far: a sorted vector (trees here have tens of tables).
    struct Seen {
        std::vector<uint64_t> pages;
        // False when pa was there already.
        bool insert(uint64_t pa) {
            const auto it = std::lower_bound(pages.begin(), pages.end(), pa);
            if (it != pages.end() && *it == pa) {
                return false;
            }
            pages.insert(it, pa);
            return true;
        }
    };

    void copy(std::vector<uint64_t>& out, Seen& seen, uint64_t pa, unsigned level) const {
        const auto* entries = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa));
        out.push_back(pa);
        out.insert(out.end(), entries, entries + kEntries);
        if (level == kLeafLevel) {
            return;
        }
        for (unsigned i = 0; i < kEntries; ++i) {
            const uint64_t next = entries[i] & kOaMask;
            if ((entries[i] & 3) == 3 && is_table_page_(next) && seen.insert(next)) {
                copy(out, seen, next, level + 1);
            }
        }
    }

    void compare(const std::vector<uint64_t>& snap, size_t& at, Seen& seen, uint64_t pa, unsigned level,
                 bool& same) const {
        const auto* entries = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa));
        if (!same || snap.size() - at < kEntries + 1 || snap[at] != pa ||
            !std::equal(entries, entries + kEntries, snap.begin() + static_cast<std::ptrdiff_t>(at + 1))) {
            same = false;
            return;
        }
        at += kEntries + 1;
        if (level == kLeafLevel) {
            return;
        }
        for (unsigned i = 0; i < kEntries && same; ++i) {
            const uint64_t next = entries[i] & kOaMask;
            if ((entries[i] & 3) == 3 && is_table_page_(next) && seen.insert(next)) {
                compare(snap, at, seen, next, level + 1, same);
            }
        }
    }

    void violation(TreeWalk& out, const char* what, unsigned level, uint64_t va, uint64_t bits) const {
        std::ostringstream s;
        s << what << ": level " << level << " va 0x" << std::hex << va << " entry 0x" << bits;
        out.violations.push_back(s.str());
    }

    void table(TreeWalk& out, Seen& seen, uint64_t pa, unsigned level, uint64_t base) const {
        const auto* entries = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa));
        out.tables.push_back(pa);
        out.table_pages.push_back(TablePage{pa, level, base});
        const uint64_t size = level_bytes(level);
        uint64_t contiguous = 0;
        uint64_t prev = 0;
        bool prev_leaf = false;  // prev is a leaf, the last run ends with it
        bool prev_mmu_valid = false;
        for (unsigned i = 0; i < kEntries; ++i) {
            const uint64_t d = entries[i];
            const uint64_t va = base + i * size;
            contiguous |= d & kContiguous;
            if (level < kLeafLevel && (d & 3) == 3) {
                prev_leaf = false;
                const uint64_t next = d & kOaMask;
                if ((d & kTableDescriptorExtra) != 0) {
                    violation(out, "table descriptor with bits beside the address", level, va, d);
                }
                if (!is_table_page_(next)) {
                    violation(out, "table entry without a subtable (not a live allocator page)", level, va, d);
                    append_run(out.runs, va >> kPageShift, (va + size) >> kPageShift, Leaf{});
                    out.run_contig.resize(out.runs.size());
                    continue;
                }
                if (!seen.insert(next)) {
                    violation(out, "table page reached twice (shared subtable or loop)", level, va, d);
                    append_run(out.runs, va >> kPageShift, (va + size) >> kPageShift, Leaf{});
                    out.run_contig.resize(out.runs.size());
                    continue;
                }
                table(out, seen, next, level + 1, va);
                continue;
            }
            // The common case: a leaf continuing the one before it (same bits, the next
            // output address) is in the same state and passes the same checks.
            // (Not after an all-zero entry: that one is in the "zero" state, the next is not.)
            if (prev_leaf && prev != 0 && ((d ^ prev) & ~kOaMask) == 0 && (d & kOaMask) == (prev & kOaMask) + size) {
                out.runs.back().end += size >> kPageShift;
                out.mmu_valid_pages += prev_mmu_valid ? size >> kPageShift : 0;
                if ((d & kContiguous) != 0) {
                    add_contig(out, va >> kPageShift, (va + size) >> kPageShift);
                }
            } else {
                const uint64_t valid_before = out.mmu_valid_pages;
                const size_t violations_before = out.violations.size();
                leaf(out, level, va, d);
                prev_mmu_valid = out.mmu_valid_pages != valid_before;
                // Only a clean leaf is a model for the next one.
                prev_leaf = out.violations.size() == violations_before;
            }
            prev = d;
        }
        if (contiguous != 0) {
            check_contiguous(out, entries, level, base);
        }
    }

    void leaf(TreeWalk& out, unsigned level, uint64_t va, uint64_t d) const {
        const uint64_t size = level_bytes(level);
        if (d == 0 && !out.runs.empty() && out.runs.back().leaf.zero && out.runs.back().leaf.level == level &&
            out.runs.back().end == va >> kPageShift) {
            out.runs.back().end += size >> kPageShift;  // the common case: more empty entries
            return;
        }
        if ((d & kDescValid) != 0) {
            bool mmu_valid = true;
            if (level == 0) {
                violation(out, "block at level 0 (a translation fault)", level, va, d);
                mmu_valid = false;
            }
            if (level == kLeafLevel && (d & kDescTableOrPage) == 0) {
                violation(out, "valid level-3 entry without the page bit (reserved, a fault)", level, va, d);
                mmu_valid = false;
            }
            if (((d & kOaMask) & (size - 1)) != 0) {
                violation(out, "output address not aligned to its level", level, va, d);
            }
            if ((d & kRes0HighOa) != 0) {
                violation(out, "RES0 bits 49:48 set in a valid leaf", level, va, d);
            }
            if (mmu_valid && (d & kOaMask) != ((va + config_.delta) & kOaMask)) {
                violation(out, config_.delta == 0 ? "valid leaf not identity-mapped"
                                                  : "valid leaf not at the map's own output address",
                          level, va, d);
            }
            if ((d & config_.res1) != config_.res1) {
                violation(out, "valid leaf without the regime's RES1 bits (AP[1])", level, va, d);
            }
            if (mmu_valid) {
                out.mmu_valid_pages += level_pages(level);
            }
        }
        if ((d & config_.forbidden) != 0) {
            violation(out, "leaf with bits the regime does not have (nG, PXN)", level, va, d);
        }
        const size_t before = out.runs.size();
        append_run(out.runs, va >> kPageShift, (va + size) >> kPageShift, leaf_of(d, level, va));
        const bool contig = (d & kContiguous) != 0;
        if (contig) {
            add_contig(out, va >> kPageShift, (va + size) >> kPageShift);
        }
        if (out.runs.size() != before) {
            out.run_contig.push_back(contig);
        } else if (contig) {
            out.run_contig.back() = true;
        }
    }

    static void add_contig(TreeWalk& out, uint64_t first, uint64_t end) {
        if (!out.contig.empty() && out.contig.back().second == first) {
            out.contig.back().second = end;
        } else {
            out.contig.emplace_back(first, end);
        }
    }

    // The contiguous bit says 16 adjacent entries, aligned, translate a contiguous output
    // range with the same attributes (D8.7 "The Contiguous bit"); anything else is a
    // programming error that can give TLB conflicts.
    void check_contiguous(TreeWalk& out, const uint64_t* entries, unsigned level, uint64_t base) const {
        if (level == 0) {
            return;
        }
        const uint64_t size = level_bytes(level);
        for (unsigned g = 0; g < kEntries; g += 16) {
            bool any = false;
            for (unsigned k = 0; k < 16; ++k) {
                const uint64_t d = entries[g + k];
                const bool is_table = level < kLeafLevel && (d & 3) == 3;
                // Valid leaves only: the MMU ignores every other bit of an invalid entry
                // (the harness compares those bits with the model separately).
                any = any || (!is_table && (d & kDescValid) != 0 && (d & kContiguous) != 0);
            }
            if (!any) {
                continue;
            }
            const uint64_t first = entries[g];
            const uint64_t va = base + g * size;
            bool ok = (first & kDescValid) != 0 && ((first & kOaMask) % (16 * size)) == 0;
            for (unsigned k = 0; k < 16 && ok; ++k) {
                const uint64_t d = entries[g + k];
                const bool is_table = level < kLeafLevel && (d & 3) == 3;
                ok = !is_table && (d & kContiguous) != 0 && (d & ~kOaMask) == (first & ~kOaMask) &&
                     (d & kOaMask) == (first & kOaMask) + k * size;
            }
            if (!ok) {
                violation(out, "contiguous bit on a group that is not 16 contiguous like entries", level, va, first);
            }
        }
    }

    uint64_t root_pa_;
    unsigned root_level_;
    std::function<bool(uint64_t)> is_table_page_;
    WalkerConfig config_;
};

}  // namespace idmap_model

#endif
