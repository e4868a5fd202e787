#include "aarch64_paging/stage2.hpp"

namespace aarch64_paging {

namespace {

// ID_AA64MMFR1_EL1.VMIDBits (bits 7:4) 0b0010: 16-bit VMIDs; XNX (bits 31:28) non-zero:
// FEAT_XNX.
constexpr uint64_t kVmidBits16 = 2;

// Whether a valid leaf of map holds an output address at or past limit; beyond: the
// first such address.
template <class G>
bool output_beyond(const Mapping<G>& map, uint64_t limit, uint64_t& beyond) {
    bool found = false;
    const auto beyond_limit = [&](const MemoryRegion& region, Descriptor entry, unsigned) {
        const uint64_t oa = entry.output_address().value();
        if (entry.is_valid() && oa + (region.len() - 1) >= limit) {
            beyond = oa > limit ? oa : limit;
            found = true;
            return false;  // stops the walk
        }
        return true;
    };
    (void)map.walk_range(MemoryRegion(0, map.size()), indirect(beyond_limit));
    return found;
}

}  // namespace

template <class G>
Result stage2_vtcr(const Mapping<G>& map, uint64_t id_aa64mmfr0, uint64_t id_aa64mmfr1, uint64_t& vtcr) {
    namespace why = argument_reason;
    if (!map.is_initialised()) {
        return MapError::invalid_argument(why::NOT_INITIALISED);
    }
    if (!is_stage2(map.regime().regime)) {
        return MapError::invalid_argument(why::NOT_STAGE2, static_cast<uint16_t>(map.regime().regime));
    }
    if (!G::stage2_supported(id_aa64mmfr0)) {
        return MapError::invalid_argument(why::GRANULE, G::page_size / 1024);
    }
    const uint64_t parange = id_aa64mmfr0 & 0xf;
    const unsigned pa = pa_bits(parange);
    const unsigned ipa = 64 - __builtin_clzll(map.size()) - 1;
    // A 4 KiB level-0 start (SL0 = 0b10) needs 44 PA bits (AArch64.S2InvalidSL).
    const bool level0 = G::page_shift == 12 && map.root_level() == 0;
    if (ipa > pa || (level0 && pa < 44)) {
        return MapError::invalid_argument(why::IPA_BEYOND_PA, static_cast<uint16_t>(ipa), static_cast<uint16_t>(pa));
    }
    const bool vmid16 = ((id_aa64mmfr1 >> 4) & 0xf) == kVmidBits16;
    if (!vmid16 && map.asid() > 0xff) {
        return MapError::invalid_argument(why::VMID_WIDTH, 8, 0, VirtualAddress(map.asid()));
    }
    if (map.has_xnx() && ((id_aa64mmfr1 >> 28) & 0xf) == 0) {
        return MapError::invalid_argument(why::NO_XNX);
    }
    if (Result r = hardware_updates::supported(map.hardware_updates(), id_aa64mmfr1); !r) {
        return r;
    }
    if (uint64_t beyond = 0; output_beyond(map, uint64_t{1} << pa, beyond)) {
        return MapError::invalid_argument(why::OUTPUT_BEYOND_PA, static_cast<uint16_t>(pa), 0, VirtualAddress(beyond));
    }
    vtcr = (uint64_t{64} - ipa) << vtcr::T0SZ_SHIFT | G::stage2_sl0(map.root_level()) << vtcr::SL0_SHIFT |
           vtcr::WALKS | G::tg0 << vtcr::TG0_SHIFT | (parange < 5 ? parange : 5) << vtcr::PS_SHIFT |
           (vmid16 ? vtcr::VS : 0) | hardware_updates::ha_hd(map.hardware_updates()) << vtcr::HA_SHIFT | vtcr::RES1;
    return {};
}

namespace {

// What an activation on this core does before the VTTBR_EL2 switch: VTCR_EL2 for this
// CPU checked (and, for the owner's activation, that the map is not active already), the
// tables cleaned where the walks, which are cacheable, would miss them, VTCR_EL2 written.
template <class G>
Result prepare_core(const Mapping<G>& map, bool owner) {
    uint64_t value = 0;
    if (Result r = stage2_vtcr(map, arch::read_id_aa64mmfr0_el1(), arch::read_id_aa64mmfr1_el1(), value); !r) {
        return r;
    }
    if (owner && map.is_active()) {
        return Status::AlreadyActive;
    }
    // Tables written past the cache are in memory, perhaps behind stale lines: cleaned and
    // invalidated to the point of coherency before the walker reads them through it.
    if ((arch::read_mmu_registers(TranslationRegime::Stage2).sctlr & arch::SCTLR_DATA_CACHED) !=
        arch::SCTLR_DATA_CACHED) {
        map.for_each_table([](const void* table) {
            arch::clean_invalidate_dcache_to_poc(reinterpret_cast<uintptr_t>(table), G::page_size);
        });
    }
    arch::write_vtcr(value);
    return {};
}

}  // namespace

template <class G>
Result stage2_activate(Mapping<G>& map) {
    if (Result r = prepare_core(map, true); !r) {
        return r;
    }
    return map.activate();
}

template <class G>
Result stage2_activate_on_core(Mapping<G>& map, uint64_t& previous) {
    if (Result r = prepare_core(map, false); !r) {
        return r;
    }
    return map.activate_on_core(previous);
}

#define AARCH64_PAGING_STAGE2_INSTANTIATE(G)                                                    \
    template Result stage2_vtcr<G>(const Mapping<G>&, uint64_t, uint64_t, uint64_t&);           \
    template Result stage2_activate<G>(Mapping<G>&);                                            \
    template Result stage2_activate_on_core<G>(Mapping<G>&, uint64_t&);
AARCH64_PAGING_STAGE2_INSTANTIATE(Granule4K)
AARCH64_PAGING_STAGE2_INSTANTIATE(Granule16K)
AARCH64_PAGING_STAGE2_INSTANTIATE(Granule64K)

}  // namespace aarch64_paging
