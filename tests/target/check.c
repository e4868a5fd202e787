/*
 * check.c - the reporting of the on-target suites (check.h).
 */
#include "check.h"

#include "bm.h"

static unsigned t_count, t_failed, t_skipped, t_workarounds, t_problems;
static char t_name[200];
static char t_notes[CHECK_MAX_NOTES][400];
static char t_skip[200];
static char t_workaround[200];

void case_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vsnprintf(t_name, sizeof t_name, fmt, ap);
    va_end(ap);
    t_problems = 0;
    t_skip[0] = '\0';
    t_workaround[0] = '\0';
}

void case_name_append(const char *fmt, ...)
{
    size_t len = 0;
    while (t_name[len])
        len++;
    va_list ap;
    va_start(ap, fmt);
    bm_vsnprintf(t_name + len, sizeof t_name - len, fmt, ap);
    va_end(ap);
}

void case_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vsnprintf(t_skip, sizeof t_skip, fmt, ap);
    va_end(ap);
}

void case_workaround(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vsnprintf(t_workaround, sizeof t_workaround, fmt, ap);
    va_end(ap);
}

void fail(const char *fmt, ...)
{
    if (t_problems < CHECK_MAX_NOTES) {
        va_list ap;
        va_start(ap, fmt);
        bm_vsnprintf(t_notes[t_problems], sizeof t_notes[0], fmt, ap);
        va_end(ap);
    }
    t_problems++;
}

unsigned case_problems(void)
{
    return t_problems;
}

bool case_end(void)
{
    t_count++;
    if (t_problems == 0) {
        if (t_skip[0]) {
            t_skipped++;
            bm_printf("ok %u - %s # SKIP %s\n", t_count, t_name, t_skip);
        } else if (t_workaround[0]) {
            t_workarounds++;
            bm_printf("ok %u - %s # WORKAROUND %s\n", t_count, t_name, t_workaround);
        } else {
            bm_printf("ok %u - %s\n", t_count, t_name);
        }
        return true;
    }
    t_failed++;
    bm_printf("not ok %u - %s: %s", t_count, t_name, t_notes[0]);
    if (t_problems > 1)
        bm_printf(" (%u problems, more below)", t_problems);
    bm_printf("\n");
    for (unsigned i = 1; i < t_problems && i < CHECK_MAX_NOTES; i++)
        bm_printf("#   %s\n", t_notes[i]);
    if (t_problems > CHECK_MAX_NOTES)
        bm_printf("#   ... and %u more\n", t_problems - CHECK_MAX_NOTES);
    return false;
}

int check_summary(void)
{
    bm_printf("%u passed, %u failed, %u skipped", t_count - t_failed - t_skipped - t_workarounds,
              t_failed, t_skipped);
    if (t_workarounds)
        bm_printf(", %u under an emulator workaround", t_workarounds);
    bm_printf("\n");
    return t_failed ? 1 : 0;
}

static const char *par_format(char *buf, size_t len, uint64_t par, bool with_ns)
{
    typedef unsigned long long ull;
    if (par & BM_PAR_F)
        bm_snprintf(buf, len, "PAR 0x%llx (fault, FST 0x%02x)", (ull)par, (unsigned)BM_PAR_FST(par));
    else if (with_ns)
        bm_snprintf(buf, len, "PAR 0x%llx (PA 0x%llx ATTR 0x%02x SH %u NS %u)", (ull)par,
                    (ull)BM_PAR_PA(par), (unsigned)BM_PAR_ATTR(par), (unsigned)BM_PAR_SH(par),
                    (unsigned)BM_PAR_NS(par));
    else
        bm_snprintf(buf, len, "PAR 0x%llx (PA 0x%llx ATTR 0x%02x SH %u)", (ull)par,
                    (ull)BM_PAR_PA(par), (unsigned)BM_PAR_ATTR(par), (unsigned)BM_PAR_SH(par));
    return buf;
}

const char *par_text(char *buf, size_t len, uint64_t par)
{
    return par_format(buf, len, par, false);
}

const char *par_text_ns(char *buf, size_t len, uint64_t par)
{
    return par_format(buf, len, par, true);
}
