// memset for board builds; see memcpy.cpp for why it is here and alone in its file.
#include <stddef.h>

#if !defined(IDMAP_HOST)

extern "C" void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    while (n-- > 0) {
        *d++ = static_cast<unsigned char>(c);
    }
    return dst;
}

#endif
