#include "aarch64_paging/mmu.hpp"

namespace aarch64_paging {

namespace {

// TCR fields (Arm ARM DDI 0487K.a, D19 "TCR_EL1", "TCR_EL2", "TCR_EL3"). TCR_EL1 and
// TCR_EL2 with E2H = 1 share one layout, with two VA ranges; TCR_EL2 with E2H = 0 and
// TCR_EL3 have the TTBR0 fields only, PS in place of IPS, and bits 31 and 23 RES1.
constexpr uint64_t kTcrWalks0 = (uint64_t{1} << 8) |   // IRGN0 = 0b01 WB RA WA
                                (uint64_t{1} << 10) |  // ORGN0 = 0b01 WB RA WA
                                (uint64_t{3} << 12);   // SH0 = 0b11 inner shareable
constexpr unsigned kTcrTg0Shift = 14;
constexpr unsigned kTcrT1szShift = 16;
constexpr uint64_t kTcrEpd1 = uint64_t{1} << 23;       // no walks through TTBR1
constexpr uint64_t kTcrWalks1 = kTcrWalks0 << 16;      // IRGN1, ORGN1, SH1 alike
constexpr unsigned kTcrTg1Shift = 30;                  // TG1 encodes granules unlike TG0
constexpr unsigned kTcrIpsShift = 32;
constexpr uint64_t kTcrAs16 = uint64_t{1} << 36;       // 16-bit ASIDs
constexpr unsigned kTcrPsShift = 16;                   // one VA range: PS
constexpr uint64_t kTcrRes1 = (uint64_t{1} << 31) | (uint64_t{1} << 23);
// HA and HD (FEAT_HAFDBS): the hardware updates the Access flag, and the dirty state.
constexpr unsigned kTcrHaShift = 39;
constexpr unsigned kTcrHaShiftOneRange = 21;  // TCR_EL2 with E2H = 0, TCR_EL3

// ID_AA64MMFR0_EL1.PARange 0b0101 = 48 bits: the most a descriptor without FEAT_LPA or
// FEAT_LPA2 can hold.
constexpr uint64_t kParange48 = 5;
constexpr uint64_t kAsidBits16 = 2;
// The largest TnSZ without FEAT_TTST (Arm ARM D8.2).
constexpr uint64_t kMaxTnszWithoutTtst = 39;

template <class G>
uint64_t tnsz(const Mapping<G>& mapping) { return 64 - G::va_bits(mapping.root_level()); }

}  // namespace

template <class G>
Result mmu_config(const Mapping<G>& lower, const typename MappingOf<G>::type* upper, uint64_t id_aa64mmfr0, MmuConfig& config) {
    namespace why = argument_reason;
    const TranslationRegime regime = lower.regime().regime;
    if (!G::supported(id_aa64mmfr0)) {
        return MapError::invalid_argument(why::GRANULE, G::page_size / 1024);
    }
    if (!lower.is_initialised() || (upper != nullptr && !upper->is_initialised())) {
        return MapError::invalid_argument(why::NOT_INITIALISED);
    }
    if (is_stage2(regime)) {  // a stage-2 map's registers: stage2_vtcr(), stage2_activate()
        return MapError::invalid_argument(why::REGIME, static_cast<uint16_t>(regime));
    }
    if (upper != nullptr) {
        if (upper == &lower) {
            return MapError::invalid_argument(why::SAME_MAPPING);
        }
        if (upper->regime().regime != regime) {
            return MapError::invalid_argument(why::REGIMES_DIFFER, static_cast<uint16_t>(regime),
                                              static_cast<uint16_t>(upper->regime().regime));
        }
        // With TCR.A1 = 0 the ASID of TTBR0 tags the non-global entries of both ranges,
        // so the two maps must share it: each invalidates its TLB entries with its own ASID.
        if (upper->asid() != lower.asid()) {
            return MapError::invalid_argument(why::ASIDS_DIFFER, lower.asid(), upper->asid());
        }
    }
    if (lower.regime().range != VaRange::Lower || (upper != nullptr && upper->regime().range != VaRange::Upper)) {
        return MapError::invalid_argument(why::RANGES, static_cast<uint16_t>(lower.regime().range),
                                          static_cast<uint16_t>(upper != nullptr ? upper->regime().range
                                                                                 : VaRange::Upper));
    }
    const uint64_t parange = id_aa64mmfr0 & 0xf;
    const uint64_t pa_size = parange < kParange48 ? parange : kParange48;
    const bool asid16 = ((id_aa64mmfr0 >> 4) & 0xf) == kAsidBits16;
    if (!asid16 && lower.asid() > 0xff) {  // the upper one's is the same
        return MapError::invalid_argument(why::ASID_WIDTH, 8, 0, VirtualAddress(lower.asid()));
    }
    uint64_t tcr = tnsz(lower) | kTcrWalks0 | (G::tg0 << kTcrTg0Shift);
    const uint64_t ha_hd =
        hardware_updates::ha_hd(lower.hardware_updates() | (upper != nullptr ? upper->hardware_updates() : 0));
    if (!has_two_privilege_levels(regime)) {
        tcr |= (pa_size << kTcrPsShift) | kTcrRes1 | (ha_hd << kTcrHaShiftOneRange);
    } else {
        tcr |= ha_hd << kTcrHaShift;
        tcr |= (G::tg1 << kTcrTg1Shift) | (pa_size << kTcrIpsShift) | (asid16 ? kTcrAs16 : 0) |
               (upper != nullptr ? (tnsz(*upper) << kTcrT1szShift) | kTcrWalks1 : kTcrEpd1);
    }
    config.mair = MAIR_DEFAULT;
    config.tcr = tcr;
    config.ttbr = lower.ttbr();
    config.ttbr1 = upper != nullptr ? upper->ttbr() : 0;
    const bool guarded = lower.guarded_code() || (upper != nullptr && upper->guarded_code());
    const uint64_t bt = has_two_privilege_levels(lower.regime().regime) ? sctlr::BT | sctlr::BT0 : sctlr::BT;
    config.sctlr_set = sctlr::M | sctlr::C | sctlr::I | (guarded ? bt : 0);
    config.sctlr_clear = sctlr::A | sctlr::WXN | sctlr::E0E | sctlr::EE;
    return {};
}

template <class G>
Result enable_mmu(Mapping<G>& lower, typename MappingOf<G>::type* upper, arch::MmuRegisters& previous) {
    MmuConfig config;
    if (Result r = mmu_config<G>(lower, upper, arch::read_id_aa64mmfr0_el1(), config); !r) {
        return r;
    }
    if (lower.is_active() || (upper != nullptr && upper->is_active())) {
        return Status::AlreadyActive;
    }
    if (const TranslationRegime current = arch::current_regime(); current != lower.regime().regime) {
        return MapError::invalid_argument(argument_reason::NOT_CURRENT_REGIME,
                                          static_cast<uint16_t>(lower.regime().regime),
                                          static_cast<uint16_t>(current));
    }
    // TnSZ above 39 (4 KiB pages from root level 3: 43) only with FEAT_TTST; the 16 KiB
    // and 64 KiB granules' root level 3 needs 39 and 35 (Arm ARM D8.2 "Translation
    // table walk", on the input address size).
    const bool ttst = ((arch::read_id_aa64mmfr2_el1() >> 28) & 0xf) != 0;
    const uint64_t largest_tnsz = upper != nullptr && tnsz(*upper) > tnsz(lower) ? tnsz(*upper) : tnsz(lower);
    if (!ttst && largest_tnsz > kMaxTnszWithoutTtst) {
        return MapError::invalid_argument(argument_reason::NEEDS_TTST, static_cast<uint16_t>(largest_tnsz));
    }
    const TranslationRegime regime = lower.regime().regime;
    previous = arch::read_mmu_registers(regime);
    // Tables written while data accesses did not go through the cache (M or C clear) are
    // in memory, perhaps behind stale lines: cleaned and invalidated to the point of
    // coherency before the walker reads them through the cache (the pages were
    // invalidated when taken, arch::prepare_table_page, so no stale line is written back).
    if ((previous.sctlr & (sctlr::M | sctlr::C)) != (sctlr::M | sctlr::C)) {
        const auto clean = [](const void* table) {
            arch::clean_invalidate_dcache_to_poc(reinterpret_cast<uintptr_t>(table), G::page_size);
        };
        lower.for_each_table(clean);
        if (upper != nullptr) {
            upper->for_each_table(clean);
        }
    }
    const uint64_t sctlr_value = (previous.sctlr | config.sctlr_set) & ~config.sctlr_clear;
    arch::load_mmu_registers(regime, arch::MmuRegisters{config.mair, config.tcr, config.ttbr,
                                                        config.ttbr1, sctlr_value});
    (void)lower.mark_enabled();
    if (upper != nullptr) {
        (void)upper->mark_enabled();
    }
    return {};
}

template <class G>
Result disable_mmu(Mapping<G>& lower, typename MappingOf<G>::type* upper, const arch::MmuRegisters& previous) {
    if (!lower.is_active() || (upper != nullptr && !upper->is_active())) {
        return Status::NotActive;
    }
    arch::load_mmu_registers(lower.regime().regime, previous);
    (void)lower.mark_inactive();
    if (upper != nullptr) {
        (void)upper->mark_inactive();
    }
    return {};
}

#define AARCH64_PAGING_MMU_INSTANTIATE(G)                                                       \
    template Result mmu_config<G>(const Mapping<G>&, const typename MappingOf<G>::type*, uint64_t, MmuConfig&);  \
    template Result enable_mmu<G>(Mapping<G>&, typename MappingOf<G>::type*, arch::MmuRegisters&);               \
    template Result disable_mmu<G>(Mapping<G>&, typename MappingOf<G>::type*, const arch::MmuRegisters&);
AARCH64_PAGING_MMU_INSTANTIATE(Granule4K)
AARCH64_PAGING_MMU_INSTANTIATE(Granule16K)
AARCH64_PAGING_MMU_INSTANTIATE(Granule64K)

}  // namespace aarch64_paging
