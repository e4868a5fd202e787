/*
 * regime_stage2.h - the regime suite's stage-2 cases (regime_stage2.c), which regime.c
 * runs when it was entered at EL2.
 */
#ifndef TARGET_REGIME_STAGE2_H
#define TARGET_REGIME_STAGE2_H

/* Every stage-2 case, at EL2 with HCR_EL2.E2H = 0 and EL2's MMU off; leaves HCR_EL2 and
 * EL1's translation registers as it found them. */
void stage2_cases(void);

#endif
