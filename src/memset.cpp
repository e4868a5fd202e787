// memset for board builds; see memcpy.cpp for why it is here, alone in its file and weak.
#include <stddef.h>

#if !defined(IDMAP_HOST)

// Weak, as memcpy is.
extern "C" [[gnu::weak]] void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    while (n-- > 0) {
        *d++ = static_cast<unsigned char>(c);
    }
    return dst;
}

#endif
