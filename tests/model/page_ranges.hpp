// A set of pages as sorted, disjoint, non-adjacent ranges [first, end) of page numbers: the
// part of a table's range the harness checks after a call (the entries the call changed,
// and the pages the model changed), so that a check costs what the call changed, not
// what the map holds.
#ifndef IDMAP_MODEL_PAGE_RANGES_HPP
#define IDMAP_MODEL_PAGE_RANGES_HPP

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace idmap_model {

class PageRanges {
public:
    using Range = std::pair<uint64_t, uint64_t>;

    PageRanges() = default;
    PageRanges(uint64_t first, uint64_t end) { add(first, end); }

    // Adds [first, end); empty ranges add nothing.
    void add(uint64_t first, uint64_t end) {
        if (first >= end) {
            return;
        }
        // Most additions come in address order: after the last range, or from inside it
        // (or its end); else inserted.
        if (ranges_.empty() || ranges_.back().second < first) {
            ranges_.emplace_back(first, end);
            return;
        }
        if (ranges_.back().first <= first) {
            ranges_.back().second = std::max(ranges_.back().second, end);
            return;
        }
        auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                                   [](const Range& r, uint64_t p) { return r.second < p; });
        if (it == ranges_.end() || end < it->first) {
            ranges_.insert(it, Range{first, end});
            return;
        }
        // it touches [first, end): absorb every range up to end.
        it->first = std::min(it->first, first);
        auto last = it;
        while (std::next(last) != ranges_.end() && std::next(last)->first <= end) {
            ++last;
        }
        it->second = std::max(end, last->second);
        ranges_.erase(std::next(it), std::next(last));
    }

    void add(const PageRanges& o) {
        for (const Range& r : o.ranges_) {
            add(r.first, r.second);
        }
    }

    void clear() { ranges_.clear(); }
    bool empty() const { return ranges_.empty(); }
    const std::vector<Range>& ranges() const { return ranges_; }

    // The index of the first range that ends after page (ranges().size() if none).
    size_t find(uint64_t page) const {
        return static_cast<size_t>(std::upper_bound(ranges_.begin(), ranges_.end(), page,
                                                    [](uint64_t p, const Range& r) { return p < r.second; }) -
                                   ranges_.begin());
    }

    // Whether any page of [first, end) is in the set.
    bool overlaps(uint64_t first, uint64_t end) const {
        const size_t i = find(first);
        return i < ranges_.size() && ranges_[i].first < end;
    }

    // fn(first, end) for every range, clipped to [lo, hi), in order.
    template <class F>
    void each_in(uint64_t lo, uint64_t hi, F&& fn) const {
        for (size_t i = find(lo); i < ranges_.size() && ranges_[i].first < hi; ++i) {
            fn(std::max(ranges_[i].first, lo), std::min(ranges_[i].second, hi));
        }
    }

private:
    std::vector<Range> ranges_;
};

}  // namespace idmap_model

#endif
