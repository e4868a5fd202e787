/*
 * check.h - the reporting of the on-target suites (suite.c, regime.c, guard.c,
 * cxx_suite.cpp), in a TAP-like format on the console (bm_printf):
 *
 *   ok N - name
 *   ok N - name # SKIP reason                  (what it checks could not be checked here)
 *   ok N - name # WORKAROUND reason            (checked only with the test's help)
 *   not ok N - name: first problem (K problems, more below)
 *   #   second problem                 (up to CHECK_MAX_NOTES problems are kept)
 *   #   ... and K more
 *   N passed, M failed, K skipped[, W under an emulator workaround]   (check_summary,
 *                                      the last line; N counts only plain passes)
 *
 * A case is case_begin(), any number of CHECK() / fail(), case_end(). The runners
 * (run-lib.sh) parse the last line, and show the "not ok" and "#   " lines of a run
 * that failed.
 */
#ifndef TARGET_CHECK_H
#define TARGET_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Problems kept per case; the rest are counted. */
#define CHECK_MAX_NOTES 6

/* Starts a case: its name, and no problem and no SKIP reason yet. */
void case_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends to the name of the current case (printed by case_end). */
void case_name_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Marks the current case skipped, with the reason; it still fails if problems are noted. */
void case_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Marks the current case as run under an emulator workaround, with the reason: the test
 * did something the hardware would not need (an extra TLBI, say) for it to pass on this
 * emulator. It still fails if problems are noted; a skip mark wins over this one. */
void case_workaround(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Notes a problem of the current case. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The problems noted since case_begin. */
unsigned case_problems(void);
/* Prints the case's line (and its "#" lines); true if it passed. */
bool case_end(void);
/* Prints "N passed, M failed, K skipped" over every case so far, and ", W under an
 * emulator workaround" where W is not 0; returns 0 if none failed, else 1 (bm_main's
 * return value, QEMU's exit status). */
int check_summary(void);

/* cond, or a problem noted with the message; the value is whether cond held. */
#define CHECK(cond, ...) ((cond) ? true : (fail(__VA_ARGS__), false))

/* PAR_EL1 after an AT instruction, in buf: "PAR 0x... (fault, FST 0x..)" or
 * "PAR 0x... (PA 0x... ATTR 0x.. SH n)"; par_text_ns adds " NS n" after SH (EL3). */
const char *par_text(char *buf, size_t len, uint64_t par);
const char *par_text_ns(char *buf, size_t len, uint64_t par);

#ifdef __cplusplus
}
#endif

#endif
