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
    struct range ram;        /* the guest's RAM, IPA = PA */
};
extern struct hyp hyp;

/* The guest's RAM at stage 2: Normal write-back, inner shareable, read/write. */
#define GUEST_RAM_S2 (IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE)

/* hypervisor.c: a spinlock for the library's calls on hyp.vm once the guest runs on two
 * cores: a map is not safe for concurrent callers. Needs the MMU on (exclusives). */
void hyp_lock(void);
void hyp_unlock(void);

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

/* dirty_log.c: the guest's writes counted, as a live migration's dirty logging does. */

/* Makes the guest's RAM read-only at stage 2 and starts counting the pages it writes;
 * @since says when, for the report. Once only: later calls do nothing. */
void dirty_log_start(const char *since);
/* A stage-2 permission fault on a write to @ipa: makes that page writable again (a split,
 * by break-before-make, in a read-only block) and counts it once. Answers 1 to resume
 * the guest at the access, 0 for a fault that is not logging's (not RAM, not started). */
int dirty_log_write_fault(uint64_t ipa);
/* A stage-2 translation fault at @ipa: 1 (resume, retrying) where it hit a block of RAM
 * that the other core was splitting, valid again now; else 0. */
int dirty_log_translation_fault(uint64_t ipa);
/* Prints "dirty logging: N pages written since <when>", if it started. */
void dirty_log_report(void);

/* traps.c: exceptions from the guest. */

/* bm_lower_el_handler: PSCI through SMC, dirty logging's stage-2 faults; any other trap
 * ends the run (status 2). */
int hyp_trap(unsigned kind, struct bm_frame *frame);

#endif
