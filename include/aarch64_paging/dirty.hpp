/// @file
/// The dirty state of a block or page under hardware dirty-state management (FEAT_HAFDBS;
/// Arm ARM DDI 0487K.a, D8.4
/// "Memory access control", "Hardware management of the dirty state"): an entry with
/// DBM set is writable for the MMU, which, with TCR_ELx.HD (VTCR_EL2.HD) set, makes it
/// writable in the descriptor itself on the first write through it - clearing AP[2] at
/// stage 1, setting S2AP[1] at stage 2, bit 7 both - before the write is done. Software
/// marks it clean again by undoing that bit, then invalidating the TLB entries that may
/// still let writes through. This file is that rule, for both stages.
#ifndef AARCH64_PAGING_DIRTY_HPP
#define AARCH64_PAGING_DIRTY_HPP

#include <stdint.h>

#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// What the hardware updates in a mapping's descriptors, as Mapping::set_hardware_updates
/// takes it (the values of the C ABI's IDMAP_HW_*).
namespace hardware_updates {
/// The Access flag (TCR_ELx.HA, VTCR_EL2.HA; ID_AA64MMFR1_EL1.HAFDBS >= 1): the first
/// access through an entry without AF sets it, rather than fault.
inline constexpr unsigned ACCESS_FLAG = 1u << 0;
/// The dirty state as well (TCR_ELx.HD, VTCR_EL2.HD; HAFDBS >= 2); map_range writes every
/// writable leaf clean, with DBM.
inline constexpr unsigned DIRTY = 1u << 1;
/// Everything this version knows.
inline constexpr unsigned ALL = ACCESS_FLAG | DIRTY;
/// The ID_AA64MMFR1_EL1.HAFDBS (bits 3:0) a CPU needs to make @p updates: 0b0001 for the
/// Access flag, 0b0010 for the dirty state too.
constexpr unsigned hafdbs_needed(unsigned updates) { return (updates & DIRTY) != 0 ? 2 : updates & ACCESS_FLAG; }
/// Whether a CPU with @p id_aa64mmfr1 (ID_AA64MMFR1_EL1) makes @p updates: InvalidArgument
/// NO_HAFDBS (first: the HAFDBS needed, second: the CPU's) where it does not.
constexpr Result supported(unsigned updates, uint64_t id_aa64mmfr1) {
    const unsigned needed = hafdbs_needed(updates);
    const unsigned cpu = static_cast<unsigned>(id_aa64mmfr1 & 0xf);
    return needed <= cpu ? Result{}
                         : MapError::invalid_argument(argument_reason::NO_HAFDBS, static_cast<uint16_t>(needed),
                                                      static_cast<uint16_t>(cpu));
}
/// HA (bit 0) and HD (bit 1) as TCR_ELx and VTCR_EL2 hold them side by side for @p
/// updates: HA for either, HD for DIRTY (HD alone does nothing: the dirty state needs HA).
constexpr uint64_t ha_hd(unsigned updates) { return updates == 0 ? 0 : (updates & DIRTY) != 0 ? 3 : 1; }
}  // namespace hardware_updates

/// The write permission bit both stages keep in bit 7: AP[2] at stage 1 (set: read-only),
/// S2AP[1] at stage 2 (set: writable).
inline constexpr uint64_t WRITE_PERMISSION_BIT = uint64_t{1} << 7;

/// Whether a valid @p entry lets writes through now, at stage 2 if @p stage2.
constexpr bool writable(uint64_t entry, bool stage2) { return ((entry & WRITE_PERMISSION_BIT) != 0) == stage2; }

/// What map_range asks of the flags of a leaf it writes under hardware_updates::DIRTY, at
/// stage 2 if @p stage2: DBM, and the write permission bit's value that writes are let
/// through with; 0 for no tracking. tracked() takes it.
constexpr uint64_t tracking(bool stage2) { return bits(Attributes::DBM) | (stage2 ? WRITE_PERMISSION_BIT : 0); }

/// @p flags under @p tracking (tracking()): clean where they would be writable (DBM set, the
/// write permission bit as for read-only: the first write makes it dirty again), else as
/// they are; in a few instructions, for map_range's path, which every map takes.
AARCH64_PAGING_INLINE constexpr uint64_t tracked(uint64_t flags, uint64_t tracking) {
    return tracking != 0 && ((flags ^ tracking) & WRITE_PERMISSION_BIT) == 0
               ? (flags | bits(Attributes::DBM)) ^ WRITE_PERMISSION_BIT
               : flags;
}

/// Whether the pages of @p entry may have been written since it was last made clean: it
/// is valid and writable now - dirty under DBM, or writable without DBM, which the
/// hardware does not track.
constexpr bool may_be_dirty(uint64_t entry, bool stage2) { return (entry & 1) != 0 && writable(entry, stage2); }

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
