// The linter (lint.hpp). One depth-first walk per tree, in address order, recursing per
// table (depth at most four); a concatenated stage-2 root is walked table by table. The
// caller's scratch holds, from the front, the set of tables reached in the current tree
// (so that a table reached twice is reported and not walked twice) and, from the back,
// the runs of writable or executable leaves of every tree; once all trees are walked the
// runs are sorted by physical address and swept for W^X aliases.
#include "aarch64_paging/lint.hpp"

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/translation.hpp"
#include "bounded_text.hpp"

namespace aarch64_paging {

namespace {

using G = Granule4K;

constexpr uint64_t VALID = uint64_t{1} << 0;
constexpr uint64_t TABLE_OR_PAGE = uint64_t{1} << 1;
constexpr uint64_t OA_MASK = G::output_address_mask;
constexpr uint64_t AP2 = uint64_t{1} << 7;
constexpr uint64_t ACCESS_FLAG = uint64_t{1} << 10;
constexpr uint64_t NT = BLOCK_NT;
constexpr uint64_t GP = uint64_t{1} << 50;
constexpr uint64_t DBM = uint64_t{1} << 51;
constexpr uint64_t CONTIGUOUS = uint64_t{1} << 52;
// 4 KiB granule: 16 entries per contiguous group at every level with leaves.
constexpr unsigned GROUP = 16;
// A run keeps its tree in the 12 low bits of its (page-aligned) virtual address.
constexpr size_t MAX_TREES = 4096;

// RES0 bits of a block or page descriptor (D8.3): OA[49:48], which only FEAT_LPA2 uses;
// GP (bit 50) without FEAT_BTI; and the bits the regime lacks (regime.hpp), AP[1] aside,
// which is RES1 there. At stage 2 those are nG, GP whatever FEAT_BTI (it is stage 1's)
// and XN[0], which FEAT_XNX makes a bit.
uint64_t leaf_res0(TranslationRegime regime, uint32_t features) {
    uint64_t res0 = (uint64_t{3} << 48) | (refused_bits(regime) & ~res1_bits(regime));
    if (is_stage2(regime)) {
        return (features & lint_features::XNX) != 0 ? res0 & ~STAGE2_XN0 : res0;
    }
    if ((features & lint_features::BTI) == 0) {
        res0 |= GP;
    }
    return res0;
}

// RES0 bits of a table descriptor (D8.3): 51:48; and PXNTable and APTable[0] where the
// regime has one privilege level (D8.4, "Hierarchical control of data access permissions");
// at stage 2, which has no hierarchical attributes, 63:59.
uint64_t table_res0(TranslationRegime regime) {
    uint64_t res0 = uint64_t{0xf} << 48;
    if (is_stage2(regime)) {
        res0 |= uint64_t{0x1f} << 59;
    } else if (!has_two_privilege_levels(regime)) {
        res0 |= table_limits::PXN_TABLE | table_limits::AP_TABLE_NO_EL0;
    }
    return res0;
}

// The tables of a tree's root: 0 reads as 1.
unsigned root_tables(const LintTree& tree) { return tree.root_tables != 0 ? tree.root_tables : 1; }

// A valid block (levels 1, 2) or page (level 3) descriptor.
bool is_leaf(uint64_t d, unsigned level) {
    if ((d & VALID) == 0) {
        return false;
    }
    return level == G::leaf_level ? (d & TABLE_OR_PAGE) != 0
                                  : G::block_allowed(level) && (d & TABLE_OR_PAGE) == 0;
}

const uint64_t* resolve(const LintTree& tree, uint64_t pa) {
    const void* p = nullptr;
    if (tree.translate != nullptr) {
        p = tree.translate(tree.ctx, pa);
    } else {
        for (size_t i = 0; i < tree.pool_count && p == nullptr; ++i) {
            const LintPool& pool = tree.pools[i];
            if (pa >= pool.base && pool.size >= G::page_size && pa - pool.base <= pool.size - G::page_size) {
                p = pool.data != nullptr ? static_cast<const char*>(pool.data) + (pa - pool.base)
                                         : IdTranslation::virt(PhysicalAddress(pa));
            }
        }
    }
    // Descriptors are read as 64-bit words.
    if ((reinterpret_cast<uintptr_t>(p) & 7) != 0) {
        return nullptr;
    }
    return static_cast<const uint64_t*>(p);
}

// The leaf that maps va in the stage-1 tree in, whose tables are read as tree's are; 0
// where none does (an invalid entry, va outside it, or a table page tree may not use).
uint64_t leaf_at(const LintTree& tree, const LintProtector& in, uint64_t va) {
    const uint64_t offset = va - in.va_base;
    if ((offset >> G::level_shift(in.root_level)) >= G::entries) {
        return 0;
    }
    uint64_t table = in.root;
    for (unsigned level = in.root_level;; ++level) {
        const uint64_t* entries = resolve(tree, table);
        const uint64_t d = entries != nullptr ? entries[(offset >> G::level_shift(level)) & (G::entries - 1)] : 0;
        if (level < G::leaf_level && (d & (VALID | TABLE_OR_PAGE)) == (VALID | TABLE_OR_PAGE)) {
            table = d & OA_MASK;
            continue;
        }
        return is_leaf(d, level) ? d : 0;
    }
}

bool valid_tree(const LintTree& tree) {
    if (tree.root_level > G::leaf_level || (!is_known(tree.regime) && !is_stage2(tree.regime)) ||
        (tree.root & (G::page_size - 1)) != 0) {
        return false;
    }
    // A concatenated root (D8.2): stage 2 only, 2 to 16 tables, aligned to their size,
    // resolving at most 48 input address bits (none at level 0).
    const unsigned tables = root_tables(tree);
    const uint64_t bytes = uint64_t{tables} * G::page_size;
    if (tables > 16 || (tables & (tables - 1)) != 0 || (tables > 1 && !is_stage2(tree.regime)) ||
        (tree.root & (bytes - 1)) != 0 ||
        (G::level_size(tree.root_level) << G::index_bits) * tables > (uint64_t{1} << G::max_va_bits)) {
        return false;
    }
    if (tree.translate == nullptr) {
        if (tree.pools == nullptr || tree.pool_count == 0) {
            return false;
        }
        for (size_t i = 0; i < tree.pool_count; ++i) {
            if ((tree.pools[i].base & (G::page_size - 1)) != 0) {
                return false;
            }
        }
    }
    for (unsigned p = 0; p < tables; ++p) {
        if (resolve(tree, tree.root + p * G::page_size) == nullptr) {
            return false;
        }
    }
    return true;
}

// A run of leaves of one tree, one level and the same attributes, whose input and output
// addresses both follow on, and which are writable or executable.
struct Run {
    uint64_t pa = 0;
    uint64_t va = 0;
    uint64_t size = 0;
    uint64_t descriptor = 0;  // the first leaf's
    uint32_t tree = 0;
    uint8_t level = 0;
    bool write = false;
    bool execute = false;
};

// The caller's scratch: the table set from the front (2 words a table: its address, and
// the address that first reached it), the runs from the back (4 words a run: pa | level |
// write << 2 | execute << 3, va | tree, size, descriptor). The table set is a sorted part
// and an unsorted tail of at most TAIL tables, merged into it when full: a lookup is a
// binary search and a short scan, an insertion amortised O(tables / TAIL).
class Scratch {
public:
    static constexpr size_t TAIL = 32;

    Scratch(uint64_t* words, size_t count) : w_(words), n_(words != nullptr ? count : 0) {}

    bool find_table(uint64_t pa, uint64_t& first_va) const {
        size_t lo = 0;
        size_t hi = sorted_;
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (w_[2 * mid] < pa) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo < sorted_ && w_[2 * lo] == pa) {
            first_va = w_[2 * lo + 1];
            return true;
        }
        for (size_t i = sorted_; i < tables_; ++i) {
            if (w_[2 * i] == pa) {
                first_va = w_[2 * i + 1];
                return true;
            }
        }
        return false;
    }
    bool add_table(uint64_t pa, uint64_t va) {
        if (2 * (tables_ + 1) + 4 * runs_ > n_) {
            return false;
        }
        w_[2 * tables_] = pa;
        w_[2 * tables_ + 1] = va;
        ++tables_;
        if (tables_ - sorted_ == TAIL) {
            merge_tail();
        }
        return true;
    }
    void clear_tables() { tables_ = sorted_ = 0; }

    size_t runs() const { return runs_; }
    bool push_run(const Run& r) {
        if (2 * tables_ + 4 * (runs_ + 1) > n_) {
            return false;
        }
        ++runs_;
        store(runs_ - 1, r);
        return true;
    }
    void clear_runs() { runs_ = 0; }
    Run run(size_t i) const {
        const uint64_t* e = at(i);
        Run r;
        r.pa = e[0] & ~(G::page_size - 1);
        r.level = static_cast<uint8_t>(e[0] & 3);
        r.write = (e[0] & 4) != 0;
        r.execute = (e[0] & 8) != 0;
        r.va = e[1] & ~(G::page_size - 1);
        r.tree = static_cast<uint32_t>(e[1] & (G::page_size - 1));
        r.size = e[2];
        r.descriptor = e[3];
        return r;
    }
    // Heap sort of the runs by physical address: in place, no recursion, O(n log n).
    void sort_runs() {
        for (size_t i = runs_ / 2; i-- > 0;) {
            sift_down(i, runs_);
        }
        for (size_t end = runs_; end-- > 1;) {
            swap(0, end);
            sift_down(0, end);
        }
    }

private:
    uint64_t* at(size_t i) { return w_ + n_ - 4 * (i + 1); }
    const uint64_t* at(size_t i) const { return w_ + n_ - 4 * (i + 1); }
    void store(size_t i, const Run& r) {
        uint64_t* e = at(i);
        e[0] = r.pa | r.level | (r.write ? 4u : 0u) | (r.execute ? 8u : 0u);
        e[1] = r.va | r.tree;
        e[2] = r.size;
        e[3] = r.descriptor;
    }
    uint64_t key(size_t i) const { return at(i)[0]; }
    void swap(size_t i, size_t j) {
        uint64_t* a = at(i);
        uint64_t* b = at(j);
        for (unsigned k = 0; k < 4; ++k) {
            const uint64_t t = a[k];
            a[k] = b[k];
            b[k] = t;
        }
    }
    void sift_down(size_t i, size_t end) {
        for (;;) {
            size_t child = 2 * i + 1;
            if (child >= end) {
                return;
            }
            if (child + 1 < end && key(child + 1) > key(child)) {
                ++child;
            }
            if (key(i) >= key(child)) {
                return;
            }
            swap(i, child);
            i = child;
        }
    }
    // Sorts the tail (insertion sort, TAIL entries) into a buffer, then merges it with
    // the sorted part from the back, in place.
    void merge_tail() {
        uint64_t buf[2 * TAIL];
        const size_t n = tables_ - sorted_;
        for (size_t i = 0; i < n; ++i) {
            uint64_t pa = w_[2 * (sorted_ + i)];
            uint64_t va = w_[2 * (sorted_ + i) + 1];
            size_t j = i;
            for (; j > 0 && buf[2 * (j - 1)] > pa; --j) {
                buf[2 * j] = buf[2 * (j - 1)];
                buf[2 * j + 1] = buf[2 * (j - 1) + 1];
            }
            buf[2 * j] = pa;
            buf[2 * j + 1] = va;
        }
        size_t i = sorted_;
        size_t j = n;
        for (size_t k = tables_; j > 0; --k) {
            if (i > 0 && w_[2 * (i - 1)] > buf[2 * (j - 1)]) {
                w_[2 * (k - 1)] = w_[2 * (i - 1)];
                w_[2 * (k - 1) + 1] = w_[2 * (i - 1) + 1];
                --i;
            } else {
                w_[2 * (k - 1)] = buf[2 * (j - 1)];
                w_[2 * (k - 1) + 1] = buf[2 * (j - 1) + 1];
                --j;
            }
        }
        sorted_ = tables_;
    }

    uint64_t* w_;
    size_t n_;
    size_t tables_ = 0;
    size_t sorted_ = 0;
    size_t runs_ = 0;
};

class Linter {
public:
    Linter(const LintOptions& options, const LintSink& sink, LintReport& report)
        : checks_(options.checks != 0 ? options.checks : lint_checks::ALL),
          features_(options.features),
          scratch_(options.scratch, options.scratch_words),
          scratch_words_(options.scratch != nullptr ? options.scratch_words : 0),
          sink_(sink),
          report_(report) {}

    Result run(const LintTrees& trees) {
        for (size_t t = 0; t < trees.count; ++t) {
            LintTree tree;
            (void)trees.source(trees.ctx, t, tree);  // checked before the run
            walk_tree(tree, static_cast<uint32_t>(t));
        }
        flush_run();
        const bool wx = (checks_ & lint_checks::WX_ALIASES) != 0;
        if (wx && !runs_dropped_) {
            scratch_.sort_runs();
            sweep();
        }
        report_.runs = runs_needed_;
        report_.scratch_words = lint_scratch_words(max_tables_, wx ? runs_needed_ : 0);
        if ((wx && runs_dropped_) || tables_dropped_) {
            return MapError::out_of_memory(report_.scratch_words, scratch_words_, 0,
                                           out_of_memory_what::LINT_SCRATCH);
        }
        return {};
    }

private:
    bool structure() const { return (checks_ & lint_checks::STRUCTURE) != 0; }

    void add(const LintFinding& f) {
        if (sink_.fn != nullptr) {
            sink_.fn(sink_.ctx, report_.findings, f);
        }
        ++report_.findings;
    }
    LintFinding finding(LintKind kind, unsigned level, unsigned index, uint64_t va, uint64_t d) const {
        LintFinding f;
        f.kind = kind;
        f.level = static_cast<uint8_t>(level);
        f.index = static_cast<uint16_t>(index);
        f.tree = tree_index_;
        f.other_tree = tree_index_;
        f.va = va;
        f.descriptor = d;
        return f;
    }

    void walk_tree(const LintTree& tree, uint32_t index) {
        tree_ = &tree;  // for this call only
        tree_index_ = index;
        // What the regime decides, once per tree rather than per entry.
        leaf_res0_ = leaf_res0(tree.regime, features_);
        table_res0_ = table_res0(tree.regime);
        res1_ = res1_bits(tree.regime);
        scratch_.clear_tables();
        tables_ = 0;
        depth_ = 0;
        // Every table of the root is recorded before the walk, so that a reference into
        // any of them is one to the root (a loop), never a first visit.
        const unsigned tables = root_tables(tree);
        const uint64_t span = G::level_size(tree.root_level) << G::index_bits;  // one root table's
        root_ = tree.root;
        root_bytes_ = uint64_t{tables} * G::page_size;
        for (unsigned p = 0; p < tables; ++p) {
            if (!add_table(tree.root + p * G::page_size, tree.va_base + p * span)) {
                tables_dropped_ = true;
                return;
            }
        }
        for (unsigned p = 0; p < tables; ++p) {
            const uint64_t pa = tree.root + p * G::page_size;
            check_read_only(tree.root_level, 0, tree.va_base + p * span, 0, pa);
            path_[0] = pa;  // (a reference to any root table is a loop: table_entry)
            depth_ = 1;
            walk_table(resolve(tree, pa), tree.root_level, tree.va_base + p * span, 0);
        }
    }

    bool add_table(uint64_t pa, uint64_t va) {
        ++tables_;
        max_tables_ = tables_ > max_tables_ ? tables_ : max_tables_;
        ++report_.tables;
        if (scratch_.add_table(pa, va)) {
            return true;
        }
        // The structure comes first: give up the W^X check to make room.
        if (scratch_.runs() != 0) {
            scratch_.clear_runs();
            runs_dropped_ = true;
            if (scratch_.add_table(pa, va)) {
                return true;
            }
        }
        return false;
    }

    // Findings in address order; a contiguous group's follows those of its 16 entries.
    void walk_table(const uint64_t* table, unsigned level, uint64_t base, uint64_t limits) {
        const uint64_t size = G::level_size(level);
        uint64_t va = base;
        for (unsigned i = 0; i < G::entries; ++i, va += size) {
            const uint64_t d = table[i];
            if ((d & VALID) == 0) {
                // Every other bit is ignored.
            } else if (level < G::leaf_level && (d & TABLE_OR_PAGE) != 0) {
                table_entry(d, level, i, va, limits);
            } else if (!is_leaf(d, level)) {
                if (structure()) {
                    add(finding(LintKind::BlockNotAllowed, level, i, va, d));
                }
            } else {
                leaf_entry(d, level, i, va, limits);
            }
            if (structure() && level > 0 && i % GROUP == GROUP - 1) {
                check_group(table, level, i + 1 - GROUP, base);
            }
        }
    }

    void table_entry(uint64_t d, unsigned level, unsigned i, uint64_t va, uint64_t limits) {
        if (structure()) {
            if (const uint64_t res0 = d & table_res0_; res0 != 0) {
                LintFinding f = finding(LintKind::Res0Bits, level, i, va, d);
                f.bits = res0;
                add(f);
            }
        }
        const uint64_t pa = d & OA_MASK;
        const uint64_t* sub = resolve(*tree_, pa);
        LintFinding f = finding(LintKind::TableOutsidePool, level, i, va, d);
        f.pa = pa;
        if (sub == nullptr) {
            if (structure()) {
                add(f);
            }
            return;
        }
        uint64_t first_va = 0;
        const bool seen = scratch_.find_table(pa, first_va);
        if (seen) {
            // Any table of a concatenated root is on every path: the root is one table.
            f.kind = pa - root_ < root_bytes_ ? LintKind::TableLoop : LintKind::TableShared;
            for (unsigned k = 1; k < depth_; ++k) {
                f.kind = path_[k] == pa ? LintKind::TableLoop : f.kind;
            }
            f.other_va = first_va;
            if (structure()) {
                add(f);
            }
            return;  // walked once already, or being walked
        }
        if (!add_table(pa, va)) {
            tables_dropped_ = true;  // cannot tell a second visit from a first: stop here
            return;
        }
        check_read_only(level, i, va, d, pa);
        path_[depth_++] = pa;
        walk_table(sub, level + 1, va, limits | (d & table_limits::ALL));
        --depth_;
    }

    // TableWritable at the entry d (level, index i, va) that links table page pa, where the
    // tree's tables are to be read-only in another tree and it lets pa be written.
    void check_read_only(unsigned level, unsigned i, uint64_t va, uint64_t d, uint64_t pa) {
        if (tree_->read_only_in.root == 0 || !structure()) {
            return;
        }
        const uint64_t leaf = leaf_at(*tree_, tree_->read_only_in, pa);
        if ((leaf & AP2) == 0 || (leaf & DBM) != 0) {
            LintFinding f = finding(LintKind::TableWritable, level, i, va, d);
            f.pa = pa;
            f.bits = leaf;
            add(f);
        }
    }

    void leaf_entry(uint64_t d, unsigned level, unsigned i, uint64_t va, uint64_t limits) {
        const uint64_t size = G::level_size(level);
        if (structure()) {
            if (const uint64_t res0 = d & leaf_res0_; res0 != 0) {
                LintFinding f = finding(LintKind::Res0Bits, level, i, va, d);
                f.bits = res0;
                add(f);
            }
            if (const uint64_t clear = res1_ & ~d; clear != 0) {
                LintFinding f = finding(LintKind::Res1Clear, level, i, va, d);
                f.bits = clear;
                add(f);
            }
            const uint64_t nt = (features_ & lint_features::BBM) != 0 ? NT : 0;
            if (const uint64_t low = d & OA_MASK & (size - 1) & ~nt; low != 0) {
                LintFinding f = finding(LintKind::MisalignedOutput, level, i, va, d);
                f.bits = low;
                add(f);
            }
        }
        if ((checks_ & lint_checks::GUARDED) != 0 && (d & GP) == 0 && !is_stage2(tree_->regime)) {
            const Access a = leaf_access(d, tree_->regime, limits);
            if (a.execute || a.user_execute) {
                add(finding(LintKind::UnguardedCode, level, i, va, d));
            }
        }
        if ((checks_ & lint_checks::WX_ALIASES) != 0) {
            record(d, level, va, limits);
        }
    }

    // The group of 16 entries from first (Arm ARM, "The Contiguous bit"): if any valid
    // leaf has the bit, all 16 must be valid leaves with it, with identical attributes,
    // mapping one contiguous output range aligned to the group's size.
    void check_group(const uint64_t* table, unsigned level, unsigned first, uint64_t base) {
        const uint64_t size = G::level_size(level);
        unsigned ref = GROUP;
        for (unsigned k = 0; k < GROUP && ref == GROUP; ++k) {
            const uint64_t e = table[first + k];
            ref = is_leaf(e, level) && (e & CONTIGUOUS) != 0 ? k : GROUP;
        }
        if (ref == GROUP) {
            return;
        }
        const uint64_t r = table[first + ref];
        // What may differ: the output address, and the Access flag and (with DBM) AP[2],
        // which FEAT_HAFDBS updates one entry at a time.
        const uint64_t varies = OA_MASK | ACCESS_FLAG | ((r & DBM) != 0 ? AP2 : 0);
        const uint64_t group_oa = (r & OA_MASK) - ref * size;
        const uint64_t group_va = base + first * size;
        for (unsigned k = 0; k <= GROUP; ++k) {
            bool fits = true;
            unsigned at = k;
            if (k < GROUP) {
                const uint64_t e = table[first + k];
                fits = is_leaf(e, level) && (e & CONTIGUOUS) != 0 && ((e ^ r) & ~varies) == 0 &&
                       (e & OA_MASK) == group_oa + k * size;
            } else {
                fits = (group_oa & (GROUP * size - 1)) == 0;
                at = 0;
            }
            if (!fits) {
                LintFinding f = finding(LintKind::Contiguous, level, first + at, group_va + at * size,
                                        table[first + at]);
                f.other_va = group_va;
                add(f);
                return;
            }
        }
    }

    // Adds a writable or executable leaf to the open run, or closes that run and opens
    // another. The open run lives here, not in the scratch, so the count of runs needed
    // is exact even once the scratch is full.
    void record(uint64_t d, unsigned level, uint64_t va, uint64_t limits) {
        const Access a = leaf_access(d, tree_->regime, limits);
        if (!a.any_write() && !a.any_execute()) {
            return;
        }
        const uint64_t size = G::level_size(level);
        const uint64_t pa = d & OA_MASK & ~(size - 1);
        if (open_ && open_run_.tree == tree_index_ && open_run_.level == level &&
            open_run_.write == a.any_write() && open_run_.execute == a.any_execute() &&
            ((open_run_.descriptor ^ d) & ~OA_MASK) == 0 &&
            (d & OA_MASK) == (open_run_.descriptor & OA_MASK) + open_run_.size &&
            open_run_.va + open_run_.size == va && open_run_.pa + open_run_.size == pa) {
            open_run_.size += size;
            return;
        }
        flush_run();
        open_ = true;
        open_run_ = Run{pa, va, size, d, tree_index_, static_cast<uint8_t>(level), a.any_write(), a.any_execute()};
    }
    void flush_run() {
        if (!open_) {
            return;
        }
        open_ = false;
        ++runs_needed_;
        if (!runs_dropped_ && !scratch_.push_run(open_run_)) {
            scratch_.clear_runs();
            runs_dropped_ = true;
        }
    }

    // Every pair of runs whose physical ranges overlap, one writable and the other
    // executable. Sorted by start, the runs that overlap run i follow it directly.
    void sweep() {
        const size_t n = scratch_.runs();
        for (size_t i = 0; i < n; ++i) {
            const Run a = scratch_.run(i);
            const uint64_t a_end = a.pa + a.size;
            for (size_t j = i + 1; j < n; ++j) {
                const Run b = scratch_.run(j);
                if (b.pa >= a_end) {
                    break;
                }
                const uint64_t b_end = b.pa + b.size;
                const uint64_t end = a_end < b_end ? a_end : b_end;
                if (a.write && b.execute) {
                    alias(a, b, b.pa, end);
                } else if (b.write && a.execute) {
                    alias(b, a, b.pa, end);
                }
            }
        }
    }
    void alias(const Run& w, const Run& x, uint64_t start, uint64_t end) {
        const uint64_t size = G::level_size(w.level);
        const uint64_t leaf = (start - w.pa) / size;  // the writable leaf holding start
        LintFinding f;
        f.kind = LintKind::WxAlias;
        f.level = w.level;
        f.index = static_cast<uint16_t>(G::index(w.va + leaf * size, w.level));
        f.tree = w.tree;
        f.other_tree = x.tree;
        f.va = w.va + (start - w.pa);
        f.descriptor = w.descriptor + leaf * size;
        f.other_va = x.va + (start - x.pa);
        f.pa = start;
        f.size = end - start;
        add(f);
    }

    const uint32_t checks_;
    const uint32_t features_;
    Scratch scratch_;
    const size_t scratch_words_;  // what the scratch holds, for the error
    const LintSink sink_;
    LintReport& report_;

    const LintTree* tree_ = nullptr;
    uint32_t tree_index_ = 0;
    uint64_t leaf_res0_ = 0;   // the current tree's RES0 bits of blocks and pages
    uint64_t table_res0_ = 0;  // of table descriptors
    uint64_t res1_ = 0;        // its RES1 bits of blocks and pages
    uint64_t root_ = 0;        // its root
    uint64_t root_bytes_ = 0;  // the root's tables, in bytes
    uint64_t path_[G::leaf_level + 1] = {};  // the tables from the root to the one walked
    unsigned depth_ = 0;
    size_t tables_ = 0;      // in the current tree
    size_t max_tables_ = 0;  // over the trees
    bool tables_dropped_ = false;
    Run open_run_;
    bool open_ = false;
    size_t runs_needed_ = 0;
    bool runs_dropped_ = false;
};

// Table pages of the library's own mappings: identity-translated and trusted.
const void* identity_table(void*, uint64_t pa) {
    return pa != 0 ? IdTranslation::virt(PhysicalAddress(pa)) : nullptr;
}

}  // namespace

const char* lint_kind_str(LintKind kind) {
    switch (kind) {
        case LintKind::Res0Bits: return "RES0 bits set";
        case LintKind::Res1Clear: return "RES1 bits clear";
        case LintKind::BlockNotAllowed: return "block not allowed at this level";
        case LintKind::MisalignedOutput: return "output address not aligned to the block";
        case LintKind::Contiguous: return "inconsistent contiguous group";
        case LintKind::TableOutsidePool: return "table outside the pool";
        case LintKind::TableLoop: return "table loop";
        case LintKind::TableShared: return "table reached twice";
        case LintKind::WxAlias: return "W^X alias";
        case LintKind::UnguardedCode: return "executable without GP";
        case LintKind::TableWritable: return "table page writable where it is protected";
    }
    return "unknown finding";
}

void write_finding(TextWriter& out, const LintFinding& f) {
    const bool trees = f.tree != 0 || f.other_tree != 0;
    out.str(lint_kind_str(f.kind)).str(": ");
    if (trees) {
        out.str("tree ").dec(f.tree).chr(' ');
    }
    out.chr('L').dec(f.level).chr('[').dec(f.index).str("] va ").hex(f.va);
    out.str(", descriptor ").hex(f.descriptor);
    switch (f.kind) {
        case LintKind::Res0Bits:
        case LintKind::Res1Clear:
        case LintKind::MisalignedOutput:
            out.str(", bits ").hex(f.bits);
            break;
        case LintKind::Contiguous:
            out.str(", group at va ").hex(f.other_va);
            break;
        case LintKind::TableOutsidePool:
            out.str(", table ").hex(f.pa);
            break;
        case LintKind::TableWritable:
            out.str(", table ").hex(f.pa);
            if (f.bits != 0) {
                out.str(" mapped writable by ").hex(f.bits);
            } else {
                out.str(" not mapped");
            }
            break;
        case LintKind::TableLoop:
        case LintKind::TableShared:
            out.str(", table ").hex(f.pa).str(" first reached at va ").hex(f.other_va);
            break;
        case LintKind::WxAlias:
            out.str(", writable; executable at ");
            if (trees) {
                out.str("tree ").dec(f.other_tree).chr(' ');
            }
            out.str("va ").hex(f.other_va).str(": pa ").hex(f.pa).str(", ").hex(f.size).str(" bytes");
            break;
        case LintKind::BlockNotAllowed:
        case LintKind::UnguardedCode:
            break;
    }
}

size_t format_finding(const LintFinding& finding, char* buf, size_t len) {
    return detail::format_bounded(buf, len, [&](TextWriter& out) { write_finding(out, finding); });
}

Result lint(const LintTrees& trees, const LintOptions& options, const LintSink& sink,
            LintReport& report) {
    report = LintReport();
    if ((trees.source == nullptr && trees.count != 0) || trees.count > MAX_TREES) {
        return Status::InvalidArgument;
    }
    for (size_t i = 0; i < trees.count; ++i) {
        LintTree tree;
        if (!trees.source(trees.ctx, i, tree) || !valid_tree(tree)) {
            return Status::InvalidArgument;
        }
    }
    Linter linter(options, sink, report);
    return linter.run(trees);
}

namespace {

struct ArrayOut {
    LintFinding* out;
    size_t max;
};

bool from_array(const void* ctx, size_t index, LintTree& tree) {
    tree = static_cast<const LintTree*>(ctx)[index];
    return true;
}

void to_array(void* ctx, size_t n, const LintFinding& finding) {
    const auto* a = static_cast<const ArrayOut*>(ctx);
    if (n < a->max) {
        a->out[n] = finding;
    }
}

}  // namespace

Result lint(const LintTree* trees, size_t count, const LintOptions& options, LintFinding* out,
            size_t max, LintReport& report) {
    if (trees == nullptr && count != 0) {
        report = LintReport();
        return Status::InvalidArgument;
    }
    ArrayOut array{out, out != nullptr ? max : 0};
    const LintTrees source{&from_array, trees, count};
    return lint(source, options, LintSink{&to_array, &array}, report);
}

LintTree lint_tree(const Mapping<>& mapping) {
    LintTree tree;
    tree.root = mapping.root_address().value();
    tree.root_level = mapping.root_level();
    tree.regime = mapping.regime().regime;
    tree.va_base = mapping.va_base();
    tree.translate = &identity_table;
    tree.root_tables = mapping.root_tables();
    if (const Mapping<>* in = mapping.tables_read_only_in(); in != nullptr) {
        tree.read_only_in = LintProtector{in->root_address().value(), in->root_level(), in->va_base()};
    }
    return tree;
}

}  // namespace aarch64_paging
