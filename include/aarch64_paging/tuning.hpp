/// @file
/// What a build of the core optimises for: speed (the host, a board built with -O2) or
/// size (a board's library at -Os, where __OPTIMIZE_SIZE__ is defined). Every difference
/// between the two is here; both builds write the same tables, in the same table pages.
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
    constexpr operator bool() const { return Apply; }
};

#if defined(__OPTIMIZE_SIZE__)
/// One walk serves both steps of a change. At -Os the step is a run-time flag, so one copy
/// of each walk serves both (the map, modify and unmap walks cost 0.6 KiB less); for speed
/// it is a type, so each step gets its own copy with the other's branches folded away.
/// The walks read `if (apply)` either way.
inline constexpr bool PLAN = false;
inline constexpr bool APPLY = true;
/// The shortcuts of the walks: map_range's for the common small calls (a chain of new
/// tables below an empty entry, pages inside one leaf table), a new table's blocks written
/// as one run, and the leaf level's own loops in map, modify and walk. At -Os the general
/// per-entry loop does their work, slower, in 2.3 KiB less.
inline constexpr bool FAST_PATHS = false;
#else
inline constexpr StepOf<false> PLAN{};
inline constexpr StepOf<true> APPLY{};
inline constexpr bool FAST_PATHS = true;
#endif

}  // namespace aarch64_paging

#endif
