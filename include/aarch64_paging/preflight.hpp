/// @file
/// The pre-flight check: before a map goes live, are the addresses the CPU is about to
/// use mapped as it will use them? The code it runs (PC) valid, executable at the
/// regime's privileged level and Normal memory; its stack (SP) valid, writable and
/// Normal; its vector table (VBAR) valid, executable and Normal; and, if asked, every
/// table page of the map valid and writable, so that the code can still change the map
/// once it is live. A mistake in any of them is an exception the code cannot handle
/// (its vectors or stack are gone), so it is worth checking on the way in.
///
/// The caller passes PC, SP and VBAR: on the host they are whatever the test says; on a
/// board they are read from the CPU by the caller. A separate object (src/preflight.cpp).
#ifndef AARCH64_PAGING_PREFLIGHT_HPP
#define AARCH64_PAGING_PREFLIGHT_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/mmu.hpp"
#include "aarch64_paging/regime.hpp"

namespace aarch64_paging {

/// How the CPU will use an address, and so what the map must allow there. The values are
/// the C ABI's IDMAP_USE_*.
enum class CriticalUse : uint8_t {
    /// Instructions: valid, Access flag set, executable at the privileged level, Normal.
    Code = 1,
    /// A stack: valid, Access flag set, writable at the privileged level, Normal.
    Stack = 2,
    /// The exception vectors: as Code.
    Vectors = 3,
    /// A translation table page the code will write: valid, Access flag set, writable.
    Table = 4,
};

/// A range of addresses and its use.
struct CriticalRange {
    uint64_t start = 0;                  ///< The first address.
    uint64_t size = 0;                   ///< Bytes; 0 checks the one byte at start.
    CriticalUse use = CriticalUse::Code;  ///< What it must allow.
};

/// What the check found wrong, the reasons of a Preflight error's value (bits 7:0; the
/// use is in bits 15:8). The values are the C ABI's IDMAP_PREFLIGHT_*.
namespace preflight_reason {
inline constexpr uint64_t NOT_MAPPED = 1u << 0;      ///< No valid leaf, or beyond the map.
inline constexpr uint64_t NO_ACCESS_FLAG = 1u << 1;  ///< AF clear: the first access faults.
inline constexpr uint64_t NOT_EXECUTABLE = 1u << 2;  ///< Code or vectors not executable.
inline constexpr uint64_t NOT_WRITABLE = 1u << 3;    ///< A stack or table page not writable.
inline constexpr uint64_t DEVICE = 1u << 4;          ///< Device memory where Normal is needed.
}  // namespace preflight_reason

/// Which of PC, SP and VBAR not to check (Preflight::skip). The values are the C ABI's
/// IDMAP_PREFLIGHT_SKIP_*.
namespace preflight_skip {
inline constexpr uint32_t PC = 1u << 0;    ///< Do not check pc.
inline constexpr uint32_t SP = 1u << 1;    ///< Do not check sp.
inline constexpr uint32_t VBAR = 1u << 2;  ///< Do not check vbar (no vectors installed yet).
/// Check nothing at all: activate_checked() activates as activate() does. For a caller
/// that knows better, and says so.
inline constexpr uint32_t ALL = 0xffffffffu;
}  // namespace preflight_skip

/// What to check. A zero-initialised one fails rather than passing unchecked: pc = 0 is
/// below an upper-range map, and the stack below sp = 0 wraps to the top of the address
/// space, beyond a lower-range one.
struct Preflight {
    uint64_t pc = 0;    ///< The code: the 4 bytes at pc (use Code).
    uint64_t sp = 0;    ///< The stack pointer (full descending): the 16 bytes below sp (use Stack).
    uint64_t vbar = 0;  ///< VBAR_ELx: the 2 KiB vector table at vbar (use Vectors).
    /// Also every table page of the map, at its physical address (use Table); an
    /// upper-range map covers none there: check them as extra ranges of the lower map.
    /// Not those of a map whose tables are read-only (Mapping::protect_tables()), which
    /// the library writes no more.
    bool check_tables = false;
    uint32_t skip = 0;          ///< preflight_skip.
    const CriticalRange* extra = nullptr;  ///< More ranges, checked after VBAR.
    size_t extra_count = 0;                ///< Entries of @p extra.
};

/// How to read the map (the library's maps: EL1&0 with MAIR_DEFAULT).
struct PreflightOptions {
    TranslationRegime regime = TranslationRegime::El1And0;  ///< What AP and XN mean.
    uint64_t mair = MAIR_DEFAULT;                           ///< What AttrIndx selects.
};

/// The options for @p mapping as the library built it: its regime, MAIR_DEFAULT. What the
/// functions below use when given no options.
inline PreflightOptions preflight_options(const Mapping<>& mapping) {
    return PreflightOptions{mapping.regime().regime, MAIR_DEFAULT};
}

/// The value of a Preflight error: @p reasons (preflight_reason) | @p use << 8.
constexpr uint64_t preflight_value(uint64_t reasons, CriticalUse use) {
    return reasons | uint64_t{static_cast<uint8_t>(use)} << 8;
}

/// Checks, in this order, pc, sp, vbar, the extra ranges, then the table pages, and stops
/// at the first address that fails. Reads the map only. An address outside the map's
/// range, [va_base(), va_base() + size()), is not mapped by it. A range that ends at 2^64,
/// such as the stack below sp = 0 (an upper-range stack's top), has a region whose end is 0.
/// @return Ok, or:
///   - InvalidArgument: @p mapping is not initialised, or an extra range is null with a
///     count, or wraps past 2^64;
///   - Preflight: va = the first address that failed, region = the range checked (rounded
///     to pages), value = preflight_value(what was wrong there, the use).
[[nodiscard]] Result preflight_check(const Mapping<>& mapping, const Preflight& preflight,
                                     const PreflightOptions& options);
/// preflight_check() with preflight_options(mapping).
[[nodiscard]] inline Result preflight_check(const Mapping<>& mapping, const Preflight& preflight) {
    return preflight_check(mapping, preflight, preflight_options(mapping));
}

/// preflight_check() (unless preflight.skip is preflight_skip::ALL), then
/// mapping.activate() if it passed.
/// @return Ok, or the error of preflight_check() (the mapping not activated), or that of
///         activate().
[[nodiscard]] Result activate_checked(Mapping<>& mapping, const Preflight& preflight,
                                      const PreflightOptions& options);
/// activate_checked() with preflight_options(mapping).
[[nodiscard]] inline Result activate_checked(Mapping<>& mapping, const Preflight& preflight) {
    return activate_checked(mapping, preflight, preflight_options(mapping));
}

}  // namespace aarch64_paging

#endif
