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

/// Marks an operation's body (check, build the operation, run it) that the speed build
/// inlines into its caller, so that the walk's one call site in a program (the C
/// facade's) takes the walk inline: the core's templates are declared extern
/// (mapping.cpp instantiates them), and GCC's -O2 inliner leaves a body that large out of
/// line there, at 20 to 100 instructions a call. Left to the compiler in the size build,
/// where the out-of-line body is smaller.
#if AARCH64_PAGING_SIZE_BUILD
#define AARCH64_PAGING_PER_CALL
#else
#define AARCH64_PAGING_PER_CALL [[gnu::always_inline]]
#endif

/// Marks a helper inlined in every build: a few instructions, or reference out-parameters
/// that out of line would go through memory. The -Os inliner leaves these out of line,
/// where each call costs more than the body (0.5 KiB over the core).
#define AARCH64_PAGING_INLINE [[gnu::always_inline]]

/// A value the core's walk knows at compile time, as a type: Fixed<V>{} converts to V.
template <auto V>
struct Fixed {
    /// V.
    constexpr operator decltype(V)() const { return V; }
};

/// The size build (AARCH64_PAGING_SIZE_BUILD).
inline constexpr bool SIZE_BUILD = AARCH64_PAGING_SIZE_BUILD != 0;

/// V as the build passes it to the walk (walk.hpp): in the speed build a Fixed<V>, so that
/// each value gets its own copy of the walk with the other values' branches folded away;
/// in the size build V itself, a run-time value, so that one copy serves every value.
/// What the walk is told so: the step (PLAN, APPLY), the operation (Mapping::OpKind), and
/// whether a table's entries are read or derived from the entry above.
template <auto V>
constexpr auto fixed() {
    if constexpr (SIZE_BUILD) {
        return V;
    } else {
        return Fixed<V>{};
    }
}

/// The plan step of a change: the walk counts and checks, and writes nothing.
inline constexpr auto PLAN = fixed<false>();
/// The apply step: the walk writes.
inline constexpr auto APPLY = fixed<true>();

/// The other differences between the builds: AARCH64_PAGING_PER_ENTRY and
/// AARCH64_PAGING_PER_CALL (above), and in
/// the size build an operation's callback and the seal's rule reached through a function
/// pointer (Mapping::Op::fn_, Mapping::Op::widened), where the speed build calls them
/// directly, but in a leaf table, which the size build walks in a loop of each
/// callable's own (Mapping::Op::leaves; not for a callable wrapped in indirect(),
/// indirect.hpp); Mapping::run_as picks the size build's one instantiation of the walk.

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
