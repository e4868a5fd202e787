/// @file
/// What a stage-1 block or page descriptor lets each exception level of its regime do
/// (Arm ARM DDI 0487K.a, D8.4 "Memory access control": data access permissions from
/// AP[2:1], instruction execution permissions from PXN and UXN/XN), with the limits the
/// table descriptors above it impose (hierarchical permissions: APTable, UXNTable/XNTable,
/// PXNTable, in force while TCR_ELx.HPD is 0).
///
/// Not modelled, since they live in registers and not in the tables: SCTLR_ELx.WXN (which
/// makes every writable region execute-never), PSTATE.PAN, FEAT_PAN3/EPAN, the permission
/// indirection of FEAT_S1PIE. The linter, the export and the pre-flight check all use
/// this one decoding.
#ifndef AARCH64_PAGING_ACCESS_HPP
#define AARCH64_PAGING_ACCESS_HPP

#include <stdint.h>

#include "aarch64_paging/regime.hpp"

namespace aarch64_paging {

/// The bits of a table descriptor that limit every entry below it (D8.3 "Table descriptor
/// format"; D8.4, "Hierarchical control of data access permissions").
namespace table_limits {
/// PXNTable: nothing below is executable at the higher privilege level (RES0 in the EL2
/// and EL3 regimes).
inline constexpr uint64_t PXN_TABLE = uint64_t{1} << 59;
/// UXNTable (XNTable in the EL2 and EL3 regimes): nothing below is executable at EL0
/// (at all, in the EL2 and EL3 regimes).
inline constexpr uint64_t UXN_TABLE = uint64_t{1} << 60;
/// APTable[0]: no EL0 access below (RES0 in the EL2 and EL3 regimes).
inline constexpr uint64_t AP_TABLE_NO_EL0 = uint64_t{1} << 61;
/// APTable[1]: nothing below is writable, at any level.
inline constexpr uint64_t AP_TABLE_READ_ONLY = uint64_t{1} << 62;
/// Every bit above: what a walk carries down from table to table.
inline constexpr uint64_t ALL = PXN_TABLE | UXN_TABLE | AP_TABLE_NO_EL0 | AP_TABLE_READ_ONLY;
}  // namespace table_limits

/// What a leaf allows: data reads and writes, and instruction fetches, at the regime's
/// privileged level (EL1, EL2 or EL3) and at EL0. All false for an invalid entry.
struct Access {
    bool read = false;          ///< Data reads at the privileged level.
    bool write = false;         ///< Data writes at the privileged level.
    bool execute = false;       ///< Instruction fetches at the privileged level.
    bool user_read = false;     ///< Data reads at EL0 (regimes with two privilege levels).
    bool user_write = false;    ///< Data writes at EL0.
    bool user_execute = false;  ///< Instruction fetches at EL0.

    /// Writable at some exception level.
    constexpr bool any_write() const { return write || user_write; }
    /// Executable at some exception level.
    constexpr bool any_execute() const { return execute || user_execute; }
};

/// The access the valid block or page descriptor @p leaf grants in @p regime, under the
/// table descriptor bits @p limits (table_limits, ORed over the tables above it). Does not
/// check that @p leaf is a well-formed leaf: callers know its level.
///
/// AP[2:1] (D8.4, "Data access permissions"): 0b00 privileged read/write, 0b01 read/write
/// at both levels, 0b10 privileged read-only, 0b11 read-only at both; in the EL2 and EL3
/// regimes AP[1] is RES1 and only AP[2] counts. A region writable at EL0 is never
/// executable at the privileged level, whatever PXN says (D8.4, "Instruction execution
/// permissions").
///
/// Stage 2 (D8.4, "Stage 2 data access permissions" and "Stage 2 instruction execution
/// permissions"): S2AP[0] (bit 6) allows reads and S2AP[1] (bit 7) writes, at EL1 and EL0
/// alike (the privileged and user fields); XN[1:0] (bits 54:53): 0b00 executable at both,
/// 0b01 not at EL1, 0b10 at neither, 0b11 not at EL0. Table limits do not exist there.
constexpr Access leaf_access(uint64_t leaf, TranslationRegime regime, uint64_t limits = 0) {
    Access a;
    if ((leaf & 1) == 0) {
        return a;
    }
    if (is_stage2(regime)) {
        const unsigned xn = static_cast<unsigned>(leaf >> 53) & 3;
        a.read = a.user_read = (leaf & (uint64_t{1} << 6)) != 0;
        a.write = a.user_write = (leaf & (uint64_t{1} << 7)) != 0;
        a.execute = xn == 0 || xn == 3;
        a.user_execute = xn == 0 || xn == 1;
        return a;
    }
    const bool read_only = (leaf & (uint64_t{1} << 7)) != 0 || (limits & table_limits::AP_TABLE_READ_ONLY) != 0;
    const bool xn_bit = (leaf & (uint64_t{1} << 54)) != 0 || (limits & table_limits::UXN_TABLE) != 0;
    a.read = true;
    a.write = !read_only;
    if (!has_two_privilege_levels(regime)) {
        a.execute = !xn_bit;  // bit 54 is XN, the only execute control
        return a;
    }
    const bool el0 = (leaf & (uint64_t{1} << 6)) != 0 && (limits & table_limits::AP_TABLE_NO_EL0) == 0;
    const bool pxn = (leaf & (uint64_t{1} << 53)) != 0 || (limits & table_limits::PXN_TABLE) != 0;
    a.user_read = el0;
    a.user_write = el0 && !read_only;
    a.execute = !pxn && !a.user_write;
    a.user_execute = !xn_bit;
    return a;
}

}  // namespace aarch64_paging

#endif
