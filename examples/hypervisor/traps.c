/*
 * traps.c - exceptions from the guest to EL2 (bm_lower_el_handler): its SMCs, which
 * HCR_EL2.TSC traps, answered as PSCI (Arm DEN 0022) through the hypervisor's own SMC,
 * which QEMU answers from EL2 (there is no EL3); CPU_ON started at the hypervisor's entry
 * instead of the guest's. Anything else is a bug to see, not a hang: the registers are
 * printed and the run ends with status 2.
 */
#include "hypervisor.h"

/* ESR_EL2.EC (Arm ARM DDI 0487, D19 "ESR_EL2"): SMC from AArch64 when HCR_EL2.TSC is 1,
 * with ELR_EL2 at the SMC itself (not past it, as for HVC). */
#define EC_SMC64 0x17

/* SMC Calling Convention (Arm DEN 0028): function id in w0, arguments x1-x3, results in
 * x0-x3, x4-x17 may be clobbered; an unknown function answers NOT_SUPPORTED. PSCI is
 * the fast calls 0x00-0x1f of the standard secure service, SMC32 (0x84...) or SMC64
 * (0xc4...). */
#define SMCCC_NOT_SUPPORTED ((uint64_t)-1)
#define SMC64_BIT 0x40000000U
#define PSCI_BASE 0x84000000U
#define PSCI_CPU_ON 0x84000003U

static int is_psci(uint32_t fid) { return (fid & ~SMC64_BIT & ~0x1fU) == PSCI_BASE; }

/* The guest's call made again from EL2, its results given back: x0-x3. */
static void forward_smc(struct bm_frame *f)
{
    register uint64_t x0 __asm__("x0") = f->x[0];
    register uint64_t x1 __asm__("x1") = f->x[1];
    register uint64_t x2 __asm__("x2") = f->x[2];
    register uint64_t x3 __asm__("x3") = f->x[3];
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                       "x15", "x16", "x17", "memory");
    f->x[0] = x0;
    f->x[1] = x1;
    f->x[2] = x2;
    f->x[3] = x3;
}

static void smc(struct bm_frame *f)
{
    const uint32_t fid = (uint32_t)f->x[0];
    if ((fid & ~SMC64_BIT) == PSCI_CPU_ON) {
        /* SMC32: 32-bit arguments. */
        const uint64_t mask = (fid & SMC64_BIT) ? ~0ULL : 0xffffffffULL;
        const uint64_t target = f->x[1] & mask, entry = f->x[2] & mask, context = f->x[3] & mask;
        const int64_t rc = vcpu_cpu_on(target, entry, context);
        bm_printf("hypervisor: PSCI CPU_ON 0x%llx at 0x%llx: %lld\n", (unsigned long long)target,
                  (unsigned long long)entry, (long long)rc);
        f->x[0] = (uint64_t)rc;
    } else if (is_psci(fid)) {
        forward_smc(f); /* VERSION, FEATURES, CPU_OFF, SYSTEM_OFF, SYSTEM_RESET, ... */
    } else {
        f->x[0] = SMCCC_NOT_SUPPORTED;
    }
}

static void fatal(unsigned kind, const struct bm_frame *f) __attribute__((noreturn));
static void fatal(unsigned kind, const struct bm_frame *f)
{
    /* HPFAR_EL2.FIPA (bits 43:4) is IPA bits 51:12 of a stage-2 fault. */
    const uint64_t hpfar = BM_READ_SYSREG(hpfar_el2);
    bm_printf("\nhypervisor: unhandled trap from the guest on core %u (vector %u): ESR_EL2 0x%llx "
              "(EC 0x%02x) FAR_EL2 0x%llx HPFAR_EL2 0x%llx (IPA 0x%llx) ELR_EL2 0x%llx SPSR_EL2 "
              "0x%llx\n",
              bm_core(), kind, (unsigned long long)f->esr, (unsigned)BM_ESR_EC(f->esr),
              (unsigned long long)f->far, (unsigned long long)hpfar,
              (unsigned long long)((hpfar >> 4) << 12 | (f->far & 0xfff)),
              (unsigned long long)f->elr, (unsigned long long)f->spsr);
    bm_exit(2);
}

int hyp_trap(unsigned kind, struct bm_frame *frame)
{
    if (kind != 8 || BM_ESR_EC(frame->esr) != EC_SMC64)
        fatal(kind, frame);
    smc(frame);
    frame->elr += 4; /* past the SMC */
    return 1;
}
