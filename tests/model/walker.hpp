// An independent software walker: decodes the tables from the root address as the MMU
// would (Arm ARM DDI 0487K.a, D8.2 "Translation table walk", D8.3 descriptor formats),
// 4 KiB granule, 48-bit output addresses, no FEAT_LPA2, no hierarchical attributes.
// Input addresses are offsets from the start of the table's range (0 in the lower VA
// range, 2^64 - size in the upper one): a valid leaf at offset va must map
// va + delta (WalkerConfig; 0 for an identity map of the lower range), until a map to
// another output address (idmap_map_range_to) was made.
//
//   level 0:   0b11 table; anything else with bit 0 set is a fault (no level-0 blocks)
//   level 1,2: 0b11 table, 0b01 block (output address aligned to the block)
//   level 3:   0b11 page, 0b01 reserved (a fault)
//   bit 0 clear: invalid, every other bit ignored by the MMU
//
// It reads every entry of every table it reaches, produces the state of every page (Leaf
// runs, to compare with the model), the tables reached (with the level and the input
// range of each), and a list of violations of what a well-formed map must be. It reads no
// address its TableReader does not give (the harness's gives the live pages of the test's
// allocator only), so a corrupt tree is reported, not followed.
//
// walk(pages) does the same for a set of pages only (PageRanges): it reads the entries
// whose range meets the set, whole 16-entry groups for the contiguous bit, reaches the
// tables on the way to them, and clips the runs to the set; the harness checks what a
// call changed that way. The tables are read through a TableReader: the live tables in
// memory, or the harness's copy of them as they were before a call (mirror.hpp).
//
// A stage-2 root (WalkerConfig::root_tables, size) may be 2 to 16 concatenated tables,
// each page read as a table of the root level covering the next 512 entries' range, or
// one table of which the map uses fewer than 512 entries: those past the map's size must
// be zero (the walk checks them whenever it reads the root). Stage 2's table descriptors
// have no hierarchical attributes (bits 63:59 RES0), so the check of table descriptors is
// the same; its leaves' forbidden bits are WalkerConfig::forbidden.
#ifndef IDMAP_MODEL_WALKER_HPP
#define IDMAP_MODEL_WALKER_HPP

#include "page_ranges.hpp"
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
    // va_start + pa_offset (0 for an identity map of the lower range); checked while
    // own_output holds (no idmap_map_range_to to another address made yet).
    uint64_t delta = 0;
    bool own_output = true;
    // Bits every valid leaf must hold (the regime's RES1: AP[1] in EL2 and EL3), and bits
    // no leaf may hold (those the regime lacks: nG and PXN in EL2 and EL3, which neither
    // map_range nor a modify callback may set there).
    uint64_t res1 = 0;
    uint64_t forbidden = 0;
    // The root: its table pages (contiguous from the root address), and the input bytes
    // the map covers (0: the root table's whole range).
    unsigned root_tables = 1;
    uint64_t size = 0;
};

// A set of table page addresses (never 0): whether the walk reaches a table twice, in
// constant time (open addressing), and cleared in the time its contents took, since the
// harness walks after every call and a tree may have hundreds of tables.
class PageSet {
public:
    // False when pa was there already.
    bool insert(uint64_t pa) {
        if (2 * (used_.size() + 1) > slots_.size()) {
            grow();
        }
        size_t i = home(pa);
        for (; slots_[i] != 0; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == pa) {
                return false;
            }
        }
        slots_[i] = pa;
        used_.push_back(i);
        return true;
    }
    void clear() {
        for (const size_t i : used_) {
            slots_[i] = 0;
        }
        used_.clear();
    }

private:
    size_t home(uint64_t pa) const {
        return static_cast<size_t>((pa >> kPageShift) * 0x9e3779b97f4a7c15ull >> 20) & (slots_.size() - 1);
    }
    void grow() {
        std::vector<uint64_t> pages(used_.size());
        std::transform(used_.begin(), used_.end(), pages.begin(), [this](size_t i) { return slots_[i]; });
        slots_.assign(std::max<size_t>(64, 2 * slots_.size()), 0);
        used_.clear();
        for (const uint64_t pa : pages) {
            insert(pa);
        }
    }
    std::vector<uint64_t> slots_;  // a power of two of them, 0: empty
    std::vector<size_t> used_;     // the slots filled
};

struct TreeWalk {
    std::vector<Run> runs;  // every page walked (of the table's range, or of the set), coalesced
    // Pages whose leaf entry (valid or not) holds the contiguous bit, coalesced [first, end).
    std::vector<std::pair<uint64_t, uint64_t>> contig;
    std::vector<uint64_t> tables;  // table pages reached, root first, depth-first
    std::vector<TablePage> table_pages;  // parallel to tables: level and input offset
    std::vector<uint64_t> reached;       // tables, sorted
    std::vector<std::string> violations;
    PageSet seen;                        // tables, as the walk reaches them

    // Room for n runs and n tables.
    void reserve(size_t n) {
        runs.reserve(n);
        contig.reserve(n);
        tables.reserve(n);
        table_pages.reserve(n);
        reached.reserve(n);
    }

    // Empty, keeping the memory (the harness walks after every call).
    void clear() {
        runs.clear();
        contig.clear();
        tables.clear();
        table_pages.clear();
        reached.clear();
        violations.clear();
        seen.clear();
    }
};

// Inserts pa into the sorted pages; false when it was there already.
inline bool insert_once(std::vector<uint64_t>& pages, uint64_t pa) {
    const auto it = std::lower_bound(pages.begin(), pages.end(), pa);
    if (it != pages.end() && *it == pa) {
        return false;
    }
    pages.insert(it, pa);
    return true;
}

// The 512 entries of table page pa, or nullptr when pa is no page that may be read as a
// table (not a live page of the allocator).
using TableReader = std::function<const uint64_t*(uint64_t pa)>;

class Walker {
public:
    // is_table_page(pa): pa is a live page of the allocator, safe to read as a table.
    Walker(uint64_t root_pa, unsigned root_level, const std::function<bool(uint64_t)>& is_table_page,
           const WalkerConfig& config = WalkerConfig())
        : Walker(root_pa, root_level, config, [is_table_page](uint64_t pa) {
              return is_table_page(pa) ? reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa)) : nullptr;
          }) {}

    // Tables read through read.
    Walker(uint64_t root_pa, unsigned root_level, const WalkerConfig& config, TableReader read)
        : root_pa_(root_pa), root_level_(root_level), read_(std::move(read)), config_(config) {}

    TreeWalk walk() const { return walk(PageRanges(0, root_level_ <= kLeafLevel ? map_pages() : 0)); }

    // The entries whose range meets pages, and the tables on the way to them (nothing for
    // an empty set).
    TreeWalk walk(const PageRanges& pages) const {
        TreeWalk out;
        walk(pages, out);
        return out;
    }

    // The same into out, whose memory it reuses.
    void walk(const PageRanges& pages, TreeWalk& out) const {
        out.clear();
        if (pages.empty()) {
            return;
        }
        if (root_level_ > kLeafLevel) {
            out.violations.push_back("root level above 3");
            return;
        }
        for (unsigned k = 0; k < config_.root_tables; ++k) {
            const uint64_t pa = root_pa_ + k * kPageSize;
            const uint64_t* root = (root_pa_ & (kPageSize * config_.root_tables - 1)) == 0 ? read_(pa) : nullptr;
            if (root == nullptr) {
                out.violations.push_back("root address is not a live allocator page, or not aligned to the root");
                return;
            }
            const uint64_t base = k * covered_pages(root_level_);
            // A root table of a concatenated root is reached only where pages meet its
            // range, as a subtable is (the harness counts the others from its copy).
            if (config_.root_tables > 1 && !pages.overlaps(base, base + covered_pages(root_level_))) {
                continue;
            }
            out.seen.insert(pa);
            table(out, pages, pa, root, root_level_, base);
            // Entries past the map's size (a stage-2 root of which the IPA size uses fewer
            // than 512 entries) map nothing.
            const uint64_t used = std::min<uint64_t>(kEntries, (map_pages() - base) / level_pages(root_level_));
            for (uint64_t i = used; i < kEntries; ++i) {
                if (root[i] != 0) {
                    violation(out, "root entry past the map's input size is not zero", root_level_,
                              (base + i * level_pages(root_level_)) << kPageShift, root[i]);
                    break;
                }
            }
        }
        out.reached = out.tables;
        std::sort(out.reached.begin(), out.reached.end());
    }

    // Every table reached, its address then its 512 entries, root first, depth-first: the
    // raw bytes, to compare before and after a call that must change nothing. Follows only
    // table entries that point at live allocator pages, each once.
    // tables: how many to expect (memory is reserved for them).
    std::vector<uint64_t> snapshot(size_t tables = 0) const {
        std::vector<uint64_t> out;
        out.reserve(tables * (kEntries + 1));
        std::vector<uint64_t> seen;  // sorted
        for (unsigned k = 0; k < config_.root_tables; ++k) {
            seen.push_back(root_pa_ + k * kPageSize);
        }
        for (unsigned k = 0; k < config_.root_tables; ++k) {
            const uint64_t* root = root_level_ <= kLeafLevel ? read_(root_pa_ + k * kPageSize) : nullptr;
            if (root != nullptr) {
                copy(out, seen, root_pa_ + k * kPageSize, root, root_level_);
            }
        }
        return out;
    }

private:
    void copy(std::vector<uint64_t>& out, std::vector<uint64_t>& seen, uint64_t pa, const uint64_t* entries,
              unsigned level) const {
        out.push_back(pa);
        out.insert(out.end(), entries, entries + kEntries);
        if (level == kLeafLevel) {
            return;
        }
        for (unsigned i = 0; i < kEntries; ++i) {
            const uint64_t next = entries[i] & kOaMask;
            const uint64_t* sub = (entries[i] & 3) == 3 ? read_(next) : nullptr;
            if (sub != nullptr && insert_once(seen, next)) {
                copy(out, seen, next, sub, level + 1);
            }
        }
    }

    void violation(TreeWalk& out, const char* what, unsigned level, uint64_t va, uint64_t bits) const {
        std::ostringstream s;
        s << what << ": level " << level << " va 0x" << std::hex << va << " entry 0x" << bits;
        out.violations.push_back(s.str());
    }

    // Pages a table at level covers: 512 entries of its level.
    static uint64_t covered_pages(unsigned level) { return level_pages(level) * kEntries; }
    // Pages the map covers: its size, or the root table's range.
    uint64_t map_pages() const { return config_.size != 0 ? config_.size >> kPageShift : covered_pages(root_level_); }

    // The table at level whose entries are at pa (read: entries), its first entry at page
    // base: the entries meeting pages, each once, in order.
    void table(TreeWalk& out, const PageRanges& pages, uint64_t pa, const uint64_t* entries, unsigned level,
               uint64_t base) const {
        out.tables.push_back(pa);
        out.table_pages.push_back(TablePage{pa, level, base << kPageShift});
        const uint64_t n = level_pages(level);
        unsigned next_entry = 0;  // entries below it are done, and the groups they are in
        pages.each_in(base, base + covered_pages(level), [&](uint64_t first, uint64_t end) {
            const unsigned lo = std::max(static_cast<unsigned>((first - base) / n), next_entry);
            const auto hi = static_cast<unsigned>((end - base + n - 1) / n);
            if (lo >= hi) {
                return;  // two pieces of the set in one entry
            }
            entry_span(out, pages, entries, level, base, lo, hi);
            // The groups of 16 entries these are in, whole (once each); most hold no
            // contiguous bit at all.
            const unsigned g0 = std::max(lo & ~15u, (next_entry + 15) & ~15u);
            const unsigned g1 = (hi + 15) & ~15u;
            uint64_t any = 0;
            for (unsigned i = g0; i < g1; ++i) {
                any |= entries[i];
            }
            for (unsigned g = g0; level > 0 && (any & kContiguous) != 0 && g < g1; g += 16) {
                check_contiguous(out, entries, level, base, g);
            }
            next_entry = hi;
        });
    }

    // Entries [lo, hi) of a table (table()).
    void entry_span(TreeWalk& out, const PageRanges& pages, const uint64_t* entries, unsigned level, uint64_t base,
                    unsigned lo, unsigned hi) const {
        const uint64_t n = level_pages(level);
        const uint64_t size = n << kPageShift;
        const auto& ranges = pages.ranges();
        size_t r = pages.find(base + lo * n);  // the range holding or after the entry: [r_first, r_end)
        uint64_t r_first = r < ranges.size() ? ranges[r].first : UINT64_MAX;
        uint64_t r_end = r < ranges.size() ? ranges[r].second : UINT64_MAX;
        uint64_t prev = 0;
        bool prev_leaf = false;  // prev is a leaf wholly in the set, and ends the last run
        for (unsigned i = lo; i < hi; ++i) {
            const uint64_t d = entries[i];
            const uint64_t first = base + i * n;
            const uint64_t va = first << kPageShift;
            if (r_end <= first) {
                r = pages.find(first);
                r_first = r < ranges.size() ? ranges[r].first : UINT64_MAX;
                r_end = r < ranges.size() ? ranges[r].second : UINT64_MAX;
            }
            const bool inside = r_first <= first && first + n <= r_end;
            if (level < kLeafLevel && (d & 3) == 3) {
                prev_leaf = false;
                const uint64_t next = d & kOaMask;
                if ((d & kTableDescriptorExtra) != 0) {
                    violation(out, "table descriptor with bits beside the address", level, va, d);
                }
                const uint64_t* sub = read_(next);
                if (sub == nullptr) {
                    violation(out, "table entry without a subtable (not a live allocator page)", level, va, d);
                    leaf_pieces(out, pages, first, n, Leaf{}, false);
                    continue;
                }
                if (!out.seen.insert(next)) {
                    violation(out, "table page reached twice (shared subtable or loop)", level, va, d);
                    leaf_pieces(out, pages, first, n, Leaf{}, false);
                    continue;
                }
                table(out, pages, next, sub, level + 1, first);
                continue;
            }
            // The common case: a leaf continuing the one before it, both wholly in the set,
            // is in the same state and passes the same checks: zero after zero, or the same
            // bits with the next output address (not after a zero entry: that one is in the
            // "zero" state, the next is not).
            const bool continues = prev == 0 ? d == 0
                                             : ((d ^ prev) & ~kOaMask) == 0 && (d & kOaMask) == (prev & kOaMask) + size;
            if (prev_leaf && inside && continues) {
                out.runs.back().end += n;
                if ((d & kContiguous) != 0) {
                    add_contig(out, first, first + n);
                }
            } else {
                const size_t violations_before = out.violations.size();
                leaf(out, inside ? PageRanges() : pages, level, first, d);
                // Only a clean leaf wholly in the set is a model for the next one.
                prev_leaf = out.violations.size() == violations_before && inside;
            }
            prev = d;
        }
    }

    // The pages of the entry [first, first + n) in the set (all of them when pieces is
    // empty), in state leaf.
    static void leaf_pieces(TreeWalk& out, const PageRanges& pieces, uint64_t first, uint64_t n, const Leaf& leaf,
                            bool contig) {
        const auto add = [&](uint64_t a, uint64_t b) {
            append_run(out.runs, a, b, leaf);
            if (contig) {
                add_contig(out, a, b);
            }
        };
        if (pieces.empty()) {
            add(first, first + n);
        } else {
            pieces.each_in(first, first + n, add);
        }
    }

    // A leaf entry; pieces as leaf_pieces.
    void leaf(TreeWalk& out, const PageRanges& pieces, unsigned level, uint64_t first, uint64_t d) const {
        const uint64_t va = first << kPageShift;
        const uint64_t size = level_bytes(level);
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
            if (mmu_valid && config_.own_output && (d & kOaMask) != ((va + config_.delta) & kOaMask)) {
                violation(out, config_.delta == 0 ? "valid leaf not identity-mapped"
                                                  : "valid leaf not at the map's own output address",
                          level, va, d);
            }
            if ((d & config_.res1) != config_.res1) {
                violation(out, "valid leaf without the regime's RES1 bits (AP[1])", level, va, d);
            }
        }
        if ((d & config_.forbidden) != 0) {
            violation(out, "leaf with bits the regime does not have (nG, PXN)", level, va, d);
        }
        leaf_pieces(out, pieces, first, level_pages(level), leaf_of(d, level, va), (d & kContiguous) != 0);
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
    // programming error that can give TLB conflicts. The group of entries [g, g + 16).
    void check_contiguous(TreeWalk& out, const uint64_t* entries, unsigned level, uint64_t base, unsigned g) const {
        const uint64_t size = level_bytes(level);
        bool any = false;
        for (unsigned k = 0; k < 16; ++k) {
            const uint64_t d = entries[g + k];
            const bool is_table = level < kLeafLevel && (d & 3) == 3;
            // Valid leaves only: the MMU ignores every other bit of an invalid entry
            // (the harness compares those bits with the model separately).
            any = any || (!is_table && (d & kDescValid) != 0 && (d & kContiguous) != 0);
        }
        if (!any) {
            return;
        }
        const uint64_t first = entries[g];
        const uint64_t va = (base << kPageShift) + g * size;
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

    uint64_t root_pa_;
    unsigned root_level_;
    TableReader read_;
    WalkerConfig config_;
};

}  // namespace idmap_model

#endif
