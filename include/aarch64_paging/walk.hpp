/// @file
/// The one walk of the core (mapping.hpp): a skeleton that goes through the entries of a
/// range, table by table, and the operations over it - visit (walk_range), modify
/// (modify_range), map (map_range, tables_needed) and unmap (unmap_range) - each a few
/// rules for what is a leaf of its own and what that leaf becomes. Every operation is
/// planned, then applied, by the same walk (Mapping::run): the plan counts the tables
/// and checks the changes, so that applying cannot fail for want of a page.
///
/// Speed and size from the same source (tuning.hpp): in the speed build the operation's
/// kind and its callback are types, and each operation and step gets its own copy of the
/// walk with the rest folded away; in the size build they are values, and one copy serves
/// all. What makes the common calls fast is the walk's own: it starts at the deepest
/// table that holds the range, the leaf level is a plain loop, a new table's entries are
/// written without being read, and below an empty entry the tables an operation needs are
/// counted in closed form, not walked.
///
/// Included by mapping.hpp; not on its own.
#ifndef AARCH64_PAGING_WALK_HPP
#define AARCH64_PAGING_WALK_HPP

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

template <class G, class T>
template <class Step, class Kind, class Call>
constexpr bool Mapping<G, T>::walk(Step apply, Kind kind, Descriptor* table, Descriptor parent, bool fresh,
                                   unsigned level, uint64_t va, uint64_t end, Call& op) const {
    if constexpr (SIZE_BUILD) {
        // A callable's own leaf loop: called with walk's own arguments, a jump.
        if (level == LEAF_LEVEL && op.leaves != nullptr) {
            return op.leaves(*this, apply, kind, table, parent, fresh, level, va, end, op);
        }
    }
    // Below a split or in a new table, the entries are what parent derives: not read.
    const bool derived = table == nullptr || fresh;
    if (level == LEAF_LEVEL) {
        // A map of a tree no walker uses writes its pages as one run (here, not in
        // walk_leaves: the size build's call to that loop would cost more than the run).
        if (apply && OpKind(kind) == OpKind::Map && !op.live) {
            write_run(&table[G::index(va, LEAF_LEVEL)], (end - va) >> G::page_shift, mapped(op, va, LEAF_LEVEL),
                      stride(op, LEAF_LEVEL));
            return true;
        }
        return derived ? walk_leaves(apply, kind, table, parent, fixed<true>(), va, end, op)
                       : walk_leaves(apply, kind, table, parent, fixed<false>(), va, end, op);
    }
    return walk_table(apply, kind, table, parent, derived, level, va, end, op);
}

template <class G, class T>
template <class Step, class Kind, class Derived, class Call>
constexpr bool Mapping<G, T>::walk_leaves(Step apply, Kind kind, Descriptor* table, Descriptor parent,
                                          Derived derived, uint64_t va, uint64_t end, Call& op) const {
    if (!apply && !plans_leaves(kind, op)) {
        return true;
    }
    unsigned i = G::index(va, LEAF_LEVEL);
    // The pages the operation takes in a loop of its own (Op::take_pages: a visit's or a
    // modify's), asked before each leaf() (read once: the size build's loop asks every
    // operation); a map of a live tree passes so over those that map as asked already.
    const auto take = Call::TAKES && (OpKind(kind) == OpKind::Visit || OpKind(kind) == OpKind::Modify)
                          ? op.take_pages
                          : nullptr;
    const bool same = OpKind(kind) == OpKind::Map && op.live && !derived;
    for (; va < end; ++i, va += G::page_size) {
        if (take != nullptr || same) {
            const uint64_t left = (end - va) >> G::page_shift;
            const uint64_t taken = take != nullptr
                                       ? take(op, table != nullptr ? &table[i] : nullptr, left, apply, derived)
                                       : same_pages(op, &table[i], va, left);
            i += static_cast<unsigned>(taken);
            va += taken << G::page_shift;
            if (va == end) {
                break;
            }
        }
        const Descriptor entry = derived ? split_entry(parent, LEAF_LEVEL, i) : table[i];
        bool ok = true;
        if (OpKind(kind) == OpKind::Visit) {
            ok = visit_leaf(entry, LEAF_LEVEL, va, op);
        } else if (OpKind(kind) == OpKind::Modify && apply && !op.live) {
            // A modified page no walker uses is written as fn leaves it, its rules kept:
            // what leaf() would do, without its checks for a live tree.
            Descriptor next = entry;
            ok = modified(next, LEAF_LEVEL, va, va + G::page_size, op);
            if (ok) {
                table[i] = next;
            }
        } else {
            ok = leaf(apply, shared_kind(kind), apply ? &table[i] : nullptr, entry, !derived, LEAF_LEVEL, va,
                      va + G::page_size, shared(op));
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

template <class G, class T>
template <class Step, class Kind, class Call>
constexpr bool Mapping<G, T>::walk_table(Step apply, Kind kind, Descriptor* table, Descriptor parent,
                                         bool derived, unsigned level, uint64_t va, uint64_t end,
                                         Call& op) const {
    const uint64_t size = G::level_size(level);
    // Whether the entries the range covers whole may be leaves here: a map's blocks where
    // the level, the constraints and the output address allow them; any other operation's.
    const bool blocks = OpKind(kind) != OpKind::Map || blocks_allowed(level, 0, op.to_pa, op.constraints);
    // A map of a tree no walker uses writes the entries it covers whole as one run of
    // blocks, up to the first table among them (none in a new table or a block's split);
    // its plan has nothing to count there.
    const bool runs = OpKind(kind) == OpKind::Map && !op.live && blocks;
    for (unsigned i = G::index(va, level); va < end; ++i) {
        const uint64_t next = (va | (size - 1)) + 1;
        const uint64_t to = next < end ? next : end;
        if (runs && covers_entry(level, va, to)) {
            const uint64_t whole = (end - va) >> G::level_shift(level);  // the whole entries left
            const uint64_t count = derived ? whole : before_table(&table[i], whole);
            if (count != 0) {
                if (apply) {
                    write_run(&table[i], count, mapped(op, va, level), stride(op, level));
                }
                i += static_cast<unsigned>(count - 1);
                va += count * size;
                continue;
            }
        }
        const Descriptor entry = derived ? split_entry(parent, level, i) : table[i];
        bool ok = true;
        if (!derived && entry.is_table(level)) {
            ok = descend(apply, kind, table[i], level, va, to, op);
        } else if (is_leaf(kind, op, entry, level, va, to, blocks)) {
            ok = leaf(apply, kind, apply ? &table[i] : nullptr, entry, !derived, level, va, to, op);
        } else {
            ok = split(apply, kind, apply ? &table[i] : nullptr, entry, !derived, level, va, to, op);
        }
        if (!ok) {
            return false;
        }
        va = to;
    }
    return true;
}

template <class G, class T>
template <class Step, class Kind, class Call>
constexpr bool Mapping<G, T>::descend(Step apply, Kind kind, Descriptor& slot, unsigned level, uint64_t va,
                                      uint64_t end, Call& op) const {
    Descriptor* sub = subtable(slot);
    // Unmapping a table's whole range, by unmap_range or map_range without VALID, takes
    // the table out whole (contract 1.1); else the walk goes on below it, and an unmap may
    // leave it empty, and free it, whatever it changes in it.
    const bool whole = covers_entry(level, va, end) &&
                       (OpKind(kind) == OpKind::Unmap ||
                        (OpKind(kind) == OpKind::Map && (op.bits & bits_of(Attributes::VALID)) == 0));
    op.changes = op.changes || whole || OpKind(kind) == OpKind::Unmap;
    if (!whole && !walk(apply, kind, sub, Descriptor(), false, level + 1, va, end, op)) {
        return false;
    }
    if (apply && (whole || (OpKind(kind) == OpKind::Unmap && is_empty(sub)))) {
        store(slot, Descriptor(OpKind(kind) == OpKind::Map ? op.bits : 0));
        op.owner->retire_tables(sub, level + 1, va & ~(G::level_size(level) - 1), op.retired, op.tlb);
    }
    return true;
}

template <class G, class T>
template <class Step, class Kind, class Call>
constexpr bool Mapping<G, T>::split(Step apply, Kind kind, Descriptor* slot, Descriptor entry, bool in_tree,
                                    unsigned level, uint64_t va, uint64_t end, Call& op) const {
    if (!apply) {
        // A live block is never split, but by map_range_break_before_make or under
        // set_live_splits; and not so either when one of a live contiguous group (the
        // group's TLB entry would outlive the break of one of its blocks).
        const bool splits = op.breaker != nullptr;  // each breaker makes splits
        if (op.live && in_tree && entry.is_valid() && (!splits || contains(entry.flags(), Attributes::CONTIGUOUS))) {
            op.error = MapError::break_before_make(entry_region(va, level),
                                                   splits ? BreakRule::Contiguous : BreakRule::Split);
            return false;
        }
        ++op.pages;
        op.changes = true;
        // Below an empty entry nothing is live, and no callback needs to see a copy (but a
        // modify of a live or sealed mapping's): the count alone.
        if (entry.bits() == 0 && (OpKind(kind) == OpKind::Map || !plans_leaves(kind, op))) {
            op.pages += tables_below(kind, op, level + 1, va, end);
            return true;
        }
        return walk(PLAN, kind, nullptr, entry, false, level + 1, va, end, op);
    }
    // Every entry of a new table map_range covers whole is written: not filled first.
    const bool overwritten = OpKind(kind) == OpKind::Map && covers_entry(level, va, end);
    Descriptor* sub = op.owner->new_table(*op.reserve, entry, level + 1, overwritten);
    // Below it nothing is live yet: no break, and no TLB entry to note (leaf's in_tree).
    const bool ok = walk(APPLY, kind, sub, entry, true, level + 1, va, end, op);
    // Linked once written: a walker sees the new table whole (a modify that failed midway
    // leaves its split, as on an inactive mapping it may). A live block's breaker links it
    // (map_range_break_before_make, set_live_splits).
    const bool live = op.live && in_tree;
    if (!live || !entry.is_valid() ||
        !op.breaker(*this, *slot, va & ~(G::level_size(level) - 1), table_descriptor(sub), true)) {
        link_table(*slot, sub, live);
    }
    return ok;
}

template <class G, class T>
template <class Kind>
constexpr bool Mapping<G, T>::is_leaf(Kind kind, const Op& op, Descriptor entry, unsigned level, uint64_t va,
                                      uint64_t end, bool blocks) {
    const bool whole = covers_entry(level, va, end);
    switch (OpKind(kind)) {
    case OpKind::Visit:
        return true;
    case OpKind::Modify:
        return whole || op.in_place;
    case OpKind::Unmap:
        return whole || entry.bits() == 0;  // nothing to unmap in an empty entry
    case OpKind::Map:
        break;
    }
    if (whole && blocks) {
        return true;
    }
    const uint64_t start = va & ~(G::level_size(level) - 1);
    const bool valid = (op.bits & bits_of(Attributes::VALID)) != 0;
    // An entry that maps its part of the range as asked already needs no split (contract
    // 1.1): a block with the bits a block here would get, in the layout asked (a live
    // block under NO_BLOCK_MAPPINGS is a change), or an invalid entry with the flags.
    const uint64_t as_asked = valid ? ((start + op.to_pa) & G::output_address_mask) | op.bits : op.bits;
    return (valid ? blocks : !entry.is_valid()) && (entry.bits() & ~Contiguous<G>::BIT) == as_asked;
}

template <class G, class T>
template <class Step, class Kind, class Call>
constexpr bool Mapping<G, T>::leaf(Step apply, Kind kind, Descriptor* slot, Descriptor entry, bool in_tree,
                                   unsigned level, uint64_t va, uint64_t end, Call& op) const {
    Descriptor next;
    switch (OpKind(kind)) {
    case OpKind::Visit:
        return visit_leaf(entry, level, va, op);
    case OpKind::Modify:
        if (!apply && !plans_leaves(kind, op)) {
            return true;
        }
        next = entry;
        if (!modified(next, level, va, end, op)) {
            return false;
        }
        break;
    case OpKind::Unmap:
        if (entry.bits() == 0) {
            return true;
        }
        break;  // next: empty
    case OpKind::Map:
        if (!apply && !op.live) {
            return true;  // nothing to check
        }
        next = mapped(op, va, level);
        if (!op.live) {
            *slot = next;  // no walker: a plain store, which the compiler may merge
            return true;
        }
        next = Contiguous<G>::kept_hint(entry, next);
        break;
    }
    // An entry that stays as it was is not written where it is in memory already: the
    // hardware may update a live one meanwhile (Access flag, dirty state), which a store
    // of the old value would undo. (Below a split it is written: its table may hold
    // nothing yet.)
    if (next == entry && (!apply || in_tree)) {
        return true;
    }
    if (!apply) {
        // Planning a live change (or a sealed modify): break-before-make where it changes.
        if (const BreakRule rule = op.live ? break_before_make_rule(entry, next, where_.regime) : BreakRule::None;
            rule != BreakRule::None && (!op.breaks_leaves || rule == BreakRule::Contiguous)) {
            op.error = MapError::break_before_make(entry_region(va, level), rule);
            return false;
        }
        op.changes = true;
        return true;
    }
    // A break (map_range_break_before_make) makes next itself, its TLB maintenance done.
    if (op.live && in_tree) {
        if (op.breaker != nullptr && op.breaker(*this, *slot, va, next, false)) {
            return true;
        }
        op.tlb.note(va, entry, next);
    }
    store(*slot, next);
    return true;
}

template <class G, class T>
template <class Call>
constexpr bool Mapping<G, T>::visit_leaf(Descriptor entry, unsigned level, uint64_t va, Call& op) const {
    Descriptor copy = entry;
    if (!call_fn(op, entry_region(va, level), copy, level)) {
        op.error = MapError::pte_update_fault(entry.bits());
        return false;
    }
    return true;
}

template <class G, class T>
constexpr void Mapping<G, T>::break_and_make(Descriptor& slot, uint64_t va, Descriptor between, Descriptor next,
                                             bool table) const {
    // The entry is a block or page: its TLB entries, by VA or IPA (TlbBatch::sync: DSB
    // ISHST first, so that the entry written is what a walk finds from then on; at stage 2
    // the VMID's stage-1 entries too, which by-IPA invalidation leaves).
    TlbBatch one(true);
    one.add(va & ~(G::page_size - 1), true);
    store(slot, between);
    sync_tlb(one);
    if (table) {
        arch::table_store_barrier();
    }
    store(slot, next);
    if (between.is_valid()) {
        sync_tlb(one);
    }
}

template <class G, class T>
template <class Kind>
constexpr size_t Mapping<G, T>::tables_below(Kind kind, const Op& op, unsigned level, uint64_t va, uint64_t end) {
    if (OpKind(kind) == OpKind::Map && op.bits == 0) {
        return 0;  // empty entries are unmapped already
    }
    // At each level, the entries of the range that need a table below them: those it
    // covers in part (the first, and the last if it is another), and where a map cannot
    // lay blocks, every one.
    size_t tables = 0;
    for (; level < LEAF_LEVEL; ++level) {
        const unsigned shift = G::level_shift(level);
        const uint64_t first = va >> shift;
        const uint64_t last = (end - 1) >> shift;
        if (OpKind(kind) == OpKind::Map && !blocks_allowed(level, 0, op.to_pa, op.constraints)) {
            tables += last - first + 1;
        } else {
            const bool head = (va & (G::level_size(level) - 1)) != 0;
            const bool tail = (end & (G::level_size(level) - 1)) != 0;
            tables += size_t{head} + size_t{tail} - size_t{head && tail && first == last};
        }
    }
    return tables;
}

template <class G, class T>
template <class Call>
constexpr bool Mapping<G, T>::modified(Descriptor& next, unsigned level, uint64_t va, uint64_t end,
                                       Call& op) const {
    const Descriptor entry = next;
    if (!call_fn(op, region_at(va, end), next, level)) {
        op.error = MapError::pte_update_fault(entry.bits());
        return false;
    }
    // fn may always empty an entry (contract 1.1), as unmapping does. Else what map_range
    // refuses, fn may not change either: TABLE_OR_PAGE, the output address and RES0 bits
    // 12-49, the contiguous bit, the bits the regime lacks; nor clear the regime's RES1
    // bits on a valid entry. Nor may it make valid an entry that would then be malformed
    // (a block at level 0, a page without the page bit: reserved encodings) or map
    // another output address than the mapping's own for va (an empty entry's is 0).
    uint64_t refused = next.bits() == 0 ? 0 : (next.bits() ^ entry.bits()) & op.fixed;
    if (next.is_valid()) {
        refused |= op.res1 & ~next.bits();
        if (!entry.is_valid()) {
            const bool well_formed = level == LEAF_LEVEL ? next.is_table_or_page() : G::block_allowed(level);
            const uint64_t own = (va + op.own) & G::output_address_mask;
            if (!well_formed || next.output_address().value() != own) {
                refused |= bits_of(Attributes::VALID);
            }
        }
    }
    if (refused != 0) {
        op.error = MapError::invalid_flags(refused);
        return false;
    }
    if (op.widened != nullptr) {
        // The size build through the pointer; the speed build inlines the rule, as a call
        // in this per-entry path would cost the loop around it its registers.
        uint64_t widened = 0;
        if constexpr (SIZE_BUILD) {
            widened = op.widened(entry, next, where_.regime);
        } else {
            widened = widened_bits(entry, next, where_.regime);
        }
        if (widened != 0) {
            op.error = MapError::sealed(op.region, widened);
            return false;
        }
    }
    return true;
}

template <class G, class T>
template <class Kind>
constexpr bool Mapping<G, T>::plans_leaves(Kind kind, const Op& op) {
    return OpKind(kind) == OpKind::Visit || op.live || op.widened != nullptr;
}

template <class G, class T>
constexpr Descriptor Mapping<G, T>::mapped(const Op& op, uint64_t va, unsigned level) {
    if ((op.bits & bits_of(Attributes::VALID)) == 0) {
        return Descriptor(op.bits);  // the flags alone: no output address, no page bit (contract 1.1)
    }
    const uint64_t start = va & ~(G::level_size(level) - 1);
    const uint64_t page = level == LEAF_LEVEL ? bits_of(Attributes::TABLE_OR_PAGE) : 0;
    return Descriptor(((start + op.to_pa) & G::output_address_mask) | op.bits | page);
}

template <class G, class T>
constexpr uint64_t Mapping<G, T>::stride(const Op& op, unsigned level) {
    return (op.bits & bits_of(Attributes::VALID)) != 0 ? G::level_size(level) : 0;
}

template <class G, class T>
constexpr void Mapping<G, T>::write_run(Descriptor* entry, uint64_t count, Descriptor first, uint64_t step) {
    for (uint64_t i = 0; i < count; ++i) {
        entry[i] = Descriptor(first.bits() + i * step);
    }
}

template <class G, class T>
constexpr uint64_t Mapping<G, T>::before_table(const Descriptor* entry, uint64_t count) {
    uint64_t i = 0;
    while (i < count && !entry[i].is_table_or_page()) {  // above the leaf level: a table
        ++i;
    }
    return i;
}

template <class G, class T>
constexpr uint64_t Mapping<G, T>::same_pages(const Op& op, const Descriptor* entry, uint64_t va, uint64_t count) {
    return Contiguous<G>::same_run(entry, count, mapped(op, va, LEAF_LEVEL), stride(op, LEAF_LEVEL));
}

template <class G, class T>
constexpr uint64_t Mapping<G, T>::change_pages(const Op& op, Descriptor* entry, uint64_t count, bool apply,
                                               bool derived) {
    if (!apply || op.live || derived || op.widened != nullptr) {
        return 0;
    }
    // In pairs, after the first if count is odd: two entries a step, changed side by side,
    // and half the loop's own work, in the size build as in the speed build (GCC unrolls
    // neither). The masks in locals: a store to an entry could change op, for all the
    // compiler knows.
    const uint64_t set = op.set;
    const uint64_t clear = op.clear;
    uint64_t i = count & 1;
    if (i != 0) {
        entry[0] = changed(entry[0], set, clear);
    }
    for (; i < count; i += 2) {
        const Descriptor first = entry[i];
        const Descriptor second = entry[i + 1];
        entry[i] = changed(first, set, clear);
        entry[i + 1] = changed(second, set, clear);
    }
    return count;
}

template <class G, class T>
constexpr uint64_t Mapping<G, T>::run_pages(const Op& op, Descriptor* entry, uint64_t count, bool, bool) {
    return op.runs->take_pages(entry, count);
}

template <class G, class T>
template <class Kind, class Call>
constexpr Result Mapping<G, T>::run(Kind kind, Call& op, uint64_t va, uint64_t end, bool hint) const {
    if (op.owner != nullptr) {
        if (Result r = tables_writable(); !r) {
            return r;  // after protect_tables()
        }
    }
    // A breaker the call brings is map_range_break_before_make's; else set_live_splits'
    // (a plan, tables_needed, too: it answers as its change would).
    op.breaks_leaves = op.breaker != nullptr;
    if (op.breaker == nullptr) {
        op.breaker = splitter_;
    }
    // unmap_range frees the tables it leaves empty, up to the root: it starts there.
    unsigned level = root_level_;
    Descriptor* table = root_table(va);
    if (OpKind(kind) != OpKind::Unmap) {
        table = deepest(va, end, level);
    }
    // From a leaf table, a plan that looks at no leaf has nothing to do.
    if ((level != LEAF_LEVEL || plans_leaves(kind, op)) &&
        !walk(PLAN, kind, table, Descriptor(), false, level, va, end, op)) {
        return op.error;
    }
    Mapping* const owner = op.owner;
    if (owner == nullptr) {
        return {};  // a visit, or tables_needed: the plan is all
    }

    if (op.live && op.pages == 0 && !op.changes) {
        arch::tables_published();  // as every live call ends, though nothing is written
        return {};
    }
    bool ok = false;
    if (op.pages == 0) {
        ok = walk(APPLY, kind, table, Descriptor(), false, level, va, end, op);
    } else {
        PageReserve reserve(*owner);
        if (Result r = reserve.reserve(op.pages); !r) {
            return r;
        }
        op.reserve = &reserve;
        ok = walk(APPLY, kind, table, Descriptor(), false, level, va, end, op);
        op.reserve = nullptr;
        reserve.release();  // what a callback that failed midway left
    }
    owner->regroup_range(va, end, hint);
    if (op.live || op.retired.count != 0) {  // else no TLB maintenance, nothing to free
        owner->free_retired(op.retired, op.tlb);
    }
    return ok ? Result() : Result(op.error);
}

template <class G, class T>
template <typename Mapping<G, T>::OpKind K, class Call>
constexpr Result Mapping<G, T>::run_as(Call& op, uint64_t va, uint64_t end, bool hint) const {
    if constexpr (SIZE_BUILD) {
        return run_erased(K, op, va, end, hint);
    } else {
        return run(Fixed<K>{}, op, va, end, hint);
    }
}

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
