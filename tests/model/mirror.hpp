// A copy of every table page of a map as the harness last checked it. After a call it
// says which entries the call changed (memory against the copy, no walk of the tree), the
// walker reads it to see the tables as they were before the call (reader()), and the
// tables a check walked are copied in again (replace()). With it a call is checked on the
// pages it changed, and a call that must change nothing is checked byte for byte without
// a snapshot taken before it. The copies are pages of the process's PagePool, the index a
// vector kept sorted: the fuzzer makes thousands of maps a second, and malloc under ASan
// costs more than most checks.
#ifndef IDMAP_MODEL_MIRROR_HPP
#define IDMAP_MODEL_MIRROR_HPP

#include "allocator.hpp"
#include "page_ranges.hpp"
#include "vmsa.hpp"
#include "walker.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace idmap_model {

class TableMirror {
public:
    TableMirror() { tables_.reserve(64); }
    ~TableMirror() {
        for (const Table& t : tables_) {
            PagePool::instance().give_back(t.entries);
        }
    }
    TableMirror(const TableMirror&) = delete;
    TableMirror& operator=(const TableMirror&) = delete;

    size_t size() const { return tables_.size(); }

    // The copy of table page pa, or nullptr.
    const uint64_t* read(uint64_t pa) const {
        const auto it = find(pa);
        return it == tables_.end() ? nullptr : it->entries;
    }
    TableReader reader() const {
        return [this](uint64_t pa) { return read(pa); };
    }

    // Adds to out the pages of every entry that memory holds differently from the copy,
    // and of every copied table whose page is_live(pa) says is no longer a live table page
    // (freed: its parent entry must have changed, or the tree is broken there).
    template <class IsLive>
    void changed(IsLive&& is_live, PageRanges& out) const {
        for (const Table& t : tables_) {
            const uint64_t n = level_pages(t.level);
            const uint64_t base = t.base >> kPageShift;
            if (!is_live(t.pa)) {
                out.add(base, base + n * kEntries);
                continue;
            }
            const auto* now = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(t.pa));
            if (std::memcmp(now, t.entries, kTableBytes) == 0) {
                continue;
            }
            // Each run of changed entries at once.
            for (unsigned i = 0; i < kEntries;) {
                if (now[i] == t.entries[i]) {
                    ++i;
                    continue;
                }
                const unsigned first = i;
                while (i < kEntries && now[i] != t.entries[i]) {
                    ++i;
                }
                out.add(base + first * n, base + i * n);
            }
        }
    }

    // Whether the copy holds table pa, and its range meets no page of pages (a walk of
    // the copy over pages does not reach it).
    bool has_apart_from(uint64_t pa, const PageRanges& pages) const {
        const auto it = find(pa);
        return it != tables_.end() && !meets(*it, pages);
    }

    // The copied tables whose range meets pages, into out (in the order of their
    // addresses): those a walk of the copy over pages reaches (the copy holds the tables
    // reachable at the last check, and only those).
    void meeting(const PageRanges& pages, std::vector<TablePage>& out) const {
        out.clear();
        for (const Table& t : tables_) {
            if (meets(t, pages)) {
                out.push_back(TablePage{t.pa, t.level, t.base});
            }
        }
    }

    // The tables before lists (meeting() the pages a check walked) are gone, but for those
    // reached (their addresses sorted) by the walk of memory over the same pages, after:
    // those are copied from memory.
    void replace(const std::vector<TablePage>& before, const std::vector<TablePage>& after,
                 const std::vector<uint64_t>& reached) {
        const auto gone = [&](const Table& t) {
            const bool was = std::binary_search(before.begin(), before.end(), TablePage{t.pa, 0, 0}, by_address);
            return was && !std::binary_search(reached.begin(), reached.end(), t.pa);
        };
        for (const Table& t : tables_) {
            if (gone(t)) {
                PagePool::instance().give_back(t.entries);
            }
        }
        tables_.erase(std::remove_if(tables_.begin(), tables_.end(), gone), tables_.end());
        // Tables new to the copy go at the end, then into their place at once (a map can
        // make hundreds in a call).
        const size_t kept = tables_.size();
        for (const TablePage& t : after) {
            auto it = std::lower_bound(tables_.begin(), tables_.begin() + static_cast<std::ptrdiff_t>(kept), t.pa,
                                       [](const Table& a, uint64_t pa) { return a.pa < pa; });
            Table* copy = it != tables_.begin() + static_cast<std::ptrdiff_t>(kept) && it->pa == t.pa ? &*it : nullptr;
            if (copy == nullptr) {
                tables_.push_back(Table{t.pa, 0, 0, static_cast<uint64_t*>(PagePool::instance().take())});
                copy = &tables_.back();
            }
            copy->level = t.level;
            copy->base = t.base;
            std::memcpy(copy->entries, reinterpret_cast<const void*>(static_cast<uintptr_t>(t.pa)), kTableBytes);
        }
        std::sort(tables_.begin() + static_cast<std::ptrdiff_t>(kept), tables_.end(),
                  [](const Table& a, const Table& b) { return a.pa < b.pa; });
        std::inplace_merge(tables_.begin(), tables_.begin() + static_cast<std::ptrdiff_t>(kept), tables_.end(),
                           [](const Table& a, const Table& b) { return a.pa < b.pa; });
    }

private:
    static constexpr size_t kTableBytes = kEntries * sizeof(uint64_t);
    struct Table {
        uint64_t pa;
        unsigned level;
        uint64_t base;      // input offset of its first entry
        uint64_t* entries;  // the copy: a page of the PagePool
    };

    static bool by_address(const TablePage& a, const TablePage& b) { return a.pa < b.pa; }

    std::vector<Table>::const_iterator find(uint64_t pa) const {
        const auto it = std::lower_bound(tables_.begin(), tables_.end(), pa,
                                         [](const Table& a, uint64_t p) { return a.pa < p; });
        return it != tables_.end() && it->pa == pa ? it : tables_.end();
    }

    static bool meets(const Table& t, const PageRanges& pages) {
        const uint64_t base = t.base >> kPageShift;
        return pages.overlaps(base, base + level_pages(t.level) * kEntries);
    }

    std::vector<Table> tables_;  // sorted by address
};

}  // namespace idmap_model

#endif
