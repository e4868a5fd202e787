/// @file
/// What a build of the core optimises for: speed (the host, a board built with -O2) or
/// size (a board's library at -Os, where __OPTIMIZE_SIZE__ is defined). Each difference
/// between the two is named here; both write the same tables, in the same table pages.
#ifndef AARCH64_PAGING_TUNING_HPP
#define AARCH64_PAGING_TUNING_HPP

namespace aarch64_paging {

/// Marks what runs once per entry: forced inline where the build asks for speed; left to
/// the compiler at -Os, since each forced copy costs hundreds of bytes.
#if defined(__OPTIMIZE_SIZE__)
#define AARCH64_PAGING_PER_ENTRY
#else
#define AARCH64_PAGING_PER_ENTRY [[gnu::always_inline]]
#endif

/// Marks a helper inlined in every build: a few instructions, or reference out-parameters
/// that out of line would go through memory. The -Os inliner leaves these out of line,
/// where each call costs more than the body (0.5 KiB over the core).
#define AARCH64_PAGING_INLINE [[gnu::always_inline]]

/// A step of a change known at compile time: plan (false) or apply (true), mapping.hpp.
template <bool Apply>
struct StepOf {
    /// Apply.
    constexpr operator bool() const { return Apply; }
};

/// The size build: compiled with -Os.
#if defined(__OPTIMIZE_SIZE__)
inline constexpr bool SIZE_BUILD = true;
#else
inline constexpr bool SIZE_BUILD = false;
#endif

/// A step of a change: a run-time flag in the size build, a StepOf in the speed build.
template <bool Apply>
constexpr auto step() {
    if constexpr (SIZE_BUILD) {
        return Apply;
    } else {
        return StepOf<Apply>{};
    }
}

/// The steps of a change, which one walk serves (mapping.hpp: `if (apply)`). In the size
/// build the step is a run-time flag, so that one copy of each walk serves both; in the
/// speed build it is a type, so that each step gets its own copy with the other's
/// branches folded away.
inline constexpr auto PLAN = step<false>();
/// The apply step; see PLAN.
inline constexpr auto APPLY = step<true>();

/// The speed build's shortcuts: map_range's for the common small calls (a chain of new
/// tables below an empty entry, pages inside one leaf table, a live call that changes
/// nothing), a new table's blocks written as one run, the leaf level's own loops, and a
/// walk of its own for each of map_range and walk_range. In the size build one walk of
/// changes does their work, slower, in about 2.5 KiB less.
inline constexpr bool FAST_PATHS = !SIZE_BUILD;

}  // namespace aarch64_paging

#endif
