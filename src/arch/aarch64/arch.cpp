// The arch layer on AArch64, EL1. Barriers as the Arm ARM (DDI 0487K.a) requires for
// translation table updates and TLB maintenance: a DSB makes table stores visible to the
// walker and completes TLB invalidation, an ISB makes a system register write take effect.
#include "aarch64_paging/arch.hpp"

extern "C" void aarch64_paging_load_mmu_registers(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                                  uint64_t sctlr);

namespace aarch64_paging::arch {

uint64_t swap_ttbr0_el1(uint64_t ttbr) {
    uint64_t old;
    asm volatile("mrs %0, ttbr0_el1" : "=r"(old));
    asm volatile(
        "dsb ishst\n"
        "msr ttbr0_el1, %0\n"
        "isb"
        :
        : "r"(ttbr)
        : "memory");
    return old;
}

void restore_ttbr0_el1(uint64_t ttbr, uint16_t asid) {
    // The old table is out of TTBR0 before its ASID is flushed, so no walk refills the
    // TLB with it afterwards.
    asm volatile(
        "msr ttbr0_el1, %0\n"
        "isb\n"
        "tlbi aside1, %1\n"
        "dsb ish\n"
        "isb"
        :
        : "r"(ttbr), "r"(uint64_t{asid} << 48)
        : "memory");
}

void table_store_barrier() { asm volatile("dsb ishst" ::: "memory"); }

void invalidate_tlb_after_unmap() {
    asm volatile(
        "dsb ishst\n"
        "tlbi vmalle1is\n"
        "dsb ish\n"
        "isb" ::: "memory");
}

uint64_t read_id_aa64mmfr0_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(value));
    return value;
}

uint64_t read_id_aa64mmfr2_el1() {
    uint64_t value;
    // ID_AA64MMFR2_EL1 by encoding, for assemblers that predate the name.
    asm volatile("mrs %0, s3_0_c0_c7_2" : "=r"(value));
    return value;
}

MmuRegisters read_mmu_registers() {
    MmuRegisters r;
    asm volatile("mrs %0, mair_el1" : "=r"(r.mair));
    asm volatile("mrs %0, tcr_el1" : "=r"(r.tcr));
    asm volatile("mrs %0, ttbr0_el1" : "=r"(r.ttbr0));
    asm volatile("mrs %0, sctlr_el1" : "=r"(r.sctlr));
    return r;
}

void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size) {
    uint64_t ctr;
    asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
    // CTR_EL0.DminLine: log2 of the smallest data cache line, in words.
    const uintptr_t line = uintptr_t{4} << ((ctr >> 16) & 0xf);
    for (uintptr_t va = start & ~(line - 1); va < start + size; va += line) {
        asm volatile("dc civac, %0" : : "r"(va) : "memory");
    }
    asm volatile("dsb sy" ::: "memory");
}

void load_mmu_registers(const MmuRegisters& regs) {
    aarch64_paging_load_mmu_registers(regs.mair, regs.tcr, regs.ttbr0, regs.sctlr);
}

}  // namespace aarch64_paging::arch
