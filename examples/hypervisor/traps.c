/*
 * traps.c - exceptions from the guest to EL2 (bm_lower_el_handler): its SMCs, which
 * HCR_EL2.TSC traps, answered as PSCI (Arm DEN 0022) through the hypervisor's own SMC,
 * which QEMU answers from EL2 (there is no EL3); CPU_ON started at the hypervisor's entry
 * instead of the guest's; and the stage-2 faults of dirty logging (dirty_log.c), which
 * starts at the first CPU_ON and reports at SYSTEM_OFF. Anything else is a bug to see, not
 * a hang: the registers are printed and the run ends with status 2.
 */
#include "hypervisor.h"

/* ESR_EL2.EC (Arm ARM DDI 0487, D19 "ESR_EL2"): SMC from AArch64 when HCR_EL2.TSC is 1,
 * with ELR_EL2 at the SMC itself (not past it, as for HVC); instruction and data aborts
 * from a lower EL, with ELR_EL2 at the access, which an ERET retries. */
#define EC_SMC64 0x17
#define EC_IABORT_LOWER 0x20
#define EC_DABORT_LOWER 0x24
/* Their ISS: S1PTW (bit 7), the fault was on the guest's stage-1 walk (a write there is
 * its walker's Access flag or dirty state update); xFSC (5:0) 0b0001LL translation,
 * 0b0011LL permission fault at level LL. */
#define ISS_S1PTW (1ULL << 7)
#define FSC_TYPE(esr) (BM_ESR_FSC(esr) & ~3U)

/* SMC Calling Convention (Arm DEN 0028): function id in w0, arguments x1-x3, results in
 * x0-x3, x4-x17 may be clobbered; an unknown function answers NOT_SUPPORTED. PSCI is
 * the fast calls 0x00-0x1f of the standard secure service, SMC32 (0x84...) or SMC64
 * (0xc4...). */
#define SMCCC_NOT_SUPPORTED ((uint64_t)-1)
#define SMC64_BIT 0x40000000U
#define PSCI_BASE 0x84000000U
#define PSCI_CPU_ON 0x84000003U
#define PSCI_SYSTEM_OFF 0x84000008U

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
        /* Linux's memory is set up by now, and from here two vCPUs write. */
        dirty_log_start("the guest's first PSCI CPU_ON");
        const int64_t rc = vcpu_cpu_on(target, entry, context);
        bm_printf("hypervisor: PSCI CPU_ON 0x%llx at 0x%llx: %lld\n", (unsigned long long)target,
                  (unsigned long long)entry, (long long)rc);
        f->x[0] = (uint64_t)rc;
    } else if (is_psci(fid)) {
        if (fid == PSCI_SYSTEM_OFF)
            dirty_log_report(); /* QEMU exits at the SMC */
        forward_smc(f); /* VERSION, FEATURES, CPU_OFF, SYSTEM_OFF, SYSTEM_RESET, ... */
    } else {
        f->x[0] = SMCCC_NOT_SUPPORTED;
    }
}

/* HPFAR_EL2.FIPA (bits 43:4) is IPA bits 51:12 of a stage-2 fault. */
static uint64_t hpfar_ipa(uint64_t far) { return (BM_READ_SYSREG(hpfar_el2) >> 4) << 12 | (far & 0xfff); }

/* HPFAR_EL2 holds the IPA of a stage-2 translation, Access flag or address size fault, and
 * of any stage-2 fault on a stage-1 walk, but not of a permission fault on the access
 * itself (D19 "HPFAR_EL2"; KVM's __hpfar_valid): there the guest's VA in FAR_EL2 goes
 * through its stage 1 with AT S1E1R, as KVM does, the guest's PAR_EL1 kept. Answers 0
 * where that fails (its stage 1 changed meanwhile): the access is then only retried. */
static int far_to_ipa(uint64_t far, uint64_t *ipa)
{
    const uint64_t guest_par = BM_READ_SYSREG(par_el1);
    const uint64_t par = bm_at_s1e1r(far);
    BM_WRITE_SYSREG(par_el1, guest_par);
    *ipa = BM_PAR_PA(par) | (far & 0xfff);
    return !(par & BM_PAR_F);
}

/* An abort from the guest: dirty logging's, or not handled (0). A write to a read-only
 * page of RAM, the guest's own or its walker's, is a permission fault; a translation fault
 * on RAM hit a block the other core was splitting. Either way the guest resumes at the
 * access (ELR_EL2 unchanged) and retries it. */
static int stage2_abort(const struct bm_frame *f)
{
    const unsigned fsc = FSC_TYPE(f->esr);
    if (fsc == BM_FSC_TRANSLATION(0))
        return dirty_log_translation_fault(hpfar_ipa(f->far));
    if (fsc != BM_FSC_PERMISSION(0))
        return 0;
    if (f->esr & ISS_S1PTW) /* for a data access or an instruction fetch */
        return dirty_log_write_fault(hpfar_ipa(f->far));
    if (BM_ESR_EC(f->esr) != EC_DABORT_LOWER || !BM_ESR_WNR(f->esr))
        return 0;
    uint64_t ipa;
    return far_to_ipa(f->far, &ipa) ? dirty_log_write_fault(ipa) : 1;
}

static void fatal(unsigned kind, const struct bm_frame *f) __attribute__((noreturn));
static void fatal(unsigned kind, const struct bm_frame *f)
{
    bm_printf("\nhypervisor: unhandled trap from the guest on core %u (vector %u): ESR_EL2 0x%llx "
              "(EC 0x%02x) FAR_EL2 0x%llx HPFAR_EL2 0x%llx (IPA 0x%llx) ELR_EL2 0x%llx SPSR_EL2 "
              "0x%llx\n",
              bm_core(), kind, (unsigned long long)f->esr, (unsigned)BM_ESR_EC(f->esr),
              (unsigned long long)f->far, (unsigned long long)BM_READ_SYSREG(hpfar_el2),
              (unsigned long long)hpfar_ipa(f->far), (unsigned long long)f->elr,
              (unsigned long long)f->spsr);
    bm_exit(2);
}

int hyp_trap(unsigned kind, struct bm_frame *frame)
{
    const unsigned ec = BM_ESR_EC(frame->esr);
    if (kind == 8 && ec == EC_SMC64) {
        smc(frame);
        frame->elr += 4; /* past the SMC */
        return 1;
    }
    if (kind == 8 && (ec == EC_IABORT_LOWER || ec == EC_DABORT_LOWER) && stage2_abort(frame))
        return 1;
    fatal(kind, frame);
}
