// The C ABI's idmap_version: the version the library was built with, which a caller
// compares with the IDMAP_VERSION of the header it was compiled against.
#include "idmap.h"

extern "C" uint32_t idmap_version(void) { return IDMAP_VERSION; }
