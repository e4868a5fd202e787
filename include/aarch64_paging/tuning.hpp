/// @file
/// What a build of the core optimises for: speed (the host, a board built with -O2) or
/// size (a board's library at -Os, where __OPTIMIZE_SIZE__ is defined), and the inline
/// namespace that keeps the two apart in one program. Each difference between the two is
/// named here; both write the same tables, in the same table pages.
#ifndef AARCH64_PAGING_TUNING_HPP
#define AARCH64_PAGING_TUNING_HPP

/// The build the core's templates are compiled for: 1 the size build, 0 the speed build.
/// By default the translation unit's optimisation level says (-Os: size). A program that
/// links a library built the other way defines it to match the library (the installed
/// package's flags and idmap.mk do): else its templates and the library's would be two
/// different definitions of one template, which the inline namespace below turns into a
/// link error naming size_build or speed_build instead of a silent mix.
#ifndef AARCH64_PAGING_SIZE_BUILD
#if defined(__OPTIMIZE_SIZE__)
#define AARCH64_PAGING_SIZE_BUILD 1
#else
#define AARCH64_PAGING_SIZE_BUILD 0
#endif
#endif

/// Opens (and AARCH64_PAGING_BUILD_END closes) the inline namespace of the build,
/// size_build or speed_build, around what differs between the builds: the core's
/// templates and what holds them.
#if AARCH64_PAGING_SIZE_BUILD
#define AARCH64_PAGING_BUILD_BEGIN inline namespace size_build {
#else
#define AARCH64_PAGING_BUILD_BEGIN inline namespace speed_build {
#endif
/// Closes AARCH64_PAGING_BUILD_BEGIN.
#define AARCH64_PAGING_BUILD_END }

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// Marks what runs once per entry: forced inline where the build asks for speed; left to
/// the compiler in the size build, since each forced copy costs hundreds of bytes.
#if AARCH64_PAGING_SIZE_BUILD
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

/// The size build (AARCH64_PAGING_SIZE_BUILD).
inline constexpr bool SIZE_BUILD = AARCH64_PAGING_SIZE_BUILD != 0;

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

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
