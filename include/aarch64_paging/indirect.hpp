/// @file
/// indirect(fn): a modify_range() or walk_range() callback that the size build calls
/// through a pointer, from the walk's one shared leaf loop, instead of giving it a leaf
/// loop of its own.
///
/// In the size build (tuning.hpp) each callable passed to modify_range or walk_range gets
/// the walk's leaf loop instantiated for it, with fn inlined: a leaf table's entries cost
/// what they cost in the speed build, and each callable costs the code of its loop (with
/// GCC at -Os for AArch64, about 0.5 KiB for a modify, 0.2 KiB for a visit). A callable
/// wrapped in indirect() costs no code of its own: one indirect call an entry, as every
/// operation of the size build pays above the leaf level. The C facade's walk_range
/// callback takes it (a C call an entry either way), and so do the library's own walks
/// (the export, the pre-flight check, dirty collection, table protection), which would
/// otherwise each add a loop to every program that calls them. The speed build inlines fn
/// either way.
#ifndef AARCH64_PAGING_INDIRECT_HPP
#define AARCH64_PAGING_INDIRECT_HPP

namespace aarch64_paging {

/// fn, called through a pointer in the size build (indirect()).
template <class F>
struct Indirect {
    F fn;  ///< The callable.
    /// fn(args...).
    template <class... A>
    constexpr bool operator()(A&&... args) {
        return fn(static_cast<A&&>(args)...);
    }
};

/// fn, which modify_range or walk_range then calls through a pointer in the size build.
template <class F>
constexpr Indirect<F> indirect(F fn) {
    return Indirect<F>{fn};
}

/// Whether the size build gives F a leaf loop of its own (not an Indirect).
template <class F>
constexpr bool own_leaf_loop(const F*) {
    return true;
}
/// An Indirect has none.
template <class F>
constexpr bool own_leaf_loop(const Indirect<F>*) {
    return false;
}

}  // namespace aarch64_paging

#endif
