#include "aarch64_paging/mmu.hpp"

namespace aarch64_paging {

namespace {

// TCR_EL1 fields (Arm ARM DDI 0487K.a, D19 "TCR_EL1").
constexpr uint64_t kTcrIrgn0WriteBack = uint64_t{1} << 8;   // IRGN0 = 0b01 WB RA WA
constexpr uint64_t kTcrOrgn0WriteBack = uint64_t{1} << 10;  // ORGN0 = 0b01 WB RA WA
constexpr uint64_t kTcrSh0Inner = uint64_t{3} << 12;        // SH0 = 0b11
constexpr uint64_t kTcrTg0_4K = uint64_t{0} << 14;          // TG0 = 0b00
constexpr uint64_t kTcrEpd1 = uint64_t{1} << 23;            // no walks through TTBR1
constexpr uint64_t kTcrTg1_4K = uint64_t{2} << 30;          // TG1 = 0b10 (0b00 is reserved)
constexpr unsigned kTcrIpsShift = 32;
constexpr uint64_t kTcrAs16 = uint64_t{1} << 36;            // 16-bit ASIDs

// ID_AA64MMFR0_EL1.PARange 0b0101 = 48 bits: the most a 4 KiB-granule descriptor
// without FEAT_LPA2 can hold.
constexpr uint64_t kParange48 = 5;
constexpr uint64_t kAsidBits16 = 2;

}  // namespace

Result mmu_config(const Mapping<>& mapping, uint64_t id_aa64mmfr0, MmuConfig& config) {
    if (!mapping.is_initialised()) {
        return Status::InvalidArgument;
    }
    const uint64_t parange = id_aa64mmfr0 & 0xf;
    const bool asid16 = ((id_aa64mmfr0 >> 4) & 0xf) == kAsidBits16;
    if (!asid16 && mapping.asid() > 0xff) {
        return Status::InvalidArgument;
    }
    const uint64_t t0sz = 64 - Granule4K::va_bits(mapping.root_level());
    config.mair = MAIR_DEFAULT;
    config.tcr = t0sz | kTcrIrgn0WriteBack | kTcrOrgn0WriteBack | kTcrSh0Inner | kTcrTg0_4K |
                 kTcrEpd1 | kTcrTg1_4K | ((parange < kParange48 ? parange : kParange48) << kTcrIpsShift) |
                 (asid16 ? kTcrAs16 : 0);
    config.ttbr = mapping.ttbr();
    config.sctlr_set = sctlr::M | sctlr::C | sctlr::I;
    config.sctlr_clear = sctlr::A | sctlr::WXN | sctlr::E0E | sctlr::EE;
    return {};
}

Result enable_mmu(Mapping<>& mapping, arch::MmuRegisters& previous) {
    MmuConfig config;
    if (Result r = mmu_config(mapping, arch::read_id_aa64mmfr0_el1(), config); !r) {
        return r;
    }
    if (mapping.is_active()) {
        return Status::AlreadyActive;
    }
    // A root at level 3 needs T0SZ 43, beyond 39 only with FEAT_TTST.
    const bool ttst = ((arch::read_id_aa64mmfr2_el1() >> 28) & 0xf) != 0;
    if (mapping.root_level() == Mapping<>::LEAF_LEVEL && !ttst) {
        return Status::InvalidArgument;
    }
    previous = arch::read_mmu_registers();
    if ((previous.sctlr & sctlr::M) == 0) {
        mapping.for_each_table([](const void* table) {
            arch::clean_invalidate_dcache_to_poc(reinterpret_cast<uintptr_t>(table), PAGE_SIZE);
        });
    }
    const uint64_t sctlr_value = (previous.sctlr | config.sctlr_set) & ~config.sctlr_clear;
    arch::load_mmu_registers(arch::MmuRegisters{config.mair, config.tcr, config.ttbr, sctlr_value});
    return mapping.mark_active(previous.ttbr0);
}

Result disable_mmu(Mapping<>& mapping, const arch::MmuRegisters& previous) {
    if (!mapping.is_active()) {
        return Status::NotActive;
    }
    arch::load_mmu_registers(previous);
    return mapping.mark_inactive();
}

}  // namespace aarch64_paging
