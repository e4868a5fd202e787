/*
 * hypervisor.h - the parts of the EL2 hypervisor of make run-hypervisor
 * (examples/hypervisor/hypervisor.c says what it does).
 */
#ifndef HYPERVISOR_H
#define HYPERVISOR_H

#include <stdint.h>

#include "bm.h"
#include "idmap.h"
#include "linux_boot.h"

/* What every core's EL2 needs, set by the primary before the guest runs; the secondaries
 * read it with their MMU off (hypervisor.c cleans it to the point of coherency). */
struct hyp {
    idmap_t *el2;            /* EL2's own stage-1 map */
    idmap_mmu_config_t mmu;  /* its MAIR_EL2, TCR_EL2, TTBR0_EL2, SCTLR_EL2 bits */
    idmap_t *vm;             /* the guest's stage-2 map */
    uint64_t vtcr;           /* VTCR_EL2 for it */
};
extern struct hyp hyp;

/* guest_map.c: the guest's memory. */

/* The stage-2 map of the guest, VMID 1: @ram as Normal memory, the devices it needs as
 * Device memory, IPA = PA; nothing else (the hypervisor's own memory is not in @ram). */
idmap_t *guest_map_new(const struct range *ram);
/* Makes the devicetree's /memory end at @end, where the hypervisor's memory starts. */
void guest_shrink_memory(struct linux_boot *b, uint64_t end);

/* vcpu.c: a core's EL2 state for the guest, and the guest's secondary cores. */

/* Enters the guest at EL1 on the calling core: EL2's traps, timer and debug registers for
 * it, its stage 2 (@first: idmap_s2_activate, the first core; else the per-core
 * activation), then ERET to @entry at EL1h with x0 = @x0, the MMU off at EL1 and SP_EL2
 * reset to @stack_top for the traps to come. */
void vcpu_enter(uint64_t entry, uint64_t x0, uint64_t stack_top, int first)
    __attribute__((noreturn));
/* PSCI CPU_ON for the guest: starts core @mpidr at the hypervisor's secondary entry,
 * which sets up that core's EL2 and enters the guest at @entry with x0 = @context.
 * Returns PSCI's answer (0, or -2 INVALID_PARAMETERS, -4 ALREADY_ON, ...). */
int64_t vcpu_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);

/* traps.c: exceptions from the guest. */

/* bm_lower_el_handler: PSCI through SMC; any other trap ends the run (status 2). */
int hyp_trap(unsigned kind, struct bm_frame *frame);

#endif
