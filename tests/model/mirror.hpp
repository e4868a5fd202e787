// A copy of every table page of a map as the harness last checked it. After a call it
// says which entries the call changed (memory against the copy, no walk of the tree), the
// walker reads it to see the tables as they were before the call (reader()), and the
// tables a check walked are copied in again (replace()). With it a call is checked on the
// pages it changed, and a call that must change nothing is checked byte for byte without
// a snapshot taken before it. The copies are pages of the process's PagePool: the fuzzer
// makes thousands of maps a second, and malloc under ASan costs more than a check.
#ifndef IDMAP_MODEL_MIRROR_HPP
#define IDMAP_MODEL_MIRROR_HPP

#include "allocator.hpp"
#include "page_ranges.hpp"
#include "vmsa.hpp"
#include "walker.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace idmap_model {

class TableMirror {
public:
    TableMirror() = default;
    ~TableMirror() { clear(); }
    TableMirror(const TableMirror&) = delete;
    TableMirror& operator=(const TableMirror&) = delete;

    size_t size() const { return tables_.size(); }

    // The copy of table page pa, or nullptr.
    const uint64_t* read(uint64_t pa) const {
        const auto it = tables_.find(pa);
        return it == tables_.end() ? nullptr : it->second.entries;
    }
    TableReader reader() const {
        return [this](uint64_t pa) { return read(pa); };
    }

    // Adds to out the pages of every entry that memory holds differently from the copy,
    // and of every copied table whose page is_live(pa) says is no longer a live table page
    // (freed: its parent entry must have changed, or the tree is broken there).
    template <class IsLive>
    void changed(IsLive&& is_live, PageRanges& out) const {
        for (const auto& [pa, t] : tables_) {
            const uint64_t n = level_pages(t.level);
            const uint64_t base = t.base >> kPageShift;
            if (!is_live(pa)) {
                out.add(base, base + n * kEntries);
                continue;
            }
            const auto* now = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(pa));
            if (std::memcmp(now, t.entries, kTableBytes) == 0) {
                continue;
            }
            for (unsigned i = 0; i < kEntries; ++i) {
                if (now[i] != t.entries[i]) {
                    out.add(base + i * n, base + (i + 1) * n);
                }
            }
        }
    }

    // Whether the copy holds table pa, and its range meets no page of pages (a walk of
    // the copy over pages does not reach it).
    bool has_apart_from(uint64_t pa, const PageRanges& pages) const {
        const auto it = tables_.find(pa);
        return it != tables_.end() && !meets(it->second, pages);
    }

    // The copied tables whose range meets pages, into out: those a walk of the copy over
    // pages reaches (the copy holds the tables reachable at the last check, and only those).
    void meeting(const PageRanges& pages, std::vector<TablePage>& out) const {
        out.clear();
        for (const auto& [pa, t] : tables_) {
            if (meets(t, pages)) {
                out.push_back(TablePage{pa, t.level, t.base});
            }
        }
    }

    // The tables before lists (meeting() the pages a check walked) are gone; those after
    // lists (the walk of memory over the same pages, reached: their addresses sorted) are
    // copied from memory.
    void replace(const std::vector<TablePage>& before, const std::vector<TablePage>& after,
                 const std::vector<uint64_t>& reached) {
        for (const TablePage& t : before) {
            if (!std::binary_search(reached.begin(), reached.end(), t.pa)) {
                auto node = tables_.extract(t.pa);
                PagePool::instance().give_back(node.mapped().entries);
                spare_.push_back(std::move(node));  // serves the next new table
            }
        }
        for (const TablePage& t : after) {
            auto it = tables_.find(t.pa);
            if (it == tables_.end()) {
                auto* copy = static_cast<uint64_t*>(PagePool::instance().take());
                if (spare_.empty()) {
                    it = tables_.emplace(t.pa, Table{}).first;
                } else {
                    spare_.back().key() = t.pa;
                    it = tables_.insert(std::move(spare_.back())).position;
                    spare_.pop_back();
                }
                it->second.entries = copy;
            }
            it->second.level = t.level;
            it->second.base = t.base;
            std::memcpy(it->second.entries, reinterpret_cast<const void*>(static_cast<uintptr_t>(t.pa)), kTableBytes);
        }
    }

    void clear() {
        for (const auto& entry : tables_) {
            PagePool::instance().give_back(entry.second.entries);
        }
        tables_.clear();
    }

private:
    static constexpr size_t kTableBytes = kEntries * sizeof(uint64_t);
    struct Table {
        unsigned level = 0;
        uint64_t base = 0;  // input offset of its first entry
        uint64_t* entries = nullptr;  // the copy: a page of the PagePool
    };
    using Tables = std::map<uint64_t, Table>;  // by page address

    static bool meets(const Table& t, const PageRanges& pages) {
        const uint64_t base = t.base >> kPageShift;
        return pages.overlaps(base, base + level_pages(t.level) * kEntries);
    }

    Tables tables_;
    std::vector<Tables::node_type> spare_;  // copies of tables gone, for reuse
};

}  // namespace idmap_model

#endif
