# tests/target/check.mk - what the target suites share: the reporting (check.c, check.h;
# every suite), the C suites' view of the C facade (idmap_check.c, idmap_check.h), and
# the entry EL's regime, registers, TLB and code pages (entry_el.c, entry_el.h; the suites
# that run at the entry EL).
# Included by the fragments that build the suites (and by the top-level Makefile, which
# includes every tests/target/*.mk; the guard makes the second inclusion a no-op).

ifndef TARGET_CHECK_MK
TARGET_CHECK_MK := 1

# Linked by cxx_suite.cpp, which uses the C++ API only.
TARGET_CHECK_SRCS   := tests/target/check.c
# Linked by the C suites (suite.c, regime.c, guard.c, stress.c).
TARGET_C_CHECK_SRCS := $(TARGET_CHECK_SRCS) tests/target/idmap_check.c
# Linked by the C suites that run at the entry EL (regime.c, guard.c, stress.c).
TARGET_EL_CHECK_SRCS := $(TARGET_C_CHECK_SRCS) tests/target/entry_el.c

endif
