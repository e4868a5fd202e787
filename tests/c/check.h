/*
 * check.h - the checks of the C99 programs in tests/c (each a standalone program that
 * includes only idmap.h and this header, and links only libidmap.a). A failed check
 * prints "file:line: what: condition" to stderr.
 *
 *   REQUIRE(cond)        fatal: the enclosing function returns 1.
 *   REQUIRE_OK(map, st)  fatal unless st is IDMAP_OK; prints the status and map's last error.
 *   CHECK(cond)          not fatal: counted, and the program goes on; check_failures()
 *                        answers how many failed.
 */
#ifndef IDMAP_TESTS_C_CHECK_H
#define IDMAP_TESTS_C_CHECK_H

#include <idmap.h>

#include <stdio.h>

/* The failures of CHECK so far (one counter per program), after adding `add`. */
static inline int check_count(int add)
{
    static int failures = 0;
    failures += add;
    return failures;
}

static inline int check_failures(void) { return check_count(0); }

#define CHECK_REPORT_(what, text) \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, (what), (text))

#define REQUIRE(cond)                                   \
    do {                                                \
        if (!(cond)) {                                  \
            CHECK_REPORT_("required", #cond);           \
            return 1;                                   \
        }                                               \
    } while (0)

#define CHECK(cond)                                     \
    do {                                                \
        if (!(cond)) {                                  \
            CHECK_REPORT_("check failed", #cond);       \
            check_count(1);                             \
        }                                               \
    } while (0)

#define REQUIRE_OK(map, st)                                                         \
    do {                                                                            \
        idmap_status_t st_ = (st);                                                  \
        if (st_ != IDMAP_OK) {                                                      \
            char line_[160];                                                        \
            idmap_format_error(idmap_last_error(map), line_, sizeof line_);         \
            fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #st, \
                    idmap_status_str(st_), line_);                                  \
            return 1;                                                               \
        }                                                                           \
    } while (0)

#endif /* IDMAP_TESTS_C_CHECK_H */
